#!/usr/bin/env bash
# The harness's own cases, run inside a guest by run.sh's selftest job,
# which checks that each gets the verdict it must (docs/testing.md): a
# case whose module is missing fails, a case that leaves sbull loaded
# fails, a case past its time limit fails "timed out", a case hung in the
# kernel fails as the guest panics (hung_task_panic), and the case after
# it still runs, in a new boot.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/lib.sh
. "$here/lib.sh"
# make check's CASES must not deselect them.
unset SBULL_CASES

run_case selftest-needs
run_case selftest-leftover
run_case selftest-timeout
run_case selftest-hang
run_case selftest-after

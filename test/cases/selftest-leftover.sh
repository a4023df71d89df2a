#!/usr/bin/env bash
# Case: harness self-test: a case that leaves sbull loaded fails (run.sh expects "not ok")
# sbulla stays mounted where the cleanup does not look, so rmmod fails.
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"
load_sbull ndevices=1
mkfs.ext4 -q -F /dev/sbulla
mkdir -p /tmp/selftest-leftover
mount /dev/sbulla /tmp/selftest-leftover

#!/usr/bin/env bash
# Case: harness self-test: the case after a hung one runs, in the next boot
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"
load_sbull ndevices=1
unload_sbull

#!/usr/bin/env bash
# Case: harness self-test: a case whose module the kernel lacks fails (run.sh expects "not ok")
# Needs: modules=sbull_no_such_module
set -euo pipefail
exit 0

#!/usr/bin/env bash
# Case: harness self-test: a case past its time limit is killed and fails (run.sh expects "not ok ... timed out")
# Timeout: 5
set -euo pipefail
sleep 120

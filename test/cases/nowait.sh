#!/usr/bin/env bash
# Case: RWF_NOWAIT direct I/O is taken (io_uring submits inline)
# The disk takes REQ_NOWAIT I/O: an O_DIRECT pwritev2/preadv2 with
# RWF_NOWAIT succeeds and the data reads back (a disk without NOWAIT
# support fails it with EOPNOTSUPP, and io_uring punts its I/O to workers).
# Usage: nowait.sh MODE
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

load_sbull request_mode="$1" ndevices=1
python3 - /dev/sbulla <<'PYEOF' || fail "RWF_NOWAIT direct I/O"
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_DIRECT)
out, back = mmap.mmap(-1, 4096), mmap.mmap(-1, 4096)  # page-aligned
out.write(os.urandom(4096))
assert os.pwritev(fd, [out], 8192, os.RWF_NOWAIT) == 4096
assert os.preadv(fd, [back], 8192, os.RWF_NOWAIT) == 4096
assert out[:] == back[:], "data read back differs"
PYEOF
unload_sbull

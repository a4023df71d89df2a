#!/usr/bin/env bash
# Case: RWF_NOWAIT direct I/O is taken, and io_uring submits inline
# The disk takes REQ_NOWAIT I/O: an O_DIRECT pwritev2/preadv2 with
# RWF_NOWAIT succeeds and the data reads back (a disk without NOWAIT
# support fails it with EOPNOTSUPP). And io_uring's direct I/O is issued
# inline, never punted to its io-wq workers (which it does for a disk
# without NOWAIT): io_uring completes 1024 requests (io_uring_complete
# events) and queues no async work (io_uring_queue_async_work).
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

mount_tracefs
echo 0 >$TRACING/tracing_on
echo >$TRACING/trace
echo 1 >$TRACING/events/io_uring/io_uring_complete/enable
echo 1 >$TRACING/events/io_uring/io_uring_queue_async_work/enable
echo 1 >$TRACING/tracing_on
fio --name=nowait --filename=/dev/sbulla --rw=randrw --bs=4k --size=4m \
	--ioengine=io_uring --iodepth=16 --direct=1 >/tmp/fio.out 2>&1 ||
	{ cat /tmp/fio.out >&2; fail "fio io_uring"; }
echo 0 >$TRACING/tracing_on
echo 0 >$TRACING/events/io_uring/io_uring_complete/enable
echo 0 >$TRACING/events/io_uring/io_uring_queue_async_work/enable
completed=$(grep -c ' io_uring_complete: ' $TRACING/trace || true)
punted=$(grep -c ' io_uring_queue_async_work: ' $TRACING/trace || true)
echo "# fio io_uring, 1024 direct 4 KiB I/Os: $completed completions traced, $punted punted to io-wq"
[ "$completed" -ge 1024 ] || fail "io_uring completed $completed requests, 1024 expected: not io_uring's I/O"
[ "$punted" = 0 ] || fail "io_uring punted $punted requests to its workers: the disk does not take NOWAIT I/O"
unload_sbull

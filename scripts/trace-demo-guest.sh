#!/usr/bin/env bash
# The trace demo, inside the guest: for each request mode, a small buffered
# write (then fsync) and a direct read into a buffer at an odd place in a
# page, traced from the system call through the block layer's events and
# sbull's own down to each segment copied, and told in order.
set -euo pipefail

tracing=/sys/kernel/tracing
mountpoint -q $tracing || mount -t tracefs nodev $tracing
events=(syscalls/sys_enter_pwrite64 syscalls/sys_exit_pwrite64
	syscalls/sys_enter_fsync syscalls/sys_exit_fsync
	syscalls/sys_enter_preadv2 syscalls/sys_exit_preadv2
	block/block_bio_queue block/block_rq_issue block/block_rq_complete
	block/block_bio_complete sbull)

# The I/O, by a process that lets only its own system calls be traced.
do_io() {
	python3 - "$1" "$tracing" <<-'EOF'
		import mmap, os, sys
		dev, tracing = sys.argv[1:]
		# os.preadv() makes the preadv2 system call.
		for call in ("pwrite64", "fsync", "preadv2"):
		    for side in ("enter", "exit"):
		        path = f"{tracing}/events/syscalls/sys_{side}_{call}/filter"
		        with open(path, "w") as f:
		            f.write(f"common_pid == {os.getpid()}")
		def mark(text):
		    with open(f"{tracing}/trace_marker", "w") as f:
		        f.write(text)
		mark("a buffered write of 6000 bytes at byte 1000, then fsync")
		fd = os.open(dev, os.O_RDWR)
		os.pwrite(fd, b"x" * 6000, 1000)
		os.fsync(fd)
		os.close(fd)
		mark("a direct read of 4 KiB at byte 8192 into a buffer 512 bytes into a page")
		buf = mmap.mmap(-1, 2 * mmap.PAGESIZE)
		fd = os.open(dev, os.O_RDONLY | os.O_DIRECT)
		os.preadv(fd, [memoryview(buf)[512:512 + 4096]], 8192)
		os.close(fd)
	EOF
}

# Each event of the trace on one line, with what it means; the block
# layer's events only for device $1 (MAJOR,MINOR).
tell() {
	awk -v dev="$1" '
	/tracing_mark_write: / { sub(/.*tracing_mark_write: /, ""); print "\n  -- " $0; next }
	/^#/ { next }
	{
		task = $1; sub(/-[0-9]+$/, "", task)
		ev = $0; sub(/^.* [0-9]+\.[0-9]+: /, "", ev)
		name = ev; sub(/[(: ].*/, "", name)
		if (name ~ /^sys_/)
			name = ev ~ / -> / ? "return" : "syscall"
		if (name ~ /^block_/ && index(ev, " " dev " ") == 0)
			next
		printf "  %-16s %-70s %s\n", task, ev, why[name]
	}
	BEGIN {
		why["syscall"] = "<- the system call"
		why["return"] = "<- ... returns"
		why["block_bio_queue"] = "<- a bio enters the block layer (submit_bio)"
		why["block_rq_issue"] = "<- blk-mq hands a request to the driver"
		why["block_rq_complete"] = "<- the request is complete"
		why["block_bio_complete"] = "<- the bio is complete (bio_endio)"
		why["sbull_bio"] = "<- sbull_submit_bio() takes the bio"
		why["sbull_request"] = "<- sbull_queue_rq() takes the request"
		why["sbull_segment"] = "<- one segment copied"
		why["sbull_partial"] = "<- blk_update_request(): part done"
	}' $tracing/trace
}

stats=/sys/block/sbulla/sbull
summary=()
for mode in bio mq simple; do
	modprobe sbull request_mode="$mode" ndevices=1
	while [ ! -b /dev/sbulla ]; do sleep 0.1; done
	devt=$(tr ':' ',' </sys/block/sbulla/dev)
	echo 1 >$stats/reset
	echo 0 >$tracing/tracing_on
	echo >$tracing/trace
	for e in "${events[@]}"; do
		echo 1 >"$tracing/events/$e/enable"
	done
	echo 1 >$tracing/tracing_on
	do_io /dev/sbulla
	echo 0 >$tracing/tracing_on
	for e in "${events[@]}"; do
		echo 0 >"$tracing/events/$e/enable"
	done
	printf '\n==== request_mode=%s (/dev/sbulla is %s) ====\n' "$mode" "$devt"
	tell "$devt"
	summary+=("$(printf '%-8s %5s %9s %9s %9s' "$mode" "$(cat $stats/bios)" \
		"$(cat $stats/requests)" "$(cat $stats/segments)" \
		"$(grep -c ' sbull_partial: ' $tracing/trace)")")
	rmmod sbull
done

printf '\n==== side by side: what sbull counted in each mode ====\n\n'
printf '%-8s %5s %9s %9s %9s\n' mode bios requests segments partials
printf '%s\n' "${summary[@]}"

#!/usr/bin/env bash
# The test matrix of docs/testing.md, from the plan that make check runs
# (test/run.sh with SBULL_PLAN_ONLY=1, each kernel named by its series):
# one row per case and variant (its arguments other than the request
# mode), one column per kernel, and in each cell the request modes it runs
# in ("wb": in write-back mode; "yes": a case that has no request mode).
# Markdown on stdout.
# Usage: matrix.sh            print the table
#        matrix.sh --check    status 1 if docs/testing.md holds another
#        matrix.sh --write    put it in docs/testing.md, between its markers
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
doc=docs/testing.md
begin='<!-- matrix begin: test/matrix.sh --write -->'
end='<!-- matrix end -->'

table() {
	SBULL_PLAN_ONLY=1 SERIES="6.1 6.12 latest" CASES='' test/run.sh |
		python3 -c "$(cat <<'EOF'
import re, sys
kernels = ["6.1", "6.12", "latest"]
modes = {"bio": "bio", "mq": "mq", "simple": "simple", "0": "simple",
         "1": "mq", "2": "bio"}
rows, host = {}, []
for line in sys.stdin:
    line = line.rstrip("\n")
    m = re.match(r"\[([^]]+)\] (.*)", line)
    if not m:
        host.append(line)
        continue
    kernel, rest = m.groups()
    words = rest.split(" ")
    # The power cut and the suites: "power cut (bio) cut", "mirror suite
    # (bio mq) boots", "guest suite boots".
    pc = re.match(r"power cut \((\w+)(\+writeback)?\) (cut|restore)", rest)
    if pc:
        name, variant, mode = "power cut", "", pc.group(1) + ("+wb" if pc.group(2) else "")
    elif words[0] in ("kernel",) or rest.endswith(" boots"):
        continue
    elif words[0] == "grader" or words[0] == "dpkg":
        name, variant, mode = " ".join(words[:2]), " ".join(words[2:]), "-"
    else:
        name, args = words[0], words[1:]
        mode, variant = "-", []
        for a in args:
            if mode == "-" and a in modes:
                mode = modes[a]
            else:
                variant.append(a)
        if "writeback" in variant or name == "mirror-writeback":
            mode += "+wb" if mode != "-" else "wb"
            if "writeback" in variant:
                variant.remove("writeback")
        variant = " ".join(variant)
    cell = rows.setdefault((name, variant), {})
    cell.setdefault(kernel, [])
    if mode not in cell[kernel]:
        cell[kernel].append(mode)
print("| case | variant | " + " | ".join(kernels) + " |")
print("| --- | --- | " + " | ".join("---" for _ in kernels) + " |")
for (name, variant), cell in sorted(rows.items()):
    cells = []
    order = ["-", "wb", "bio", "bio+wb", "mq", "mq+wb", "simple", "simple+wb"]
    for k in kernels:
        ms = sorted(cell.get(k, []), key=order.index)
        cells.append(" ".join("yes" if m == "-" else m for m in ms))
    v = variant.replace("|", "\\|")
    print(f"| `{name}` | {v} | " + " | ".join(cells) + " |")
n = sum(sum(len(ms) for ms in c.values()) for c in rows.values())
print()
print(f"{n} guest test points in {len(rows)} rows; on the host: " +
      ", ".join(h for h in host if h) + ".")
EOF
)"
}

case ${1:-} in
"") table ;;
--check | --write)
	new=$(mktemp)
	trap 'rm -f "$new"' EXIT
	{
		awk -v m="$begin" '{ print } $0 == m { exit }' "$doc"
		table
		awk -v m="$end" '$0 == m { on = 1 } on' "$doc"
	} >"$new"
	if ! grep -qxF "$begin" "$doc" || ! grep -qxF "$end" "$doc"; then
		echo "$doc lacks the matrix markers" >&2
		exit 1
	fi
	if [ "$1" = --write ]; then
		cp "$new" "$doc"
	elif ! diff -u "$doc" "$new"; then
		echo "$doc: the matrix is not the plan's: run test/matrix.sh --write" >&2
		exit 1
	fi
	;;
*) echo "usage: $0 [--check | --write]" >&2 && exit 2 ;;
esac

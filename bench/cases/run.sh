#!/usr/bin/env bash
# run.sh: times `patchline cases` over 10,000 install records filed under
# fleet/ and the 2,000 patches of the release benchmark's repository, beside
# a plain loop reading and decoding the same record files (bench/cases/gen
# -read) and cat, in the same run. Figures, not a pass or fail.
#
#	bench/cases/run.sh [SRC]   (default: bench/out/validate/c50000-t200-p2000-f2000-s1/repo)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
src=${1:-$root/bench/out/validate/c50000-t200-p2000-f2000-s1/repo}
out=$root/bench/out/cases
repo=$out/repo
mkdir -p "$out"
if [ ! -d "$repo" ]; then
	if [ -d "$root/bench/out/release/repo" ]; then
		git clone -q --no-local "$root/bench/out/release/repo" "$repo"
		(cd "$repo" && git fetch -q origin '+refs/heads/*:refs/heads/*' 2>/dev/null || true)
	elif [ -d "$src" ]; then
		"$root/bench/release/merge.sh" "$src" "$repo"
	else
		echo "no $src: run bench/validate/run.sh first, or give the repository" >&2
		exit 2
	fi
fi
bash "$root/bench/build-patchline.sh" "$out/patchline"
go build -o "$out/gen" "$root/bench/cases/gen"
"$out/gen" -repo "$repo" -records 10000
cd "$repo"
git checkout -q main 2>/dev/null || true
measure() { # label command...
	local label=$1
	shift
	/usr/bin/time -a -o "$out/times.txt" -f "$label	%e s wall	%U s user	%S s sys	%M KiB max RSS" "$@" >/dev/null 2>&1 || true
}
: >"$out/times.txt"
for i in 1 2 3; do
	measure "cases --format csv" "$out/patchline" cases --format csv
	measure "cases --json" "$out/patchline" cases --json
	measure "plain loop: read + json.Unmarshal every record" "$out/gen" -repo "$repo" -read
	measure "cat fleet/*/*.json" sh -c 'cat fleet/*/*.json'
done
"$out/patchline" cases --format csv | tail -n +2 | wc -l | sed 's/^/CSV rows: /'
"$out/patchline" cases --json | grep -c '"case":' | sed 's/^/cases: /'
grep -v '^Command exited' "$out/times.txt" | sort | column -t -s '	'

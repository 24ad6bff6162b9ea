#!/usr/bin/env bash
# run.sh: times rollup, notes and report on the validate benchmark's
# repository with every patch merged (merge.sh), beside git log walking the
# same ranges in the same run. Figures, not a pass or fail.
#
#	bench/release/run.sh [SRC]   (default: bench/out/validate/c50000-t200-p2000-f2000-s1/repo)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
src=${1:-$root/bench/out/validate/c50000-t200-p2000-f2000-s1/repo}
out=$root/bench/out/release
repo=$out/repo
mkdir -p "$out"
if [ ! -d "$src" ]; then
	echo "no $src: run bench/validate/run.sh first, or give the repository" >&2
	exit 2
fi
[ -d "$repo" ] || "$here/merge.sh" "$src" "$repo"
bash "$root/bench/build-patchline.sh" "$out/patchline"
cd "$repo"
measure() { # label command...
	local label=$1
	shift
	/usr/bin/time -a -o "$out/times.txt" -f "$label	%e s wall	%U s user	%S s sys" "$@" >/dev/null 2>&1 || true
}
: >"$out/times.txt"
for i in 1 2 3; do
	measure "rollup v2025.2.0..v2025.3.0" "$out/patchline" rollup --from v2025.2.0 --to v2025.3.0
	measure "git log v2025.2.0..v2025.3.0" git log --oneline v2025.2.0..v2025.3.0
	measure "notes v2025.2.0..v2025.3.0" "$out/patchline" notes --from v2025.2.0 --to v2025.3.0
	measure "report (all history)" "$out/patchline" report
	measure "git log --all" git log --oneline --all
done
grep -v '^Command exited' "$out/times.txt" | sort | column -t -s '	'

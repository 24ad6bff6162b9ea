#!/usr/bin/env bash
# docblock.sh NAME FILE: puts FILE between "<!-- NAME:begin -->" and
# "<!-- NAME:end -->" in docs/benchmarks.md, or appends the block when the
# file has none. Every benchmark writes its own block this way, so that one
# run never touches another's figures. The file is rewritten to a temporary
# name and renamed: a run stopped half way leaves the old file whole.
set -euo pipefail
[ $# = 2 ] || { echo "usage: docblock.sh NAME FILE" >&2; exit 2; }
name=$1 section=$2
doc=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/docs/benchmarks.md
begin="<!-- $name:begin -->" end="<!-- $name:end -->"
if grep -qF "$begin" "$doc"; then
	awk -v f="$section" -v b="$begin" -v e="$end" '
		$0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
		$0 == e { skip = 0 }
		!skip { print }' "$doc" >"$doc.$name.tmp"
else
	{ cat "$doc"; echo; echo "$begin"; cat "$section"; echo "$end"; } >"$doc.$name.tmp"
fi
mv "$doc.$name.tmp" "$doc"

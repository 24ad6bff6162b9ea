#!/usr/bin/env bash
# merge.sh SRC DST: copies the validate benchmark's repository (SRC, made by
# bench/validate/gen) to DST and merges every patch branch into its line's
# maintenance branch, as a merge commit whose tree is the line plus the
# patch's files (the patch wins where two touch the same file), dated a day
# after its base tag and an hour after the line's previous merge, with the
# Patch-Id and Approved-by trailers `patchline pr --merged` writes. The
# result has 2,000 merged manifests across the lines for notes, rollup and
# report to read.
set -euo pipefail
src=${1:?usage: merge.sh SRC DST}
dst=${2:?usage: merge.sh SRC DST}
rm -rf "$dst"
git clone -q --no-local "$src" "$dst"
cd "$dst"
git fetch -q origin '+refs/heads/patch/*:refs/heads/patch/*' '+refs/heads/release/*:refs/heads/release/*'
export GIT_INDEX_FILE="$dst/.git/bench.index"
declare -A tip count
for ref in $(git for-each-ref refs/heads/patch --format='%(refname:short)' | sort); do
	id=${ref#patch/}
	base=$(git show "$ref:patches/$id/patch.toml" | sed -n 's/^base = "\(.*\)"/\1/p')
	line=${base%.*}
	[ -n "${tip[$line]:-}" ] || tip[$line]=$(git rev-parse "release/$line")
	git read-tree "${tip[$line]}"
	git ls-tree -r "$ref" -- $(git diff --name-only "$base" "$ref") | git update-index --index-info
	tree=$(git write-tree)
	when=$(( $(git log -1 --format=%ct "$base") + 86400 + ${count[$line]:-0} * 3600 ))
	tip[$line]=$(GIT_COMMITTER_DATE="@$when +0000" GIT_AUTHOR_DATE="@$when +0000" git commit-tree "$tree" \
		-p "${tip[$line]}" -p "$ref" -m "Merge $ref into release/$line" -m "Patch-Id: $id
Approved-by: qa-bot https://example.com/pull/1")
	count[$line]=$(( ${count[$line]:-0} + 1 ))
done
for line in "${!tip[@]}"; do
	git update-ref "refs/heads/release/$line" "${tip[$line]}"
	echo "release/$line: ${count[$line]} patches merged"
done
rm -f "$GIT_INDEX_FILE"
git gc -q
git commit-graph write --reachable

#!/usr/bin/env bash
# git-validate.sh: the git CLI doing the repository work of `patchline validate`
# for one patch branch, so bench/validate/run.sh has something to compare with.
#
#   bash bench/validate/git-validate.sh REPO ID...
#   bash bench/validate/git-validate.sh REPO --all
#
# Per patch: resolve base tag and branch, check the branch descends from the
# tag, list the branch's commits after the tag and ask which of main and
# release/* already contain them, check the tag is still its line's newest
# release, compare `git diff --binary --full-index TAG BRANCH -- . ':(exclude)patches'`
# with patches/<ID>/patch.diff, and check patch.diff applies to the tag's tree
# in a scratch index. It does not decode the manifest strictly, check modules,
# ids or the SLA clock: those are patchline's own work, with no git equivalent.
#
# Prints "<ID> ok" or "<ID> FAIL: <reasons>" per patch; exits 1 when one failed.
# MAINTENANCE_BRANCH names a line's maintenance branch as [release]
# maintenance_branch does (default release/{line}); branches are local or
# origin's, as patchline reads them.
set -euo pipefail

if [ $# -lt 2 ]; then
	echo "usage: $0 REPO ID... | $0 REPO --all" >&2
	exit 2
fi
cd "$1"
shift

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

failed=0

validate() {
	local id=$1 branch=patch/$1 problems=()
	local tip base tagc line newest rel c places
	tip=$(git rev-parse -q --verify "refs/heads/$branch^{commit}") || { echo "$id FAIL: no branch $branch"; failed=1; return; }
	base=$(git show "$tip:patches/$id/patch.toml" | sed -n 's/^base *= *"\(.*\)"[[:space:]]*$/\1/p')
	tagc=$(git rev-parse -q --verify "refs/tags/$base^{commit}") || { echo "$id FAIL: base '$base' is not a tag"; failed=1; return; }

	if ! git merge-base --is-ancestor "$tagc" "$tip"; then
		problems+=("$branch does not descend from $base")
	fi

	# Cut at the tag: none of the branch's own commits may already be on the
	# main line or a maintenance branch.
	for c in $(git rev-list "$tagc..$tip"); do
		places=$(git branch -a --contains "$c" --list main 'release/*' origin/main 'origin/release/*' --format='%(refname:short)')
		if [ -n "$places" ]; then
			problems+=("commit ${c:0:7} is already on $(echo $places)")
		fi
	done

	# Base is still the newest release of its line, and the line's
	# maintenance branch has not moved past it.
	line=${base%.*}
	major=${line##*[!0-9.]} minor=${line##*.}
	major=${major%%.*}
	relname=${MAINTENANCE_BRANCH:-release/\{line\}}
	relname=${relname//\{line\}/$line}
	relname=${relname//\{major\}/$major}
	relname=${relname//\{minor\}/$minor}
	newest=$(git tag -l "$line.*" --sort=-v:refname | head -n 1)
	if [ "$newest" != "$base" ]; then
		problems+=("base $base is stale: $newest is out")
	elif rel=$(git rev-parse -q --verify "refs/heads/$relname" || git rev-parse -q --verify "refs/remotes/origin/$relname"); [ -n "$rel" ] && [ "$rel" != "$tagc" ]; then
		if git merge-base --is-ancestor "$tagc" "$rel"; then
			problems+=("$relname has moved past $base")
		fi
	fi

	# patch.diff equals the branch's change outside patches/ ...
	git show "$tip:patches/$id/patch.diff" >"$tmp/want"
	git diff --binary --full-index "$tagc" "$tip" -- . ':(exclude)patches' >"$tmp/got"
	if ! cmp -s "$tmp/want" "$tmp/got"; then
		problems+=("patch.diff differs from the branch's change")
	fi
	# ... and applies to the tag's tree.
	rm -f "$tmp/index"
	GIT_INDEX_FILE=$tmp/index git read-tree "$tagc"
	if ! GIT_INDEX_FILE=$tmp/index git apply --cached --check "$tmp/want" 2>"$tmp/apply.err"; then
		problems+=("patch.diff does not apply to $base: $(head -n 1 "$tmp/apply.err")")
	fi

	if [ ${#problems[@]} -eq 0 ]; then
		echo "$id ok"
	else
		local IFS=';'
		echo "$id FAIL: ${problems[*]}"
		failed=1
	fi
}

if [ "$1" = --all ]; then
	for id in $(git for-each-ref --format='%(refname:lstrip=3)' refs/heads/patch/); do
		validate "$id"
	done
else
	for id in "$@"; do
		validate "$id"
	done
fi
exit $failed

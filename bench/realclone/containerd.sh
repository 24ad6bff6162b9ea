#!/usr/bin/env bash
# containerd.sh: `patchline validate` on a real clone, next to the git CLI,
# in the three commit-graph states (bench/validate/graphs.sh): containerd's
# history has the shape patchline is for (release/1.6 and release/1.7
# maintenance branches, `git cherry-pick -x` backports, the package
# reorganisation of 2.0).
#
#   bash bench/realclone/containerd.sh --src DIR [--docs] [--runs N]
#
# --src is a local copy of github.com/containerd/containerd: a bare mirror
# (`git clone --mirror`) or a snapshot of one. The script never touches the
# network and never writes to DIR. From it, it makes what `git clone`
# gives, in bench/out/realclone/containerd: one pack of every object
# reachable from the branches and tags (objects DIR lacks, as a partial
# snapshot lacks some old large blobs, are left out), the branches as
# refs/remotes/origin/*, the tags, all in packed-refs with their peeled ids,
# main checked out, no commit-graph.
# Then, as a containerd maintainer adopting patchline would:
#
#   - commits a .patchline.toml on main (lines from tags vX.Y.Z, maintenance
#     branches release/{major}.{minor}, one module for the whole tree);
#   - cuts two patch branches with `patchline new`, each a one-line fix in
#     pkg/cri/server plus `patchline diff`:
#       fresh      from the newest v1.7 tag, its commits dated a day after the
#                  newest commit of the clone: the fix a developer validates
#                  before pushing it
#       backdated  from the newest v1.6 tag, its commits dated a day after
#                  that tag: a fix made right after the release and validated
#                  while main moved on, so a walk without a commit-graph reads
#                  every commit main made since
#
# Identities and dates are fixed, so reruns on the same snapshot make the same
# commits. Everything is under bench/out/ (ignored by git): nothing from the
# snapshot is ever committed to patchline.
#
# Other options: --runs N (graphs.sh's), --docs (write the blocks into
# docs/benchmarks.md), --fresh-clone (make the clone again), --rollup-only
# (only the rollup block: rollupcheck on containerd's backports). PATCHLINE=BIN
# uses that binary instead of building one from the work tree.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

src= docs=() runs=() reclone=0 rollup_only=0
[ -d /work/.mirror/containerd+containerd/repo ] && src=/work/.mirror/containerd+containerd/repo
while [ $# -gt 0 ]; do
	case $1 in
	--src) src=$2; shift ;;
	--docs) docs=(--docs) ;;
	--runs) runs=(--runs "$2"); shift ;;
	--fresh-clone) reclone=1 ;;
	--rollup-only) rollup_only=1 ;;
	-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) echo "containerd.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$src" ] && git -C "$src" rev-parse -q --verify refs/heads/release/1.7 >/dev/null ||
	{ echo "containerd.sh: --src must name a local copy of containerd with its release/1.7 branch" >&2; exit 2; }
src=$(cd "$src" && pwd)

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null LC_ALL=C
export GIT_AUTHOR_NAME="Patch Bench" GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME="Patch Bench" GIT_COMMITTER_EMAIL=bench@example.com
log() { printf '\033[1mcontainerd.sh:\033[0m %s\n' "$*" >&2; }

out=$root/bench/out/realclone
clone=$out/containerd
mkdir -p "$out"
[ -f "$root/bench/out/go.mod" ] || printf 'module patchline.invalid/bench/out\n' >"$root/bench/out/go.mod"
pl=${PATCHLINE:-}
if [ -z "$pl" ]; then
	log "building patchline"
	bash bench/build-patchline.sh "$out/patchline"
	pl=$out/patchline
fi

stamp="src=$(git -C "$src" rev-parse refs/heads/main) script=$(sha256sum "$0" | cut -c1-16)"
if [ $reclone = 1 ] || [ ! -f "$clone/.git/bench-stamp" ] || [ "$(cat "$clone/.git/bench-stamp")" != "$stamp" ]; then
	rm -rf "$clone"
	git init -q -b main "$clone"
	t0=$(date +%s)
	log "packing the objects of $src's branches and tags (a minute or two)"
	git -C "$src" rev-list --objects --missing=allow-any --branches --tags |
		git -C "$src" pack-objects -q --missing=allow-any --delta-base-offset "$clone/.git/objects/pack/pack" >/dev/null
	git -C "$src" for-each-ref --format='create refs/remotes/origin/%(refname:lstrip=2) %(objectname)' refs/heads |
		git -C "$clone" update-ref --stdin
	git -C "$src" for-each-ref --format='create %(refname) %(objectname)' refs/tags | git -C "$clone" update-ref --stdin
	git -C "$clone" symbolic-ref refs/remotes/origin/HEAD refs/remotes/origin/main
	git -C "$clone" update-ref refs/heads/main refs/remotes/origin/main
	git -C "$clone" pack-refs --all # git clone writes the refs it fetched into packed-refs
	git -C "$clone" config branch.main.remote origin
	git -C "$clone" config branch.main.merge refs/heads/main
	git -C "$clone" reset -q --hard main
	log "clone made in $(($(date +%s) - t0)) s"

	# patchline, as a maintainer would set it up.
	newest=$(git -C "$clone" log -1 --all --format=%ct --date-order)
	cat >"$clone/.patchline.toml" <<-'EOF'
		[project]
		name = "containerd"
		github = "containerd/containerd"

		[release]
		tags = '^v\d+\.\d+\.\d+$'
		quarterly = '^v\d+\.\d+\.0$'
		maintenance_branch = "release/{major}.{minor}"
		main_branch = "main"

		[ids]
		prefix = "CD"

		[modules]
		core = ["**"]

		[sla]
		critical = "48h"
		important = "7d"
		moderate = "30d"
		low = "90d"
	EOF
	day=86400
	git -C "$clone" add .patchline.toml
	GIT_AUTHOR_DATE="@$((newest + 3600)) +0000" GIT_COMMITTER_DATE="@$((newest + 3600)) +0000" \
		git -C "$clone" commit -q -m "Set up patchline"
	: >"$clone/.git/bench-patches"
	for scenario in fresh backdated; do
		line=1.7
		[ $scenario = backdated ] && line=1.6
		tag=$(git -C "$clone" tag -l "v$line.*" --sort=-v:refname | grep -E "^v${line/./\\.}\.[0-9]+\$" | head -n 1)
		when=$((newest + day))
		[ $scenario = backdated ] && when=$(($(git -C "$clone" log -1 --format=%ct "$tag") + day))
		export GIT_AUTHOR_DATE="@$when +0000" GIT_COMMITTER_DATE="@$when +0000"
		git -C "$clone" switch -q main
		id=$("$pl" new --repo "$clone" --base "$tag" --title "cri: benchmark fix ($scenario)" \
			--kind fix --severity important --module core --reported "$(date -u -d "@$when" +%Y-%m-%dT%H:%M:%SZ)" 2>/dev/null | tail -n 1)
		file=pkg/cri/server/helpers.go
		[ -f "$clone/$file" ] || file=$(cd "$clone" && git ls-files 'pkg/cri/server/*.go' | head -n 1)
		printf '\n// Benchmark fix (%s).\n' "$scenario" >>"$clone/$file"
		git -C "$clone" commit -q -am "cri: benchmark fix ($scenario)"
		"$pl" diff --repo "$clone" >/dev/null
		git -C "$clone" add patches
		git -C "$clone" commit -q -m "$id: record patch.diff"
		printf '%s %s %s\n' "$scenario" "$id" "$tag" >>"$clone/.git/bench-patches"
		unset GIT_AUTHOR_DATE GIT_COMMITTER_DATE
	done
	git -C "$clone" switch -q main
	echo "$stamp" >"$clone/.git/bench-stamp"
fi

main_id=$(git -C "$clone" rev-parse --short=12 refs/remotes/origin/main)
main_date=$(git -C "$clone" log -1 --format=%cs refs/remotes/origin/main)
tags=$(git -C "$clone" tag | wc -l)
branches=$(git -C "$clone" for-each-ref refs/remotes/origin/release/ | wc -l)
picks=$(git -C "$clone" log --oneline --grep='cherry picked from commit' refs/remotes/origin/release/1.6 refs/remotes/origin/release/1.7 | wc -l)
size=$(du -sh "$clone/.git/objects" | cut -f1)
while [ $rollup_only = 0 ] && read -r scenario id tag; do
	tag_id=$(git -C "$clone" rev-parse --short=12 "$tag^{commit}")
	case $scenario in
	fresh) what="its commits dated a day after the newest commit of the clone (a fix validated before it is pushed)" ;;
	backdated) what="its commits dated a day after $tag ($(git -C "$clone" log -1 --format=%cs "$tag")): a fix made after that release and validated while main moved on" ;;
	esac
	about="Real history: github.com/containerd/containerd (a snapshot; \`origin/main\` at \`$main_id\`, $main_date),
$size of objects in one pack as \`git clone\` leaves them, $tags tags, $branches release branches, $picks
\`cherry-pick -x\` backports on release/1.6 and release/1.7. Made by the script: the \`.patchline.toml\` commit
on main and \`patch/$id\`, cut with \`patchline new\` from \`$tag\` (\`$tag_id\`): a one-line fix in
pkg/cri/server and its \`patch.diff\`, $what."
	log "$scenario: measuring validate $id"
	MAINTENANCE_BRANCH='release/{major}.{minor}' PATCHLINE=$pl bash bench/validate/graphs.sh --repo "$clone" --id "$id" --label "containerd-$scenario" \
		--notes "${tag%.*}.0..$tag" --title "containerd, $scenario patch" --about "$about" "${docs[@]}" "${runs[@]}"
done <"$clone/.git/bench-patches"

# rollup held to git on the same clone: containerd's own cherry-pick -x
# backports, each asked about by its diff alone and as rollup runs.
rollup_block=$out/rollup.md
{
	echo "### rollup on containerd's backports"
	echo
	echo "\`bench/realclone/rollupcheck\` (run by \`bash bench/realclone/containerd.sh\`) on $(date -u +%Y-%m-%d), the clone above: every"
	echo "\`git cherry-pick -x\` backport of a maintenance branch is a fix whose original commit git places in the newer"
	echo "release or not (\`git merge-base --is-ancestor\`). rollup is asked about each backport's diff alone (*content"
	echo "evidence only*: a fix ported by hand or squashed, found in the newer tree, following the files it moved) and"
	echo "with the backport commit, as \`patchline rollup\` runs (ancestry first: its trailer names the original)."
	echo "A fix git places in the release but whose lines changed again before it (a later version bump, a rewrite)"
	echo "is rightly not found by content; a fix content evidence finds that git does not place there would be a"
	echo "false proof."
	for spec in "release/1.6 v1.6.0 v1.7.0" "release/1.7 v1.7.0 v2.0.0 -later"; do
		read -r b f t later <<<"$spec"
		echo
		echo "#### $b: $f → $t"
		echo
		go run ./bench/realclone/rollupcheck -repo "$clone" -branch "refs/remotes/origin/$b" -from "$f" -to "$t" -list=false $later
	done
} >"$rollup_block"
cat "$rollup_block"
if [ ${#docs[@]} -gt 0 ]; then
	bash "$root/bench/docblock.sh" rollup-containerd "$rollup_block"
	log "wrote the rollup-containerd block of docs/benchmarks.md"
fi

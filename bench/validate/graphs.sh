#!/usr/bin/env bash
# graphs.sh: `patchline validate ID` beside the git CLI on one repository in
# the three states a clone's commit-graph can be in, in the same run:
#
#   none   no commit-graph: a fresh `git clone`, or one whose gc never ran
#   file   objects/info/commit-graph, what `git gc` and `git commit-graph write` write
#   chain  objects/info/commit-graphs/, a chain of layers written as history
#          grew (`--split` after each step), what `git fetch` with
#          fetch.writeCommitGraph and `git maintenance` write
#
#   bash bench/validate/graphs.sh                       # the validate benchmark's generated repository
#   bash bench/validate/graphs.sh --repo DIR --id ID    # any repository with a patch branch
#
# Options:
#   --repo DIR        the repository (default: bench/validate/run.sh's, generated if missing)
#   --id ID           the patch to validate (default: run.sh's typical patch)
#   --notes A..B      also time `patchline notes --from A --to B` beside `git log --oneline A..B`
#   --runs N          timed runs per command (default 20; 5 with --quick)
#   --label NAME      names the work directory and the docs block (default: generated)
#   --title TEXT      the block's heading in docs/benchmarks.md
#   --about TEXT      a paragraph under it: which repository, which commit, real or generated
#   --docs            write the block into docs/benchmarks.md (between
#                     <!-- graphs-NAME:begin --> and <!-- graphs-NAME:end -->)
#   --quick           the small repository of `run.sh --quick`, few runs
#   --fresh           validate a fresh patch instead: in a `git clone --local`
#                     of the repository, cut one with `patchline new` from the
#                     newest release tag, dated a day after the newest commit
#                     (the fix CI validates when it is pushed); --label
#                     defaults to generated-fresh
#
# PATCHLINE=BIN uses that binary instead of building one from the work tree.
#
# Each state is a copy of the repository whose files are hard links (git
# never rewrites a pack or a graph file in place, it writes new ones and
# renames them), so the three share the page cache and differ only in their
# commit-graph. The git side is the trio the goal names: `git rev-parse` of
# base and branch, `git merge-base --is-ancestor`, and `git diff --binary
# --full-index` of the range without patches/; and, for scale,
# git-validate.sh, which asks git every question validate asks (one process
# per question). Timings use hyperfine (apt-get installed when missing and
# we may). A benchmark: it reports figures and never fails on time; it exits
# 1 when validate's findings differ between the states.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

repo= id= notes= runs= label= title= about= docs=no quick=0 fresh=0
while [ $# -gt 0 ]; do
	case $1 in
	--repo) repo=$(cd "$2" && pwd); shift ;;
	--id) id=$2; shift ;;
	--notes) notes=$2; shift ;;
	--runs) runs=$2; shift ;;
	--label) label=$2; shift ;;
	--title) title=$2; shift ;;
	--about) about=$2; shift ;;
	--docs) docs=yes ;;
	--quick) quick=1 ;;
	--fresh) fresh=1 ;;
	-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) echo "graphs.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
	esac
	shift
done
runs=${runs:-$([ $quick = 1 ] && echo 5 || echo 20)}
label=${label:-$([ $fresh = 1 ] && echo generated-fresh || echo generated)}
# Rounds of at most 5 runs of each command.
rounds=$(((runs + 4) / 5)) per_round=$(((runs + rounds - 1) / rounds))
runs=$((rounds * per_round))

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null LC_ALL=C
log() { printf '\033[1mgraphs.sh:\033[0m %s\n' "$*" >&2; }

if ! command -v hyperfine >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		log "installing hyperfine with apt-get"
		apt-get install -y -qq hyperfine >/dev/null 2>&1 || true
	fi
	command -v hyperfine >/dev/null || { log "hyperfine is needed (apt-get install hyperfine)"; exit 2; }
fi

if [ -z "$repo" ]; then
	# run.sh generates the repository (or reuses it) and names its typical patch.
	read -r repo gid gbase < <(bash bench/validate/run.sh --gen-only $([ $quick = 1 ] && echo --quick))
	id=${id:-$gid}
	[ -n "$notes" ] || notes=$(git -C "$repo" tag -l 'v*.*.0' --sort=v:refname | tail -n 3 | head -n 2 | paste -sd' ' | sed 's/ /../')
	[ -n "$title" ] || title="generated repository"
	[ -n "$about" ] || about="Generated input: \`bench/validate/gen\`'s repository (\`bash bench/validate/run.sh\` makes it: 50,000
commits on main, 200 release tags over 8 lines, a maintenance branch per line, 2,000 patch branches), and its
typical patch. Its commits are dated a few days after its tag, long before main's tip."
fi
[ -n "$id" ] || [ $fresh = 1 ] || { echo "graphs.sh: --id is needed with --repo" >&2; exit 2; }

work=$root/bench/out/graphs/$label
mkdir -p "$work"
pl=${PATCHLINE:-}
if [ -z "$pl" ]; then
	log "building patchline"
	bash bench/build-patchline.sh "$work/patchline"
	pl=$work/patchline
fi

if [ $fresh = 1 ]; then
	# A clone, as CI has it, with one patch cut the way a developer cuts it.
	# Identities and dates are fixed: reruns make the same commits.
	src=$work/fresh-clone
	log "fresh: cloning $repo and cutting a patch"
	rm -rf "$src"
	git clone -q --local "$repo" "$src"
	export GIT_AUTHOR_NAME="Patch Bench" GIT_AUTHOR_EMAIL=bench@example.com
	export GIT_COMMITTER_NAME="Patch Bench" GIT_COMMITTER_EMAIL=bench@example.com
	newest=$(git -C "$src" for-each-ref --sort=-committerdate --count=1 --format='%(committerdate:unix)' refs/remotes refs/heads)
	when=$((newest + 86400))
	stamp=$(date -u -d "@$when" +%Y-%m-%dT%H:%M:%SZ)
	export GIT_AUTHOR_DATE="@$when +0000" GIT_COMMITTER_DATE="@$when +0000" PATCHLINE_NOW=$stamp
	tag=$(git -C "$src" tag -l 'v*' --sort=-v:refname | grep -E '^v[0-9]+\.[0-9]+\.[0-9]+$' | head -n 1)
	# The first module, and the first file under its first glob.
	read -r module glob < <(awk -F' *= *' '/^\[modules\]/ { m = 1; next } /^\[/ { m = 0 }
		m && NF == 2 { g = $2; gsub(/^\[ *"|".*$/, "", g); print $1, g; exit }' "$src/.patchline.toml")
	id=$("$pl" new --repo "$src" --base "$tag" --title "benchmark fix (fresh)" --kind fix --severity important \
		${module:+--module "$module"} --reported "$stamp" | tail -n 1)
	file=$(git -C "$src" ls-files -- "${glob%%\*\**}" | head -n 1)
	printf '\n// Benchmark fix (fresh).\n' >>"$src/$file"
	git -C "$src" commit -q -am "benchmark fix (fresh)"
	"$pl" diff --repo "$src" >/dev/null
	git -C "$src" add patches
	git -C "$src" commit -q -m "$id: record patch.diff"
	git -C "$src" switch -q main
	unset GIT_AUTHOR_DATE GIT_COMMITTER_DATE PATCHLINE_NOW
	[ -n "$about" ] || about="\`$repo\`"
	repo=$src
	[ "$title" != "generated repository" ] || title="generated repository, fresh patch"
	about="${about%, and its*}, cloned with \`git clone --local\`; the patch is \`patch/$id\`,
cut with \`patchline new\` from \`$tag\`: a one-line fix and its \`patch.diff\`, its commits dated a day after
the newest commit of the clone (a fix validated when it is pushed)."
fi

branch=$(git -C "$repo" for-each-ref --format='%(refname)' "refs/heads/patch/$id" "refs/remotes/origin/patch/$id" | head -n 1)
[ -n "$branch" ] || { echo "graphs.sh: no branch patch/$id in $repo" >&2; exit 2; }
base=$(git -C "$repo" show "$branch:patches/$id/patch.toml" | sed -n 's/^base *= *"\(.*\)"[[:space:]]*$/\1/p')
main=$(git -C "$repo" rev-parse -q --verify refs/heads/main >/dev/null && echo main || echo origin/main)

# make_state DIR STATE: a hard-linked copy of the repository with that commit-graph.
make_state() {
	local dir=$1 state=$2 c pct
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -al "$repo/." "$dir/"
	rm -rf "$dir/.git/objects/info/commit-graph" "$dir/.git/objects/info/commit-graphs"
	case $state in
	file) git -C "$dir" commit-graph write --reachable --no-progress ;;
	chain)
		# History as a clone that fetched now and then saw it: a layer for
		# the commits made before the 70th, 90th and 97th percentile of
		# commit dates, then one for the rest. --split lets git merge a
		# layer into the one below when it grows past half of it.
		git -C "$dir" rev-list --all --no-commit-header --format='%ct %H' | sort -n >"$work/dates"
		n=$(wc -l <"$work/dates")
		for pct in 70 90 97; do
			head -n $((n * pct / 100)) "$work/dates" | cut -d' ' -f2 |
				git -C "$dir" commit-graph write --split --stdin-commits --no-progress
		done
		git -C "$dir" commit-graph write --reachable --split --no-progress
		;;
	esac
}

describe_state() { # DIR -> "n commits in the graph, k layers"
	local dir=$1/.git/objects/info
	if [ -f "$dir/commit-graph" ]; then
		echo "one file"
	elif [ -f "$dir/commit-graphs/commit-graph-chain" ]; then
		echo "$(wc -l <"$dir/commit-graphs/commit-graph-chain") layers"
	else
		echo "none"
	fi
}

# The commands of a state are timed in rounds, each round running every
# command a few times in turn, so that the slow spells of a shared machine
# fall on patchline and git alike rather than on whichever ran then.
#
# sample NAME COMMAND...: one round of COMMAND, its times added to NAME's.
# Commands run without a shell (hyperfine -N): no shell start-up to subtract.
sample() {
	local name=$1 json=$work/hyperfine.json
	shift
	hyperfine -N --style none --ignore-failure --runs "$per_round" --warmup 1 --export-json "$json" "$(printf '%q ' "$@")" >/dev/null 2>&1
	awk '/"times":/ { on = 1; next } on && /\]/ { on = 0 } on { gsub(/[ ,]/, ""); print $0 * 1000 }' "$json" >>"$work/times-$name"
	awk -F': *' '/"(user|system)":/ { gsub(/[ ,"]/, "", $2); t += $2 * 1000 } END { print t }' "$json" >>"$work/cpu-$name"
}
# measure NAME -> "median min max cpu" in ms over every round (cpu: mean user + system).
measure() {
	local name=$1
	sort -n "$work/times-$name" | awk -v cpu="$(awk '{ t += $1; n++ } END { print t / n }' "$work/cpu-$name")" '
		{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f %.1f %.1f %.1f\n", m, v[1], v[NR], cpu }'
}
sum() { awk -v a="$1" -v b="$2" -v c="$3" 'BEGIN { print a + b + c }'; }
fmt_ms() { awk -v v="$1" 'BEGIN { if (v >= 1000) printf "%.2f s", v / 1000; else if (v >= 100) printf "%.0f ms", v; else printf "%.1f ms", v }'; }
span() { printf '%s (%s – %s)' "$(fmt_ms "$1")" "$(fmt_ms "$2")" "$(fmt_ms "$3")"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f×", a / b }'; }
met() { if awk "BEGIN { exit !($1) }"; then echo yes; else echo "**no**"; fi; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rows=() notes_rows=() same=yes
# Every state is made before any is timed, and the copies written out:
# the first state timed must not share the machine with the writeback of
# the others (it did, and came out a quarter slower than the same work in
# the next state).
for state in none file chain; do
	log "$state: preparing $work/$state"
	make_state "$work/$state" "$state"
done
sync
for state in none file chain; do
	dir=$work/$state
	what=$(describe_state "$dir")
	set +e
	"$pl" validate "$id" --repo "$dir" --format json >"$work/findings-$state.json" 2>"$work/findings-$state.err"
	rc=$?
	set -e
	if [ "$state" != none ] && ! cmp -s "$work/findings-none.json" "$work/findings-$state.json"; then
		same=no
	fi
	log "$state ($what): timing validate $id and git, $runs runs each in $rounds rounds"
	rm -f "$work"/times-* "$work"/cpu-*
	if [ -n "$notes" ]; then
		from=${notes%%..*} to=${notes##*..}
		"$pl" notes --from "$from" --to "$to" --repo "$dir" >"$work/notes-$state.md" 2>/dev/null || true
		if [ "$state" != none ] && ! cmp -s "$work/notes-none.md" "$work/notes-$state.md"; then
			same=no
		fi
	fi
	for ((round = 0; round < rounds; round++)); do
		sample validate "$pl" validate "$id" --repo "$dir" --format json
		# The trio: three processes, timed one by one and added up.
		sample rev-parse git -C "$dir" rev-parse "refs/tags/$base^{commit}" "$branch^{commit}"
		sample merge-base git -C "$dir" merge-base --is-ancestor "refs/tags/$base" "$branch"
		sample diff git -C "$dir" diff --binary --full-index "refs/tags/$base" "$branch" -- . ':(exclude)patches'
		if [ -n "$notes" ]; then
			sample notes "$pl" notes --from "$from" --to "$to" --repo "$dir"
			sample log git -C "$dir" log --oneline "$from..$to"
		fi
	done
	# git-validate.sh takes a process per question: one round, fewer runs.
	per_round=$((per_round < 5 ? per_round : 5)) sample git-validate bash "$root/bench/validate/git-validate.sh" "$dir" "$id"
	read -r pm pmin pmax pcpu < <(measure validate)
	read -r am amin amax acpu < <(measure rev-parse)
	read -r bm bmin bmax bcpu < <(measure merge-base)
	read -r cm cmin cmax ccpu < <(measure diff)
	tm=$(sum "$am" "$bm" "$cm") tmin=$(sum "$amin" "$bmin" "$cmin") tmax=$(sum "$amax" "$bmax" "$cmax") tcpu=$(sum "$acpu" "$bcpu" "$ccpu")
	read -r gm gmin gmax gcpu < <(measure git-validate)
	rows+=("| $state ($what) | $(span "$pm" "$pmin" "$pmax"), CPU $(fmt_ms "$pcpu") | $(span "$tm" "$tmin" "$tmax"), CPU $(fmt_ms "$tcpu") | $(ratio "$pm" "$tm") | $(met "$pm <= 2 * $tm") | $(fmt_ms "$gm") | $(ratio "$pm" "$gm") | $rc |")
	if [ -n "$notes" ]; then
		read -r nm nmin nmax ncpu < <(measure notes)
		read -r lm lmin lmax lcpu < <(measure log)
		notes_rows+=("| $state ($what) | $(span "$nm" "$nmin" "$nmax") | $(span "$lm" "$lmin" "$lmax") | $(ratio "$nm" "$lm") | $(met "$nm <= 2 * $lm") |")
	fi
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

commits=$(git -C "$repo" rev-list --count "$main")
all=$(git -C "$repo" rev-list --count --all)
range=$(git -C "$repo" rev-list --count "refs/tags/$base..$branch")
first=$(git -C "$repo" log --format=%ct "refs/tags/$base..$branch" | sort -n | head -n 1)
newer=$(git -C "$repo" log --format=%ct "$main" | awk -v t=$((first - 86400)) '$1 >= t' | wc -l)
section=$work/section.md
{
	echo "### ${title:-$label}"
	echo
	[ -z "$about" ] || { echo "$about"; echo; }
	echo "\`bash bench/validate/graphs.sh$([ "$label" = generated ] || echo " --label $label") …\` on $(date -u +%Y-%m-%d): $all commits in the"
	echo "repository, $commits on \`$main\`; \`validate $id\` (base \`$base\`, $range commits on the branch; $newer commits"
	echo "of \`$main\` are newer than the branch's first commit less a day of clock skew: what a walk without a commit-graph reads)."
	echo "Median (min – max) of $runs runs with hyperfine $(hyperfine --version | cut -d' ' -f2) (\`-N\`: no shell), in $rounds rounds of $per_round runs of each command in turn; CPU is user + system;"
	echo "the trio is \`git rev-parse\`, \`git merge-base --is-ancestor\` and \`git diff --binary --full-index\` of the"
	echo "range, timed one by one and added up; git-validate.sh asks git every question validate asks, one process a question."
	echo
	echo "| commit-graph | \`patchline validate $id\` | git trio | / trio | ≤ 2× trio | git-validate.sh | / git-validate.sh | exit |"
	echo "|---|---|---|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
	if [ -n "$notes" ]; then
		echo
		echo "| commit-graph | \`patchline notes --from $from --to $to\` | \`git log --oneline $from..$to\` | / git log | ≤ 2× git log |"
		echo "|---|---|---|---|---|"
		printf '%s\n' "${notes_rows[@]}"
	fi
	echo
	echo "Same findings$([ -n "$notes" ] && echo " and notes") in the three states: $same."
	echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(free -h | awk '/^Mem:/ { print $2 }') RAM,"
	echo "$(go version | cut -d' ' -f3-), $(git --version); load average $load_before before, $load_after after."
} >"$section"
echo
cat "$section"

if [ $docs = yes ]; then
	bash "$root/bench/docblock.sh" "graphs-$label" "$section"
	log "wrote the $label block of docs/benchmarks.md"
fi
[ $same = yes ] || { log "validate's findings differ between the states: see $work"; exit 1; }

#!/usr/bin/env bash
# How fast is `patchline validate` on a large product repository, next to the
# git CLI doing the same repository work (bench/validate/git-validate.sh)?
#
#   bash bench/validate/run.sh            # 50,000 commits, 200 tags, 2,000 patch branches
#   bash bench/validate/run.sh --quick    # 2,000 commits, 20 tags, 50 patch branches: a smoke run
#
# Options:
#   --quick        small repository, few runs; prints the table, leaves docs/ alone
#   --regen        generate the repository again even if bench/out holds it
#   --runs N       timed runs of `validate <ID>` and of its git equivalent
#   --no-docs      do not write docs/benchmarks.md
#   --docs         write docs/benchmarks.md even with --quick
#   --gen-only     generate (or reuse) the repository, print "REPO ID BASE" (the
#                  typical patch) and stop: graphs.sh measures it in each commit-graph state
#
# The repository is generated once into bench/out/validate/<parameters>/ and
# reused while the parameters and the generator are the same. Timings use
# hyperfine when it is installed (it is apt-get installed when missing and we
# may), else a bash loop; peak memory comes from /usr/bin/time -v.
# This is a benchmark: it reports figures and never fails on time. It exits 1
# only when patchline's findings on the synthetic repository are not the ones
# the generator planted.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

quick=0 regen=0 docs=auto runs_one= gen_only=0
commits=50000 tags=200 patches=2000 files=2000 seed=1
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--regen) regen=1 ;;
	--runs) runs_one=$2; shift ;;
	--docs) docs=yes ;;
	--no-docs) docs=no ;;
	--gen-only) gen_only=1 ;;
	-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
	esac
	shift
done
# runs_one: validate <ID>; runs_all: patchline --all; runs_git_all: the git
# loop over every branch, which takes minutes on the full repository.
if [ $quick = 1 ]; then
	commits=2000 tags=20 patches=50
	runs_one=${runs_one:-10} runs_all=3 runs_git_all=2
	[ $docs = auto ] && docs=no
else
	runs_one=${runs_one:-20} runs_all=5 runs_git_all=1
	[ $docs = auto ] && docs=yes
fi

# Neither the user's nor the system's git config may change what git prints.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null LC_ALL=C

log() { printf '\033[1mrun.sh:\033[0m %s\n' "$*" >&2; }
seconds_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

install() {
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		log "installing $1 with apt-get"
		apt-get install -y -qq "$1" >/dev/null 2>&1 || log "apt-get install $1 failed"
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
		log "installing $1 with sudo apt-get"
		sudo apt-get install -y -qq "$1" >/dev/null 2>&1 || log "apt-get install $1 failed"
	fi
}
command -v hyperfine >/dev/null || install hyperfine
[ -x /usr/bin/time ] || install time

out=$root/bench/out/validate
# A go.mod makes bench/out a module of its own, so the generated product's Go
# files stay out of `go test ./...` and `go vet ./...` of patchline.
mkdir -p "$root/bench/out"
[ -f "$root/bench/out/go.mod" ] || printf 'module patchline.invalid/bench/out\n' >"$root/bench/out/go.mod"
mkdir -p "$out"
log "building patchline, the generator and the checker"
bash bench/build-patchline.sh "$out/patchline"
go build -o "$out/gen" ./bench/validate/gen
go build -o "$out/check" ./bench/validate/check
pl=$out/patchline

key=c$commits-t$tags-p$patches-f$files-s$seed
data=$out/$key
repo=$data/repo
stamp="$key gen=$(cat bench/validate/gen/main.go | sha256sum | cut -c1-16)"
if [ $regen = 0 ] && [ -f "$data/stamp" ] && [ "$(cat "$data/stamp")" = "$stamp" ]; then
	gen_s=$(cat "$data/gen-seconds")
	log "reusing $repo (generated in ${gen_s}s)"
else
	rm -rf "$data"
	mkdir -p "$data"
	log "generating $repo: $commits commits, $tags tags, $patches patch branches, $files files"
	t0=$(date +%s.%N)
	"$out/gen" -dir "$repo" -expect "$data/expected.tsv" -commits "$commits" -tags "$tags" \
		-patches "$patches" -files "$files" -seed "$seed"
	gen_s=$(seconds_since "$t0")
	echo "$gen_s" >"$data/gen-seconds"
	echo "$stamp" >"$data/stamp"
fi

# A typical patch: one a developer would validate before pushing, cut at its
# line's newest tag, a change to one file over two commits.
id=$(awk -F'\t' 'NR > 1 && $10 == "clean" && $8 == "modify" && $7 == 2 { a[n++] = $1 } END { if (n) print a[int(n / 2)] }' "$data/expected.tsv")
[ -n "$id" ] || id=$(awk -F'\t' 'NR > 1 && $10 == "clean" { print $1; exit }' "$data/expected.tsv")
base=$(awk -F'\t' -v id="$id" '$1 == id { print $3 }' "$data/expected.tsv")
git_script=$root/bench/validate/git-validate.sh
if [ $gen_only = 1 ]; then
	echo "$repo $id $base"
	exit 0
fi

# ---- correctness: exit codes and findings ---------------------------------------
log "checking exit codes and findings (patch $id, base $base)"
set +e
"$pl" validate "$id" --repo "$repo" --format json >"$data/one.json" 2>"$data/one.err"
rc_one=$?
bash "$git_script" "$repo" "$id" >"$data/git-one.txt" 2>&1
rc_git_one=$?
"$pl" validate --all --repo "$repo" --format json >"$data/all.json" 2>"$data/all.err"
rc_all=$?
set -e
planted=$(awk -F'\t' 'NR > 1 && $10 != "clean"' "$data/expected.tsv" | wc -l)
want_all=0
[ "$planted" -gt 0 ] && want_all=1
problems=()
[ $rc_one = 0 ] || problems+=("\`patchline validate $id\` exited $rc_one, want 0: $(head -c 2000 "$data/one.json" "$data/one.err")")
[ $rc_git_one = 0 ] || problems+=("git-validate.sh $id exited $rc_git_one, want 0: $(cat "$data/git-one.txt")")
[ $rc_all = $want_all ] || problems+=("\`patchline validate --all\` exited $rc_all, want $want_all ($planted planted findings): $(head -c 2000 "$data/all.err")")

# ---- timings -------------------------------------------------------------------------
# measure NAME RUNS WARMUP 'shell command' -> "median min max mean cpu" in ms
# (cpu: mean user+system time, "-" without hyperfine)
measure() {
	local name=$1 runs=$2 warmup=$3 cmd=$4
	log "timing $name: $runs run(s)"
	if command -v hyperfine >/dev/null; then
		local json=$data/hyperfine-$name.json
		hyperfine --style basic --ignore-failure --runs "$runs" --warmup "$warmup" \
			--export-json "$json" --command-name "$name" "$cmd" >&2
		awk -F': *' '/"(median|min|max|mean|user|system)":/ { gsub(/[ ,"]/, "", $2); gsub(/[ "]/, "", $1); v[$1] = $2 * 1000 }
			END { printf "%.1f %.1f %.1f %.1f %.1f\n", v["median"], v["min"], v["max"], v["mean"], v["user"] + v["system"] }' "$json"
		return
	fi
	local i s e ts=()
	for ((i = 0; i < warmup; i++)); do bash -c "$cmd" >/dev/null 2>&1 || true; done
	for ((i = 0; i < runs; i++)); do
		s=$(date +%s%N)
		bash -c "$cmd" >/dev/null 2>&1 || true
		e=$(date +%s%N)
		ts+=($(((e - s) / 1000)))
	done
	printf '%s\n' "${ts[@]}" | sort -n | awk '{ a[NR] = $1; sum += $1 }
		END { m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		      printf "%.1f %.1f %.1f %.1f -\n", m / 1000, a[1] / 1000, a[NR] / 1000, sum / NR / 1000 }'
}
# peak RSS in MB of a command (the largest process, for a script)
peak() { { /usr/bin/time -v "$@" 2>&1 >/dev/null || true; } | awk -F': *' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }'; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
read -r one_med one_min one_max _ one_cpu < <(measure pl-one "$runs_one" 3 "'$pl' validate $id --repo '$repo' --format json")
read -r gone_med gone_min gone_max _ gone_cpu < <(measure git-one "$runs_one" 3 "bash '$git_script' '$repo' $id")
read -r all_med all_min all_max _ all_cpu < <(measure pl-all "$runs_all" 1 "'$pl' validate --all --repo '$repo' --format json >/dev/null")
# The timed runs of the git loop also keep its verdicts, for the comparison below.
read -r gall_med gall_min gall_max _ gall_cpu < <(measure git-all "$runs_git_all" 0 "bash '$git_script' '$repo' --all >'$data/git-all.txt' 2>&1")
log "measuring peak memory"
rss_one=$(peak "$pl" validate "$id" --repo "$repo" --format json)
rss_all=$(peak "$pl" validate --all --repo "$repo" --format json)
rss_git_one=$(peak bash "$git_script" "$repo" "$id")
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

log "comparing findings with what the generator planted"
set +e
"$out/check" -expect "$data/expected.tsv" -report "$data/all.json" -git "$data/git-all.txt" >"$data/check.md"
rc_check=$?
set -e

# ---- report ----------------------------------------------------------------------------
fmt_ms() { awk -v v="$1" 'BEGIN { if (v >= 10000) printf "%.1f s", v / 1000; else if (v >= 1000) printf "%.2f s", v / 1000; else printf "%.0f ms", v }'; }
span() { if [ "$2" = "$3" ]; then fmt_ms "$1"; else printf '%s (%s – %s)' "$(fmt_ms "$1")" "$(fmt_ms "$2")" "$(fmt_ms "$3")"; fi; }
cpu() { if [ "$1" = - ]; then echo -; else fmt_ms "$1"; fi; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f×", a / b }'; }
met() { if awk "BEGIN { exit !($1) }"; then echo yes; else echo "**no**"; fi; }

repo_size=$(du -sh "$repo/.git" | cut -f1)
ntags=$(git -C "$repo" tag | wc -l)
nbranches=$(git -C "$repo" for-each-ref refs/heads/patch/ | wc -l)
bench=hyperfine
command -v hyperfine >/dev/null && bench="hyperfine $(hyperfine --version | cut -d' ' -f2)" || bench="a bash loop"

section=$data/section.md
{
	echo "## validate"
	echo
	echo "\`bash bench/validate/run.sh\`$([ $quick = 1 ] && echo ' --quick') on $(date -u +%Y-%m-%d): a synthetic repository from"
	echo "\`bench/validate/gen\` with $commits commits on main, $ntags release tags over 8 lines, $nbranches patch"
	echo "branches and $files source files ($repo_size in .git after \`git gc\`; generated in ${gen_s} s)."
	echo "Typical patch: \`$id\` (base \`$base\`, one file changed over two commits)."
	echo "Median (min – max) of $runs_one runs for one patch, $runs_all for \`patchline validate --all\`, $runs_git_all for the"
	echo "git loop, timed with $bench. The git side is \`bench/validate/git-validate.sh\`: the same"
	echo "repository work with the git CLI, one process per question (it does not decode the manifest, check"
	echo "modules, ids or the SLA clock)."
	echo
	echo "| | patchline | git CLI | patchline / git | goal | met |"
	echo "|---|---|---|---|---|---|"
	echo "| \`validate $id\` | $(span "$one_med" "$one_min" "$one_max") | $(span "$gone_med" "$gone_min" "$gone_max") | $(ratio "$one_med" "$gone_med") | ≤ 2× git and < 300 ms | $(met "$one_med <= 2 * $gone_med && $one_med < 300") |"
	echo "| CPU (user + sys), \`validate $id\` | $(cpu "$one_cpu") | $(cpu "$gone_cpu") | | | |"
	echo "| \`validate --all\` ($nbranches branches) | $(span "$all_med" "$all_min" "$all_max") | $(span "$gall_med" "$gall_min" "$gall_max") | $(ratio "$all_med" "$gall_med") | < 10 s | $(met "$all_med < 10000") |"
	echo "| CPU (user + sys), \`validate --all\` | $(cpu "$all_cpu") | $(cpu "$gall_cpu") | | | |"
	echo "| peak RSS, \`validate $id\` | $rss_one MB | $rss_git_one MB (largest git process) | | | |"
	echo "| peak RSS, \`validate --all\` | $rss_all MB | | | | |"
	echo
	echo "Exit codes: \`validate $id\` $rc_one (want 0), \`validate --all\` $rc_all (want $want_all: $planted branches were"
	echo "cut at an older tag of their line on purpose), git-validate.sh $rc_git_one for the one patch."
	echo
	cat "$data/check.md"
	for p in "${problems[@]}"; do echo "- **$p**"; done
	echo
	echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')),"
	echo "$(free -h | awk '/^Mem:/ { print $2 }') RAM, $(go version | cut -d' ' -f3-), $(git --version);"
	echo "load average $load_before before the timings, $load_after after."
} >"$section"

echo
cat "$section"

if [ $docs = yes ]; then
	doc=$root/docs/benchmarks.md
	if [ ! -f "$doc" ]; then
		cat >"$doc" <<EOF
# Benchmarks

What patchline costs on repositories the size of a real product, measured by
the scripts under \`bench/\`. They report figures; they do not pass or fail on
time. Each section is rewritten by its script and says the machine it ran on;
this file was started on a machine with $(nproc) CPUs, $(free -h | awk '/^Mem:/ { print $2 }') of RAM,
$(go version | cut -d' ' -f3) and git $(git --version | cut -d' ' -f3).

Reproduce a section with its command, e.g. \`bash bench/validate/run.sh\`
(\`--quick\` for a smoke run in under a minute). Generated repositories are
kept in \`bench/out/\` (ignored by git) and reused.

EOF
	fi
	bash "$root/bench/docblock.sh" validate "$section"
	log "wrote the validate section of docs/benchmarks.md"
fi

if [ $rc_check != 0 ] || [ ${#problems[@]} -gt 0 ]; then
	log "patchline's findings are not the ones the generator planted: see above and $data"
	exit 1
fi

#!/usr/bin/env bash
# How do patchline's delta engine (internal/delta) and bsdiff, xdelta3,
# zstd --patch-from and HDiffPatch compare on real release pairs of real
# programs: delta size, create and apply time, peak memory? Issue 16's goals
# are judged in the same run (bench/delta/report).
#
#   bash bench/delta/run.sh            # every pair; writes docs/benchmarks.md
#   bash bench/delta/run.sh --quick    # fzf's pairs and the sample: a smoke run
#
# Options:
#   --quick          only fzf's pairs (release and hotfix) and the sample product;
#                    prints the table, leaves docs/ alone
#   --docs           write docs/benchmarks.md even with --quick
#   --no-docs        do not write docs/benchmarks.md
#   --large          add the generated 100 MiB pair (bsdiff takes minutes on it)
#   --back N         patchline's binary at HEAD~N against HEAD (default 3)
#   --timeout S      give up on one create or apply after S seconds (default 900)
#   --tools LIST     comma-separated subset of patchline,pld,bsdiff,xdelta3,zstd,hdiffpatch
#   --regen          build the pairs again even if bench/out holds them
#
# The pairs, each built into bench/out/delta/pairs/NAME/{old,new}:
#   fzf-*, staticcheck-*, yq-*
#                real: two consecutive patch releases of a real Go program,
#                downloaded from the Go module proxy (`go install PKG@VERSION`)
#                and built for linux/amd64 and linux/arm64
#   fzf-hotfix-* real program, generated change: fzf's newest release above,
#                built from its module source as it is and with one string
#                changed (a one-line hotfix)
#   patchline    patchline's own binary at HEAD~N and at HEAD (git archive; when a
#                commit does not build, or builds the same bytes, the next older
#                one is used)
#   sample       testdata/sample.txtar's product, and the same with one line of
#                main.go changed
#   synth-30M    30 MiB (and with --large 100 MiB) files from bench/delta/gen
#                (seeded; slices of the Go toolchain's binaries, text, tables,
#                with relocations, edits, insertions, deletions, a moved block)
# Every binary is built with CGO_ENABLED=0 go build -trimpath -buildvcs=false
# -ldflags="-s -w -buildid=", as `patchline build` does.
#
# Tools: `patchline delta create/apply` (the CLI) and bench/delta/pld (the same
# engine without the rest of patchline's start-up); Debian's bsdiff, xdelta3
# and zstd; HDiffPatch's hdiffz/hpatchz when on PATH or in bench/out/delta/bin
# (Debian has no package: build it from github.com/sisong/HDiffPatch with
# `make LDEF=0 ZLIB=2 LZMA=0 ZSTD=2 BZIP2=2 MD5=0 XXH=0 VCD=0 DIR_DIFF=0 MT=0`
# and put hdiffz and hpatchz there; HDIFFPATCH_SRC=DIR makes the script do it).
#
# Each create and apply runs under `timeout` and GNU time (wall time from the
# shell clock, peak RSS from time's %M); a run shorter than 2 s is repeated up
# to 5 times and the median reported. Every reconstructed file is compared with
# NEW by cmp. A tool that fails or times out is reported in the table, not
# fatal. The script exits 1 only when a tool that finished wrote a file that
# differs from NEW.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

quick=0 docs=auto back=3 timeout_s=900 regen=0 large=0 tools=patchline,pld,bsdiff,xdelta3,zstd,hdiffpatch
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--docs) docs=yes ;;
	--no-docs) docs=no ;;
	--back) back=$2; shift ;;
	--timeout) timeout_s=$2; shift ;;
	--tools) tools=$2; shift ;;
	--regen) regen=1 ;;
	--large) large=1 ;;
	-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
	esac
	shift
done
[ $docs = auto ] && { [ $quick = 1 ] && docs=no || docs=yes; }
IFS=, read -r -a tools <<<"$tools"

export LC_ALL=C GOWORK=off CGO_ENABLED=0
t_start=$(date +%s.%N)
log() { printf '\033[1mdelta/run.sh:\033[0m %s\n' "$*" >&2; }

# ---- tools -------------------------------------------------------------------------
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif sudo -n true 2>/dev/null; then sudo "$@"; else return 1; fi; }
missing=()
command -v bsdiff >/dev/null && command -v bspatch >/dev/null || missing+=(bsdiff)
command -v xdelta3 >/dev/null || missing+=(xdelta3)
command -v zstd >/dev/null || missing+=(zstd)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]} with apt-get"
	as_root apt-get update -qq >/dev/null 2>&1 || log "apt-get update failed"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
		log "apt-get install ${missing[*]} failed: the tools that are still missing are reported as such"
fi
[ -x /usr/bin/time ] || { log "GNU time (/usr/bin/time) is required: apt-get install time"; exit 1; }

out=$root/bench/out/delta
mkdir -p "$out/bin" "$out/pairs" "$out/runs"

gobuild() { # DIR PACKAGE OUT: the reproducible build patchline's go builder does
	(cd "$1" && go build -trimpath -buildvcs=false -ldflags="-s -w -buildid=" -o "$3" "$2")
}

log "building patchline from the working tree, and the generator"
pl=$out/bin/patchline
pl_state=$(git describe --always --dirty --abbrev=7)
pl_delta=$(cat internal/delta/*.go | sha256sum | cut -c1-12)
pl_built=yes
gobuild "$root" ./cmd/patchline "$pl" 2>"$out/bin/patchline.log" || {
	pl_built=no
	log "patchline does not build from the working tree (see $out/bin/patchline.log): its rows say so"
}
gobuild "$root" ./bench/delta/gen "$out/bin/gen"
rm -f "$out/bin/pld"
gobuild "$root" ./bench/delta/pld "$out/bin/pld" || log "bench/delta/pld does not build: its rows say so"

# HDiffPatch: on PATH, in $out/bin, or built from HDIFFPATCH_SRC.
hdiffz=$(command -v hdiffz || echo "$out/bin/hdiffz")
hpatchz=$(command -v hpatchz || echo "$out/bin/hpatchz")
if [ ! -x "$hdiffz" ] && [ -n "${HDIFFPATCH_SRC:-}" ]; then
	log "building HDiffPatch from $HDIFFPATCH_SRC"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libzstd-dev libbz2-dev zlib1g-dev >/dev/null 2>&1 || true
	(cd "$HDIFFPATCH_SRC" && make -j2 LDEF=0 ZLIB=2 LZMA=0 ZSTD=2 BZIP2=2 MD5=0 XXH=0 VCD=0 DIR_DIFF=0 MT=0 >"$out/bin/hdiffpatch.log" 2>&1 &&
		cp hdiffz hpatchz "$out/bin/") || log "HDiffPatch did not build (see $out/bin/hdiffpatch.log)"
fi
hdp_version=$( [ -x "$hdiffz" ] && "$hdiffz" -v 2>&1 | grep -o 'v[0-9][0-9.]*' | sed 's|^|HDiffPatch hdiffz |' | head -1)
gobuild "$root" ./bench/delta/report "$out/bin/report"

# ---- pairs -------------------------------------------------------------------------
: >"$out/pairs.tsv"
pair_done() { # NAME DESCRIPTION [CLASS: release, hotfix or other]
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$(stat -c %s "$out/pairs/$1/old")" "$(stat -c %s "$out/pairs/$1/new")" "$2" "${3:-other}" >>"$out/pairs.tsv"
}

# go_install DIR PKG VERSION GOARCH: the release binary as `go install` builds
# it from the module proxy, with the bundle build flags, into DIR/bin.
go_install() {
	local gp=$1/gopath name
	rm -rf "$gp" && mkdir -p "$gp"
	GOPATH=$gp GOMODCACHE=$(go env GOMODCACHE) GOFLAGS=-mod=mod GOOS=linux GOARCH=$4 \
		go install -trimpath -buildvcs=false -ldflags="-s -w -buildid=" "$2@$3" || return 1
	name=$(basename "$2")
	case $name in v[0-9]*) name=$(basename "$(dirname "$2")") ;; esac
	find "$gp/bin" -type f -name "$name" -exec cp {} "$1/bin" \;
	chmod -R u+w "$gp" && rm -rf "$gp"
	[ -f "$1/bin" ]
}

pair_module() { # NAME PKG OLDVERSION NEWVERSION GOARCH
	local dir=$out/pairs/$1 key
	key=$(echo "$2 $3 $4 $5 $(go version)" | sha256sum | cut -c1-16)
	if [ $regen = 1 ] || [ "$(cat "$dir/stamp" 2>/dev/null)" != "$key" ]; then
		rm -rf "$dir" && mkdir -p "$dir"
		log "building $2 $3 and $4 for linux/$5 from the module proxy"
		if ! go_install "$dir" "$2" "$3" "$5" 2>"$dir/build.log" || ! mv "$dir/bin" "$dir/old" ||
			! go_install "$dir" "$2" "$4" "$5" 2>>"$dir/build.log" || ! mv "$dir/bin" "$dir/new"; then
			log "could not build $2 at $3 and $4 (see $dir/build.log): skipping pair $1"
			return
		fi
		echo "$key" >"$dir/stamp"
	fi
	pair_done "$1" "real: \`$2\` $3 → $4 from the Go module proxy, linux/$5" release
}

pair_hotfix() { # NAME MODULE VERSION FILE SED GOARCH
	local dir=$out/pairs/$1 key src
	key=$(echo "$2 $3 $4 $5 $6 $(go version)" | sha256sum | cut -c1-16)
	if [ $regen = 1 ] || [ "$(cat "$dir/stamp" 2>/dev/null)" != "$key" ]; then
		rm -rf "$dir" && mkdir -p "$dir"
		src=$(GOFLAGS=-mod=mod go mod download -json "$2@$3" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
		[ -d "$src" ] || { log "could not download $2@$3: skipping pair $1"; return; }
		cp -r "$src" "$dir/src" && chmod -R u+w "$dir/src"
		(cd "$dir/src" && GOFLAGS=-mod=mod GOOS=linux GOARCH=$6 gobuild . . "$dir/old")
		sed -i "$5" "$dir/src/$4"
		[ "$(cd "$src" && diff "$4" "$dir/src/$4" | grep -c '^>')" = 1 ] || { log "the hotfix of $1 no longer changes one line"; rm -rf "$dir"; return; }
		(cd "$dir/src" && GOFLAGS=-mod=mod GOOS=linux GOARCH=$6 gobuild . . "$dir/new")
		rm -rf "$dir/src"
		echo "$key" >"$dir/stamp"
	fi
	pair_done "$1" "real program, generated change: $2 $3 (module source from the proxy), linux/$6, built as it is and with one line of $4 changed (\`sed '$5'\`)" hotfix
}

# build_commit SHA: patchline's binary at a commit, cached by Go version and
# commit id.
commits_dir=$out/commits/$(go env GOVERSION)
build_commit() {
	local dir=$commits_dir/$1
	[ -f "$dir/patchline" ] && return 0
	[ -f "$dir/failed" ] && return 1
	rm -rf "$dir" && mkdir -p "$dir/src"
	if git archive "$1" | tar -x -C "$dir/src" && gobuild "$dir/src" ./cmd/patchline "$dir/patchline" 2>"$dir/build.log"; then
		rm -rf "$dir/src"
		return 0
	fi
	log "commit ${1:0:7} does not build (see $dir/build.log); trying another"
	chmod -R u+w "$dir/src" && rm -rf "$dir/src"
	touch "$dir/failed"
	return 1
}

pair_patchline() {
	local commits=() c new_c= old_c= n=0
	mapfile -t commits < <(git rev-list --first-parent --max-count=$((back + 12)) HEAD)
	for c in "${commits[@]}"; do
		if [ -z "$new_c" ]; then
			build_commit "$c" && new_c=$c
			continue
		fi
		n=$((n + 1))
		[ $n -lt "$back" ] && continue
		build_commit "$c" || continue
		cmp -s "$commits_dir/$c/patchline" "$commits_dir/$new_c/patchline" && continue
		old_c=$c
		break
	done
	if [ -z "$old_c" ]; then
		log "no two commits near HEAD build different binaries: skipping the patchline pair"
		return
	fi
	mkdir -p "$out/pairs/patchline"
	cp "$commits_dir/$old_c/patchline" "$out/pairs/patchline/old"
	cp "$commits_dir/$new_c/patchline" "$out/pairs/patchline/new"
	local count
	count=$(git rev-list --count "$old_c..$new_c")
	pair_done patchline "real: patchline's own binary, \`${old_c:0:7}\` → \`${new_c:0:7}\` ($count commits: $(git log -1 --format=%s "$new_c" | sed 's/|/\\|/g'))"
	log "pair patchline: ${old_c:0:7} -> ${new_c:0:7}"
}

# extract_txtar FILE DIR: the files of a txtar archive ("-- path --" lines).
extract_txtar() {
	awk -v dir="$2" '
		/^-- .+ --$/ { if (f) close(f); p = substr($0, 4, length($0) - 6); f = dir "/" p
			d = f; sub(/\/[^\/]*$/, "", d); system("mkdir -p \"" d "\""); printf "" > f; next }
		f { print > f }' "$1"
}

pair_sample() {
	local dir=$out/pairs/sample key
	key=$( (cat testdata/sample.txtar; go version) | sha256sum | cut -c1-16)
	if [ $regen = 0 ] && [ "$(cat "$dir/stamp" 2>/dev/null)" = "$key" ]; then
		:
	else
		rm -rf "$dir" && mkdir -p "$dir/a" "$dir/b"
		extract_txtar testdata/sample.txtar "$dir/a"
		extract_txtar testdata/sample.txtar "$dir/b"
		# The fix: one string in main.go.
		sed -i 's/"%d items, %d in stock\\n"/"%d items, %d units in stock\\n"/' "$dir/b/main.go"
		[ "$(diff "$dir/a/main.go" "$dir/b/main.go" | grep -c '^>')" = 1 ] || { log "the sample's one-line fix no longer applies to main.go"; exit 1; }
		gobuild "$dir/a" . "$dir/old"
		gobuild "$dir/b" . "$dir/new"
		echo "$key" >"$dir/stamp"
	fi
	pair_done sample "generated: the sample product (testdata/sample.txtar), and the same with one string in main.go changed" hotfix
	log "pair sample: $(stat -c %s "$dir/new") bytes"
}

pair_synthetic() { # NAME SIZE SEED
	local dir=$out/pairs/$1 material=() key
	mapfile -t material < <(find "$(go env GOROOT)/bin" "$(go env GOROOT)/pkg/tool" -type f -size +64k | sort)
	key=$( (cat bench/delta/gen/main.go; echo "$2 $3"; go version; cat "${material[@]}" | cksum) | sha256sum | cut -c1-16)
	if [ $regen = 1 ] || [ "$(cat "$dir/stamp" 2>/dev/null)" != "$key" ]; then
		rm -rf "$dir" && mkdir -p "$dir"
		log "generating $1 ($2 bytes, seed $3)"
		"$out/bin/gen" -old "$dir/old" -new "$dir/new" -size "$2" -seed "$3" "${material[@]}"
		echo "$key" >"$dir/stamp"
	fi
	pair_done "$1" "generated: \`bench/delta/gen -size $2 -seed $3\` over the ${#material[@]} binaries of $(go version | cut -d' ' -f3)'s bin/ and pkg/tool/"
}

fzf_fix='s/%s too large (max: %d%%)/%s is too large (maximum: %d%%)/'
for arch in amd64 arm64; do
	pair_module fzf-$arch github.com/junegunn/fzf v0.65.1 v0.65.2 $arch
	pair_hotfix fzf-hotfix-$arch github.com/junegunn/fzf v0.65.2 src/options.go "$fzf_fix" $arch
done
pair_sample
if [ $quick = 0 ]; then
	for arch in amd64 arm64; do
		pair_module staticcheck-$arch honnef.co/go/tools/cmd/staticcheck v0.8.1 v0.8.2 $arch
		pair_module yq-$arch github.com/mikefarah/yq/v4 v4.54.2 v4.54.3 $arch
	done
	pair_patchline
	pair_synthetic synth-30M $((30 << 20)) 1
	[ $large = 1 ] && pair_synthetic synth-100M $((100 << 20)) 2
fi

# ---- measurements ------------------------------------------------------------------
# measure LOG CMD...: prints "status wall_s cpu_s peak_kb". status is ok,
# timeout or failed(RC). Peak RSS is the largest GNU time saw over up to 3
# runs. Runs shorter than 2 s are timed again with hyperfine -N (10 runs
# after a warm-up; median wall, mean user + system), which starts the
# command directly: the shell, timeout and time around it otherwise add
# 20-30 ms to every run, more than some tools take. Without hyperfine, the
# median of up to 5 runs by the shell clock.
have_hyperfine=no
command -v hyperfine >/dev/null && have_hyperfine=yes
measure() {
	local log=$1 rc s e i walls=() cpus=() kb=0 line runs=5
	shift
	[ $have_hyperfine = yes ] && runs=3
	for ((i = 0; i < runs; i++)); do
		s=$(date +%s%N)
		set +e
		/usr/bin/time -f 'time %e %U %S %M' -o "$log.time" timeout -k 10 "$timeout_s" "$@" >"$log" 2>&1
		rc=$?
		set -e
		e=$(date +%s%N)
		if [ $rc = 124 ] || [ $rc = 137 ]; then echo "timeout - - -"; return; fi
		if [ $rc != 0 ]; then echo "failed($rc) - - -"; return; fi
		line=$(grep '^time ' "$log.time" | tail -1)
		walls+=("$(((e - s) / 1000))")
		cpus+=("$(awk '{ printf "%d", ($3 + $4) * 1e6 }' <<<"$line")")
		kb=$(awk -v k="$kb" '{ print ($5 > k) ? $5 : k }' <<<"$line")
		[ $((e - s)) -ge 2000000000 ] && break
	done
	med() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { printf "%.4f", (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) / 1e6 }'; }
	if [ $have_hyperfine = yes ] && [ $((e - s)) -lt 2000000000 ] &&
		hyperfine -N --runs 10 --warmup 1 --export-json "$log.json" "$*" >"$log.hyperfine" 2>&1; then
		awk -F': ' '/"median"/ { m = $2 } /"user"/ { u = $2 } /"system"/ { y = $2 }
			END { gsub(/,/, "", m); gsub(/,/, "", u); gsub(/,/, "", y); printf "ok %.4f %.4f %s\n", m, u + y, k }' k="$kb" "$log.json"
		return
	fi
	echo "ok $(med "${walls[@]}") $(med "${cpus[@]}") $kb"
}

create_cmd() { # TOOL OLD NEW DELTA
	case $1 in
	patchline) echo "$pl" delta create "$2" "$3" "$4" ;;
	pld) echo "$out/bin/pld" create "$2" "$3" "$4" ;;
	hdiffpatch) echo "$hdiffz" -f -m-6 -SD -c-zstd-21-24 "$2" "$3" "$4" ;;
	bsdiff) echo bsdiff "$2" "$3" "$4" ;;
	xdelta3) echo xdelta3 -e -9 -f -s "$2" "$3" "$4" ;;
	zstd) echo zstd -q -f --patch-from="$2" -19 --long=31 "$3" -o "$4" ;;
	esac
}
apply_cmd() { # TOOL OLD DELTA OUT
	case $1 in
	patchline) echo "$pl" delta apply "$2" "$3" "$4" ;;
	pld) echo "$out/bin/pld" apply "$2" "$3" "$4" ;;
	hdiffpatch) echo "$hpatchz" -f "$2" "$3" "$4" ;;
	bsdiff) echo bspatch "$2" "$4" "$3" ;;
	xdelta3) echo xdelta3 -d -f -s "$2" "$3" "$4" ;;
	zstd) echo zstd -q -f -d --patch-from="$2" --long=31 "$3" -o "$4" ;;
	esac
}
available() { # TOOL
	case $1 in
	patchline) [ $pl_built = yes ] ;;
	pld) [ -x "$out/bin/pld" ] ;;
	hdiffpatch) [ -x "$hdiffz" ] && [ -x "$hpatchz" ] ;;
	bsdiff) command -v bsdiff >/dev/null && command -v bspatch >/dev/null ;;
	*) command -v "$1" >/dev/null ;;
	esac
}

results=$out/results.tsv
printf 'pair\ttool\told\tnew\tdelta\tcreate\tcreate_s\tcreate_cpu_s\tcreate_kb\tapply\tapply_s\tapply_cpu_s\tapply_kb\tidentical\n' >"$results"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
differs=0
while IFS=$'\t' read -r pair old_bytes new_bytes _ _; do
	old=$out/pairs/$pair/old new=$out/pairs/$pair/new
	for tool in "${tools[@]}"; do
		run=$out/runs/$pair/$tool
		rm -rf "$run" && mkdir -p "$run"
		delta_bytes=- identical=-
		apply=(skipped - - -)
		if ! available "$tool"; then
			create=("not installed" - - -)
			[ "$tool" = patchline ] && create=("does not build" - - -)
		else
			log "$pair: $tool create"
			# shellcheck disable=SC2046 # the paths have no spaces: they are under bench/out
			read -r -a create < <(measure "$run/create.log" $(create_cmd "$tool" "$old" "$new" "$run/delta"))
			if [ "${create[0]}" = ok ]; then
				delta_bytes=$(stat -c %s "$run/delta")
				log "$pair: $tool apply ($delta_bytes-byte delta)"
				read -r -a apply < <(measure "$run/apply.log" $(apply_cmd "$tool" "$old" "$run/delta" "$run/out"))
				if [ "${apply[0]}" = ok ]; then
					if cmp -s "$new" "$run/out"; then identical=yes; else identical=NO; differs=1; fi
				fi
			fi
			rm -f "$run/out"
		fi
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$pair" "$tool" "$old_bytes" "$new_bytes" "$delta_bytes" \
			"${create[0]}" "${create[1]}" "${create[2]}" "${create[3]}" "${apply[0]}" "${apply[1]}" "${apply[2]}" "${apply[3]}" "$identical" >>"$results"
	done
done <"$out/pairs.tsv"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report ------------------------------------------------------------------------
version() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo "not installed"; }
runtime_s=$(awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
{
	printf 'command\tbash bench/delta/run.sh%s\n' "$([ $quick = 1 ] && echo ' --quick')"
	printf 'date\t%s\n' "$(date -u +%Y-%m-%d)"
	printf 'machine\t%s CPUs (%s), %s RAM, %s\n' "$(nproc)" "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" \
		"$(free -h | awk '/^Mem:/ { print $2 }')" "$(go version | cut -d' ' -f3-)"
	printf 'tools\tbsdiff %s, xdelta3 %s, zstd %s (Debian packages), %s, GNU time %s\n' \
		"$(version bsdiff)" "$(version xdelta3)" "$(version zstd)" "${hdp_version:-HDiffPatch not installed}" "$(version time)"
	printf 'patchline\t%s (internal/delta sources sha256 %s)\n' "$pl_state" "$pl_delta"
	printf 'timeout\t%s\n' "$timeout_s"
	printf 'cpus\t%s\n' "$(nproc)"
	printf 'load\t%s before the measurements, %s after\n' "$load_before" "$load_after"
	printf 'runtime\t%s\n' "$runtime_s"
} >"$out/meta.tsv"
section=$out/section.md
"$out/bin/report" -pairs "$out/pairs.tsv" -results "$results" -meta "$out/meta.tsv" -runs "$out/runs" >"$section"
cat "$section"

if [ $docs = yes ]; then
	doc=$root/docs/benchmarks.md
	[ -f "$doc" ] || echo "# Benchmarks" >"$doc"
	bash "$root/bench/docblock.sh" delta "$section"
	log "wrote the delta section of docs/benchmarks.md"
fi
log "done in ${runtime_s} s; raw figures in $results"
if [ $differs = 1 ]; then
	log "a tool wrote a file that differs from NEW: see the identical column"
	exit 1
fi

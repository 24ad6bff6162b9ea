// Command report turns the figures bench/delta/run.sh measured into the delta
// section of docs/benchmarks.md: the machine and tools, the pairs, one table
// row per pair and tool, and issue 16's goals for the delta engine with
// whether patchline meets each.
//
//	report -pairs pairs.tsv -results results.tsv -meta meta.tsv -runs DIR
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

func main() {
	pairsPath := flag.String("pairs", "", "pairs.tsv: name, old bytes, new bytes, description")
	resultsPath := flag.String("results", "", "results.tsv written by run.sh, with a header line")
	metaPath := flag.String("meta", "", "meta.tsv: key, value")
	runsDir := flag.String("runs", "", "run.sh's runs directory, for the logs of failed runs")
	flag.Parse()
	if err := run(os.Stdout, *pairsPath, *resultsPath, *metaPath, *runsDir); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

// The goals of issue 16 for the delta engine.
const (
	maxOfBsdiff       = 0.35 // release pairs: delta at most this much of bsdiff's
	maxOfSmallest     = 2.0  // hotfix pairs: at most this many times the smallest other tool's
	createGoalSeconds = 0.5  // for a 5 MB pair
	createGoalBytes   = 64 << 20
	applyGoalSeconds  = 0.05 // for a 5 MB file
	applyGoalBytes    = 16 << 20
	maxOfBspatch      = 2.0 // apply time, every pair
	fiveMBFrom        = 4e6 // pairs judged as "5 MB": NEW between these sizes
	fiveMBTo          = 6e6
)

type pair struct {
	name, desc string
	old, new   int64
	class      string // release, hotfix or other
}

// result is one row of results.tsv: a tool on a pair.
type result struct {
	pair, tool                 string
	old, new, delta            int64 // delta is -1 when there is none
	create, apply              string
	createS, createCPU         float64
	applyS, applyCPU           float64
	createPeakKB, applyPeakKB  int64
	identical                  string
	hasCreateFig, hasApplyFigs bool
}

func run(w io.Writer, pairsPath, resultsPath, metaPath, runsDir string) error {
	pairRows, err := readTSV(pairsPath)
	if err != nil {
		return err
	}
	var pairs []pair
	for _, r := range pairRows {
		if len(r) < 4 {
			return fmt.Errorf("%s: want 4 fields, got %q", pairsPath, r)
		}
		p := pair{name: r[0], old: atoi(r[1]), new: atoi(r[2]), desc: r[3], class: "other"}
		if len(r) >= 5 {
			p.class = r[4]
		}
		pairs = append(pairs, p)
	}
	rows, err := readTSV(resultsPath)
	if err != nil {
		return err
	}
	var results []result
	for i, r := range rows {
		if i == 0 {
			continue
		}
		if len(r) < 14 {
			return fmt.Errorf("%s: want 14 fields, got %q", resultsPath, r)
		}
		res := result{
			pair: r[0], tool: r[1], old: atoi(r[2]), new: atoi(r[3]), delta: -1,
			create: r[5], apply: r[9], identical: r[13],
		}
		if r[4] != "-" {
			res.delta = atoi(r[4])
		}
		if res.create == "ok" {
			res.hasCreateFig = true
			res.createS, res.createCPU, res.createPeakKB = atof(r[6]), atof(r[7]), atoi(r[8])
		}
		if res.apply == "ok" {
			res.hasApplyFigs = true
			res.applyS, res.applyCPU, res.applyPeakKB = atof(r[10]), atof(r[11]), atoi(r[12])
		}
		results = append(results, res)
	}
	metaRows, err := readTSV(metaPath)
	if err != nil {
		return err
	}
	meta := map[string]string{}
	for _, r := range metaRows {
		if len(r) >= 2 {
			meta[r[0]] = r[1]
		}
	}

	fmt.Fprintln(w, "## delta")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "`%s` on %s (%s s for the whole run, building the pairs included): patchline's\n", meta["command"], meta["date"], meta["runtime"])
	fmt.Fprintf(w, "delta engine, built from the working tree at %s, as `patchline delta create/apply` (*patchline*, the CLI)\n", meta["patchline"])
	fmt.Fprintln(w, "and as `bench/delta/pld create/apply` (*pld*: the same engine without the rest of patchline, whose start-up")
	fmt.Fprintln(w, "alone, package initialisation and the command tree, takes about 24 MB and tens of ms),")
	fmt.Fprintf(w, "next to %s. Commands: `bsdiff old new delta` / `bspatch old out delta`;\n", meta["tools"])
	fmt.Fprintln(w, "`xdelta3 -e -9 -s old new delta` / `xdelta3 -d -s old delta out` (its default 64 MiB source window);")
	fmt.Fprintln(w, "`zstd --patch-from=old -19 --long=31 new -o delta` / `zstd -d --patch-from=old --long=31 delta -o out`;")
	fmt.Fprintln(w, "`hdiffz -m-6 -SD -c-zstd-21-24 old new delta` / `hpatchz old delta out` (HDiffPatch, built from")
	fmt.Fprintln(w, "source: Debian has no package).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Pairs (every binary built with `CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags=\"-s -w -buildid=\"`;")
	fmt.Fprintln(w, "*real* are released programs as the Go module proxy serves them, *generated* are made by the script):")
	fmt.Fprintln(w)
	for _, p := range pairs {
		fmt.Fprintf(w, "- `%s`: %s; %s → %s bytes.\n", p.name, p.desc, commas(p.old), commas(p.new))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| pair | tool | delta bytes | % of new | create s | create CPU s | create peak MB | create B per input B | apply s | apply peak MB | identical |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, r := range results {
		cells := []string{"`" + r.pair + "`", r.tool}
		if r.delta >= 0 {
			cells = append(cells, commas(r.delta), fmt.Sprintf("%.2f %%", 100*float64(r.delta)/float64(r.new)))
		} else {
			cells = append(cells, "—", "—")
		}
		if r.hasCreateFig {
			cells = append(cells, seconds(r.createS), seconds(r.createCPU), mb(r.createPeakKB), fmt.Sprintf("%.1f", perInput(r)))
		} else {
			cells = append(cells, status(r.create), "—", "—", "—")
		}
		if r.hasApplyFigs {
			cells = append(cells, seconds(r.applyS), mb(r.applyPeakKB))
		} else if r.create == "ok" {
			cells = append(cells, status(r.apply), "—")
		} else {
			cells = append(cells, "—", "—")
		}
		if r.identical == "NO" {
			cells = append(cells, "**NO**")
		} else {
			cells = append(cells, r.identical)
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "MB are 10^6 bytes. *input B*: bytes of OLD, the file every tool indexes (bsdiff's documented")
	fmt.Fprintln(w, "17·n counts the same way), so *create B per input B* is create's peak RSS / size of OLD. Times are")
	fmt.Fprintln(w, "wall clock and include starting the process and reading and writing the files: for a run under 2 s,")
	fmt.Fprintln(w, "the median of 10 runs by `hyperfine -N` (which starts the command itself, without a shell), else one run")
	fmt.Fprintln(w, "by the shell clock. *CPU s* is user + system time (more than the wall time when a tool uses several")
	fmt.Fprintln(w, "cores, less when it waited for a core or the disk); peak RSS is GNU time's %M, the largest of up to 3 runs.")
	if load, cpus := atof(strings.Fields(meta["load"] + " 0")[0]), atof(meta["cpus"]); cpus > 0 && load > cpus {
		fmt.Fprintf(w, "**The machine was shared during this run** (load average %.1f on %.0f CPUs when the measurements\n", load, cpus)
		fmt.Fprintln(w, "started): wall times are inflated and noisy, CPU times are the steadier comparison.")
	}
	var failures []string
	for _, r := range results {
		for _, step := range []struct{ name, status string }{{"create", r.create}, {"apply", r.apply}} {
			if step.status == "ok" || step.status == "skipped" || step.status == "-" {
				continue
			}
			note := fmt.Sprintf("%s %s on `%s`: %s", r.tool, step.name, r.pair, status(step.status))
			if strings.HasPrefix(step.status, "failed") {
				if line := lastLine(filepath.Join(runsDir, r.pair, r.tool, step.name+".log")); line != "" {
					note += fmt.Sprintf(" (`%s`)", strings.ReplaceAll(line, "`", "'"))
				}
			}
			failures = append(failures, note)
		}
	}
	if len(failures) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Not measured:")
		fmt.Fprintln(w)
		for _, f := range failures {
			fmt.Fprintf(w, "- %s\n", f)
		}
	}
	fmt.Fprintln(w)
	goals(w, pairs, results, meta)
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Machine: %s; load average %s.\n", meta["machine"], meta["load"])
	return nil
}

// goals writes issue 16's goals for the engine, per pair, and whether each
// is met.
func goals(w io.Writer, pairs []pair, results []result, meta map[string]string) {
	find := func(p, tool string) *result {
		for i := range results {
			if results[i].pair == p && results[i].tool == tool && results[i].delta >= 0 {
				return &results[i]
			}
		}
		return nil
	}
	const (
		yes = "yes"
		no  = "**no**"
		na  = "n/a"
	)
	fiveMB := func(p pair) bool { return float64(p.new) >= fiveMBFrom && float64(p.new) <= fiveMBTo }
	type goal struct {
		name string
		cell func(p pair) cell
	}
	list := []goal{
		{fmt.Sprintf("release pairs: delta ≤ %.2f× bsdiff's", maxOfBsdiff), func(p pair) cell {
			pl, bs := find(p.name, "pld"), find(p.name, "bsdiff")
			if pl == nil || bs == nil {
				return cell{"—", na}
			}
			r := float64(pl.delta) / float64(bs.delta)
			v := na
			if p.class == "release" {
				v = verdict(r <= maxOfBsdiff)
			}
			return cell{fmt.Sprintf("%.2f×", r), v}
		}},
		{fmt.Sprintf("hotfix pairs: delta ≤ %.0f× the smallest of bsdiff, xdelta3, zstd, HDiffPatch", maxOfSmallest), func(p pair) cell {
			pl := find(p.name, "pld")
			if pl == nil {
				return cell{"—", na}
			}
			var best *result
			for _, tool := range []string{"bsdiff", "xdelta3", "zstd", "hdiffpatch"} {
				if r := find(p.name, tool); r != nil && (best == nil || r.delta < best.delta) {
					best = r
				}
			}
			if best == nil {
				return cell{"—", na}
			}
			r := float64(pl.delta) / float64(best.delta)
			v := na
			if p.class == "hotfix" {
				v = verdict(r <= maxOfSmallest)
			}
			return cell{fmt.Sprintf("%.2f× %s's", r, best.tool), v}
		}},
		{fmt.Sprintf("5 MB pairs: create ≤ %.1f s and ≤ %d MiB (pld)", createGoalSeconds, createGoalBytes>>20), func(p pair) cell {
			pl := find(p.name, "pld")
			if pl == nil || !pl.hasCreateFig {
				return cell{"—", na}
			}
			text := fmt.Sprintf("%s s, %s MB", seconds(pl.createS), mb(pl.createPeakKB))
			if !fiveMB(p) {
				return cell{text, na}
			}
			return cell{text, verdict(pl.createS <= createGoalSeconds && pl.createPeakKB*1024 <= createGoalBytes)}
		}},
		{fmt.Sprintf("5 MB files: apply ≤ %.2f s and ≤ %d MiB (pld)", applyGoalSeconds, applyGoalBytes>>20), func(p pair) cell {
			pl := find(p.name, "pld")
			if pl == nil || !pl.hasApplyFigs {
				return cell{"—", na}
			}
			text := fmt.Sprintf("%s s, %s MB", seconds(pl.applyS), mb(pl.applyPeakKB))
			if !fiveMB(p) {
				return cell{text, na}
			}
			return cell{text, verdict(pl.applyS <= applyGoalSeconds && pl.applyPeakKB*1024 <= applyGoalBytes)}
		}},
		{fmt.Sprintf("apply ≤ %.0f× bspatch's time (pld)", maxOfBspatch), applyVsBspatch(find, "pld")},
		{fmt.Sprintf("apply ≤ %.0f× bspatch's time (patchline CLI)", maxOfBspatch), applyVsBspatch(find, "patchline")},
		{fmt.Sprintf("apply peak ≤ %d MiB whatever the file's size (pld)", applyGoalBytes>>20), func(p pair) cell {
			pl := find(p.name, "pld")
			if pl == nil || !pl.hasApplyFigs {
				return cell{"—", na}
			}
			return cell{fmt.Sprintf("%s MB", mb(pl.applyPeakKB)), verdict(pl.applyPeakKB*1024 <= applyGoalBytes)}
		}},
	}

	fmt.Fprintln(w, "Issue 16's goals for the engine, on each pair:")
	fmt.Fprintln(w)
	header := []string{"goal"}
	for _, p := range pairs {
		header = append(header, "`"+p.name+"`")
	}
	header = append(header, "met")
	fmt.Fprintf(w, "| %s |\n", strings.Join(header, " | "))
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(header)))
	for _, g := range list {
		row := []string{g.name}
		overall := na
		for _, p := range pairs {
			c := g.cell(p)
			mark := map[string]string{yes: " ✓", no: " ✗", na: ""}[c.verdict]
			row = append(row, c.text+mark)
			switch {
			case c.verdict == no:
				overall = no
			case c.verdict == yes && overall == na:
				overall = yes
			}
		}
		row = append(row, overall)
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "A figure without ✓ or ✗ is shown but not judged: the size goals are judged on the pairs of their")
	fmt.Fprintf(w, "kind (release: two consecutive releases; hotfix: one line changed), the 5 MB goals on pairs whose NEW is\n")
	fmt.Fprintf(w, "%.0f to %.0f MB. Sizes and times are pld's, the engine's own; the CLI's rows show what patchline's start-up\n", fiveMBFrom/1e6, fiveMBTo/1e6)
	fmt.Fprintln(w, "adds. A goal is met when every judged pair meets it.")
}

// A cell is a figure and a verdict: yes, no or n/a (not judged on this pair).
type cell struct{ text, verdict string }

// applyVsBspatch judges tool's apply time against bspatch's.
func applyVsBspatch(find func(p, tool string) *result, tool string) func(p pair) cell {
	return func(p pair) cell {
		pl, bs := find(p.name, tool), find(p.name, "bsdiff")
		if pl == nil || bs == nil || !pl.hasApplyFigs || !bs.hasApplyFigs {
			return cell{"—", "n/a"}
		}
		r := pl.applyS / bs.applyS
		return cell{fmt.Sprintf("%.2f× (%s s vs %s s)", r, seconds(pl.applyS), seconds(bs.applyS)), verdict(r <= maxOfBspatch)}
	}
}

func verdict(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func perInput(r result) float64 { return float64(r.createPeakKB*1024) / float64(r.old) }

func status(s string) string {
	switch {
	case s == "timeout":
		return "timeout"
	case strings.HasPrefix(s, "failed"):
		return "failed (exit " + strings.TrimSuffix(strings.TrimPrefix(s, "failed("), ")") + ")"
	}
	return s
}

func seconds(s float64) string {
	switch {
	case s >= 100:
		return fmt.Sprintf("%.0f", s)
	case s >= 10:
		return fmt.Sprintf("%.1f", s)
	case s >= 1:
		return fmt.Sprintf("%.2f", s)
	}
	return fmt.Sprintf("%.3f", s)
}

func mb(kb int64) string {
	v := float64(kb) * 1024 / 1e6
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func atof(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

func lastLine(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var last string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if t := strings.TrimSpace(sc.Text()); t != "" {
			last = t
		}
	}
	if len(last) > 200 {
		last = last[:200] + "…"
	}
	return last
}

func readTSV(path string) ([][]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rows [][]string
	for line := range strings.Lines(string(data)) {
		if line = strings.TrimRight(line, "\n"); line != "" {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	return rows, nil
}

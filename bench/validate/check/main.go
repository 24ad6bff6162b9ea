// Command check compares what `patchline validate --all --format json` and
// bench/validate/git-validate.sh said about the synthetic repository with what
// the generator built (its -expect TSV), and prints the differences as a
// Markdown list. It exits 1 when patchline reports a finding the generator did
// not plant, misses one it did, or disagrees with the git script.
//
//	go run ./bench/validate/check -expect expected.tsv -report all.json -git git-all.txt
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
)

type finding struct {
	Code     string `json:"code"`
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Patch    string `json:"patch"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Message  string `json:"message"`
}

type report struct {
	Patches []struct {
		ID       string `json:"id"`
		OK       bool   `json:"ok"`
		Errors   int    `json:"errors"`
		Warnings int    `json:"warnings"`
	} `json:"patches"`
	Findings []finding `json:"findings"`
}

// expected holds one row of the generator's TSV.
type expected struct {
	id, base, change, expect string
}

// The SLA clock runs against the fixed `reported` date the generator writes,
// so its findings depend on the day of the run, not on the repository.
var clockCodes = map[string]bool{"PL170": true, "PL171": true}

func main() {
	expectFile := flag.String("expect", "", "the generator's TSV")
	reportFile := flag.String("report", "", "patchline validate --all --format json output")
	gitFile := flag.String("git", "", "git-validate.sh --all output (optional)")
	flag.Parse()
	if *expectFile == "" || *reportFile == "" {
		fmt.Fprintln(os.Stderr, "usage: check -expect TSV -report JSON [-git TXT]")
		os.Exit(2)
	}
	bad, err := run(*expectFile, *reportFile, *gitFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "check:", err)
		os.Exit(2)
	}
	if bad {
		os.Exit(1)
	}
}

func run(expectFile, reportFile, gitFile string) (bad bool, err error) {
	want, err := readExpect(expectFile)
	if err != nil {
		return false, err
	}
	data, err := os.ReadFile(reportFile)
	if err != nil {
		return false, err
	}
	var rep report
	if err := json.Unmarshal(data, &rep); err != nil {
		return false, fmt.Errorf("%s: %w", reportFile, err)
	}

	planted := 0
	for _, e := range want {
		if e.expect != "clean" {
			planted++
		}
	}
	ok := 0
	for _, p := range rep.Patches {
		if p.OK {
			ok++
		}
	}
	fmt.Printf("- patchline validated %d of %d patch branches: %d without errors; the generator planted %d stale bases (PL133)\n",
		len(rep.Patches), len(want), ok, planted)

	byCode := map[string]int{}
	got := map[string]map[string]bool{} // patch -> error codes
	var unexpected []finding
	for _, f := range rep.Findings {
		byCode[f.Code+" "+f.Severity]++
		e, known := want[f.Patch]
		switch {
		case clockCodes[f.Code]:
		case !known:
			unexpected = append(unexpected, f)
		case f.Code == e.expect && f.Severity == "error":
		default:
			unexpected = append(unexpected, f)
		}
		if f.Severity == "error" {
			if got[f.Patch] == nil {
				got[f.Patch] = map[string]bool{}
			}
			got[f.Patch][f.Code] = true
		}
	}
	fmt.Printf("- findings by code: %s\n", counts(byCode))
	if len(unexpected) > 0 {
		bad = true
		fmt.Printf("- **%d finding(s) the generator did not plant**:\n", len(unexpected))
		for i, f := range unexpected {
			if i == 20 {
				fmt.Printf("  - … and %d more\n", len(unexpected)-i)
				break
			}
			e := want[f.Patch]
			fmt.Printf("  - %s (%s, base %s): %s %s %s: %s\n", f.Patch, e.change, e.base, f.Severity, f.Code, f.Rule, f.Message)
		}
	} else {
		fmt.Println("- no finding the generator did not plant (SLA clock warnings aside: `reported` is a fixed date)")
	}

	seen := map[string]bool{}
	for _, p := range rep.Patches {
		seen[p.ID] = true
	}
	var missing, unvalidated []string
	for id, e := range want {
		if !seen[id] {
			unvalidated = append(unvalidated, id)
		} else if e.expect != "clean" && !got[id][e.expect] {
			missing = append(missing, id+" ("+e.expect+")")
		}
	}
	sort.Strings(missing)
	sort.Strings(unvalidated)
	if len(unvalidated) > 0 {
		bad = true
		fmt.Printf("- **%d patch branch(es) not validated**: %s\n", len(unvalidated), list(unvalidated))
	}
	if len(missing) > 0 {
		bad = true
		fmt.Printf("- **%d planted finding(s) missed**: %s\n", len(missing), list(missing))
	}

	if gitFile == "" {
		return bad, nil
	}
	gitFail, err := readGit(gitFile)
	if err != nil {
		return bad, err
	}
	var disagree []string
	for id := range want {
		plFail := len(got[id]) > 0
		gf, ran := gitFail[id]
		if !ran {
			disagree = append(disagree, id+" (not checked by git)")
		} else if gf != "" != plFail {
			what := "patchline: ok"
			if plFail {
				what = "patchline: " + strings.Join(keys(got[id]), ",")
			}
			if gf != "" {
				what += "; git: " + gf
			} else {
				what += "; git: ok"
			}
			disagree = append(disagree, id+" ("+what+")")
		}
	}
	sort.Strings(disagree)
	if len(disagree) > 0 {
		bad = true
		fmt.Printf("- **git-validate.sh and patchline disagree on %d patch(es)**: %s\n", len(disagree), list(disagree))
	} else {
		fmt.Printf("- git-validate.sh agrees with patchline on every patch (%d)\n", len(want))
	}
	return bad, nil
}

func readExpect(name string) (map[string]expected, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]expected{}
	sc := bufio.NewScanner(f)
	var cols map[string]int
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if cols == nil {
			cols = map[string]int{}
			for i, c := range fields {
				cols[c] = i
			}
			for _, c := range []string{"id", "base", "change", "expect"} {
				if _, ok := cols[c]; !ok {
					return nil, fmt.Errorf("%s: no %q column", name, c)
				}
			}
			continue
		}
		e := expected{id: fields[cols["id"]], base: fields[cols["base"]], change: fields[cols["change"]], expect: fields[cols["expect"]]}
		out[e.id] = e
	}
	return out, sc.Err()
}

// readGit reads "<ID> ok" / "<ID> FAIL: reasons" lines: id -> reasons ("" when ok).
func readGit(name string) (map[string]string, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		id, rest, _ := strings.Cut(line, " ")
		if rest == "ok" {
			out[id] = ""
		} else {
			out[id] = strings.TrimPrefix(rest, "FAIL: ")
		}
	}
	return out, nil
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	ks := keys(m)
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = fmt.Sprintf("%s ×%d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func list(items []string) string {
	if len(items) > 10 {
		return strings.Join(items[:10], ", ") + fmt.Sprintf(" and %d more", len(items)-10)
	}
	return strings.Join(items, ", ")
}

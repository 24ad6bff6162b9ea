package report_test

import (
	"bytes"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/patchdiff"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/report"
	"github.com/patchline/patchline/internal/repotest"
	"github.com/patchline/patchline/internal/rollup"
)

const manifestOf = `schema = 1
id = "%s"
title = "%s"
base = "%s"
kind = "fix"
severity = "low"
urgency = "scheduled"
modules = ["app"]
reported = 2026-01-01T00:00:00Z
summary = "s"
risk = "low"
rollback = "revert it"
`

// file is app.go with some of its 30 lines replaced: line number -> text.
func file(repl map[int]string) string {
	var b strings.Builder
	for i := 1; i <= 30; i++ {
		if s, ok := repl[i]; ok {
			b.WriteString(s + "\n")
			continue
		}
		fmt.Fprintf(&b, "// line %d of the product\n", i)
	}
	return b.String()
}

// releaseBranchesRepo builds a repository with release-X.Y maintenance
// branches, stray release-* branches that name no line, and one fix per
// line that the next quarterly release lacks:
//
//	v1.6: PL-2026-0001 (ported to main by content), PL-2026-0002 (never ported)
//	v1.7: PL-2026-0003 (never ported)
func releaseBranchesRepo(t *testing.T) *repotest.Repo {
	t.Helper()
	r := repotest.New(t)
	fixes := map[int]string{}
	base := r.Commit("product 1.6", map[string]string{"app.go": file(fixes)})
	r.Tag("v1.6.0")
	r.Branch("release-1.5", base)
	r.Branch("release-notes", base)
	merge := func(id, baseTag string, line int) {
		t.Helper()
		before := file(fixes)
		fixes[line] = "// fixed by " + id
		var diff bytes.Buffer
		if err := patchdiff.Write(&diff, []patchdiff.Change{{OldPath: "app.go", NewPath: "app.go", OldMode: patchdiff.ModeRegular, NewMode: patchdiff.ModeRegular,
			OldData: []byte(before), NewData: []byte(file(fixes))}}); err != nil {
			t.Fatal(err)
		}
		r.Commit("Merge patch/"+id, map[string]string{"app.go": file(fixes),
			"patches/" + id + "/patch.toml": fmt.Sprintf(manifestOf, id, "fix "+id, baseTag),
			"patches/" + id + "/patch.diff": diff.String()})
	}
	r.SwitchNew("release-1.6", base)
	merge("PL-2026-0001", "v1.6.0", 3)
	r.Tag("v1.6.1")
	merge("PL-2026-0002", "v1.6.1", 20)
	r.Tag("v1.6.2")

	r.Switch("main")
	fixes = map[int]string{3: "// fixed by PL-2026-0001"} // main ports PL-2026-0001 only
	v17 := r.Commit("product 1.7, with PL-2026-0001", map[string]string{"app.go": file(fixes)})
	r.Tag("v1.7.0")
	r.SwitchNew("release-1.7", v17)
	merge("PL-2026-0003", "v1.7.0", 10)
	r.Tag("v1.7.1")

	r.Switch("main")
	r.Commit("product 2.0", map[string]string{"v.txt": "2.0\n"})
	r.Tag("v2.0.0")
	return r
}

// TestReportAgreesWithRollup: report's "missing from the next quarterly
// release" is what rollup finds for each line and the quarterly release
// after it, on a repository with release-X.Y branches, and both match
// what was built into it.
func TestReportAgreesWithRollup(t *testing.T) {
	t.Parallel()
	r := releaseBranchesRepo(t)
	want := []string{"PL-2026-0002 of v1.6, not in v1.7.0", "PL-2026-0003 of v1.7, not in v2.0.0"}
	for _, setting := range []string{"release-{major}.{minor}", "release-"} {
		// Not in parallel: both settings read the one repository, and a
		// gitrepo.Repo is read by one goroutine at a time.
		t.Run(setting, func(t *testing.T) {
			cfg, err := config.Decode(".patchline.toml", []byte("[project]\nname = \"app\"\n[release]\nmaintenance_branch = \""+setting+"\"\n[modules]\napp = [\"**\"]\n"))
			if err != nil {
				t.Fatal(err)
			}
			h, err := history.New(&registry.Registry{Repo: r.Repo, Config: cfg})
			if err != nil {
				t.Fatal(err)
			}
			var fromRollup []string
			contained := map[string]string{}
			for _, line := range h.Lines() {
				pair := h.NextQuarterly(line.Name)
				if pair.Reason != "" {
					t.Fatalf("%s: not paired: %s", line.Name, pair.Reason)
				}
				if !pair.Due {
					continue
				}
				res, err := rollup.Run(h, pair.From, pair.Next)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range res.Patches {
					switch p.Status {
					case rollup.Missing:
						fromRollup = append(fromRollup, p.ID+" of "+res.Line+", not in "+res.To)
					case rollup.Contained:
						contained[p.ID] = res.To
					}
				}
			}
			rep, err := report.Build(h, report.Window{Until: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)})
			if err != nil {
				t.Fatal(err)
			}
			var fromReport []string
			for _, m := range rep.Metrics.Missing {
				fromReport = append(fromReport, m.ID+" of "+m.Line+", not in "+m.Next)
			}
			sort.Strings(fromRollup)
			sort.Strings(fromReport)
			if !reflect.DeepEqual(fromRollup, want) {
				t.Errorf("rollup finds missing %q, want %q", fromRollup, want)
			}
			if !reflect.DeepEqual(fromReport, fromRollup) {
				t.Errorf("report finds missing %q, rollup %q", fromReport, fromRollup)
			}
			if len(rep.Metrics.Unchecked) > 0 {
				t.Errorf("report left lines unchecked: %+v", rep.Metrics.Unchecked)
			}
			for _, p := range rep.Patches {
				if to, ok := contained[p.ID]; ok && (p.Status != report.RolledInto || p.RolledIn != to) {
					t.Errorf("%s: report says %s %s, rollup contained in %s", p.ID, p.Status, p.RolledIn, to)
				}
			}
			if contained["PL-2026-0001"] != "v1.7.0" {
				t.Errorf("rollup: PL-2026-0001 contained in %q, want v1.7.0", contained["PL-2026-0001"])
			}
			var text bytes.Buffer
			if err := rep.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			for _, line := range []string{"PL-2026-0002  of v1.6, not in v1.7.0", "PL-2026-0003  of v1.7, not in v2.0.0"} {
				if !strings.Contains(text.String(), line) {
					t.Errorf("report text lacks %q:\n%s", line, text.String())
				}
			}
		})
	}
}

// TestReportNamesUncheckedLines: a line that cannot be paired with a next
// quarterly release is named with its reason, and the report never says
// "none" missing for it.
func TestReportNamesUncheckedLines(t *testing.T) {
	t.Parallel()
	r := repotest.New(t)
	r.Commit("product 1.6", map[string]string{"app.go": file(nil)})
	r.Tag("v1.6.0")
	r.Commit("product 1.7", map[string]string{"v.txt": "1.7\n"})
	r.Tag("v1.7.1") // the quarterly release v1.7.0 was never tagged
	cfg := config.Default("app", "")
	h, err := history.New(&registry.Registry{Repo: r.Repo, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := report.Build(h, report.Window{Until: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Metrics.Unchecked) != 1 || rep.Metrics.Unchecked[0].Line != "v1.6" {
		t.Fatalf("unchecked = %+v, want v1.6", rep.Metrics.Unchecked)
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	section := text.String()[strings.Index(text.String(), "MISSING FROM THE NEXT QUARTERLY RELEASE"):]
	if strings.Contains(section, "none") || !strings.Contains(section, "v1.6  not checked: the next line v1.7 starts at v1.7.1, not at a quarterly release") {
		t.Errorf("report text:\n%s", section)
	}
	page, err := rep.HTML("")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(page), "None: every patch reached") || !strings.Contains(string(page), "v1.6 not checked: the next line v1.7 starts at v1.7.1") {
		t.Errorf("report page does not say v1.6 was not checked")
	}
}

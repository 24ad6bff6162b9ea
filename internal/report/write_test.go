package report

import (
	"strings"
	"testing"
	"time"
)

// TestWriteTextEscapes: a manifest merged before validate checked its text
// prints escaped, on one row, and starts no workflow command.
func TestWriteTextEscapes(t *testing.T) {
	t.Parallel()
	r := &Report{Project: "inventory\x1b]0;x\x07", Until: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC),
		Patches: []Patch{{ID: "PL-2026-0001", Status: Approved, Kind: "fix", Severity: "low", Branch: "patch/PL-2026-0001",
			Title: "Importer\x1b[2J\x07\tdrops\n::warning::pwned \u202erows"}},
		Metrics: Metrics{PerModule: []Count{{Name: "cli\n::error::x", Count: 1}}}}
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		`patchline report for inventory\x1b]0;x\x07, all history to 2026-11-21`,
		`PL-2026-0001  approved  fix   low       patch/PL-2026-0001  -        Importer\x1b[2J\x07\tdrops\n::warning::pwned \u202erows`,
		`PER MODULE:  cli\n::error::x 1`,
	} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("report lacks the line\n%s\ngot:\n%s", want, got)
		}
	}
	if strings.ContainsAny(got, "\x1b\x07\t\u202e") {
		t.Errorf("report holds raw control characters:\n%q", got)
	}
	for _, line := range strings.Split(got, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "::") {
			t.Errorf("line is a workflow command: %q", line)
		}
	}
}

package notes

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// -update rewrites the golden files. It is declared here only when no
// other test file of the package has declared it first (package variables
// are set before init runs), so that two files may each want it.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func golden(t *testing.T, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", t.Name()+".golden")
	if updating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// withDependencies is a release with one security fix that bumps and
// removes dependencies, and one fix that changes none.
func withDependencies() *Notes {
	sec := &Entry{ID: "PL-2026-0002", Title: "HTTP/2 header flood", Kind: "security", Severity: "critical", Urgency: "scheduled",
		Summary: "The API no longer falls over under an HTTP/2 header flood.", CVEs: []string{"CVE-2025-22870"}, Cases: []string{}, Modules: []string{"api"},
		Status: StatusFixed, Lines: []Shipment{{Line: "v2026.3", Tag: "v2026.3.1", Status: "released"}},
		Dependencies: dependencies([]string{
			"golang.org/x/net v0.38.0: CVE-2025-22870",
			"golang.org/x/text v0.23.0",
			"example.com/old none: no longer used",
			"go 1.24.0: golang.org/x/net v0.38.0 needs it",
			"example.com/lib => example.com/fork v1.2.1: <the fork> & its fix",
			"example.com/gone => none",
			"not an entry \x1b[1m",
		})}
	fix := &Entry{ID: "PL-2026-0001", Title: "Importer", Kind: "fix", Severity: "low", Urgency: "scheduled", Summary: "Importer",
		Cases: []string{}, CVEs: []string{}, Modules: []string{"importer"}, Status: StatusFixed,
		Lines: []Shipment{{Line: "v2026.3", Tag: "v2026.3.1", Status: "released"}}}
	n := &Notes{Project: "inventory", From: "v2026.3.0", To: "v2026.3.1", Date: time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC), Removed: []*Entry{}}
	n.add(sec)
	n.add(fix)
	n.Counts = Counts{Patches: 2, Fixed: 2, Security: 1, CVEs: 1}
	return n
}

// TestDependencies: each patch lists its dependency changes, with their
// reasons, in every rendering; a patch without any has no such line.
func TestDependencies(t *testing.T) {
	t.Parallel()
	n := withDependencies()
	for name, render := range map[string]func() ([]byte, error){
		"markdown": func() ([]byte, error) { return n.Markdown("") },
		"html":     func() ([]byte, error) { return n.HTML("") },
		"json":     n.JSON,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := render()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, got)
		})
	}
}

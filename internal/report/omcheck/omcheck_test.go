// Package omcheck parses `patchline report --format openmetrics` with
// Prometheus's OpenMetrics parser, the one a scraper uses. Run it with
// `cd internal/report/omcheck && go test ./...` (.ci/run does).
package omcheck

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/textparse"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/patchline/patchline/internal/fleet"
	"github.com/patchline/patchline/internal/report"
	"github.com/patchline/patchline/internal/rollout"
)

type parsed struct {
	types   map[string]string // family -> type
	helps   map[string]bool
	units   map[string]string
	samples map[string]float64 // series -> value
}

func parse(t *testing.T, text []byte) parsed {
	t.Helper()
	if !bytes.HasSuffix(text, []byte("# EOF\n")) {
		t.Fatalf("does not end with # EOF:\n%s", text)
	}
	p, err := textparse.New(text, "application/openmetrics-text", nil, textparse.ParserOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := parsed{types: map[string]string{}, helps: map[string]bool{}, units: map[string]string{}, samples: map[string]float64{}}
	for {
		e, err := p.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("OpenMetrics parser: %v\n%s", err, text)
		}
		switch e {
		case textparse.EntryType:
			name, typ := p.Type()
			out.types[string(name)] = string(typ)
		case textparse.EntryHelp:
			name, _ := p.Help()
			out.helps[string(name)] = true
		case textparse.EntryUnit:
			name, unit := p.Unit()
			out.units[string(name)] = string(unit)
		case textparse.EntrySeries:
			_, _, v := p.Series()
			var l labels.Labels
			p.Labels(&l)
			out.samples[l.String()] = v
		}
	}
	for name := range out.types {
		if !out.helps[name] {
			t.Errorf("family %s has TYPE and no HELP", name)
		}
	}
	return out
}

// TestGolden parses the OpenMetrics text the end-to-end script
// fleet_installed_base keeps as its golden file.
func TestGolden(t *testing.T) {
	ar, err := txtar.ParseFile("../../../cmd/patchline/testdata/script/fleet_installed_base.txtar")
	if err != nil {
		t.Fatal(err)
	}
	var text []byte
	for _, f := range ar.Files {
		if f.Name == "report.om.golden" {
			text = f.Data
		}
	}
	got := parse(t, text)
	for name, typ := range map[string]string{
		"patchline_fleet_patch_coverage_ratio":  "gauge",
		"patchline_fleet_missing_patches":       "gauge",
		"patchline_fleet_time_to_patch_seconds": "summary",
		"patchline_fleet_rollbacks":             "gauge",
		"patchline_fleet_sla_breaches":          "gauge",
		"patchline_time_to_patch_seconds":       "summary",
	} {
		if got.types[name] != typ {
			t.Errorf("family %s: type %q, want %q", name, got.types[name], typ)
		}
	}
	if v := got.samples[`{__name__="patchline_fleet_sla_breaches", severity="critical"}`]; v != 1 {
		t.Errorf("critical fleet SLA breaches = %v, want 1", v)
	}
	if u := got.units["patchline_fleet_time_to_patch_seconds"]; u != "seconds" {
		t.Errorf("unit %q, want seconds", u)
	}
}

// TestWriter parses what the writer makes of a fleet with awkward label
// values.
func TestWriter(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	rec := &rollout.Record{Schema: 1, Site: "acme_b.1", Env: "test", Product: "inventory",
		Release: rollout.Ref{Tag: "v2026.3.0", Commit: strings.Repeat("1", 40)}, Exported: now}
	in := fleet.Input{
		Filed:   []fleet.Filed{{Path: "fleet/acme_b.1/test.json", Site: rec.Site, Env: rec.Env, Record: rec}},
		Patches: []fleet.Patch{{ID: `PL-2026-0001`, Severity: "critical", Kind: "security", Released: []fleet.Shipped{{Line: "v2026.3", Tag: "v2026.3.1", Tagged: now.Add(-72 * time.Hour)}}}},
		Lines:   map[string][]string{"v2026.3": {"v2026.3.0", "v2026.3.1"}},
		LineOf:  func(tag string) (string, bool) { return tag[:strings.LastIndex(tag, ".")], true },
		SLA:     func(string) (time.Duration, bool) { return 48 * time.Hour, true },
		Now:     now,
	}
	r := &report.Report{Project: "inventory", Until: now, Patches: []report.Patch{{ID: "PL-2026-0001", Status: report.Released, Severity: "critical", TimeToFix: report.Duration(36 * time.Hour)}},
		Fleet: fleet.Compute(in)}
	var b bytes.Buffer
	if err := r.WriteOpenMetrics(&b); err != nil {
		t.Fatal(err)
	}
	got := parse(t, b.Bytes())
	if v := got.samples[`{__name__="patchline_fleet_missing_patches", env="test", severity="critical", site="acme_b.1"}`]; v != 1 {
		t.Errorf("missing critical = %v, want 1\n%s", v, b.String())
	}
	if v := got.samples[`{__name__="patchline_time_to_patch_seconds", quantile="0.9", severity="critical"}`]; v != 36*3600 {
		t.Errorf("time to patch p90 = %v, want %v", v, 36*3600)
	}
}

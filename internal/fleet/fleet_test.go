package fleet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/patchline/patchline/internal/rollout"
)

var (
	day = 24 * time.Hour
	t0  = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	now = t0.Add(30 * day)
)

func commit(c byte) string { return strings.Repeat(string(c), 40) }

// record is a valid record of site/env at release, with patches applied
// (id -> days after t0), each its own bundle.
func record(site, env, rel string, applied map[string]int) *rollout.Record {
	r := &rollout.Record{Schema: 1, Site: site, Env: env, Product: "inventory",
		Release: rollout.Ref{Tag: rel, Commit: commit('1')}, Patches: []rollout.RecordPatch{}, Exported: now.Add(-day)}
	for id, d := range applied {
		r.Patches = append(r.Patches, rollout.RecordPatch{ID: id, BundleDigest: strings.Repeat("a", 64), Platform: "linux/amd64",
			Base: rollout.Ref{Tag: "v2026.3.0", Commit: commit('1')}, Target: rollout.Ref{Tag: rel, Commit: commit('2')},
			AppliedAt: t0.Add(time.Duration(d) * day)})
	}
	return r
}

func filed(r *rollout.Record) Filed {
	return Filed{Path: RelPath("fleet", r.Site, r.Env), Site: r.Site, Env: r.Env, Record: r}
}

// line v2026.3: PL-1 critical fix tagged v2026.3.1 on day 2; PL-2 low
// security tagged v2026.3.2 on day 10; PL-3 moderate fix v2026.3.3 on day 29.
func input(fs ...Filed) Input {
	ship := func(tag string, d int) []Shipped {
		return []Shipped{{Line: "v2026.3", Tag: tag, Tagged: t0.Add(time.Duration(d) * day)}}
	}
	sla := map[string]time.Duration{"critical": 2 * day, "low": 5 * day, "moderate": day}
	return Input{
		Filed: fs,
		Patches: []Patch{
			{ID: "PL-1", Kind: "fix", Severity: "critical", Released: ship("v2026.3.1", 2)},
			{ID: "PL-2", Kind: "fix", Severity: "low", CVEs: []string{"CVE-2026-1"}, Released: ship("v2026.3.2", 10)},
			{ID: "PL-3", Kind: "fix", Severity: "moderate", Released: ship("v2026.3.3", 29)},
		},
		Lines: map[string][]string{"v2026.3": {"v2026.3.0", "v2026.3.1", "v2026.3.2", "v2026.3.3"}},
		LineOf: func(tag string) (string, bool) {
			if i := strings.LastIndex(tag, "."); i > 0 && strings.HasPrefix(tag, "v") {
				return tag[:i], true
			}
			return "", false
		},
		SLA: func(sev string) (time.Duration, bool) { d, ok := sla[sev]; return d, ok },
		Now: now,
	}
}

func TestComputeMissingAndBreaches(t *testing.T) {
	t.Parallel()
	f := Compute(input(
		filed(record("a", "test", "v2026.3.3", map[string]int{"PL-3": 29})), // PL-1, PL-2 through its release
		filed(record("a", "production", "v2026.3.1", map[string]int{"PL-1": 3})),
		filed(record("b", "production", "v2026.3.0", nil)),
	))
	missing := func(i int) []string {
		var ids []string
		for _, m := range f.Installs[i].Missing {
			ids = append(ids, m.ID)
		}
		return ids
	}
	if got := f.Installs[0]; got.Patches != 3 || !reflect.DeepEqual(got.Applied, []string{"PL-3"}) {
		t.Errorf("test has %d patches, applied %v; want 3, PL-3", got.Patches, got.Applied)
	}
	if got := missing(1); !reflect.DeepEqual(got, []string{"PL-2", "PL-3"}) {
		t.Errorf("a production lacks %v, want PL-2, PL-3", got)
	}
	if got := missing(2); !reflect.DeepEqual(got, []string{"PL-1", "PL-2", "PL-3"}) {
		t.Errorf("b production lacks %v, want all", got)
	}
	// PL-1 is critical, PL-2 security (it names a CVE), both past their
	// SLA; PL-3 is neither, and so never a breach.
	var got []string
	for _, b := range f.Breaches {
		got = append(got, b.Site+"/"+b.Env+":"+b.ID)
	}
	want := []string{"a/production:PL-2", "b/production:PL-1", "b/production:PL-2"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("breaches %v, want %v", got, want)
	}
	if !f.Overdue() {
		t.Errorf("Overdue() = false with breaches")
	}
	if n := f.MissingBySeverity(); n["critical"] != 1 || n["low"] != 2 || n["moderate"] != 2 {
		t.Errorf("MissingBySeverity = %v", n)
	}
}

func TestComputeWithinSLA(t *testing.T) {
	t.Parallel()
	in := input(filed(record("b", "production", "v2026.3.0", nil)))
	in.Now = t0.Add(3 * day) // PL-1 tagged a day ago, SLA 2 days
	if f := Compute(in); f.Overdue() {
		t.Errorf("breaches %+v a day after the release, SLA two days", f.Breaches)
	}
	in.SLA = func(string) (time.Duration, bool) { return 0, false }
	in.Now = now
	if f := Compute(in); f.Overdue() {
		t.Errorf("breaches %+v without an [sla]", f.Breaches)
	}
}

func TestComputeCoverageAndDrift(t *testing.T) {
	t.Parallel()
	test := record("a", "test", "v2026.3.2", map[string]int{"PL-1": 2, "PL-2": 11})
	prod := record("a", "production", "v2026.3.1", map[string]int{"PL-1": 4})
	other := record("b", "production", "v2026.3.0", nil)
	f := Compute(input(filed(test), filed(prod), filed(other)))
	var cov []string
	for _, c := range f.Coverage {
		cov = append(cov, fmt.Sprintf("%s %d/%d", c.ID, c.Have, c.Installs))
	}
	if want := []string{"PL-1 2/3", "PL-2 1/3", "PL-3 0/3"}; !reflect.DeepEqual(cov, want) {
		t.Errorf("coverage %v, want %v", cov, want)
	}
	if f.Coverage[0].Share != 0.667 {
		t.Errorf("share %v, want 0.667", f.Coverage[0].Share)
	}
	want := []Drift{{Site: "a", Env: "test", Other: "production", Release: "v2026.3.2", OtherRel: "v2026.3.1", OnlyEnv: []string{"PL-2"}, OnlyOther: []string{}}}
	if !reflect.DeepEqual(f.Drift, want) {
		t.Errorf("drift %+v, want %+v", f.Drift, want)
	}
	// The reverse: production ahead of test.
	test.Patches, test.Release.Tag = nil, "v2026.3.0"
	f = Compute(input(filed(test), filed(prod)))
	if len(f.Drift) != 1 || len(f.Drift[0].OnlyEnv) != 0 || !reflect.DeepEqual(f.Drift[0].OnlyOther, []string{"PL-1"}) {
		t.Errorf("drift %+v, want production has PL-1 that test lacks", f.Drift)
	}
}

func TestComputeAppliedBeyondRelease(t *testing.T) {
	t.Parallel()
	// A test install took PL-3's bundle on its own, ahead of PL-2.
	r := record("a", "test", "v2026.3.1", map[string]int{"PL-3": 29})
	f := Compute(input(filed(r), filed(record("a", "production", "v2026.3.1", nil))))
	inst := f.Installs[0]
	if inst.Patches != 2 || len(inst.Missing) != 1 || inst.Missing[0].ID != "PL-2" {
		t.Errorf("has %d, missing %+v; want 2 (PL-1, PL-3) and PL-2 missing", inst.Patches, inst.Missing)
	}
	if c := f.Coverage[2]; c.ID != "PL-3" || c.Have != 1 || c.Installs != 2 {
		t.Errorf("PL-3 coverage %+v, want 1 of 2", c)
	}
	if len(f.Drift) != 1 || !reflect.DeepEqual(f.Drift[0].OnlyEnv, []string{"PL-3"}) || len(f.Drift[0].OnlyOther) != 0 {
		t.Errorf("drift %+v, want test has PL-3", f.Drift)
	}
}

func TestComputeTimeToPatch(t *testing.T) {
	t.Parallel()
	// PL-1 tagged day 2, applied on days 3..12 at ten installs: 1..10 days.
	var fs []Filed
	for i := 1; i <= 10; i++ {
		fs = append(fs, filed(record(string(rune('a'+i)), "production", "v2026.3.1", map[string]int{"PL-1": 2 + i})))
	}
	// A test install that took the bundle before its tag waited no time.
	fs = append(fs, filed(record("z", "test", "v2026.3.1", map[string]int{"PL-1": 1})))
	// A rolled back patch is not patched.
	rb := record("y", "test", "v2026.3.0", map[string]int{"PL-1": 5})
	at := t0.Add(6 * day)
	rb.Patches[0].RolledBackAt, rb.Patches[0].AutoRolledBack = &at, true
	fs = append(fs, filed(rb))
	f := Compute(input(fs...))
	var crit SeverityTime
	for _, s := range f.TimeToPatch {
		if s.Severity == "critical" {
			crit = s
		}
	}
	if crit.Applied != 11 || time.Duration(crit.P90) != 9*day || time.Duration(crit.Mean) != 55*day/11 {
		t.Errorf("critical time to patch = %d applied, mean %v, p90 %v; want 11, 5d, 9d", crit.Applied, time.Duration(crit.Mean), time.Duration(crit.P90))
	}
	last := f.Installs[len(f.Installs)-1]
	if len(last.Rollbacks) != 1 || !last.Rollbacks[0].Auto || len(last.TimeToPatch) != 0 {
		t.Errorf("rolled back install: rollbacks %+v, time to patch %+v", last.Rollbacks, last.TimeToPatch)
	}
}

func TestComputeProblems(t *testing.T) {
	t.Parallel()
	f := Compute(input(filed(record("a", "test", "v2026.9.1", nil)), filed(record("b", "test", "v2026.3.7", nil))))
	if len(f.Problems) != 2 || !strings.Contains(f.Problems[0], "line v2026.9") || !strings.Contains(f.Problems[1], "v2026.3.7 is not a tag") {
		t.Errorf("problems %q", f.Problems)
	}
}

func write(t *testing.T, root, rel string, r *rollout.Record) {
	t.Helper()
	data, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if got, err := Load(root, "fleet"); err != nil || got != nil {
		t.Fatalf("Load of no folder = %v, %v; want none", got, err)
	}
	write(t, root, "fleet/b/test.json", record("b", "test", "v2026.3.0", nil))
	write(t, root, "fleet/a/production.json", record("a", "production", "v2026.3.0", nil))
	write(t, root, "fleet/a/test.json", record("a", "test", "v2026.3.0", nil))
	if err := os.WriteFile(filepath.Join(root, "fleet/.gitkeep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Load(root, "fleet")
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range got {
		paths = append(paths, f.Path)
	}
	if want := []string{"fleet/a/test.json", "fleet/a/production.json", "fleet/b/test.json"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("Load = %v, want %v (by site, then env in rollout order)", paths, want)
	}

	bad := map[string]func(dir string) error{
		"a record of another site": func(dir string) error {
			write(t, dir, "fleet/a/test.json", record("b", "test", "v2026.3.0", nil))
			return nil
		},
		"not an env": func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "fleet/a/prod.json"), []byte("{}"), 0o644)
		},
		"a file beside the sites": func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "fleet/README.md"), nil, 0o644)
		},
		"a link": func(dir string) error {
			return os.Symlink(filepath.Join(dir, "fleet/a/test.json"), filepath.Join(dir, "fleet/a/staging.json"))
		},
		"truncated": func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "fleet/a/staging.json"), []byte(`{"schema": 1, "site"`), 0o644)
		},
	}
	for name, mk := range bad {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			write(t, dir, "fleet/a/test.json", record("a", "test", "v2026.3.0", nil))
			if err := mk(dir); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(dir, "fleet"); !errors.Is(err, ErrBadFleet) {
				t.Errorf("Load = %v, want ErrBadFleet", err)
			}
		})
	}
}

func TestPlan(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	cur := record("a", "test", "v2026.3.1", nil)
	write(t, root, "fleet/a/test.json", cur)
	enc := func(r *rollout.Record) []byte {
		data, err := r.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	older := record("a", "test", "v2026.3.0", nil)
	older.Exported = cur.Exported.Add(-time.Hour)
	newer := record("a", "test", "v2026.3.2", nil)
	newer.Exported = cur.Exported.Add(time.Hour)

	if _, err := Plan(root, "fleet", []Incoming{{"old.json", enc(older)}}, AddOptions{}); !errors.Is(err, ErrStale) {
		t.Errorf("older record: %v, want ErrStale", err)
	}
	if ps, err := Plan(root, "fleet", []Incoming{{"old.json", enc(older)}}, AddOptions{Force: true}); err != nil || !ps[0].Replaces {
		t.Errorf("older record with force: %+v, %v", ps, err)
	}
	if ps, err := Plan(root, "fleet", []Incoming{{"same.json", enc(cur)}}, AddOptions{}); err != nil || !ps[0].Same {
		t.Errorf("the same record: %+v, %v; want Same", ps, err)
	}
	ps, err := Plan(root, "fleet", []Incoming{{"new.json", enc(newer)}, {"b.json", enc(record("b", "staging", "v2026.3.0", nil))}}, AddOptions{Product: "inventory"})
	if err != nil || len(ps) != 2 || ps[0].Same || ps[1].Path != "fleet/b/staging.json" {
		t.Errorf("newer records: %+v, %v", ps, err)
	}
	if _, err := Plan(root, "fleet", []Incoming{{"new.json", enc(newer)}}, AddOptions{Product: "billing"}); !errors.Is(err, ErrRefused) {
		t.Errorf("another product: %v, want ErrRefused", err)
	}
	if _, err := Plan(root, "fleet", []Incoming{{"x.json", []byte(`{"schema":1,`)}}, AddOptions{}); !errors.Is(err, rollout.ErrBadRecord) || !strings.HasPrefix(err.Error(), "x.json: ") {
		t.Errorf("truncated: %v, want ErrBadRecord naming x.json", err)
	}
	if msg := CommitMessage(ps); !strings.HasPrefix(msg, "fleet: file 2 delivery records\n\nfleet/a/test.json: a test at v2026.3.2, 0 patches, exported ") {
		t.Errorf("commit message:\n%s", msg)
	}
}

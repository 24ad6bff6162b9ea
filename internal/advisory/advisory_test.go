package advisory_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/patchline/patchline/internal/advisory"
	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/repotest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const goMod = "module example.com/inventory\n\ngo 1.26\n"

// patch is one manifest of the test product.
type patch struct {
	id, title, base, kind, severity string
	also, cves                      []string
	knownIssues                     string
}

func (p patch) files() map[string]string {
	m := &manifest.Manifest{Schema: 1, ID: p.id, Title: p.title, Base: p.base, Also: p.also, Kind: p.kind, Severity: p.severity,
		Urgency: manifest.UrgencyScheduled, Modules: []string{"app"}, CVEs: p.cves,
		Reported: time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC),
		Summary:  "Summary of " + p.id + ": " + p.title + ".", Risk: manifest.RiskLow, Rollback: "patchline rollback " + p.id,
		KnownIssues: p.knownIssues}
	dir := "patches/" + p.id + "/"
	return map[string]string{dir + "patch.toml": string(m.Encode()), dir + "patch.diff": "diff --git a/app.go b/app.go\n"}
}

// product builds the repository every test reads: two release lines, each
// with its maintenance branch, and the patches merged on them.
//
//	v2026.2: v2026.2.0, v2026.2.1 (PL-0002's backport)
//	v2026.3: v2026.3.0, v2026.3.1 (PL-0001), v2026.3.2 (PL-0002), v2026.3.3 (PL-0003, a fix),
//	         v2026.3.4 (PL-0005, also v2026.2.0, not backported); PL-0004 merged, not tagged;
//	         PL-0007 merged by hand with a manifest that does not decode
//	patch/PL-2026-0006: open, not merged
func product(t *testing.T) *repotest.Repo {
	t.Helper()
	r := repotest.New(t)
	v2 := r.Commit("inventory v2026.2.0", map[string]string{"go.mod": goMod, "app.go": "package app\n"})
	r.Tag("v2026.2.0")
	r.Branch("release/v2026.2", v2)
	v3 := r.Commit("inventory v2026.3.0", map[string]string{"app.go": "package app // 3\n"})
	r.Tag("v2026.3.0")
	r.Branch("release/v2026.3", v3)
	r.Branch("patch/PL-2026-0006", v3)

	merge := func(p patch) { t.Helper(); r.Commit("Merge patch/"+p.id, p.files()) }
	r.Switch("release/v2026.3")
	merge(patch{id: "PL-2026-0001", title: "Session tokens are logged", base: "v2026.3.0", kind: "security", severity: "critical",
		cves: []string{"CVE-2026-1001"}})
	r.Tag("v2026.3.1")
	merge(patch{id: "PL-2026-0002", title: "Import follows symlinks out of its folder", base: "v2026.3.1", kind: "security", severity: "important",
		also: []string{"v2026.2.0"}, cves: []string{"CVE-2026-2001", "CVE-2026-2002"}, knownIssues: "Imports that relied on links must copy the files."})
	r.Tag("v2026.3.2")
	merge(patch{id: "PL-2026-0003", title: "Export rounds prices", base: "v2026.3.2", kind: "fix", severity: "low"})
	r.Tag("v2026.3.3")
	merge(patch{id: "PL-2026-0005", title: "Admin page lacks CSRF token", base: "v2026.3.3", kind: "security", severity: "moderate",
		also: []string{"v2026.2.0"}})
	r.Tag("v2026.3.4")
	merge(patch{id: "PL-2026-0004", title: "Debug endpoint open", base: "v2026.3.4", kind: "security", severity: "low", cves: []string{"CVE-2026-4001"}})

	r.Switch("release/v2026.2")
	merge(patch{id: "PL-2026-0002", title: "Import follows symlinks out of its folder", base: "v2026.2.0", kind: "security", severity: "important",
		cves: []string{"CVE-2026-2001", "CVE-2026-2002"}, knownIssues: "Imports that relied on links must copy the files."})
	r.Tag("v2026.2.1")
	r.Switch("release/v2026.3")
	r.Commit("Merge patch/PL-2026-0007 by hand", map[string]string{"patches/PL-2026-0007/patch.toml": "schema = 1\nid = 7\n"})
	r.Switch("main")
	return r
}

const productConfig = `[project]
name = "inventory"
github = "acme/inventory"
[modules]
app = ["**"]
`

func historyOf(t testing.TB, r *repotest.Repo, cfgText string) *history.History {
	t.Helper()
	cfg, err := config.Decode(config.FileName, []byte(cfgText))
	if err != nil {
		t.Fatal(err)
	}
	h, err := history.New(&registry.Registry{Repo: r.Repo, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// describe writes what an advisory says of its lines in one line each.
func describe(a *advisory.Advisory) string {
	var b strings.Builder
	for _, l := range a.Lines {
		fmt.Fprintf(&b, "%s %s %s affected=%s fixed=%s", l.Name, l.State, l.Package.PURL, tags(l.Affected), tags(l.Fixed))
		if l.Fix != nil {
			fmt.Fprintf(&b, " fix=%s", l.Fix.Tag)
		}
		if l.Base != "" {
			fmt.Fprintf(&b, " base=%s", l.Base)
		}
		b.WriteString("\n")
	}
	for _, r := range a.Revisions {
		fmt.Fprintf(&b, "revision %d %s %s\n", r.Number, r.Date.Format(time.RFC3339), r.Summary)
	}
	fmt.Fprintf(&b, "final=%v\n", a.Final)
	return b.String()
}

func tags(rs []advisory.Release) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.Tag)
	}
	return strings.Join(s, ",")
}

// TestBuild: on each line the patch reached, the releases before the tag
// that first carries the fix are affected; a line it names but has not
// reached is affected throughout; each fix is a revision at its tag's time.
func TestBuild(t *testing.T) {
	t.Parallel()
	h := historyOf(t, product(t), productConfig)
	tests := []struct {
		id, want string
	}{
		{"PL-2026-0001", `v2026.3 released pkg:golang/example.com/inventory affected=v2026.3.0 fixed=v2026.3.1 fix=v2026.3.1 base=v2026.3.0
revision 1 2026-01-01T09:06:00Z Fixed in v2026.3.1 (line v2026.3).
final=true
`},
		// Backported: the older line's fix is a second revision, and the
		// v2026.3 releases tagged after the first (v2026.3.3, …) are not
		// listed until then, the backport's.
		{"PL-2026-0002", `v2026.2 released pkg:golang/example.com/inventory affected=v2026.2.0 fixed=v2026.2.1 fix=v2026.2.1 base=v2026.2.0
v2026.3 released pkg:golang/example.com/inventory affected=v2026.3.0,v2026.3.1 fixed=v2026.3.2,v2026.3.3,v2026.3.4 fix=v2026.3.2 base=v2026.3.1
revision 1 2026-01-01T09:08:00Z Fixed in v2026.3.2 (line v2026.3).
revision 2 2026-01-01T09:15:00Z Fixed in v2026.2.1 (line v2026.2).
final=true
`},
		// also names v2026.2.0, and no release of v2026.2 carries it: interim.
		{"PL-2026-0005", `v2026.2 pending pkg:golang/example.com/inventory affected=v2026.2.0 fixed=
v2026.3 released pkg:golang/example.com/inventory affected=v2026.3.0,v2026.3.1,v2026.3.2,v2026.3.3 fixed=v2026.3.4 fix=v2026.3.4 base=v2026.3.3
revision 1 2026-01-01T09:12:00Z Fixed in v2026.3.4 (line v2026.3).
final=false
`},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			a, err := advisory.Build(h, tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if got := describe(a); got != tt.want {
				t.Errorf("Build(%s):\ngot:\n%s\nwant:\n%s", tt.id, got, tt.want)
			}
		})
	}
}

// TestBuildRefuses: what is not an advisory says why and what to do, with
// an error the command maps to its exit status.
func TestBuildRefuses(t *testing.T) {
	t.Parallel()
	h := historyOf(t, product(t), productConfig)
	tests := []struct {
		id   string
		is   error
		want string
	}{
		{"PL-2026-0003", advisory.ErrNotSecurity, `not a security patch: PL-2026-0003 is kind "fix" and names no CVE; advisories are for kind = "security" or patches with cves`},
		{"PL-2026-0004", advisory.ErrNotReleased, "not released: PL-2026-0004 is merged on release/v2026.3 but no release tag carries it yet: tag the line's next patch-level release"},
		{"PL-2026-0006", advisory.ErrNotReleased, "not released: PL-2026-0006 is not merged on any release line yet (it is on branch patch/PL-2026-0006)"},
		{"PL-2026-0007", advisory.ErrBadManifest, "manifest does not decode: release/v2026.3@"},
		{"PL-2026-0099", registry.ErrUnknownPatch, "unknown patch PL-2026-0099: no branch patch/PL-2026-0099 and no patches/PL-2026-0099 on any release line"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			_, err := advisory.Build(h, tt.id)
			if !errors.Is(err, tt.is) || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Build(%s) = %v\nwant %v containing %q", tt.id, err, tt.is, tt.want)
			}
		})
	}
}

// TestDocuments writes every case in every format: twice, to the same
// bytes; valid against the format's official schema; and as the
// hand-checked golden file says.
func TestDocuments(t *testing.T) {
	t.Parallel()
	r := product(t)
	withPURL := strings.Replace(productConfig, "[modules]", "[advisory]\npurl = \"pkg:generic/acme/inventory\"\npublisher = \"ACME Corp\"\nnamespace = \"https://acme.example/security\"\n[modules]", 1)
	noGitHub := strings.Replace(productConfig, "github = \"acme/inventory\"\n", "[advisory]\nnamespace = \"https://acme.example\"\n", 1)
	tests := []struct {
		name, id, config string
	}{
		{"one_line", "PL-2026-0001", productConfig},
		{"backport_several_cves", "PL-2026-0002", productConfig},
		{"interim_no_cve", "PL-2026-0005", productConfig},
		{"generic_product", "PL-2026-0001", withPURL},
		{"no_github", "PL-2026-0002", noGitHub},
	}
	schemas := loadSchemas(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := historyOf(t, r, tt.config)
			for _, f := range advisory.Formats {
				t.Run(string(f), func(t *testing.T) {
					a, err := advisory.Build(h, tt.id)
					if err != nil {
						t.Fatal(err)
					}
					got, err := a.Encode(f)
					if err != nil {
						t.Fatal(err)
					}
					// A second history of the same repository, read afresh.
					b, err := advisory.Build(historyOf(t, r, tt.config), tt.id)
					if err != nil {
						t.Fatal(err)
					}
					again, err := b.Encode(f)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, again) {
						t.Errorf("two runs differ:\n%s\nthen:\n%s", got, again)
					}
					schemas.validate(t, f, got)
					golden(t, got)
				})
			}
		})
	}
}

func golden(t *testing.T, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", filepath.FromSlash(t.Name())+".golden")
	if *update {
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

// TestInRelease: a release publishes the advisories of the security
// patches it is the first release of on its line.
func TestInRelease(t *testing.T) {
	t.Parallel()
	h := historyOf(t, product(t), productConfig)
	for tag, want := range map[string][]string{
		"v2026.3.0": nil, // a quarterly release opens its line
		"v2026.3.1": {"PL-2026-0001"},
		"v2026.3.2": {"PL-2026-0002"},
		"v2026.3.3": nil, // a fix
		"v2026.3.4": {"PL-2026-0005"},
		"v2026.2.1": {"PL-2026-0002"},
	} {
		tg, err := h.Tags.ReleaseTag(tag)
		if err != nil {
			t.Fatal(err)
		}
		got, problems, err := advisory.InRelease(h, tg)
		if err != nil || len(problems) > 0 {
			t.Fatalf("InRelease(%s): %v %v", tag, err, problems)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("InRelease(%s) = %q, want %q", tag, got, want)
		}
	}
}

func TestPath(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		f        advisory.Format
		id, want string
	}{
		{advisory.OSV, "PL-2026-0007", "advisories/osv/PL-2026-0007.json"},
		{advisory.CSAF, "PL-2026-0007", "advisories/csaf/pl-2026-0007.json"},
		{advisory.CSAF, "ACME_X-2026-0001", "advisories/csaf/acme_x-2026-0001.json"},
		{advisory.OpenVEX, "PL-2026-0007", "advisories/openvex/PL-2026-0007.json"},
	} {
		if got := advisory.Path(tt.f, tt.id); got != tt.want {
			t.Errorf("Path(%s, %s) = %s, want %s", tt.f, tt.id, got, tt.want)
		}
	}
}

// TestBuildRevisions: a later edit of the manifest the advisory is read
// from is a revision, and so is a release that takes the fix out again:
// its line is affected again from that release on, and the advisory is
// interim until the line fixes it again.
func TestBuildRevisions(t *testing.T) {
	t.Parallel()
	r := repotest.New(t)
	v2 := r.Commit("inventory v2026.2.0", map[string]string{"go.mod": goMod, "app.go": "package app\n"})
	r.Tag("v2026.2.0")
	r.Branch("release/v2026.2", v2)
	v3 := r.Commit("inventory v2026.3.0", map[string]string{"app.go": "package app // 3\n"})
	r.Tag("v2026.3.0")
	r.Branch("release/v2026.3", v3)

	p := patch{id: "PL-2026-0001", title: "Session tokens are logged", base: "v2026.3.0", kind: "security", severity: "critical",
		also: []string{"v2026.2.0"}, cves: []string{"CVE-2026-1001"}}
	r.Switch("release/v2026.3")
	r.Commit("Merge patch/PL-2026-0001", p.files())
	r.Tag("v2026.3.1") // 09:06
	r.Switch("release/v2026.2")
	back := p
	back.base, back.also = "v2026.2.0", nil
	r.Commit("Merge patch/PL-2026-0001@v2026.2", back.files())
	r.Tag("v2026.2.1") // 09:08
	back.knownIssues = "Logs written before the upgrade still hold tokens: rotate them."
	edit := r.Commit("PL-2026-0001: known issues", back.files()) // 09:09
	r.Tag("v2026.2.2")
	r.Switch("release/v2026.3")
	r.Remove("patches/PL-2026-0001")
	r.Commit("Revert \"Merge patch/PL-2026-0001\"\n\nThis reverts commit 0000000000000000000000000000000000000000.", nil)
	r.Tag("v2026.3.2") // 09:12
	r.Switch("main")

	a, err := advisory.Build(historyOf(t, r, productConfig), "PL-2026-0001")
	if err != nil {
		t.Fatal(err)
	}
	want := `v2026.2 released pkg:golang/example.com/inventory affected=v2026.2.0 fixed=v2026.2.1,v2026.2.2 fix=v2026.2.1 base=v2026.2.0
v2026.3 released pkg:golang/example.com/inventory affected=v2026.3.0,v2026.3.2 fixed=v2026.3.1 fix=v2026.3.1 base=v2026.3.0
revision 1 2026-01-01T09:06:00Z Fixed in v2026.3.1 (line v2026.3).
revision 2 2026-01-01T09:08:00Z Fixed in v2026.2.1 (line v2026.2).
revision 3 2026-01-01T09:09:00Z Updated: the manifest changed on v2026.2 (` + edit.String()[:12] + `).
revision 4 2026-01-01T09:12:00Z v2026.3.2 no longer carries the fix (line v2026.3): affected again.
final=false
`
	if got := describe(a); got != want {
		t.Errorf("Build:\ngot:\n%s\nwant:\n%s", got, want)
	}
	if a.KnownIssues != back.knownIssues {
		t.Errorf("KnownIssues = %q, want the edited manifest's", a.KnownIssues)
	}
	data, err := a.OSV()
	if err != nil {
		t.Fatal(err)
	}
	loadSchemas(t).validate(t, advisory.OSV, data)
	wantEvents := `"introduced": "2026.2.0"},{"fixed": "2026.2.1"},{"introduced": "2026.3.0"},{"fixed": "2026.3.1"},{"introduced": "2026.3.2"}`
	if got := strings.Join(strings.Fields(string(data)), ""); !strings.Contains(got, strings.Join(strings.Fields(wantEvents), "")) {
		t.Errorf("OSV events: want %s in\n%s", wantEvents, data)
	}
}

// TestProductAndPublisherNamed: a product without go.mod needs [advisory]
// purl, and CSAF and OpenVEX need the publisher's URL; the errors say so.
func TestProductAndPublisherNamed(t *testing.T) {
	t.Parallel()
	r := repotest.New(t)
	v3 := r.Commit("inventory v2026.3.0", map[string]string{"main.c": "int main(void) { return 0; }\n"})
	r.Tag("v2026.3.0")
	r.Branch("release/v2026.3", v3)
	r.Switch("release/v2026.3")
	r.Commit("Merge patch/PL-2026-0001", patch{id: "PL-2026-0001", title: "Overflow", base: "v2026.3.0", kind: "security", severity: "critical"}.files())
	r.Tag("v2026.3.1")
	r.Switch("main")

	noGitHub := "[project]\nname = \"inventory\"\n[modules]\napp = [\"**\"]\n"
	_, err := advisory.Build(historyOf(t, r, noGitHub), "PL-2026-0001")
	if !errors.Is(err, advisory.ErrNoProduct) || !strings.Contains(err.Error(), `v2026.3.1 has no go.mod at its root: set [advisory] purl in .patchline.toml`) {
		t.Errorf("Build without go.mod = %v, want ErrNoProduct naming [advisory] purl", err)
	}
	a, err := advisory.Build(historyOf(t, r, noGitHub+"[advisory]\npurl = \"pkg:generic/acme/inventory\"\n"), "PL-2026-0001")
	if err != nil {
		t.Fatal(err)
	}
	if a.Publisher.Name != "inventory" {
		t.Errorf("publisher = %q, want [project] name without [project] github", a.Publisher.Name)
	}
	if _, err := a.OSV(); err != nil {
		t.Errorf("OSV needs no publisher URL: %v", err)
	}
	for _, f := range []advisory.Format{advisory.CSAF, advisory.OpenVEX} {
		if _, err := a.Encode(f); !errors.Is(err, advisory.ErrNoNamespace) || !strings.Contains(err.Error(), "set [advisory] namespace") {
			t.Errorf("%s without a namespace: %v, want ErrNoNamespace naming [advisory] namespace", f, err)
		}
	}
}

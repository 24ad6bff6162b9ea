package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchline/patchline"
	"github.com/patchline/patchline/internal/bundle"
	"github.com/patchline/patchline/internal/config"
	mf "github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/patchdiff"
	"github.com/patchline/patchline/internal/pipeline"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/repotest"
	"github.com/patchline/patchline/internal/textsafe"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", t.Name()+".golden")
	if *update {
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

// guideMeta is a cumulative bundle's metadata with a health check and a
// rollout policy, as a build fills them.
func guideMeta(platform string) *bundle.Meta {
	return &bundle.Meta{
		Product: "inventory", Patch: "PL-2026-0007", Platform: platform,
		Base:    bundle.Ref{Tag: "v2026.3.0", Commit: strings.Repeat("a", 40)},
		Target:  bundle.Ref{Tag: "v2026.3.3", Commit: strings.Repeat("b", 40)},
		Created: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC),
		Urgency: "emergency", Requires: []string{"PL-2026-0004"},
		Includes:    []string{"PL-2026-0004", "PL-2026-0005", "PL-2026-0007"},
		HealthCheck: &bundle.HealthCheck{Command: "./inventory --self-test"},
		Rollout:     &bundle.Rollout{RequireTest: true, Freeze: []string{"Fri 18:00-Mon 06:00"}},
	}
}

func guideManifest() *mf.Manifest {
	return &mf.Manifest{
		Schema: 1, ID: "PL-2026-0007", Title: "Importer drops rows with a byte-order mark", Base: "v2026.3.2",
		Kind: "security", Severity: "critical", Urgency: "emergency", Modules: []string{"importer"},
		Cases: []string{"CS-10442", "CS-10450"}, CVEs: []string{"CVE-2026-12345"},
		Summary:     "Rows that start with a BOM are no longer dropped.\nImports of **UTF-8** files with a BOM keep every row.",
		Risk:        "low",
		Rollback:    "Roll the patch back; the importer drops BOM rows again until the next release.",
		Requires:    []string{"PL-2026-0003", "PL-2026-0004", "PL-2026-0006"},
		KnownIssues: "The first import after the patch rebuilds the index:\nallow a minute for large files.",
		Services:    []string{"inventory.service", "inventory-worker.service"},
	}
}

var guidePrereqs = []pipeline.Prerequisite{
	{ID: "PL-2026-0003", Status: pipeline.PrereqInBase},
	{ID: "PL-2026-0004", Status: pipeline.PrereqIncluded},
	{ID: "PL-2026-0006", Status: pipeline.PrereqInstallFirst},
}

func builtinGuide(t *testing.T) string {
	t.Helper()
	text, err := patchline.Template("", pipeline.GuideTemplate)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// TestGuide renders the built-in guide of a cumulative emergency bundle for
// Linux with prerequisites, services, a health check and freeze windows.
func TestGuide(t *testing.T) {
	t.Parallel()
	md, err := pipeline.RenderGuide(builtinGuide(t), pipeline.NewGuide(guideMeta("linux/amd64"), guideManifest(), guidePrereqs))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, []byte(md))
}

// TestGuideWindows: a plain bundle of a patch that needs nothing, for
// Windows: PowerShell, Windows paths, and the sections that say "none".
func TestGuideWindows(t *testing.T) {
	t.Parallel()
	meta := guideMeta("windows/amd64")
	meta.Target.Tag, meta.Urgency, meta.Requires, meta.Includes, meta.HealthCheck, meta.Rollout = "v2026.3.1", "scheduled", nil, nil, nil, nil
	m := guideManifest()
	m.Kind, m.Severity, m.Urgency, m.Cases, m.CVEs, m.Requires, m.KnownIssues = "fix", "moderate", "scheduled", nil, nil, nil, ""
	m.Services = []string{"Inventory"}
	md, err := pipeline.RenderGuide(builtinGuide(t), pipeline.NewGuide(meta, m, nil))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, []byte(md))
}

// TestGuideHTML turns the Linux guide into its HTML page.
func TestGuideHTML(t *testing.T) {
	t.Parallel()
	md, err := pipeline.RenderGuide(builtinGuide(t), pipeline.NewGuide(guideMeta("linux/amd64"), guideManifest(), guidePrereqs))
	if err != nil {
		t.Fatal(err)
	}
	page, err := pipeline.GuideHTML(md)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, page)
}

// TestGuideHTMLEscapes: whatever a guide holds, the page runs no script,
// loads nothing and prints no raw control character.
func TestGuideHTMLEscapes(t *testing.T) {
	t.Parallel()
	md := "# <script>alert(1)</script>\n\nA \x1b[2J paragraph with `<b>code</b>` and **<i>bold</i>** and a \u202e bidi override.\n\n" +
		"| a | <img src=x onerror=alert(1)> |\n|---|---|\n| `x` | y |\n\n```sh\necho \"</code></pre><script>x</script>\"\n```\n\n- <a href=\"javascript:x\">item</a>\n"
	page, err := pipeline.GuideHTML(md)
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	for _, bad := range []string{"<script", "<img", "<a ", "<b>", "<i>", "\x1b", "\u202e"} {
		if strings.Contains(s, bad) {
			t.Errorf("the page holds %q:\n%s", bad, s)
		}
	}
	if textsafe.CountControl(s, true) > 0 {
		t.Errorf("the page holds control characters:\n%q", s)
	}
	for _, want := range []string{"<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>", `<code>&lt;b&gt;code&lt;/b&gt;</code>`, `\x1b[2J`, `\u202e`, "<th>&lt;img src=x onerror=alert(1)&gt;</th>"} {
		if !strings.Contains(s, want) {
			t.Errorf("the page lacks %q:\n%s", want, s)
		}
	}
}

func TestParseGuide(t *testing.T) {
	t.Parallel()
	text := func(s string) []pipeline.Span { return []pipeline.Span{{Text: s}} }
	tests := []struct {
		name string
		md   string
		want []pipeline.Block
	}{
		{"heading and paragraph", "## Steps ##\nfirst line\nsecond line\n", []pipeline.Block{
			{Kind: "heading", Level: 2, Spans: text("Steps")},
			{Kind: "p", Spans: text("first line second line")}}},
		{"inline", "a `b*c` **d** e**f `g", []pipeline.Block{
			{Kind: "p", Spans: []pipeline.Span{{Text: "a "}, {Kind: "code", Text: "b*c"}, {Text: " "}, {Kind: "strong", Text: "d"}, {Text: " e**f `g"}}}}},
		{"list with a continued item", "- one\n  more\n- two\n1. three\n", []pipeline.Block{
			{Kind: "ul", Items: [][]pipeline.Span{{{Text: "one"}, {Text: " "}, {Text: "more"}}, text("two")}},
			{Kind: "ol", Items: [][]pipeline.Span{text("three")}}}},
		{"code keeps its lines", "```sh\n  a  \n\n# b\n```\nafter", []pipeline.Block{
			{Kind: "pre", Lang: "sh", Text: "  a  \n\n# b"},
			{Kind: "p", Spans: text("after")}}},
		{"unclosed fence", "```\nx", []pipeline.Block{{Kind: "pre", Text: "x"}}},
		{"table", "| a | b |\n|---|:-:|\n| c | `d` |\n", []pipeline.Block{
			{Kind: "table", Head: [][]pipeline.Span{text("a"), text("b")}, Rows: [][][]pipeline.Span{{text("c"), {{Kind: "code", Text: "d"}}}}}}},
		{"table without a head", "| a |\n| b |", []pipeline.Block{
			{Kind: "table", Rows: [][][]pipeline.Span{{text("a")}, {text("b")}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := pipeline.ParseGuide(tt.md); !equalBlocks(got, tt.want) {
				t.Errorf("ParseGuide(%q):\ngot  %+v\nwant %+v", tt.md, got, tt.want)
			}
		})
	}
}

func equalBlocks(a, b []pipeline.Block) bool {
	return slices.EqualFunc(a, b, func(x, y pipeline.Block) bool {
		return x.Kind == y.Kind && x.Level == y.Level && x.Lang == y.Lang && x.Text == y.Text &&
			slices.Equal(x.Spans, y.Spans) && slices.EqualFunc(x.Items, y.Items, slices.Equal) &&
			slices.EqualFunc(x.Head, y.Head, slices.Equal) &&
			slices.EqualFunc(x.Rows, y.Rows, func(r, s [][]pipeline.Span) bool { return slices.EqualFunc(r, s, slices.Equal) })
	})
}

func TestRenderGuideErrors(t *testing.T) {
	t.Parallel()
	g := pipeline.NewGuide(guideMeta("linux/amd64"), guideManifest(), nil)
	for _, tmpl := range []string{"{{.Patch", "{{.NoSuchField}}", "{{\"\\xff\"}}", strings.Repeat("x", bundle.MaxGuideSize+1)} {
		if _, err := pipeline.RenderGuide(tmpl, g); !errors.Is(err, pipeline.ErrGuideTemplate) {
			t.Errorf("RenderGuide(%.20q) = %v, want ErrGuideTemplate", tmpl, err)
		}
	}
}

// TestBuildPrerequisites builds a patch of a line with two patches merged
// on it: a plain bundle needs nothing its base release holds, a
// cumulative one lists what it includes, and the guide comes from the main
// line's template when the repository has one.
func TestBuildPrerequisites(t *testing.T) {
	t.Parallel()
	r := repotest.New(t)
	prices := func(n int) string {
		return strings.Repeat("widget 10.00\n", 500) + strings.Repeat("gadget 1.00\n", n)
	}
	v0 := r.Commit("v1.0.0", map[string]string{".patchline.toml": cfgText, "prices.txt": prices(0)})
	r.Tag("v1.0.0")
	r.SwitchNew("release/v1.0", v0)
	for i, id := range []string{"PL-2026-0002", "PL-2026-0003"} {
		r.Commit(id, map[string]string{"prices.txt": prices(i + 1), "patches/" + id + "/patch.toml": "id = \"" + id + "\"\n"})
		r.Tag([]string{"v1.0.1", "v1.0.2"}[i])
	}
	_, v2, err := r.Repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	var diff bytes.Buffer
	if err := patchdiff.Write(&diff, []patchdiff.Change{{OldPath: "prices.txt", NewPath: "prices.txt",
		OldMode: patchdiff.ModeRegular, NewMode: patchdiff.ModeRegular, OldData: []byte(prices(2)), NewData: []byte(prices(3))}}); err != nil {
		t.Fatal(err)
	}
	r.SwitchNew("patch/PL-2026-0001", v2)
	m := strings.Replace(manifest, `base = "v1.0.0"`, `base = "v1.0.2"`, 1) + `requires = ["PL-2026-0002", "PL-2026-0009"]` + "\n"
	r.Commit("PL-2026-0001", map[string]string{
		"prices.txt":                      prices(3),
		"patches/PL-2026-0001/patch.toml": m,
		"patches/PL-2026-0001/patch.diff": diff.String(),
	})
	r.Switch("main")

	cfg, err := config.Decode(".patchline.toml", []byte(cfgText))
	if err != nil {
		t.Fatal(err)
	}
	reg := &registry.Registry{Repo: r.Repo, Config: cfg}
	build := func(from string) bundle.Meta {
		t.Helper()
		p, err := reg.Load("PL-2026-0001")
		if err != nil {
			t.Fatal(err)
		}
		tags, err := reg.LoadTags()
		if err != nil {
			t.Fatal(err)
		}
		base, _ := tags.ReleaseTag("v1.0.2")
		fromTag, _ := tags.ReleaseTag(from)
		s := &pipeline.State{Repo: r.Repo, Config: cfg, Patch: p, Out: t.TempDir(), Work: t.TempDir(), Log: io.Discard,
			Getenv: func(string) string { return "1790000000" }, Version: "test", Platform: []string{"linux/amd64"},
			FromTag: fromTag, BaseTag: base, Source: p.Branch.Commit}
		if err := pipeline.Run(context.Background(), pipeline.Build, s); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(s.Bundles[0])
		if err != nil {
			t.Fatal(err)
		}
		b, err := bundle.Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		return b.Meta
	}

	plain := build("v1.0.2")
	if !slices.Equal(plain.Requires, []string{"PL-2026-0009"}) || plain.Includes != nil || plain.Urgency != "scheduled" {
		t.Errorf("plain bundle: requires %q, includes %q, urgency %q; want [PL-2026-0009], none, scheduled", plain.Requires, plain.Includes, plain.Urgency)
	}
	for _, want := range []string{"- PL-2026-0002: already in v1.0.2, the release this bundle applies to", "- PL-2026-0009: install it first", "patchline verify PL-2026-0001_v1.0.2_linux-amd64.plb --key cosign.pub", "Built | 2026-09-21 14:13 UTC"} {
		if !strings.Contains(plain.Guide, want) {
			t.Errorf("plain bundle's guide lacks %q:\n%s", want, plain.Guide)
		}
	}

	cumulative := build("v1.0.0")
	if !slices.Equal(cumulative.Requires, []string{"PL-2026-0002", "PL-2026-0009"}) || !slices.Equal(cumulative.Includes, []string{"PL-2026-0001", "PL-2026-0002", "PL-2026-0003"}) {
		t.Errorf("cumulative bundle: requires %q, includes %q", cumulative.Requires, cumulative.Includes)
	}
	for _, want := range []string{"- PL-2026-0002: brought by this cumulative bundle", "it takes v1.0.0 straight to v1.0.3", "brings PL-2026-0001, PL-2026-0002, PL-2026-0003."} {
		if !strings.Contains(cumulative.Guide, want) {
			t.Errorf("cumulative bundle's guide lacks %q:\n%s", want, cumulative.Guide)
		}
	}

	// The main line's template replaces the built-in one.
	r.Commit("our own guide", map[string]string{"templates/install-guide.md.tmpl": "# {{.Patch}} for {{.Platform}}, from {{.Base}}\n"})
	if got, want := build("v1.0.2").Guide, "# PL-2026-0001 for linux/amd64, from v1.0.2\n"; got != want {
		t.Errorf("guide from the repository's template = %q, want %q", got, want)
	}
}

package pipeline_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchline/patchline/internal/bundle"
	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/patchdiff"
	"github.com/patchline/patchline/internal/pipeline"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/repotest"
)

const cfgText = `[project]
name = "pricing"

[modules]
data = ["**"]

[build]
builder = "command"
command = "cp prices.txt $PATCHLINE_OUT/prices.txt"
platforms = ["linux/amd64", "linux/arm64"]
`

// TestBuild runs the build pipeline on a repository with the command
// builder: one bundle per platform, from the base tag to the next
// patch-level tag, carrying the product's tag pattern, and the same bytes
// when built again.
func TestBuild(t *testing.T) {
	t.Parallel()
	r := repotest.New(t)
	old := strings.Repeat("widget 10.00\n", 500)
	fixed := strings.Replace(old, "widget 10.00\n", "widget 12.50\n", 1)
	v0 := r.Commit("v1.0.0", map[string]string{".patchline.toml": cfgText, "prices.txt": old})
	r.Tag("v1.0.0")
	var diff bytes.Buffer
	if err := patchdiff.Write(&diff, []patchdiff.Change{{OldPath: "prices.txt", NewPath: "prices.txt",
		OldMode: patchdiff.ModeRegular, NewMode: patchdiff.ModeRegular, OldData: []byte(old), NewData: []byte(fixed)}}); err != nil {
		t.Fatal(err)
	}
	r.SwitchNew("patch/PL-2026-0001", v0)
	r.Commit("PL-2026-0001", map[string]string{
		"prices.txt":                      fixed,
		"patches/PL-2026-0001/patch.toml": manifest,
		"patches/PL-2026-0001/patch.diff": diff.String(),
	})
	r.Switch("main")

	cfg, err := config.Decode(".patchline.toml", []byte(cfgText))
	if err != nil {
		t.Fatal(err)
	}
	reg := &registry.Registry{Repo: r.Repo, Config: cfg}
	build := func() (map[string][]byte, []string) {
		p, err := reg.Load("PL-2026-0001")
		if err != nil {
			t.Fatal(err)
		}
		tags, err := reg.LoadTags()
		if err != nil {
			t.Fatal(err)
		}
		base, err := tags.ReleaseTag("v1.0.0")
		if err != nil {
			t.Fatal(err)
		}
		commit, err := r.Repo.Commit(p.Branch.Commit)
		if err != nil {
			t.Fatal(err)
		}
		s := &pipeline.State{Repo: r.Repo, Config: cfg, Patch: p, Out: t.TempDir(), Work: t.TempDir(), Log: io.Discard,
			Getenv: func(string) string { return "" }, Version: "test", Platform: cfg.Build.Platforms,
			FromTag: base, BaseTag: base, Source: p.Branch.Commit, SourceTime: commit.Committer.When}
		if err := pipeline.Run(context.Background(), pipeline.Build, s); err != nil {
			t.Fatal(err)
		}
		out := map[string][]byte{}
		for _, name := range s.Bundles {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			out[filepath.Base(name)] = data
		}
		return out, s.Bundles
	}
	first, names := build()
	if len(names) != 2 {
		t.Fatalf("bundles %v, want one per platform", names)
	}
	for _, plat := range []string{"linux-amd64", "linux-arm64"} {
		name := "PL-2026-0001_v1.0.0_" + plat + ".plb"
		data, ok := first[name]
		if !ok {
			t.Fatalf("no bundle %s among %v", name, names)
		}
		b, err := bundle.Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		m := b.Meta
		if m.Base.Tag != "v1.0.0" || m.Target.Tag != "v1.0.1" || m.TagPattern != config.DefaultTags || m.Patch != "PL-2026-0001" {
			t.Errorf("%s: base %s, target %s, pattern %q, patch %s", name, m.Base.Tag, m.Target.Tag, m.TagPattern, m.Patch)
		}
		if len(m.Files) != 1 || m.Files[0].Path != "prices.txt" || m.Files[0].Op != bundle.OpModify {
			t.Errorf("%s: files %+v, want prices.txt modified", name, m.Files)
		}
	}
	again, _ := build()
	for name, data := range first {
		if !bytes.Equal(again[name], data) {
			t.Errorf("%s: a second build gave other bytes", name)
		}
	}
}

const manifest = `schema = 1
id = "PL-2026-0001"
title = "Widget price"
base = "v1.0.0"
kind = "fix"
severity = "low"
urgency = "scheduled"
modules = ["data"]
reported = 2026-01-01T00:00:00Z
summary = "Widgets cost 12.50."
risk = "low"
rollback = "patchline rollback PL-2026-0001"
`

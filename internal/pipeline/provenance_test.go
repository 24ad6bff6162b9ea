package pipeline_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/patchline/patchline/internal/artifact"
	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/patchdiff"
	"github.com/patchline/patchline/internal/pipeline"
	"github.com/patchline/patchline/internal/provenance"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/repotest"
)

// patchedRepo is a release v1.0.0 of files and a patch branch that
// changes them to patched, ready for the build pipeline.
func patchedRepo(t *testing.T, files, patched map[string]string) func(allow bool) *pipeline.State {
	t.Helper()
	r := repotest.New(t)
	files[".patchline.toml"] = cfgText
	v0 := r.Commit("v1.0.0", files)
	r.Tag("v1.0.0")
	var changes []patchdiff.Change
	branch := map[string]string{"patches/PL-2026-0001/patch.toml": manifest}
	for name, data := range patched {
		changes = append(changes, patchdiff.Change{OldPath: name, NewPath: name, OldMode: patchdiff.ModeRegular, NewMode: patchdiff.ModeRegular,
			OldData: []byte(files[name]), NewData: []byte(data)})
		branch[name] = data
	}
	var diff bytes.Buffer
	if err := patchdiff.Write(&diff, changes); err != nil {
		t.Fatal(err)
	}
	branch["patches/PL-2026-0001/patch.diff"] = diff.String()
	r.SwitchNew("patch/PL-2026-0001", v0)
	r.Commit("PL-2026-0001", branch)
	r.Switch("main")
	cfg, err := config.Decode(".patchline.toml", []byte(cfgText))
	if err != nil {
		t.Fatal(err)
	}
	reg := &registry.Registry{Repo: r.Repo, Config: cfg}
	return func(allow bool) *pipeline.State {
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
		return &pipeline.State{Repo: r.Repo, Config: cfg, Patch: p, Out: t.TempDir(), Work: t.TempDir(), Log: io.Discard,
			Getenv: func(string) string { return "" }, Version: "test", Platform: cfg.Build.Platforms,
			FromTag: base, BaseTag: base, Source: p.Branch.Commit, SourceTime: commit.Committer.When,
			Provenance: pipeline.Provenance{SourceRef: p.Branch.Full, AllowToolchainChange: allow, Reason: "a Go security release"}}
	}
}

// A patch that moves go.mod's go or toolchain line changes the toolchain,
// record or not: refused, or recorded with the reason when allowed.
func TestSameToolchainGoMod(t *testing.T) {
	t.Parallel()
	state := patchedRepo(t,
		map[string]string{"prices.txt": "bolt 0.10\n", "go.mod": "module example.com/pricing\n\ngo 1.21 // the language version\n"},
		map[string]string{"prices.txt": "bolt 0.12\n", "go.mod": "module example.com/pricing\n\ngo 1.22\n\ntoolchain go1.22.0\n"})
	steps := []pipeline.Step{pipeline.Checkout{}, pipeline.SameToolchain{}}
	want := []string{"go.mod go: 1.21 at v1.0.0, 1.22 in the patch", "go.mod toolchain: none at v1.0.0, go1.22.0 in the patch"}

	err := pipeline.Run(context.Background(), steps, state(false))
	if !errors.Is(err, artifact.ErrChanged) {
		t.Fatalf("Run = %v, want ErrChanged", err)
	}
	for _, w := range append(want, "--allow-toolchain-change --reason TEXT") {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	s := state(true)
	if err := pipeline.Run(context.Background(), steps, s); err != nil {
		t.Fatal(err)
	}
	if c := s.Provenance.Change; c == nil || c.Reason != "a Go security release" || strings.Join(c.Changes, "|") != strings.Join(want, "|") {
		t.Errorf("change %+v, want %q for the reason", c, want)
	}
}

// Every bundle gets a statement of its bytes, the same bytes from the same
// inputs.
func TestBuildProvenance(t *testing.T) {
	t.Parallel()
	state := patchedRepo(t, map[string]string{"prices.txt": strings.Repeat("bolt 0.10\n", 100)},
		map[string]string{"prices.txt": strings.Repeat("bolt 0.12\n", 100)})
	build := func() map[string][]byte {
		s := state(false)
		if err := pipeline.Run(context.Background(), pipeline.Build, s); err != nil {
			t.Fatal(err)
		}
		if len(s.Provenance.Statements) != len(s.Bundles) || len(s.Bundles) != 2 {
			t.Fatalf("statements %v for bundles %v", s.Provenance.Statements, s.Bundles)
		}
		out := map[string][]byte{}
		for i, name := range s.Provenance.Statements {
			if name != s.Bundles[i]+provenance.StatementSuffix {
				t.Errorf("statement %s is not beside %s", name, s.Bundles[i])
			}
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			st, _, err := provenance.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			sum, err := os.ReadFile(s.Bundles[i])
			if err != nil {
				t.Fatal(err)
			}
			if _, got, _ := provenance.SubjectSHA256(st); got != sha256Hex(sum) {
				t.Errorf("%s: subject sha256 %s, the bundle's is %s", name, got, sha256Hex(sum))
			}
			out[name[strings.LastIndex(name, "/")+1:]] = data
		}
		return out
	}
	first, again := build(), build()
	for name, data := range first {
		if !bytes.Equal(again[name], data) {
			t.Errorf("%s: a second build gave another statement", name)
		}
	}
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

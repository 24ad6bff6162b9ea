package validate_test

import (
	"bytes"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/patchdiff"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/repotest"
	"github.com/patchline/patchline/internal/validate"
)

const testConfig = `[project]
name = "inventory"

[modules]
importer = ["importer/**"]
cli = ["main.go"]

[sla]
critical = "48h"
`

func manifestFor(id, base, extra string) string {
	return `schema = 1
id = "` + id + `"
title = "importer fix"
base = "` + base + `"
kind = "fix"
severity = "critical"
urgency = "scheduled"
modules = ["importer"]
reported = 2026-01-01T00:00:00Z
summary = "importer fix"
risk = "low"
rollback = "patchline rollback ` + id + `"
` + extra
}

// product makes a repository with release v2026.3.0 and a main line that
// has moved on after it.
func product(t *testing.T) (*repotest.Repo, gitrepo.Hash) {
	r := repotest.New(t)
	tag := r.Commit("release", map[string]string{
		".patchline.toml":      testConfig,
		"main.go":              "package main\n",
		"importer/importer.go": "package importer\n\nfunc Parse() {}\n",
	})
	r.Tag("v2026.3.0")
	r.Branch("release/v2026.3", tag)
	r.Commit("main moves on", map[string]string{"main.go": "package main // v2026.4\n"})
	return r, tag
}

// cutPatch cuts patch/<id> at a commit, commits a fix, and records its diff
// in-process, as `patchline diff` does.
func cutPatch(t *testing.T, r *repotest.Repo, id string, at gitrepo.Hash, fix map[string]string, manifestExtra string) {
	t.Helper()
	r.SwitchNew("patch/"+id, at)
	r.Commit("fix", fix)
	_, tip, err := r.Repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	changes, err := r.Repo.Changes(at, tip, func(p string) bool { return strings.HasPrefix(p, "patches/") })
	if err != nil {
		t.Fatal(err)
	}
	var diff bytes.Buffer
	if err := patchdiff.Write(&diff, changes); err != nil {
		t.Fatal(err)
	}
	r.Commit("record", map[string]string{
		"patches/" + id + "/patch.toml": manifestFor(id, "v2026.3.0", manifestExtra),
		"patches/" + id + "/patch.diff": diff.String(),
	})
	r.Switch("main")
}

func run(t *testing.T, r *repotest.Repo, id string) []validate.Finding {
	t.Helper()
	cfg, err := config.Decode(".patchline.toml", []byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	reg := &registry.Registry{Repo: r.Repo, Config: cfg}
	p, err := reg.Load(id)
	if err != nil {
		t.Fatal(err)
	}
	v, err := validate.New(reg, time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := v.Check(p)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func codes(fs []validate.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// TestValidate runs the rules in-process on repositories made with go-git:
// validation needs no git binary.
func TestValidate(t *testing.T) {
	t.Parallel()
	fix := map[string]string{"importer/importer.go": "package importer\n\nfunc Parse() { /* fixed */ }\n"}
	tests := []struct {
		name  string
		setup func(t *testing.T, r *repotest.Repo, tag gitrepo.Hash)
		want  string // the codes found, in order
	}{
		{"clean patch", func(t *testing.T, r *repotest.Repo, tag gitrepo.Hash) {
			cutPatch(t, r, "PL-2026-0001", tag, fix, "")
		}, ""},
		{"cut from the main line's tip", func(t *testing.T, r *repotest.Repo, tag gitrepo.Hash) {
			_, tip, _ := r.Repo.Head()
			cutPatch(t, r, "PL-2026-0001", tip, fix, "")
		}, "PL132 PL142"},
		{"path outside the modules", func(t *testing.T, r *repotest.Repo, tag gitrepo.Hash) {
			cutPatch(t, r, "PL-2026-0001", tag, map[string]string{"main.go": "package main // fixed\n"}, "")
		}, "PL161"},
		{"unknown module", func(t *testing.T, r *repotest.Repo, tag gitrepo.Hash) {
			cutPatch(t, r, "PL-2026-0001", tag, fix, "")
			r.Switch("patch/PL-2026-0001")
			r.Commit("rename module", map[string]string{"patches/PL-2026-0001/patch.toml": strings.Replace(manifestFor("PL-2026-0001", "v2026.3.0", ""), `["importer"]`, `["importer", "imports"]`, 1)})
			r.Switch("main")
		}, "PL160"},
		{"diff drifted from the branch", func(t *testing.T, r *repotest.Repo, tag gitrepo.Hash) {
			cutPatch(t, r, "PL-2026-0001", tag, fix, "")
			r.Switch("patch/PL-2026-0001")
			r.Commit("more fixing", map[string]string{"importer/importer.go": "package importer\n\nfunc Parse() { /* fixed twice */ }\n"})
			r.Switch("main")
		}, "PL142"},
		{"id does not match its folder", func(t *testing.T, r *repotest.Repo, tag gitrepo.Hash) {
			cutPatch(t, r, "PL-2026-0001", tag, fix, "")
			r.Switch("patch/PL-2026-0001")
			r.Commit("wrong id", map[string]string{"patches/PL-2026-0001/patch.toml": manifestFor("PL-2026-0009", "v2026.3.0", "")})
			r.Switch("main")
		}, "PL110"},
		{"emergency without justification and an unknown key", func(t *testing.T, r *repotest.Repo, tag gitrepo.Hash) {
			cutPatch(t, r, "PL-2026-0001", tag, fix, "")
			r.Switch("patch/PL-2026-0001")
			bad := strings.Replace(manifestFor("PL-2026-0001", "v2026.3.0", "colour = \"red\"\n"), `"scheduled"`, `"emergency"`, 1)
			r.Commit("bad manifest", map[string]string{"patches/PL-2026-0001/patch.toml": bad})
			r.Switch("main")
		}, "PL101 PL106"},
		{"stale base", func(t *testing.T, r *repotest.Repo, tag gitrepo.Hash) {
			cutPatch(t, r, "PL-2026-0001", tag, fix, "")
			r.Switch("release/v2026.3")
			r.Commit("another patch merged", map[string]string{"importer/other.go": "package importer\n"})
			r.Tag("v2026.3.1")
			r.Switch("main")
		}, "PL133"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, tag := product(t)
			tt.setup(t, r, tag)
			fs := run(t, r, "PL-2026-0001")
			var errs []validate.Finding
			for _, f := range fs {
				if f.Severity != validate.Notice {
					errs = append(errs, f)
				}
			}
			if got := codes(errs); got != tt.want {
				t.Errorf("codes = %q, want %q\n%v", got, tt.want, errs)
			}
		})
	}
}

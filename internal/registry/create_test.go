package registry_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/repotest"
)

// createRepo is a product with one release, v1.0.0, a commit on main after
// it, and the modules given under [modules].
func createRepo(t *testing.T, modules string) (*repotest.Repo, *registry.Registry, gitrepo.Tag) {
	t.Helper()
	r := repotest.New(t)
	r.Commit("v1.0.0", map[string]string{"app.go": "package app\n", "cli/main.go": "package main\n"})
	r.Tag("v1.0.0")
	r.Tag("nightly")
	r.Commit("after the release", map[string]string{"app.go": "package app // later\n"})
	cfg, err := config.Decode(".patchline.toml", []byte("[project]\nname = \"app\"\n[modules]\n"+modules))
	if err != nil {
		t.Fatal(err)
	}
	reg := &registry.Registry{Repo: r.Repo, Config: cfg}
	tags, err := reg.LoadTags()
	if err != nil {
		t.Fatal(err)
	}
	base, err := tags.ReleaseTag("v1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	return r, reg, base
}

// newPatch is a patch with every required field, made on 2027-03-01.
func newPatch(r *repotest.Repo, base gitrepo.Tag) registry.NewPatch {
	return registry.NewPatch{
		Base: base, Title: "CSV importer drops quoted commas",
		Kind: "fix", Severity: "moderate", Urgency: "scheduled", Risk: "medium",
		Now:      time.Date(2027, 3, 1, 12, 30, 15, 500, time.UTC),
		Identity: r.Signer(),
	}
}

// TestCreate: the branch is cut at the tag and holds one commit, the
// manifest; the id takes the year the patch is made, not the year of the
// report; the summary and rollback default; the only module is taken.
func TestCreate(t *testing.T) {
	t.Parallel()
	r, reg, base := createRepo(t, "app = [\"**\"]\n")
	in := newPatch(r, base)
	in.Reported = time.Date(2023, 2, 1, 9, 0, 0, 0, time.UTC)
	c, err := reg.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != "PL-2027-0001" || c.Branch != "patch/PL-2027-0001" || c.Manifest != "patches/PL-2027-0001/patch.toml" {
		t.Errorf("got id %s, branch %s, manifest %s; want PL-2027-0001, patch/PL-2027-0001, patches/PL-2027-0001/patch.toml", c.ID, c.Branch, c.Manifest)
	}
	if c.Base.Name != "v1.0.0" || c.Base.Commit != base.Commit {
		t.Errorf("got base %s at %s, want v1.0.0 at %s", c.Base.Name, c.Base.Commit, base.Commit)
	}
	if c.DefaultModule != "app" {
		t.Errorf("got default module %q, want app", c.DefaultModule)
	}

	head, at, err := r.Repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	if head != c.Branch || at != c.Commit {
		t.Errorf("HEAD is %s at %s, want %s at %s", head, at, c.Branch, c.Commit)
	}
	commit, err := r.Repo.Commit(c.Commit)
	if err != nil {
		t.Fatal(err)
	}
	if len(commit.ParentHashes) != 1 || commit.ParentHashes[0] != base.Commit {
		t.Errorf("got parents %v, want the tag's commit %s alone", commit.ParentHashes, base.Commit)
	}
	if want := "PL-2027-0001: open patch: CSV importer drops quoted commas\n\nPatch-Id: PL-2027-0001\n"; commit.Message != want {
		t.Errorf("got message %q, want %q", commit.Message, want)
	}
	changes, err := r.Repo.Changes(base.Commit, c.Commit, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1 {
		t.Errorf("got %d changed files, want the manifest alone: %v", len(changes), changes)
	}

	data, ok, err := r.Repo.ReadFile(c.Commit, c.Manifest)
	if err != nil || !ok {
		t.Fatalf("read %s: %v, found %v", c.Manifest, err, ok)
	}
	m, problems := manifest.Decode(c.Manifest, data)
	if len(problems) > 0 {
		t.Fatalf("the committed manifest does not decode: %v", problems)
	}
	checks := []struct{ field, got, want string }{
		{"id", m.ID, "PL-2027-0001"},
		{"base", m.Base, "v1.0.0"},
		{"summary", m.Summary, "CSV importer drops quoted commas"},
		{"rollback", m.Rollback, "patchline rollback PL-2027-0001 restores the previous files byte for byte"},
		{"modules", strings.Join(m.Modules, ","), "app"},
		{"reported", m.Reported.Format(time.RFC3339), "2023-02-01T09:00:00Z"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
}

// TestCreateDefaults: reported defaults to now, to the second; the given
// summary, rollback and modules are kept, and no module is defaulted.
func TestCreateDefaults(t *testing.T) {
	t.Parallel()
	r, reg, base := createRepo(t, "app = [\"app.go\"]\ncli = [\"cli/**\"]\n")
	in := newPatch(r, base)
	in.Summary, in.Rollback, in.Modules = "Quoted commas stay in their field.", "reinstall v1.0.0", []string{"cli"}
	c, err := reg.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	if c.DefaultModule != "" {
		t.Errorf("got default module %q with --module given", c.DefaultModule)
	}
	data, _, err := r.Repo.ReadFile(c.Commit, c.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	m, problems := manifest.Decode(c.Manifest, data)
	if len(problems) > 0 {
		t.Fatalf("the committed manifest does not decode: %v", problems)
	}
	if got, want := m.Reported, time.Date(2027, 3, 1, 12, 30, 15, 0, time.UTC); !got.Equal(want) {
		t.Errorf("reported = %s, want %s", got, want)
	}
	if m.Summary != in.Summary || m.Rollback != in.Rollback || strings.Join(m.Modules, ",") != "cli" {
		t.Errorf("got summary %q, rollback %q, modules %v; want what was given", m.Summary, m.Rollback, m.Modules)
	}
}

// TestCreateRefuses: bad input is an *InputError with the message the user
// reads, and nothing is written: no branch, HEAD where it was, no id taken.
func TestCreateRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		modules string
		edit    func(*registry.NewPatch)
		want    string // the message
		tagErr  bool   // wraps a *registry.NotReleaseTagError
	}{
		{"unknown module", "app = [\"**\"]\n", func(in *registry.NewPatch) { in.Modules = []string{"ap"} },
			`--module "ap": not declared under [modules] in .patchline.toml (known: app); did you mean "app"?`, false},
		{"bad kind", "app = [\"**\"]\n", func(in *registry.NewPatch) { in.Kind = "bugfix" },
			`kind must be one of security, fix, performance (did you mean "fix"?)`, false},
		{"emergency without justification", "app = [\"**\"]\n", func(in *registry.NewPatch) { in.Urgency = "emergency" },
			`urgency "emergency" needs a justification (say why it cannot wait for the quarterly release: justification = "Why it cannot wait for the quarterly release", or set urgency = "scheduled")`, false},
		{"several modules to choose from", "app = [\"app.go\"]\ncli = [\"cli/**\"]\n", func(*registry.NewPatch) {},
			"give --module, one of: app, cli", false},
		{"no modules", "", func(*registry.NewPatch) {},
			`no modules under [modules] in .patchline.toml: declare one (name = ["path/glob/**"]), then give --module`, false},
		{"also not a release tag", "app = [\"**\"]\n", func(in *registry.NewPatch) { in.Also = []string{"nightly"} },
			`--also: tag nightly is not a release tag; release tags match ^v\d+\.\d+\.\d+$ — nearest: v1.0.0`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, reg, base := createRepo(t, tt.modules)
			_, before, err := r.Repo.Head()
			if err != nil {
				t.Fatal(err)
			}
			in := newPatch(r, base)
			in.Identity = repotest.Unasked(t, "asked for an identity before the input was checked")
			tt.edit(&in)
			c, err := reg.Create(in)
			var inErr *registry.InputError
			if !errors.As(err, &inErr) {
				t.Fatalf("got %v, %v; want an *InputError", c, err)
			}
			if err.Error() != tt.want {
				t.Errorf("got %q\nwant %q", err, tt.want)
			}
			var tagErr *registry.NotReleaseTagError
			if got := errors.As(err, &tagErr); got != tt.tagErr {
				t.Errorf("wraps a *NotReleaseTagError: %v, want %v", got, tt.tagErr)
			}
			head, after, err := r.Repo.Head()
			if err != nil {
				t.Fatal(err)
			}
			if head != "main" || after != before {
				t.Errorf("HEAD moved to %s at %s, want main at %s", head, after, before)
			}
			if branches, err := reg.Branches(); err != nil || len(branches) > 0 {
				t.Errorf("got patch branches %v (%v), want none", branches, err)
			}
		})
	}
}

// TestCreateNextID: each patch takes the next free id of its year.
func TestCreateNextID(t *testing.T) {
	t.Parallel()
	r, reg, base := createRepo(t, "app = [\"**\"]\n")
	var ids []string
	for range 2 {
		c, err := reg.Create(newPatch(r, base))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
		r.Switch("main")
	}
	if got, want := strings.Join(ids, " "), "PL-2027-0001 PL-2027-0002"; got != want {
		t.Errorf("got ids %s, want %s", got, want)
	}
}

// TestCreateDirtyWorktree: uncommitted changes to tracked files stop Create
// before the branch is cut.
func TestCreateDirtyWorktree(t *testing.T) {
	t.Parallel()
	r, reg, base := createRepo(t, "app = [\"**\"]\n")
	r.Write(map[string]string{"app.go": "package app // edited\n"})
	_, err := reg.Create(newPatch(r, base))
	if !errors.Is(err, gitrepo.ErrDirtyWorktree) {
		t.Fatalf("got %v, want ErrDirtyWorktree", err)
	}
	if branches, err := reg.Branches(); err != nil || len(branches) > 0 {
		t.Errorf("got patch branches %v (%v), want none", branches, err)
	}
}

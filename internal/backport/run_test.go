package backport_test

import (
	"errors"
	"testing"
	"time"

	"github.com/patchline/patchline/internal/backport"
	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/repotest"
)

const (
	importer = "package importer\n\n// Rows counts the rows of an import.\nfunc Rows(lines []string) int {\n\treturn len(lines)\n}\n"
	fixed    = "package importer\n\n// Rows counts the rows of an import.\nfunc Rows(lines []string) int {\n\treturn len(lines) - 1\n}\n"
	// rowsFix is the fix of Rows, as `git diff` writes it.
	rowsFix = `diff --git a/importer.go b/importer.go
--- a/importer.go
+++ b/importer.go
@@ -3,4 +3,4 @@ package importer
 // Rows counts the rows of an import.
 func Rows(lines []string) int {
-	return len(lines)
+	return len(lines) - 1
 }
`
	// splitFix changes a file v2026.2 does not have.
	splitFix = `diff --git a/split.go b/split.go
--- a/split.go
+++ b/split.go
@@ -1,2 +1,2 @@
 package importer
-// Split is new in v2026.3.
+// Split is new in v2026.3, and fixed.
`
)

// product is a repository with the lines v2026.2 (v2026.2.0, and
// v2026.2.1 which has the Rows fix made by hand) and v2026.3 (v2026.3.0),
// and two patches on v2026.3.0 with their fixes recorded: PL-2026-0001,
// which applies to v2026.2.0 as it is, and PL-2026-0002, which does not.
// main is checked out.
type product struct {
	repo *repotest.Repo
	reg  *registry.Registry
	tags *registry.Tags
}

func newProduct(t *testing.T) *product {
	t.Helper()
	r := repotest.New(t)
	v2 := r.Commit("v2026.2.0", map[string]string{"importer.go": importer})
	r.Tag("v2026.2.0")
	r.Commit("Split", map[string]string{"split.go": "package importer\n// Split is new in v2026.3.\n"})
	r.Tag("v2026.3.0")
	r.SwitchNew("release/v2026.2", v2)
	r.Commit("importer: do not count the header", map[string]string{"importer.go": fixed})
	r.Tag("v2026.2.1")
	r.Switch("main")

	cfg, err := config.Decode(".patchline.toml", []byte("[project]\nname = \"importer\"\n[modules]\nimporter = [\"**\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := &product{repo: r, reg: &registry.Registry{Repo: r.Repo, Config: cfg}}
	if p.tags, err = p.reg.LoadTags(); err != nil {
		t.Fatal(err)
	}
	for _, fix := range []struct{ title, file, fixed, diff string }{
		{"Rows counts the header", "importer.go", fixed, rowsFix},
		{"Split comment", "split.go", "package importer\n// Split is new in v2026.3, and fixed.\n", splitFix},
	} {
		c, err := p.reg.Create(registry.NewPatch{
			Base: p.tag(t, "v2026.3.0"), Title: fix.title,
			Kind: "fix", Severity: "moderate", Urgency: "scheduled", Risk: "low",
			Now:      time.Date(2026, 7, 5, 10, 0, 0, 0, time.UTC),
			Identity: p.repo.Signer(),
		})
		if err != nil {
			t.Fatal(err)
		}
		r.Commit(c.ID+": the fix", map[string]string{fix.file: fix.fixed})
		r.Commit(c.ID+": record patch.diff", map[string]string{registry.PatchDir(c.ID) + "/" + registry.DiffName: fix.diff})
		r.Switch("main")
	}
	return p
}

func (p *product) tag(t *testing.T, name string) gitrepo.Tag {
	t.Helper()
	tag, err := p.tags.ReleaseTag(name)
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

func (p *product) load(t *testing.T, id string) *registry.Patch {
	t.Helper()
	orig, err := p.reg.Load(id)
	if err != nil {
		t.Fatal(err)
	}
	return orig
}

// hasBranch reports whether the branch exists.
func (p *product) hasBranch(t *testing.T, name string) bool {
	t.Helper()
	_, ok, err := p.repo.Repo.Branch(name)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestRunAlreadyIn: a release that already holds the fix gets no branch,
// and the verdict says how the fix was found.
func TestRunAlreadyIn(t *testing.T) {
	t.Parallel()
	p := newProduct(t)
	res, err := backport.Run(p.reg, p.load(t, "PL-2026-0001"), p.tag(t, "v2026.2.1"), repotest.Unasked(t, "asked for an identity with nothing to commit"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Already == nil || !res.Already.In() || res.Already.Evidence == "" {
		t.Fatalf("got verdict %+v, want one that proves the fix is in v2026.2.1, with its evidence", res.Already)
	}
	if res.Plan != nil || !res.Commit.IsZero() {
		t.Errorf("got plan %+v and commit %s, want neither", res.Plan, res.Commit)
	}
	if p.hasBranch(t, "patch/PL-2026-0001@v2026.2") {
		t.Error("a branch was made for a backport with nothing to do")
	}
	if head, _, err := p.repo.Repo.Head(); err != nil || head != "main" {
		t.Errorf("HEAD is %s (%v), want main", head, err)
	}
}

// TestRunApplies: the fix applies to the older release, so the branch is
// cut there with one commit holding the manifest, the fix and patch.diff;
// the same backport asked again is refused, its branch kept.
func TestRunApplies(t *testing.T) {
	t.Parallel()
	p := newProduct(t)
	base := p.tag(t, "v2026.2.0")
	res, err := backport.Run(p.reg, p.load(t, "PL-2026-0001"), base, p.repo.Signer())
	if err != nil {
		t.Fatal(err)
	}
	if res.Already != nil || !res.Applied() {
		t.Fatalf("got already %+v, applied %v (conflict %v); want the fix applied", res.Already, res.Applied(), res.Plan.Conflict)
	}
	if res.Plan.Branch != "patch/PL-2026-0001@v2026.2" || res.Plan.DiffName != registry.DiffName {
		t.Errorf("got branch %s and diff %s, want patch/PL-2026-0001@v2026.2 and %s", res.Plan.Branch, res.Plan.DiffName, registry.DiffName)
	}
	head, at, err := p.repo.Repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	if head != res.Plan.Branch || at != res.Commit {
		t.Errorf("HEAD is %s at %s, want %s at %s", head, at, res.Plan.Branch, res.Commit)
	}
	commit, err := p.repo.Repo.Commit(res.Commit)
	if err != nil {
		t.Fatal(err)
	}
	if len(commit.ParentHashes) != 1 || commit.ParentHashes[0] != base.Commit {
		t.Errorf("got parents %v, want v2026.2.0 (%s) alone", commit.ParentHashes, base.Commit)
	}
	if data, _, err := p.repo.Repo.ReadFile(res.Commit, "importer.go"); err != nil || string(data) != fixed {
		t.Errorf("importer.go on the branch is %q (%v), want the fixed one", data, err)
	}

	p.repo.Switch("main")
	_, err = backport.Run(p.reg, p.load(t, "PL-2026-0001"), base, p.repo.Signer())
	var exists *backport.BranchExistsError
	if !errors.As(err, &exists) {
		t.Fatalf("got %v, want a *BranchExistsError", err)
	}
	if want := "branch patch/PL-2026-0001@v2026.2 already exists: the backport of PL-2026-0001 to v2026.2 is under way"; err.Error() != want {
		t.Errorf("got %q\nwant %q", err, want)
	}
	if ref, _, _ := p.repo.Repo.Branch(res.Plan.Branch); ref.Commit != res.Commit {
		t.Errorf("the refused backport moved %s to %s", res.Plan.Branch, ref.Commit)
	}
}

// TestRunConflict: a fix that does not apply leaves the branch with the
// manifest alone, and the plan says why.
func TestRunConflict(t *testing.T) {
	t.Parallel()
	p := newProduct(t)
	base := p.tag(t, "v2026.2.0")
	res, err := backport.Run(p.reg, p.load(t, "PL-2026-0002"), base, p.repo.Signer())
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied() || res.Plan.Conflict == nil {
		t.Fatalf("got applied %v, conflict %v; want a conflict", res.Applied(), res.Plan.Conflict)
	}
	if !p.hasBranch(t, "patch/PL-2026-0002@v2026.2") {
		t.Error("no branch left to adapt the fix on")
	}
	if _, ok, err := p.repo.Repo.ReadFile(res.Commit, registry.PatchDir("PL-2026-0002")+"/"+registry.DiffName); err != nil || ok {
		t.Errorf("patch.diff is on the branch (%v), want the manifest alone", err)
	}
}

// TestRunRefuses: a backport to the patch's own line is an *InputError
// around ErrSameLine, and nothing is written.
func TestRunRefuses(t *testing.T) {
	t.Parallel()
	p := newProduct(t)
	res, err := backport.Run(p.reg, p.load(t, "PL-2026-0001"), p.tag(t, "v2026.3.0"), p.repo.Signer())
	var in *backport.InputError
	if !errors.As(err, &in) || !errors.Is(err, backport.ErrSameLine) {
		t.Fatalf("got %+v, %v; want an *InputError around ErrSameLine", res, err)
	}
	if p.hasBranch(t, "patch/PL-2026-0001@v2026.3") {
		t.Error("a branch was made for a refused backport")
	}
}

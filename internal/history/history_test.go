package history

import (
	"fmt"
	"os/exec"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/repotest"
)

func TestWalkAndTrack(t *testing.T) {
	t.Parallel()
	r := repotest.New(t)
	r.Commit("product", map[string]string{"a.txt": "a\n"})
	start := r.Tag("v2026.1.0")
	r.SwitchNew("release/v2026.1", start)
	r.Commit("Merge PL-2026-0001\n\nPatch-Id: PL-2026-0001\nApproved-by: qa-lee https://example.com/pull/1#review\n",
		map[string]string{"a.txt": "a1\n", "patches/PL-2026-0001/patch.toml": "one\n"})
	r.Tag("v2026.1.1")
	r.Commit("Merge PL-2026-0002", map[string]string{"b.txt": "b\n", "patches/PL-2026-0002/patch.toml": "two\n"})
	r.Tag("v2026.1.2")
	r.Remove("patches/PL-2026-0001")
	r.Commit("Revert \"Merge PL-2026-0001\"\n\nThis reverts commit 1234.\n", map[string]string{"a.txt": "a\n"})
	r.Tag("v2026.1.3")
	edit := r.Commit("PL-2026-0002: record approvals\n\nPatch-Id: PL-2026-0002\nApproved-by: @qa-kim\n",
		map[string]string{"patches/PL-2026-0002/patch.toml": "two, approved\n"})
	r.Commit("PL-2026-0003, not released yet", map[string]string{"patches/PL-2026-0003/patch.toml": "three\n"})

	reg := &registry.Registry{Repo: r.Repo, Config: config.Default("x", "")}
	h, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	line, ok := h.Line("v2026.1")
	if !ok || !line.HasBranch() || len(line.Tags) != 4 {
		t.Fatalf("got line %+v, want v2026.1 with its branch and 4 tags", line)
	}
	tip, _ := line.Tip()
	w, err := h.Walk(Span{Tip: tip, Stop: start})
	if err != nil {
		t.Fatal(err)
	}
	if w.Commits != 5 || len(w.Steps) != 5 {
		t.Fatalf("got %d commits and %d steps, want 5 and 5", w.Commits, len(w.Steps))
	}
	if w.Steps[0].Added[0] != "PL-2026-0001" || w.Steps[0].Approvals[0].By != "qa-lee" || w.Steps[0].Approvals[0].Ref != "https://example.com/pull/1#review" {
		t.Fatalf("got first step %+v", w.Steps[0])
	}
	if !w.Steps[2].Revert || w.Steps[2].Removed[0] != "PL-2026-0001" {
		t.Fatalf("got third step %+v, want the revert of PL-2026-0001", w.Steps[2])
	}

	pres, err := h.Track(line, w, Window{})
	if err != nil {
		t.Fatal(err)
	}
	one, two, three := pres["PL-2026-0001"], pres["PL-2026-0002"], pres["PL-2026-0003"]
	if one.Present() || one.ShippedIn != "v2026.1.1" || one.RemovedIn != "v2026.1.3" || one.ReadAt != one.Removed.Parent {
		t.Errorf("PL-2026-0001: got %+v, want shipped in v2026.1.1 and removed in v2026.1.3", one)
	}
	if !two.Present() || two.ShippedIn != "v2026.1.2" || len(two.Changed) != 1 || two.ReadAt != tip {
		t.Errorf("PL-2026-0002: got %+v, want shipped in v2026.1.2, changed once, read at the tip", two)
	}
	if len(two.Approvals) != 1 || two.Approvals[0].By != "qa-kim" {
		t.Errorf("PL-2026-0002: got approvals %+v, want qa-kim from the follow-up commit", two.Approvals)
	}
	if three.ShippedIn != "" || !three.Present() {
		t.Errorf("PL-2026-0003: got %+v, want merged and not released", three)
	}

	// A window that ends at the approvals commit leaves PL-2026-0003 out
	// and reads the others there.
	c, err := r.Repo.Commit(edit)
	if err != nil {
		t.Fatal(err)
	}
	until := c.Committer.When
	w, err = h.Walk(Span{Tip: tip, Stop: start, Until: until})
	if err != nil {
		t.Fatal(err)
	}
	if w.End != edit {
		t.Fatalf("got end %s, want the approvals commit %s", w.End, edit)
	}
	pres, err = h.Track(line, w, Window{Until: until})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := pres["PL-2026-0003"]; ok || len(pres) != 2 {
		t.Fatalf("got %v, want PL-2026-0001 and PL-2026-0002 only", IDs(pres))
	}

	// Bounded by time instead of a stop commit: only what came after.
	w, err = h.Walk(Span{Tip: tip, After: until.Add(-time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	pres, err = h.Track(line, w, Window{After: until.Add(-time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if got := IDs(pres); len(got) != 1 || got[0] != "PL-2026-0003" {
		t.Fatalf("got %v, want PL-2026-0003 only (the approvals commit only changed PL-2026-0002)", got)
	}
}

func TestTrailers(t *testing.T) {
	t.Parallel()
	ids, approvals := trailers("Merge patch/PL-2026-0007\n\nSome text: not a trailer here.\n\nPatch-Id: PL-2026-0007\nApproved-by: octocat https://github.com/acme/inventory/pull/7#pullrequestreview-9\napproved-by: <hubot>\n")
	if len(ids) != 1 || ids[0] != "PL-2026-0007" {
		t.Fatalf("got ids %v", ids)
	}
	if len(approvals) != 2 || approvals[0].By != "octocat" || approvals[0].Ref != "https://github.com/acme/inventory/pull/7#pullrequestreview-9" || approvals[1].By != "hubot" {
		t.Fatalf("got approvals %+v", approvals)
	}
	if ids, approvals := trailers("Patch-Id: PL-2026-0001"); ids != nil || approvals != nil {
		t.Fatalf("a one-paragraph message has no trailers, got %v %v", ids, approvals)
	}
}

// A line whose first tag was made on a side branch and merged in: the walk
// back to it must end at what the tag reaches, not run on to the root.
func TestWalkStopOnMergedBranch(t *testing.T) {
	t.Parallel()
	r := repotest.New(t)
	fork := r.Commit("product, with an old patch folder", map[string]string{"a.txt": "a\n", "patches/PL-2025-0001/patch.toml": "old\n"})
	r.SwitchNew("side", fork)
	start := r.Commit("prepare v2026.1.0", map[string]string{"b.txt": "b\n"})
	r.Tag("v2026.1.0")
	r.SwitchNew("release/v2026.1", fork)
	one := r.Commit("Merge PL-2026-0001", map[string]string{"patches/PL-2026-0001/patch.toml": "one\n"})
	merge := r.Merge("Merge branch 'side'", start, map[string]string{"b.txt": "b\n"})
	two := r.Commit("Merge PL-2026-0002", map[string]string{"patches/PL-2026-0002/patch.toml": "two\n"})

	h, err := New(&registry.Registry{Repo: r.Repo, Config: config.Default("x", "")})
	if err != nil {
		t.Fatal(err)
	}
	w, err := h.Walk(Span{Tip: two, Stop: start})
	if err != nil {
		t.Fatal(err)
	}
	if w.Commits != 3 {
		t.Errorf("read %d commits, want 3: %s, %s and %s, not the fork the tag reaches", w.Commits, two, merge, one)
	}
	added := addedIn(w)
	if len(added) != 2 || added[0] != "PL-2026-0001" || added[1] != "PL-2026-0002" {
		t.Fatalf("got added %v, want PL-2026-0001 and PL-2026-0002 (PL-2025-0001 is older than the tag)", added)
	}
}

// A walk bounded by both a stop commit and a time ends at whichever comes
// first, and reads nothing older.
func TestWalkStopAndAfter(t *testing.T) {
	t.Parallel()
	r := repotest.New(t)
	start := r.Commit("product", map[string]string{"a.txt": "a\n"})
	r.Tag("v2026.1.0")
	r.SwitchNew("release/v2026.1", start)
	r.Commit("Merge PL-2026-0001", map[string]string{"patches/PL-2026-0001/patch.toml": "one\n"})
	r.Advance(72 * time.Hour)
	after := r.Sig().When
	two := r.Commit("Merge PL-2026-0002", map[string]string{"patches/PL-2026-0002/patch.toml": "two\n"})

	h, err := New(&registry.Registry{Repo: r.Repo, Config: config.Default("x", "")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		span    Span
		commits int
		added   []string
	}{
		{"stop only", Span{Tip: two, Stop: start}, 2, []string{"PL-2026-0001", "PL-2026-0002"}},
		// The commit found past the time bound (less a day of clock skew)
		// is read, and not folded in.
		{"time first", Span{Tip: two, Stop: start, After: after}, 2, []string{"PL-2026-0002"}},
		{"stop first", Span{Tip: two, Stop: start, After: after.Add(-30 * 24 * time.Hour)}, 2, []string{"PL-2026-0001", "PL-2026-0002"}},
	} {
		w, err := h.Walk(tc.span)
		if err != nil {
			t.Fatal(err)
		}
		added := addedIn(w)
		if w.Commits != tc.commits || !slices.Equal(added, tc.added) {
			t.Errorf("%s: read %d commits and added %v, want %d and %v", tc.name, w.Commits, added, tc.commits, tc.added)
		}
	}
}

// addedIn lists the patches a walk's steps added, oldest first.
func addedIn(w *Walk) []string {
	var added []string
	for _, st := range w.Steps {
		added = append(added, st.Added...)
	}
	return added
}

// TestWalkPacked walks a line before and after `git repack`: packed, the
// walk reads the patches/ listings on another goroutine while it reads the
// commits (prefetch.go), and must find exactly the steps it found reading
// loose objects one at a time. The line is long enough to fill the
// prefetcher's queue.
func TestWalkPacked(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is needed to pack the repository")
	}
	r := repotest.New(t)
	r.Commit("product", map[string]string{"a.txt": "a\n"})
	start := r.Tag("v2026.1.0")
	r.SwitchNew("release/v2026.1", start)
	for i := range 400 {
		files := map[string]string{"a.txt": fmt.Sprintf("a%d\n", i)}
		msg := fmt.Sprintf("change %d", i)
		switch {
		case i%50 == 7:
			id := fmt.Sprintf("PL-2026-%04d", i)
			files["patches/"+id+"/patch.toml"] = id + "\n"
			msg = "Merge " + id + "\n\nPatch-Id: " + id + "\n"
		case i%50 == 30:
			id := fmt.Sprintf("PL-2026-%04d", i-23)
			files["patches/"+id+"/patch.toml"] = id + ", changed\n"
		}
		r.Commit(msg, files)
		if i%100 == 99 {
			r.Tag(fmt.Sprintf("v2026.1.%d", i/100+1))
		}
	}
	walk := func(repo *gitrepo.Repo) *Walk {
		t.Helper()
		h, err := New(&registry.Registry{Repo: repo, Config: config.Default("x", "")})
		if err != nil {
			t.Fatal(err)
		}
		line, ok := h.Line("v2026.1")
		if !ok {
			t.Fatal("no line v2026.1")
		}
		tip, _ := line.Tip()
		w, err := h.Walk(Span{Tip: tip, Stop: start})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(h.prefetched) > 0; got != repo.ConcurrentReads() {
			t.Fatalf("listings read ahead: %v, want %v", got, repo.ConcurrentReads())
		}
		return w
	}
	if r.Repo.ConcurrentReads() {
		t.Fatal("a repository of loose objects only reads them through go-git, one at a time")
	}
	loose := walk(r.Repo)
	cmd := exec.Command("git", "-C", r.Dir, "repack", "-a", "-d", "-q")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git repack: %v\n%s", err, out)
	}
	repo, err := gitrepo.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if !repo.ConcurrentReads() {
		t.Fatal("the packed repository is not read by patchline's pack reader")
	}
	packed := walk(repo)
	if loose.Commits != 400 || len(loose.Steps) != 16 {
		t.Fatalf("loose: %d commits and %d steps, want 400 and 16", loose.Commits, len(loose.Steps))
	}
	if !reflect.DeepEqual(loose, packed) {
		t.Errorf("packed walk differs:\n got %+v\nwant %+v", packed, loose)
	}
}

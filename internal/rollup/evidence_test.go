package rollup

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/patchdiff"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/repotest"
)

// TestProve checks each kind of evidence, strongest first, against a
// release built for it: the fix's commits in its history, cherry-picked
// either way, its content in a moved file, only its test adapted, a
// release manager's record, and nothing.
func TestProve(t *testing.T) {
	t.Parallel()
	r := repotest.New(t)
	app := lines(30)
	test := "package app\n\nfunc TestA(t *testing.T) { check(1) }\n"
	v0 := r.Commit("v1.0.0", map[string]string{"app/app.go": app, "app/app_test.go": test, "other.go": lines(20)})
	r.Tag("v1.0.0")

	// The line's fixes, each a commit on release/v1.0.
	r.SwitchNew("release/v1.0", v0)
	fixForward := r.Commit("fix: merged forward", map[string]string{"other.go": lines(20, 5, "forward fix")})
	r.SwitchNew("tmp", v0)
	original := r.Commit("fix on main first", map[string]string{"other.go": lines(20, 15, "picked fix")})
	r.Switch("release/v1.0")
	backport := r.Commit("fix on main first\n\n(cherry picked from commit "+original.String()+")\n", map[string]string{"other.go": lines(20, 5, "forward fix", 15, "picked fix")})
	pickedIntoMain := r.Commit("fix picked into main", map[string]string{"app/app.go": lines(30, 3, "picked into main")})
	moved := r.Commit("fix in a file main moves", map[string]string{"app/app.go": lines(30, 3, "picked into main", 20, "moved fix")})
	adapted := r.Commit("fix with a test", map[string]string{"app/app.go": lines(30, 3, "picked into main", 20, "moved fix", 25, "adapted fix"),
		"app/app_test.go": strings.Replace(test, "check(1)", "check(2)", 1)})
	missing := r.Commit("fix never ported", map[string]string{"app/app.go": lines(30, 3, "picked into main", 20, "moved fix", 25, "adapted fix", 28, "missing fix")})

	// main: takes the forward fix by ancestry, the original, a cherry-pick
	// of pickedIntoMain, then moves app/ to pkg/app/ and ports two fixes.
	r.Switch("tmp")
	mainTip := r.Commit("main takes the forward fix\n\nMerge of "+fixForward.String()[:7]+" by content", map[string]string{"other.go": lines(20, 5, "forward fix", 15, "picked fix")})
	_ = mainTip
	r.Commit("fix picked into main\n\n(cherry picked from commit "+pickedIntoMain.String()+")\n", map[string]string{"app/app.go": lines(30, 3, "picked into main")})
	r.Remove("app")
	r.Commit("move app/ to pkg/app/", map[string]string{"pkg/app/app.go": lines(30, 3, "picked into main"), "pkg/app/app_test.go": test})
	r.Commit("port two fixes, with another test", map[string]string{"pkg/app/app.go": lines(30, 3, "picked into main", 20, "moved fix", 25, "adapted fix"),
		"pkg/app/app_test.go": strings.Replace(test, "check(1)", "check(3)", 1)})
	r.Tag("v1.1.0")

	h := historyOf(t, r)
	to, err := h.Tags.ReleaseTag("v1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	diff := func(from, to gitrepo.Hash, path string) []byte {
		t.Helper()
		a, _, err := r.Repo.ReadFile(from, path)
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := r.Repo.ReadFile(to, path)
		if err != nil {
			t.Fatal(err)
		}
		return diffOf(t, patchdiff.Change{OldPath: path, NewPath: path, OldMode: patchdiff.ModeRegular, NewMode: patchdiff.ModeRegular, OldData: a, NewData: b})
	}
	parent := func(c gitrepo.Hash) gitrepo.Hash {
		commit, err := r.Repo.Commit(c)
		if err != nil {
			t.Fatal(err)
		}
		return commit.ParentHashes[0]
	}
	adaptedDiff := append(diff(parent(adapted), adapted, "app/app.go"), diff(parent(adapted), adapted, "app/app_test.go")...)
	accepted := Acceptance{ID: "PL-2026-0007", To: "v1.1.0", By: "Rita <rita@example.com>", At: time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC), Reason: "rewritten"}

	for _, tc := range []struct {
		name     string
		id       string
		diff     []byte
		fix      []gitrepo.Hash
		status   Status
		evidence string
	}{
		{"cherry-picked from an original in the release", "PL-2026-0002", diff(parent(backport), backport, "other.go"), []gitrepo.Hash{backport}, Contained, "(cherry-picked from " + original.String()[:12] + ") is in v1.1.0"},
		{"cherry-picked into the release", "PL-2026-0003", nil, []gitrepo.Hash{pickedIntoMain}, Contained, "(cherry-picked into v1.1.0) is in v1.1.0"},
		{"content in a moved file", "PL-2026-0004", diff(parent(moved), moved, "app/app.go"), []gitrepo.Hash{moved}, Contained, "(app/app.go moved to pkg/app/app.go)"},
		{"only the test differs", "PL-2026-0005", adaptedDiff, []gitrepo.Hash{adapted}, Adapted, "app/app_test.go differ"},
		{"nothing", "PL-2026-0006", diff(parent(missing), missing, "app/app.go"), []gitrepo.Hash{missing}, Missing, "app/app.go not found in v1.1.0"},
		{"nothing, but accepted", "PL-2026-0007", diff(parent(missing), missing, "app/app.go"), []gitrepo.Hash{missing}, Accepted, "accepted by Rita <rita@example.com> on 2026-04-02: rewritten"},
		{"no diff and no commits", "PL-2026-0008", nil, nil, Missing, "no patch.diff"},
	} {
		c, err := NewChecker(h, to, Options{Accepted: []Acceptance{accepted}})
		if err != nil {
			t.Fatal(err)
		}
		v, err := c.Prove(tc.id, tc.diff, tc.fix, v0)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if v.Status != tc.status || !strings.Contains(v.Evidence, tc.evidence) {
			t.Errorf("%s: got %s (%s), want %s saying %q", tc.name, v.Status, v.Evidence, tc.status, tc.evidence)
		}
	}
}

func TestDecodeAccepted(t *testing.T) {
	t.Parallel()
	good := "[[accept]]\nid = \"PL-2026-0001\"\nto = \"v1.1.0\"\nby = \"Rita\"\nat = 2026-04-02T00:00:00Z\nreason = \"checked\"\n"
	if got, err := DecodeAccepted([]byte(good)); err != nil || len(got) != 1 || got[0].Reason != "checked" {
		t.Fatalf("DecodeAccepted(good) = %v, %v", got, err)
	}
	for name, doc := range map[string]string{
		"unknown key":   good + "extra = 1\n",
		"no reason":     strings.Replace(good, "reason = \"checked\"", "reason = \" \"", 1),
		"bad id":        strings.Replace(good, "PL-2026-0001", "../x", 1),
		"no time":       strings.Replace(good, "at = 2026-04-02T00:00:00Z\n", "", 1),
		"not toml":      "[[accept\n",
		"tag with tabs": strings.Replace(good, "v1.1.0", "v1.1.0\\tx", 1),
	} {
		if _, err := DecodeAccepted([]byte(doc)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestAcceptOnlyOnMain: a sign-off is committed on the main branch; with
// another branch checked out Accept writes nothing and says which.
func TestAcceptOnlyOnMain(t *testing.T) {
	t.Parallel()
	r := repotest.New(t)
	r.Commit("start", map[string]string{"README.md": "app\n"})
	r.SwitchNew("release-1.1", r.Commit("more", map[string]string{"README.md": "app, more\n"}))
	cfg, err := config.Decode(".patchline.toml", []byte("[project]\nname = \"app\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	reg := &registry.Registry{Repo: r.Repo, Config: cfg}
	a := Acceptance{ID: "PL-2026-0001", To: "v1.1.0", By: "Rita <rita@example.com>", At: time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC), Reason: "checked by hand"}
	s := r.Sig()
	_, err = Accept(reg, a, s, s)
	var wrong *gitrepo.WrongBranchError
	if !errors.Is(err, ErrNotOnMain) || !errors.As(err, &wrong) || wrong.Have != "release-1.1" {
		t.Fatalf("Accept on release-1.1: %v, want ErrNotOnMain and a WrongBranchError", err)
	}
	if want := "not on the main branch: records are committed on main, and release-1.1 is checked out: run `git switch main` first"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}

// TestProveTwoCopiesMovedToOne: the line kept two copies of some code
// (containerd 1.7 had pkg/cri/server and pkg/cri/sbserver) and its fix
// patched both; the release keeps one copy, elsewhere, with the fix.
func TestProveTwoCopiesMovedToOne(t *testing.T) {
	t.Parallel()
	r := repotest.New(t)
	code := lines(30)
	v0 := r.Commit("v1.0.0", map[string]string{"old/server/stop.go": code, "old/sbserver/stop.go": code})
	r.Tag("v1.0.0")
	r.SwitchNew("release/v1.0", v0)
	fixed := lines(30, 12, "stop is idempotent")
	r.Commit("fix both copies", map[string]string{"old/server/stop.go": fixed, "old/sbserver/stop.go": fixed})
	r.SwitchNew("tmp", v0)
	r.Remove("old")
	r.Commit("one server, elsewhere, with the fix", map[string]string{"internal/server/stop.go": "// moved\n" + fixed})
	r.Tag("v1.1.0")
	r.Remove("internal")
	r.Commit("without it", map[string]string{"internal/server/stop.go": "// moved\n" + code})
	r.Tag("v1.2.0")

	h := historyOf(t, r)
	var diff []byte
	for _, p := range []string{"old/server/stop.go", "old/sbserver/stop.go"} {
		diff = append(diff, diffOf(t, patchdiff.Change{OldPath: p, NewPath: p, OldMode: patchdiff.ModeRegular, NewMode: patchdiff.ModeRegular,
			OldData: []byte(code), NewData: []byte(fixed)})...)
	}
	for _, tc := range []struct {
		tag      string
		status   Status
		evidence string
	}{
		{"v1.1.0", Contained, "old/sbserver/stop.go moved to internal/server/stop.go"},
		{"v1.2.0", Missing, "not found in v1.2.0"},
	} {
		to, err := h.Tags.ReleaseTag(tc.tag)
		if err != nil {
			t.Fatal(err)
		}
		c, err := NewChecker(h, to, Options{})
		if err != nil {
			t.Fatal(err)
		}
		v, err := c.Prove("PL-2026-0001", diff, nil, v0)
		if err != nil {
			t.Fatal(err)
		}
		if v.Status != tc.status || !strings.Contains(v.Evidence, tc.evidence) {
			t.Errorf("%s: got %s (%s), want %s saying %q", tc.tag, v.Status, v.Evidence, tc.status, tc.evidence)
		}
	}
}

// historyOf reads r's history with a configuration that names nothing but
// the project.
func historyOf(t *testing.T, r *repotest.Repo) *history.History {
	t.Helper()
	cfg, err := config.Decode(".patchline.toml", []byte("[project]\nname = \"app\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := history.New(&registry.Registry{Repo: r.Repo, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

package gitrepo_test

import (
	"os/exec"
	"reflect"
	"testing"

	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/repotest"
	"github.com/patchline/patchline/internal/tooltest"
)

func TestRangeAndReach(t *testing.T) {
	t.Parallel()
	r := repotest.New(t)
	c0 := r.Commit("c0", map[string]string{"a.txt": "0\n"})
	tag := r.Commit("c1", map[string]string{"a.txt": "1\n"})
	r.Tag("v1.0.0")
	c2 := r.Commit("c2", map[string]string{"a.txt": "2\n"})
	c3 := r.Commit("c3", map[string]string{"a.txt": "3\n"})

	r.SwitchNew("patch/at-tag", tag)
	p1 := r.Commit("p1", map[string]string{"b.txt": "p1\n"})
	p2 := r.Commit("p2", map[string]string{"b.txt": "p2\n"})

	r.SwitchNew("patch/late", c3)
	late := r.Commit("late", map[string]string{"b.txt": "late\n"})

	r.SwitchNew("patch/early", c0)
	early := r.Commit("early", map[string]string{"b.txt": "early\n"})

	check := func(t *testing.T, repo *gitrepo.Repo) {
		tests := []struct {
			name     string
			tip      gitrepo.Hash
			want     []gitrepo.Hash
			descends bool
		}{
			{"cut at the tag", p2, []gitrepo.Hash{p2, p1}, true},
			{"cut from a later tip", late, []gitrepo.Hash{late, c3, c2}, true},
			{"cut before the tag", early, []gitrepo.Hash{early}, false},
			{"the tag itself", tag, nil, true},
		}
		for _, tt := range tests {
			got, descends, err := repo.Range(tag, tt.tip)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if !reflect.DeepEqual(got, tt.want) || descends != tt.descends {
				t.Errorf("%s: Range = %v, %v; want %v, %v", tt.name, got, descends, tt.want, tt.descends)
			}
		}

		reach, err := repo.NewReach(c3)
		if err != nil {
			t.Fatal(err)
		}
		for h, want := range map[gitrepo.Hash]bool{c2: true, c0: true, tag: true, p1: false, late: false, early: false} {
			got, err := reach.Contains(h)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("main contains %s = %v, want %v", h, got, want)
			}
		}
		if ok, _ := repo.IsAncestor(tag, p2); !ok {
			t.Errorf("IsAncestor(tag, p2) = false, want true")
		}
		if ok, _ := repo.IsAncestor(p2, tag); ok {
			t.Errorf("IsAncestor(p2, tag) = true, want false")
		}
	}
	t.Run("objects", func(t *testing.T) { check(t, r.Repo) })
	// The same answers from git's commit-graph file, read by gitrepo itself.
	tooltest.Need(t, "git", "the commit-graph half of the test needs it to write the file")
	if out, err := exec.Command("git", "-C", r.Dir, "commit-graph", "write", "--reachable").CombinedOutput(); err != nil {
		t.Fatalf("git commit-graph write: %v\n%s", err, out)
	}
	withGraph, err := gitrepo.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if !withGraph.HasCommitGraph() {
		t.Fatal("the commit-graph file was not loaded")
	}
	t.Run("commit-graph", func(t *testing.T) { check(t, withGraph) })
}

// TestReachPastCommitGraph walks from commits made after the commit-graph
// was written into the history it holds, as on a repository between two gcs.
func TestReachPastCommitGraph(t *testing.T) {
	t.Parallel()
	tooltest.Need(t, "git", "the test needs it to write the commit-graph file")
	r := repotest.New(t)
	c0 := r.Commit("c0", map[string]string{"a.txt": "0\n"})
	c1 := r.Commit("c1", map[string]string{"a.txt": "1\n"})
	r.SwitchNew("patch/x", c0)
	p1 := r.Commit("p1", map[string]string{"b.txt": "p1\n"})
	if out, err := exec.Command("git", "-C", r.Dir, "commit-graph", "write", "--reachable").CombinedOutput(); err != nil {
		t.Fatalf("git commit-graph write: %v\n%s", err, out)
	}
	r.Switch("main")
	c2 := r.Commit("c2", map[string]string{"a.txt": "2\n"})
	c3 := r.Commit("c3", map[string]string{"a.txt": "3\n"})
	r.Switch("patch/x")
	p2 := r.Commit("p2", map[string]string{"b.txt": "p2\n"})

	repo, err := gitrepo.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if !repo.HasCommitGraph() {
		t.Fatal("the commit-graph file was not loaded")
	}
	reach, err := repo.NewReach(c3)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		h    gitrepo.Hash
		want bool
	}{
		{"the tip", c3, true},
		{"newer than the graph", c2, true},
		{"in the graph", c1, true},
		{"the root", c0, true},
		{"another branch, in the graph", p1, false},
		{"another branch, newer than the graph", p2, false},
	} {
		got, err := reach.Contains(tt.h)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got != tt.want {
			t.Errorf("%s: main contains %s = %v, want %v", tt.name, tt.h, got, tt.want)
		}
	}
}

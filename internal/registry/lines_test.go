package registry_test

import (
	"reflect"
	"testing"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/repotest"
)

// linesRepo builds a repository shaped like a real one with release-X.Y
// branches: tags v1.6.0..v1.6.3, v1.7.0..v1.7.2 and v2.0.0, the branches
// release-1.6 and release-1.7, and two that name no line: release-notes
// and release-1.5, which has no release tag.
func linesRepo(t *testing.T) *repotest.Repo {
	t.Helper()
	r := repotest.New(t)
	r.Commit("root", map[string]string{"app.go": "package app\n"})
	release := func(line string, tags ...string) gitrepo.Hash {
		var first gitrepo.Hash
		for i, tag := range tags {
			if i > 0 {
				r.Commit("fix on "+line, map[string]string{"app.go": "package app // " + tag + "\n"})
			}
			h := r.Tag(tag)
			if i == 0 {
				first = h
			}
		}
		return first
	}
	v16 := r.Commit("1.6", map[string]string{"v.txt": "1.6\n"})
	r.Branch("release-1.5", v16) // a branch with no release tag: not a line
	r.SwitchNew("release-1.6", v16)
	release("v1.6", "v1.6.0", "v1.6.1", "v1.6.2", "v1.6.3")
	r.Switch("main")
	v17 := r.Commit("1.7", map[string]string{"v.txt": "1.7\n"})
	r.SwitchNew("release-1.7", v17)
	release("v1.7", "v1.7.0", "v1.7.1", "v1.7.2")
	r.Switch("main")
	r.Commit("2.0", map[string]string{"v.txt": "2.0\n"})
	r.Tag("v2.0.0")
	r.Branch("release-notes", v17)
	return r
}

type lineView struct {
	Name, BranchName, Branch string
	Tags                     []string
}

func view(lines []registry.Line) []lineView {
	out := make([]lineView, len(lines))
	for i, l := range lines {
		out[i] = lineView{Name: l.Name, BranchName: l.BranchName, Branch: l.Branch.Name}
		for _, tag := range l.Tags {
			out[i].Tags = append(out[i].Tags, tag.Name)
		}
	}
	return out
}

// TestLines: the lines are the release tags' lines (or [release] lines),
// each with the branch maintenance_branch names for it; branches that
// merely share the prefix never become lines.
func TestLines(t *testing.T) {
	t.Parallel()
	r := linesRepo(t)
	v16 := []string{"v1.6.0", "v1.6.1", "v1.6.2", "v1.6.3"}
	v17 := []string{"v1.7.0", "v1.7.1", "v1.7.2"}
	tests := []struct {
		name     string
		branch   string
		lines    []string
		want     []lineView
		branches []string // maintenance branches where merged patches are looked for, newest first
	}{
		{"template", "release-{major}.{minor}", nil, []lineView{
			{"v1.6", "release-1.6", "release-1.6", v16},
			{"v1.7", "release-1.7", "release-1.7", v17},
			{"v2.0", "release-2.0", "", []string{"v2.0.0"}},
		}, []string{"release-1.7", "release-1.6"}},
		{"template, [release] lines", "release-{major}.{minor}", []string{"v2.0", "v1.7"}, []lineView{
			{"v1.7", "release-1.7", "release-1.7", v17},
			{"v2.0", "release-2.0", "", []string{"v2.0.0"}},
		}, []string{"release-1.7"}},
		// The setting that made phantom lines of release-1.6, release-1.5
		// and release-notes: a prefix, so the branches are release-v1.6 ...,
		// which this repository does not have.
		{"prefix", "release-", nil, []lineView{
			{"v1.6", "release-v1.6", "", v16},
			{"v1.7", "release-v1.7", "", v17},
			{"v2.0", "release-v2.0", "", []string{"v2.0.0"}},
		}, nil},
		// A supported line nothing has tagged yet is still a line.
		{"[release] lines with an untagged line", "release-{major}.{minor}", []string{"v1.7", "v2.0", "v2.1"}, []lineView{
			{"v1.7", "release-1.7", "release-1.7", v17},
			{"v2.0", "release-2.0", "", []string{"v2.0.0"}},
			{"v2.1", "release-2.1", "", nil},
		}, []string{"release-1.7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := config.Default("x", "")
			cfg.Release.MaintenanceBranch, cfg.Release.Lines = tt.branch, tt.lines
			reg := &registry.Registry{Repo: r.Repo, Config: cfg}
			tags, err := reg.LoadTags()
			if err != nil {
				t.Fatal(err)
			}
			lines, err := reg.Lines(tags)
			if err != nil {
				t.Fatal(err)
			}
			if got := view(lines); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Lines:\ngot  %+v\nwant %+v", got, tt.want)
			}
			if got := registry.LineNames(cfg, tags.Release()); len(got) != len(tt.want) {
				t.Errorf("LineNames = %v, want %d lines", got, len(tt.want))
			}
			places, err := reg.MergedPlaces()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range places {
				if p.Name != "main" {
					got = append(got, p.Name)
				}
			}
			if !reflect.DeepEqual(got, tt.branches) {
				t.Errorf("merged places = %v, want %v and main", got, tt.branches)
			}
		})
	}
}

// TestLinesOneBranchForTwoLines: a template that gives two lines the same
// branch is refused, not resolved by whichever line comes first.
func TestLinesOneBranchForTwoLines(t *testing.T) {
	t.Parallel()
	r := repotest.New(t)
	r.Commit("root", map[string]string{"app.go": "package app\n"})
	r.Tag("v1.2.3.0")
	r.Tag("v1.2.4.0")
	cfg := config.Default("x", "")
	cfg.Release.Tags = `^v\d+\.\d+\.\d+\.\d+$`
	cfg.Release.MaintenanceBranch = "release-{major}.{minor}"
	reg := &registry.Registry{Repo: r.Repo, Config: cfg}
	tags, err := reg.LoadTags()
	if err != nil {
		t.Fatal(err)
	}
	_, err = reg.Lines(tags)
	want := `[release] maintenance_branch "release-{major}.{minor}" names release-1.2 for both the lines v1.2.3 and v1.2.4: use {line}, which gives each line its own branch`
	if err == nil || err.Error() != want {
		t.Errorf("Lines = %v, want %s", err, want)
	}
}

package validate_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/patchdiff"
	"github.com/patchline/patchline/internal/repotest"
	"github.com/patchline/patchline/internal/validate"
)

// twoLines makes a repository with the lines v2026.2 and v2026.3, each with
// its maintenance branch, and a main line that moved on.
func twoLines(t *testing.T) (r *repotest.Repo, v2, v3 gitrepo.Hash) {
	r = repotest.New(t)
	v2 = r.Commit("release 2", map[string]string{
		".patchline.toml":      testConfig,
		"main.go":              "package main\n",
		"importer/importer.go": "package importer\n\nfunc Parse() {}\n",
	})
	r.Tag("v2026.2.0")
	r.Branch("release/v2026.2", v2)
	v3 = r.Commit("release 3", map[string]string{"main.go": "package main // v2026.3\n"})
	r.Tag("v2026.3.0")
	r.Branch("release/v2026.3", v3)
	r.Commit("main moves on", map[string]string{"main.go": "package main // v2026.4\n"})
	return r, v2, v3
}

// cutAt cuts patch/<id> at a release, adds a file of its own as the fix and
// records the patch; it returns the files the branch changed, which a
// squash merge commits again.
func cutAt(t *testing.T, r *repotest.Repo, id, base string, at gitrepo.Hash, extra string) map[string]string {
	t.Helper()
	r.SwitchNew("patch/"+id, at)
	fix := map[string]string{"importer/" + strings.ToLower(id) + ".go": "package importer // " + id + "\n"}
	tip := r.Commit("fix "+id, fix)
	changes, err := r.Repo.Changes(at, tip, func(p string) bool { return strings.HasPrefix(p, "patches/") })
	if err != nil {
		t.Fatal(err)
	}
	var diff bytes.Buffer
	if err := patchdiff.Write(&diff, changes); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"patches/" + id + "/patch.toml": manifestFor(id, base, extra),
		"patches/" + id + "/patch.diff": diff.String(),
	}
	r.Commit("record "+id, files)
	for k, v := range fix {
		files[k] = v
	}
	r.Switch("main")
	return files
}

// squashMerge commits a patch's files on a maintenance branch and, when tag
// is set, tags the result as the line's next release.
func squashMerge(t *testing.T, r *repotest.Repo, branch string, files map[string]string, tag string) gitrepo.Hash {
	t.Helper()
	r.Switch(branch)
	h := r.Commit("merge", files)
	if tag != "" {
		r.Tag(tag)
	}
	r.Switch("main")
	return h
}

func TestValidateRequires(t *testing.T) {
	t.Parallel()
	const p, req = "PL-2026-0001", "PL-2026-0002"
	requires := `requires = ["` + req + `"]` + "\n"
	tests := []struct {
		name  string
		setup func(t *testing.T, r *repotest.Repo, v2, v3 gitrepo.Hash)
		want  string // the PL19x codes found
		msg   string // part of the finding's message and hint
	}{
		{"no such patch", func(t *testing.T, r *repotest.Repo, v2, v3 gitrepo.Hash) {
			cutAt(t, r, p, "v2026.3.0", v3, `requires = ["PL-2026-0099"]`+"\n")
		}, "PL190", "requires PL-2026-0099, which no patch branch or release line of this repository holds"},
		{"open on the same line, same base", func(t *testing.T, r *repotest.Repo, v2, v3 gitrepo.Hash) {
			cutAt(t, r, req, "v2026.3.0", v3, "")
			cutAt(t, r, p, "v2026.3.0", v3, requires)
		}, "", ""},
		{"in the base release", func(t *testing.T, r *repotest.Repo, v2, v3 gitrepo.Hash) {
			files := cutAt(t, r, req, "v2026.3.0", v3, "")
			v31 := squashMerge(t, r, "release/v2026.3", files, "v2026.3.1")
			cutAt(t, r, p, "v2026.3.1", v31, requires)
		}, "", ""},
		{"merged after the base", func(t *testing.T, r *repotest.Repo, v2, v3 gitrepo.Hash) {
			cutAt(t, r, p, "v2026.3.0", v3, requires)
			files := cutAt(t, r, req, "v2026.3.0", v3, "")
			squashMerge(t, r, "release/v2026.3", files, "v2026.3.1")
		}, "PL192", "requires PL-2026-0002, which merged on release/v2026.3 after v2026.3.0, the release this patch is based on (hint: it shipped in v2026.3.1: rebase onto that release"},
		{"on another line", func(t *testing.T, r *repotest.Repo, v2, v3 gitrepo.Hash) {
			cutAt(t, r, req, "v2026.2.0", v2, "")
			cutAt(t, r, p, "v2026.3.0", v3, requires)
		}, "PL191", "requires PL-2026-0002, which is on the v2026.2 line, not on v2026.3, the line of base v2026.3.0 (hint: a prerequisite must be installed on the same release line: backport it with `patchline new --from PL-2026-0002 --base v2026.3.0`"},
		{"merged on another line", func(t *testing.T, r *repotest.Repo, v2, v3 gitrepo.Hash) {
			squashMerge(t, r, "release/v2026.2", cutAt(t, r, req, "v2026.2.0", v2, ""), "v2026.2.1")
			cutAt(t, r, p, "v2026.3.0", v3, requires)
		}, "PL191", "is on the v2026.2 line, not on v2026.3"},
		{"still open while this patch merged", func(t *testing.T, r *repotest.Repo, v2, v3 gitrepo.Hash) {
			cutAt(t, r, req, "v2026.3.0", v3, "")
			squashMerge(t, r, "release/v2026.3", cutAt(t, r, p, "v2026.3.0", v3, requires), "v2026.3.1")
		}, "PL192", "requires PL-2026-0002, which has not merged on the v2026.3 line, though this patch has"},
		{"cut from a newer release", func(t *testing.T, r *repotest.Repo, v2, v3 gitrepo.Hash) {
			cutAt(t, r, p, "v2026.3.0", v3, requires)
			v31 := squashMerge(t, r, "release/v2026.3", cutAt(t, r, "PL-2026-0003", "v2026.3.0", v3, ""), "v2026.3.1")
			cutAt(t, r, req, "v2026.3.1", v31, "")
		}, "PL192", "requires PL-2026-0002, which is based on v2026.3.1, a newer release than this patch's base v2026.3.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, v2, v3 := twoLines(t)
			tt.setup(t, r, v2, v3)
			var got []validate.Finding
			for _, f := range run(t, r, p) {
				if strings.HasPrefix(f.Code, "PL19") {
					got = append(got, f)
				}
			}
			if codes(got) != tt.want {
				t.Fatalf("codes = %q, want %q\n%v", codes(got), tt.want, got)
			}
			if tt.msg != "" && !strings.Contains(got[0].Message+" (hint: "+got[0].Hint+")", tt.msg) {
				t.Errorf("finding %s (hint: %s)\nwant it to hold %s", got[0].Message, got[0].Hint, tt.msg)
			}
			if len(got) > 0 && (got[0].Severity != validate.Error || got[0].Line != 13 || got[0].File != "patches/"+p+"/patch.toml") {
				t.Errorf("finding at %s:%d, %v; want an error at the requires line, 13", got[0].File, got[0].Line, got[0].Severity)
			}
		})
	}
}

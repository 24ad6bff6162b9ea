package gitrepo

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/patchline/patchline/internal/tooltest"
)

// TestCommitInfoAndTreeEntriesAgreeWithGoGit reads every commit and tree of
// a repository the git CLI made (merges, a signed-looking multi-line
// header, zones east and west of UTC, packed and loose) with the raw
// readers and with go-git, and wants the same answers.
func TestCommitInfoAndTreeEntriesAgreeWithGoGit(t *testing.T) {
	t.Parallel()
	tooltest.Need(t, "git", "it writes the repository this test reads")
	dir := t.TempDir()
	git := func(env []string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
			"GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=C <weird>", "GIT_COMMITTER_EMAIL=c@example.com"), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git(nil, "init", "-q", "-b", "main")
	for i := 0; i < 6; i++ {
		if err := os.MkdirAll(dir+"/patches/PL-"+strconv.Itoa(i), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dir+"/patches/PL-"+strconv.Itoa(i)+"/patch.toml", []byte(strconv.Itoa(i)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dir+"/file "+strconv.Itoa(i), []byte("x"), 0o755); err != nil {
			t.Fatal(err)
		}
		git(nil, "add", "-A")
		zone := []string{"+0200", "-0930", "+0000"}[i%3]
		git([]string{"GIT_COMMITTER_DATE=2026-0" + strconv.Itoa(i+1) + "-01T10:00:00" + zone}, "commit", "-q", "-m", "subject "+strconv.Itoa(i)+"\n\nbody\n\nPatch-Id: PL-"+strconv.Itoa(i))
	}
	git(nil, "switch", "-q", "-c", "side", "HEAD~2")
	git(nil, "commit", "-q", "--allow-empty", "-m", "side")
	git(nil, "switch", "-q", "main")
	git(nil, "merge", "-q", "--no-ff", "-m", "merge side", "side")
	// A commit with an extra multi-line header, as gpgsig and mergetag are.
	raw := git(nil, "cat-file", "commit", "HEAD")
	head, msg, _ := strings.Cut(raw, "\n\n")
	withSig := head + "\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n abc\n -----END PGP SIGNATURE-----\n\n" + msg + "\n"
	cmd := exec.Command("git", "-C", dir, "hash-object", "-t", "commit", "-w", "--stdin")
	cmd.Stdin = strings.NewReader(withSig)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	git(nil, "update-ref", "refs/heads/signed", strings.TrimSpace(string(out)))

	check := func(state string) {
		r, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(git(nil, "cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype)"), "\n") {
			id, typ, _ := strings.Cut(line, " ")
			h := plumbing.NewHash(id)
			switch typ {
			case "commit":
				got, err := r.CommitInfo(h)
				if err != nil {
					t.Fatal(err)
				}
				want, err := r.Commit(h)
				if err != nil {
					t.Fatal(err)
				}
				if got.Tree != want.TreeHash || len(got.Parents) != len(want.ParentHashes) || got.Message != want.Message ||
					!got.Committed.Equal(want.Committer.When) || got.Committed.Format("-0700") != want.Committer.When.Format("-0700") {
					t.Errorf("%s: commit %s: %+v, go-git says tree %s parents %v when %v message %q", state, id, got, want.TreeHash, want.ParentHashes, want.Committer.When, want.Message)
				}
			case "tree":
				got, err := r.TreeEntries(h, "")
				if err != nil {
					t.Fatal(err)
				}
				want, err := r.TreeObject(h)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want.Entries) {
					t.Fatalf("%s: tree %s: %d entries, go-git %d", state, id, len(got), len(want.Entries))
				}
				for i, e := range want.Entries {
					if got[i].Name != e.Name || got[i].Hash != e.Hash || got[i].Dir != (e.Mode.String() == "0040000") {
						t.Errorf("%s: tree %s entry %d: %+v, go-git %s %s %s", state, id, i, got[i], e.Name, e.Hash, e.Mode)
					}
					one, err := r.TreeEntries(h, e.Name)
					if err != nil || len(one) != 1 || one[0] != got[i] {
						t.Errorf("%s: tree %s: TreeEntries(%q) = %+v, %v", state, id, e.Name, one, err)
					}
				}
				if none, err := r.TreeEntries(h, "absent"); err != nil || len(none) != 0 {
					t.Errorf("%s: tree %s: TreeEntries(absent) = %+v, %v", state, id, none, err)
				}
			}
		}
	}
	check("loose")
	git(nil, "repack", "-a", "-d", "-q")
	check("packed")
}

func TestParseCommitInfoRefuses(t *testing.T) {
	t.Parallel()
	const id = "0123456789abcdef0123456789abcdef01234567"
	for _, bad := range []string{
		"", "tree " + id + "\n", // no blank line
		"tree " + id + "\n\nmessage",                                      // no committer
		"committer C <c@x> 1 +0000\n\nmessage",                            // no tree
		"tree " + id[:39] + "\ncommitter C <c@x> 1 +0000\n\n",             // short id
		"tree " + id + "\nparent zz\ncommitter C <c@x> 1 +0000\n\n",       // bad parent
		"tree " + id + "\ncommitter C <c@x> soon +0000\n\n",               // bad time
		"tree " + id + "\ntree " + id + "\ncommitter C <c@x> 1 +0000\n\n", // two trees
	} {
		if _, ok := parseCommitInfo([]byte(bad)); ok {
			t.Errorf("parseCommitInfo(%q) accepted", bad)
		}
	}
}

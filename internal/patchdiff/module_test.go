package patchdiff

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestRealModules diffs two published versions of real Go modules (from
// the Go module cache) with git, and checks three things: our Parse+Apply
// of git's diff rebuilds the newer tree from the older one, `git apply`
// of the same diff agrees, and `git apply` of our own Write of the two
// trees rebuilds it too.
//
// git's diff comes from two commits in a scratch repository rather than
// `git diff --no-index old new`, which would name every path a/old/... and
// b/new/... and need its headers rewritten.
func TestRealModules(t *testing.T) {
	t.Parallel()
	requireGit(t)
	if testing.Short() {
		t.Skip("downloads modules; skipped with -short")
	}
	pairs := []struct{ module, old, new string }{
		{"github.com/BurntSushi/toml", "v1.3.2", "v1.4.0"},
		{"github.com/spf13/cobra", "v1.7.0", "v1.8.0"},
		{"golang.org/x/text", "v0.14.0", "v0.15.0"},
	}
	for _, p := range pairs {
		t.Run(p.module, func(t *testing.T) {
			t.Parallel()
			oldTree := readTree(t, downloadModule(t, p.module, p.old))
			newTree := readTree(t, downloadModule(t, p.module, p.new))

			gitDiff := gitDiffTrees(t, oldTree, newTree)
			files, err := Parse(bytes.NewReader(gitDiff))
			if err != nil {
				t.Fatalf("Parse of git's diff: %v", err)
			}
			oldDir := t.TempDir()
			writeTree(t, oldDir, oldTree)
			rs, err := Apply(files, DirSource(oldDir))
			if err != nil {
				t.Fatalf("Apply of git's diff: %v", err)
			}
			if d := diffTrees(withResults(oldTree, rs), newTree); d != "" {
				t.Fatalf("Apply of git's diff differs from %s@%s:\n%s", p.module, p.new, d)
			}

			byGit := t.TempDir()
			writeTree(t, byGit, oldTree)
			if _, err := gitCmd(t, byGit, gitDiff, "apply", "--binary", "-"); err != nil {
				t.Fatal(err)
			}
			if d := diffTrees(readTree(t, byGit), withResults(oldTree, rs)); d != "" {
				t.Fatalf("git apply and Apply disagree:\n%s", d)
			}

			var ours bytes.Buffer
			if err := Write(&ours, changesBetween(oldTree, newTree)); err != nil {
				t.Fatal(err)
			}
			ourDir := t.TempDir()
			writeTree(t, ourDir, oldTree)
			if _, err := gitCmd(t, ourDir, ours.Bytes(), "apply", "--binary", "-"); err != nil {
				t.Fatalf("git apply of our Write: %v", err)
			}
			if d := diffTrees(readTree(t, ourDir), newTree); d != "" {
				t.Fatalf("git apply of our Write differs from %s@%s:\n%s", p.module, p.new, d)
			}
			same, total := sameSections(ours.Bytes(), gitDiff)
			t.Logf("%s %s..%s: %d files in the diff, %d written byte for byte as git does (%d vs %d bytes)",
				p.module, p.old, p.new, total, same, ours.Len(), len(gitDiff))
		})
	}
}

// downloadModule returns the module cache directory of module@version, or
// skips the test when it cannot be had (offline, no proxy).
func downloadModule(t *testing.T, module, version string) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", module+"@"+version)
	cmd.Dir = t.TempDir() // outside any module: leave go.mod alone
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); jerr != nil || err != nil || info.Error != "" || info.Dir == "" {
		t.Skipf("cannot download %s@%s (offline?): %v %s", module, version, err, info.Error)
	}
	return info.Dir
}

// sameSections counts the file sections of ours that appear verbatim in
// git's diff, and how many sections ours has.
func sameSections(ours, git []byte) (same, total int) {
	for _, s := range strings.SplitAfter(string(ours), "\ndiff --git ") {
		total++
		s = strings.TrimSuffix(s, "diff --git ")
		if bytes.Contains(git, []byte(s)) {
			same++
		}
	}
	return same, total
}

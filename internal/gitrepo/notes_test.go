package gitrepo_test

import (
	"errors"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/repotest"
	"github.com/patchline/patchline/internal/tooltest"
)

const notesRef = "refs/notes/patchline"

func notesByObject(t *testing.T, r *gitrepo.Repo, max int64) map[string]string {
	t.Helper()
	notes, err := r.Notes(notesRef, max)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, n := range notes {
		got[n.Object.String()] = string(n.Data)
	}
	return got
}

func TestNotes(t *testing.T) {
	t.Parallel()
	r := repotest.New(t)
	c1 := r.Commit("c1", map[string]string{"a.txt": "1\n"})
	c2 := r.Commit("c2", map[string]string{"a.txt": "2\n"})

	if got := notesByObject(t, r.Repo, 1024); len(got) != 0 {
		t.Fatalf("no notes ref: got %v, want no notes", got)
	}
	for _, n := range []struct {
		on   gitrepo.Hash
		text string
	}{{c1, "one\n"}, {c2, "two\n"}, {c1, "one again\n"}} {
		if _, err := r.Repo.AddNote(notesRef, n.on, []byte(n.text), r.Sig()); err != nil {
			t.Fatal(err)
		}
	}
	got := notesByObject(t, r.Repo, 1024)
	want := map[string]string{c1.String(): "one again\n", c2.String(): "two\n"}
	if len(got) != len(want) || got[c1.String()] != want[c1.String()] || got[c2.String()] != want[c2.String()] {
		t.Errorf("got notes %v, want %v", got, want)
	}
	// A note is input: one over the size asked for is refused, not cut.
	if _, err := r.Repo.Notes(notesRef, 5); !errors.Is(err, gitrepo.ErrNoteTooLarge) {
		t.Errorf("Notes(max 5) = %v, want ErrNoteTooLarge", err)
	}
	// Another ref is another set of notes.
	if other, err := r.Repo.Notes("refs/notes/commits", 1024); err != nil || len(other) != 0 {
		t.Errorf("refs/notes/commits: got %v, %v; want no notes", other, err)
	}

	tooltest.Need(t, "git", "it checks the notes against git")
	// git reads what AddNote wrote.
	out, err := exec.Command("git", "-C", r.Dir, "notes", "--ref=patchline", "show", c1.String()).Output()
	if err != nil || string(out) != "one again\n" {
		t.Errorf("git notes show = %q, %v; want %q", out, err, "one again\n")
	}
}

// TestNotesFanOut reads a notes tree split into fan-out directories, as
// git writes it for many notes, beside a file that is not a note, and
// agrees with `git notes list`.
func TestNotesFanOut(t *testing.T) {
	t.Parallel()
	tooltest.Need(t, "git", "it writes a fan-out notes tree")
	r := repotest.New(t)
	c1 := r.Commit("c1", map[string]string{"a.txt": "1\n"})
	c2 := r.Commit("c2", map[string]string{"a.txt": "2\n"})
	git := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", r.Dir}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		cmd.Env = append(cmd.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git %s: %v", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out))
	}
	b1 := git("split note\n", "hash-object", "-w", "--stdin")
	b2 := git("flat note\n", "hash-object", "-w", "--stdin")
	readme := git("not a note\n", "hash-object", "-w", "--stdin")
	h1 := c1.String()
	sub := git("100644 blob "+b1+"\t"+h1[2:]+"\n", "mktree")
	root := git("040000 tree "+sub+"\t"+h1[:2]+"\n100644 blob "+b2+"\t"+c2.String()+"\n100644 blob "+readme+"\tREADME\n", "mktree")
	commit := git("", "commit-tree", root, "-m", "notes")
	git("", "update-ref", notesRef, commit)

	repo, err := gitrepo.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	got := notesByObject(t, repo, 1024)
	if got[h1] != "split note\n" || got[c2.String()] != "flat note\n" || len(got) != 2 {
		t.Errorf("got notes %v, want the split and the flat one", got)
	}
	var fromGit []string
	for _, line := range strings.Split(git("", "notes", "--ref=patchline", "list"), "\n") {
		f := strings.Fields(line)
		fromGit = append(fromGit, f[1])
	}
	var ours []string
	for id := range got {
		ours = append(ours, id)
	}
	sort.Strings(fromGit)
	sort.Strings(ours)
	if strings.Join(fromGit, " ") != strings.Join(ours, " ") {
		t.Errorf("annotated objects: git lists %v, Notes read %v", fromGit, ours)
	}
}

func TestTagMessage(t *testing.T) {
	t.Parallel()
	r := repotest.New(t)
	r.Commit("c1", map[string]string{"a.txt": "1\n"})
	r.Tag("v2026.1.0")
	tags, err := r.Repo.Tags()
	if err != nil || len(tags) != 1 {
		t.Fatalf("Tags() = %v, %v", tags, err)
	}
	if got := tags[0].Message(); got != "release v2026.1.0" && got != "release v2026.1.0\n" {
		t.Errorf("Message() = %q, want the tag's message", got)
	}
	if got := (gitrepo.Tag{Name: "light"}).Message(); got != "" {
		t.Errorf("lightweight tag: Message() = %q, want empty", got)
	}
}

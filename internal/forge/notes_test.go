package forge_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/patchline/patchline/internal/forge"
	"github.com/patchline/patchline/internal/forge/forgetest"
)

const notesRef = "refs/notes/patchline"

// TestNotes writes and reads git notes through the git data API against
// the fake, which checks every request and answer against GitHub's
// description and keeps real git objects.
func TestNotes(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	merge1 := strings.Repeat("1", 40)
	merge2 := strings.Repeat("2", 40)

	n, err := f.c.ReadNote(ctx, notesRef, merge1)
	if err != nil || n.Found() || n.Commit != "" {
		t.Fatalf("ReadNote before any note = %+v, %v; want none and no notes commit", n, err)
	}
	first, err := f.c.WriteNote(ctx, n, []byte("one\n"), "record one")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := f.srv.Note(notesRef, merge1); !ok || got != "one\n" {
		t.Fatalf("the fake's note on merge1 = %q, %v", got, ok)
	}
	n, err = f.c.ReadNote(ctx, notesRef, merge1)
	if err != nil || !n.Found() || string(n.Content) != "one\n" || n.Commit != first || n.Path != merge1 {
		t.Fatalf("ReadNote = %+v, %v; want the note at %s in %s", n, err, merge1, first)
	}

	// A second object's note goes on top: the first stays.
	stale, err := f.c.ReadNote(ctx, notesRef, merge2)
	if err != nil || stale.Found() || stale.Commit != first {
		t.Fatalf("ReadNote(merge2) = %+v, %v", stale, err)
	}
	if _, err := f.c.WriteNote(ctx, stale, []byte("two\n"), "record two"); err != nil {
		t.Fatal(err)
	}
	for obj, want := range map[string]string{merge1: "one\n", merge2: "two\n"} {
		if got, ok := f.srv.Note(notesRef, obj); !ok || got != want {
			t.Errorf("note on %s = %q, %v; want %q", obj[:7], got, ok, want)
		}
	}

	// A write from what an earlier read saw would drop the note written
	// since: GitHub refuses it as not a fast-forward, and nothing is lost.
	_, err = f.c.WriteNote(ctx, stale, []byte("two, again\n"), "record two again")
	if !errors.Is(err, forge.ErrRejected) || !strings.Contains(err.Error(), "Update is not a fast forward") {
		t.Fatalf("WriteNote from a stale read = %v, want ErrRejected, not a fast forward", err)
	}
	if got, _ := f.srv.Note(notesRef, merge2); got != "two\n" {
		t.Errorf("after the refused write, note on merge2 = %q, want %q", got, "two\n")
	}
	// So does the first write of the ref when another run made it.
	if _, err := f.c.WriteNote(ctx, forge.Note{Ref: notesRef, Object: merge1}, []byte("x\n"), "x"); !errors.Is(err, forge.ErrRejected) {
		t.Errorf("creating an existing notes ref = %v, want ErrRejected", err)
	}

	// A note in a fan-out directory (ab/cdef…), as git writes many notes,
	// is found and rewritten where it is.
	merge3 := "ab" + strings.Repeat("3", 38)
	n, err = f.c.ReadNote(ctx, notesRef, merge3)
	if err != nil {
		t.Fatal(err)
	}
	n.Path = merge3[:2] + "/" + merge3[2:]
	if _, err := f.c.WriteNote(ctx, n, []byte("three\n"), "three"); err != nil {
		t.Fatal(err)
	}
	n, err = f.c.ReadNote(ctx, notesRef, merge3)
	if err != nil || n.Path != "ab/"+merge3[2:] || string(n.Content) != "three\n" {
		t.Fatalf("ReadNote(fan-out) = %+v, %v", n, err)
	}
	if _, err := f.c.WriteNote(ctx, n, []byte("three, again\n"), "three again"); err != nil {
		t.Fatal(err)
	}
	if got, ok := f.srv.Note(notesRef, merge3); !ok || got != "three, again\n" {
		t.Errorf("fan-out note = %q, %v", got, ok)
	}
}

// TestUpdateRefProtectedBranch: GitHub refuses to move a protected branch
// outside a pull request, with the branch named in its message.
func TestUpdateRefProtectedBranch(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	if err := f.c.CreateRef(ctx, "refs/heads/release/v2026.3", f.main); err != nil {
		t.Fatal(err)
	}
	next := f.srv.AddCommit(forgetest.Commit{Parents: []string{f.main}, Message: "direct"})
	f.srv.Protect("release/v2026.3", forgetest.Protection{RequiredChecks: []string{"patchline/qa"}})
	err := f.c.UpdateRef(ctx, "refs/heads/release/v2026.3", next)
	var apiErr *forge.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 422 || !errors.Is(err, forge.ErrRejected) ||
		!strings.Contains(apiErr.Message, "Protected branch update failed for refs/heads/release/v2026.3.") {
		t.Fatalf("UpdateRef(protected) = %v, want a 422 naming the protected branch", err)
	}
	if sha, _ := f.srv.Branch("release/v2026.3"); sha != f.main {
		t.Errorf("the protected branch moved to %s", sha)
	}
	f.srv.Unprotect("release/v2026.3")
	if err := f.c.UpdateRef(ctx, "refs/heads/release/v2026.3", next); err != nil {
		t.Errorf("UpdateRef(unprotected) = %v", err)
	}
}

func TestWriteNoteDryRun(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	c, err := forge.New(forge.Options{Repo: "acme/inventory", DryRun: &out})
	if err != nil {
		t.Fatal(err)
	}
	n, err := c.ReadNote(context.Background(), notesRef, "{merge_commit_sha}")
	if err != nil || n.Found() {
		t.Fatalf("offline ReadNote = %+v, %v", n, err)
	}
	if _, err := c.WriteNote(context.Background(), n, []byte("{}\n"), "record"); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{"POST /repos/acme/inventory/git/blobs\n", "POST /repos/acme/inventory/git/trees\n",
		`"path": "{merge_commit_sha}"`, "POST /repos/acme/inventory/git/commits\n", "POST /repos/acme/inventory/git/refs\n", `"ref": "refs/notes/patchline"`} {
		if !strings.Contains(got, want) {
			t.Errorf("dry run printed:\n%s\nwant it to hold %q", got, want)
		}
	}
}

// Package repotest builds real git repositories in temporary directories for
// tests, with go-git, so tests need no git binary and repeat exactly.
package repotest

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchline/patchline/internal/gitrepo"
)

// Repo is a repository under test.
type Repo struct {
	t    testing.TB
	Dir  string
	Repo *gitrepo.Repo
	when time.Time
}

// New makes an empty repository on branch main.
func New(t testing.TB) *Repo {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "product")
	r, err := gitrepo.Init(dir, "main")
	if err != nil {
		t.Fatal(err)
	}
	return &Repo{t: t, Dir: dir, Repo: r, when: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
}

// Sig returns a signature one minute after the previous one, so every
// commit has its own time and runs repeat.
func (r *Repo) Sig() *object.Signature {
	r.when = r.when.Add(time.Minute)
	return &object.Signature{Name: "Test Developer", Email: "dev@example.com", When: r.when}
}

// Signer is a gitrepo.Signer whose author and committer are Sig's.
func (r *Repo) Signer() gitrepo.Signer {
	return func() (*object.Signature, *object.Signature, error) {
		s := r.Sig()
		return s, s, nil
	}
}

// NoIdentity is a gitrepo.Signer with no identity to give, as on a machine
// without user.name: whatever asks it for one fails.
func NoIdentity() (*object.Signature, *object.Signature, error) {
	return nil, nil, errors.New("no identity")
}

// Unasked is a gitrepo.Signer the test expects never to be asked, because
// nothing is to be committed; asking it fails t with why.
func Unasked(t testing.TB, why string) gitrepo.Signer {
	return func() (*object.Signature, *object.Signature, error) {
		t.Error(why)
		return NoIdentity()
	}
}

// Write writes files (path -> contents) into the work tree.
func (r *Repo) Write(files map[string]string) *Repo {
	r.t.Helper()
	for p, data := range files {
		full := filepath.Join(r.Dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	return r
}

// Remove deletes paths from the work tree.
func (r *Repo) Remove(paths ...string) *Repo {
	r.t.Helper()
	for _, p := range paths {
		if err := os.RemoveAll(filepath.Join(r.Dir, filepath.FromSlash(p))); err != nil {
			r.t.Fatal(err)
		}
	}
	return r
}

// Commit writes files and commits everything in the work tree.
func (r *Repo) Commit(message string, files map[string]string) gitrepo.Hash {
	r.t.Helper()
	r.Write(files)
	s := r.Sig()
	h, err := r.Repo.CommitAll(message, s, s)
	if err != nil {
		r.t.Fatal(err)
	}
	return h
}

// Merge commits the work tree, with files written, as a merge of HEAD and
// other.
func (r *Repo) Merge(message string, other gitrepo.Hash, files map[string]string) gitrepo.Hash {
	r.t.Helper()
	r.Write(files)
	s := r.Sig()
	h, err := r.Repo.CommitAll(message, s, s, other)
	if err != nil {
		r.t.Fatal(err)
	}
	return h
}

// Advance moves the clock of the next commits and tags on by d.
func (r *Repo) Advance(d time.Duration) { r.when = r.when.Add(d) }

// Tag makes an annotated tag at HEAD.
func (r *Repo) Tag(name string) gitrepo.Hash {
	r.t.Helper()
	_, head, err := r.Repo.Head()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.Repo.CreateTag(name, head, "release "+name, r.Sig()); err != nil {
		r.t.Fatal(err)
	}
	return head
}

// Branch creates a branch at a commit.
func (r *Repo) Branch(name string, at gitrepo.Hash) {
	r.t.Helper()
	if err := r.Repo.CreateBranch(name, at); err != nil {
		r.t.Fatal(err)
	}
}

// Switch checks out an existing branch.
func (r *Repo) Switch(name string) {
	r.t.Helper()
	if err := r.Repo.Checkout(name); err != nil {
		r.t.Fatal(err)
	}
}

// SwitchNew creates a branch at a commit and checks it out.
func (r *Repo) SwitchNew(name string, at gitrepo.Hash) {
	r.t.Helper()
	if err := r.Repo.CheckoutNewBranch(name, at); err != nil {
		r.t.Fatal(err)
	}
}

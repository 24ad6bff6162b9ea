package gitrepo

import (
	"fmt"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
)

// WrongBranchError is returned by RequireBranch: a command that commits
// to one branch found another checked out.
type WrongBranchError struct {
	What string // what is committed there, e.g. "records are committed on"
	Want string
	Have string
}

func (e *WrongBranchError) Error() string {
	return fmt.Sprintf("%s %s, and %s is checked out: run `git switch %s` first", e.What, e.Want, e.Have, e.Want)
}

// RequireBranch returns a *WrongBranchError unless branch is checked out;
// what says what the command commits there. Commands check it before they
// write anything.
func (r *Repo) RequireBranch(branch, what string) error {
	head, _, err := r.Head()
	if err != nil {
		return err
	}
	if head != branch {
		if head == "" {
			head = "a detached HEAD"
		}
		return &WrongBranchError{What: what, Want: branch, Have: head}
	}
	return nil
}

// Signer returns who commits: the author and committer of a commit made
// now. It is called only when there is something to commit, so a missing
// identity stops no command that commits nothing.
type Signer func() (author, committer *object.Signature, err error)

// SignerFrom is the Signer that takes the identity as git does (Identity).
func (r *Repo) SignerFrom(getenv func(string) string, now func() time.Time) Signer {
	return func() (*object.Signature, *object.Signature, error) {
		return r.Identity(getenv, now())
	}
}

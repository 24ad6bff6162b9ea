package gitrepo

import (
	"fmt"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Init creates a repository with a work tree in dir, on branch.
func Init(dir, branch string) (*Repo, error) {
	_, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(branch)},
	})
	if err != nil {
		return nil, fmt.Errorf("init %s: %w", dir, err)
	}
	return Open(dir)
}

// CommitAll stages every change in the work tree, as `git add -A`, and
// commits. Commits in merged become further parents after HEAD: a merge
// whose result is the work tree.
func (r *Repo) CommitAll(message string, author, committer *object.Signature, merged ...Hash) (Hash, error) {
	wt, err := r.git.Worktree()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("no work tree: %w", err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("stage: %w", err)
	}
	opts := &git.CommitOptions{Author: author, Committer: committer}
	if len(merged) > 0 {
		_, head, err := r.Head()
		if err != nil {
			return plumbing.ZeroHash, err
		}
		opts.Parents = append([]Hash{head}, merged...)
	}
	h, err := wt.Commit(message, opts)
	r.refsChanged()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("commit: %w", err)
	}
	return h, nil
}

// CreateTag makes an annotated tag of commit.
func (r *Repo) CreateTag(name string, commit Hash, message string, tagger *object.Signature) error {
	defer r.refsChanged()
	if _, err := r.git.CreateTag(name, commit, &git.CreateTagOptions{Message: message, Tagger: tagger}); err != nil {
		return fmt.Errorf("tag %s: %w", name, err)
	}
	return nil
}

// Checkout switches the work tree to an existing branch.
func (r *Repo) Checkout(branch string) error {
	wt, err := r.git.Worktree()
	if err != nil {
		return fmt.Errorf("no work tree: %w", err)
	}
	defer r.refsChanged()
	if err := wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName(branch)}); err != nil {
		return fmt.Errorf("check out %s: %w", branch, err)
	}
	return nil
}

// Stage stages paths of the work tree as they are now, deletions
// included, as `git add -A -- paths` does.
func (r *Repo) Stage(paths ...string) error {
	wt, err := r.git.Worktree()
	if err != nil {
		return fmt.Errorf("no work tree: %w", err)
	}
	for _, p := range paths {
		if _, err := wt.Add(p); err != nil {
			return fmt.Errorf("stage %s: %w", p, err)
		}
	}
	return nil
}

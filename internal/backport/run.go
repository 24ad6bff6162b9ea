package backport

import (
	"fmt"

	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/rollup"
)

// InputError is a backport that cannot be worked out as asked: the
// original's manifest does not decode, the tag's line is not supported, or
// the tag is on the patch's own line (ErrSameLine). The user fixes the input.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// BranchExistsError is returned when the backport branch is already there:
// the backport is under way, and starting it again would lose that work.
type BranchExistsError struct {
	Branch, ID, Line string
}

func (e *BranchExistsError) Error() string {
	return fmt.Sprintf("branch %s already exists: the backport of %s to %s is under way", e.Branch, e.ID, e.Line)
}

// Result is what Run did: nothing, when base already holds the fix
// (Already), or the plan it started and the commit on its branch.
type Result struct {
	// Already is the proof that base holds the fix; nil when it does not,
	// and then nothing else was written.
	Already *rollup.Verdict
	Plan    *Plan
	Commit  gitrepo.Hash
}

// Applied reports whether the original fix was committed with the
// manifest; when not, Plan.Conflict says why and the branch is left for a
// human to adapt the fix.
func (r *Result) Applied() bool { return r.Plan != nil && r.Plan.Diff != nil }

// Run backports orig to base: nothing when base already has the fix
// (merged forward, cherry-picked, fixed the same way), else the branch
// patch/<ID>@<line> cut at base with the manifest and, when it applies,
// the fix (Prepare, Start). identity is asked only when a commit is made.
func Run(reg *registry.Registry, orig *registry.Patch, base gitrepo.Tag, identity gitrepo.Signer) (*Result, error) {
	if v, err := already(reg, orig, base); err != nil {
		return nil, err
	} else if v != nil {
		return &Result{Already: v}, nil
	}
	plan, err := Prepare(reg, orig, base)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	if _, ok, err := reg.Repo.Branch(plan.Branch); err != nil {
		return nil, err
	} else if ok {
		return nil, &BranchExistsError{Branch: plan.Branch, ID: plan.ID, Line: plan.Line}
	}
	author, committer, err := identity()
	if err != nil {
		return nil, err
	}
	commit, err := Start(reg.Repo, plan, author, committer)
	if err != nil {
		return nil, err
	}
	return &Result{Plan: plan, Commit: commit}, nil
}

// already is the proof that base, on another line than orig's, holds
// orig's fix; nil when it does not or the question does not arise.
func already(reg *registry.Registry, orig *registry.Patch, base gitrepo.Tag) (*rollup.Verdict, error) {
	if orig.Manifest == nil {
		return nil, nil // Prepare says why
	}
	own, _ := reg.Config.LineOf(orig.Manifest.Base)
	if line, _ := reg.Config.LineOf(base.Name); own == "" || line == own {
		return nil, nil
	}
	h, err := history.New(reg)
	if err != nil {
		return nil, err
	}
	v, err := rollup.ProvePatch(h, orig, base)
	if err != nil || !v.In() {
		return nil, err
	}
	return &v, nil
}

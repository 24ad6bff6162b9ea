package review

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/patchline/patchline/internal/forge"
	"github.com/patchline/patchline/internal/qa"
	"github.com/patchline/patchline/internal/validate"
)

// QAContext is the commit status Gate sets.
const QAContext = "patchline/qa"

// Gated is what Gate decided.
type Gated struct {
	Number      int           `json:"number"`
	Head        string        `json:"head"`
	State       string        `json:"state"`
	Description string        `json:"description"`
	Required    int           `json:"required"`
	Approvals   []qa.Approval `json:"approvals"`
	Missing     int           `json:"missing"`
	Validated   bool          `json:"validated"`
	Explain     []string      `json:"explain"`
}

// Gate decides the open pull request's patchline/qa status, its reviews
// against [qa] and validate on the patch's commit (patchCommit, which check
// gives the report of), and sets it on the head commit. A gate that fails
// before the status is set sets it to error, so that a success an earlier
// run left cannot let the pull request merge. A pull request that merged
// has nothing left to gate: nil, nil.
func (t *Target) Gate(ctx context.Context, patchCommit string, check func() (*validate.Report, error)) (*Gated, error) {
	c := t.Forge
	prs, err := c.FindPulls(ctx, t.Head, "all")
	if err != nil {
		return nil, err
	}
	pr := forge.OpenPull(prs)
	if pr == nil {
		if !c.Offline() {
			return nil, t.notOpen(ctx, prs)
		}
		pr = &forge.PullRequest{HeadSHA: patchCommit}
	}
	res, err := t.gate(ctx, *pr, patchCommit, check)
	if err != nil {
		return nil, t.undecided(ctx, *pr, err)
	}
	err = c.SetStatus(ctx, pr.HeadSHA, forge.Status{State: res.State, Context: QAContext, Description: res.Description, TargetURL: pr.URL})
	if err != nil {
		return nil, t.undecided(ctx, *pr, err)
	}
	return res, nil
}

// gate decides the pull request's status: its reviews against [qa], and
// validate on its head commit.
func (t *Target) gate(ctx context.Context, pr forge.PullRequest, patchCommit string, check func() (*validate.Report, error)) (*Gated, error) {
	d, err := t.Decide(ctx, pr)
	if err != nil {
		return nil, err
	}
	res := &Gated{Number: pr.Number, Head: pr.HeadSHA, State: d.State, Description: d.Description,
		Required: d.Required, Approvals: d.Approvals, Missing: d.Missing(), Explain: d.Explain(t.Policy)}
	if res.Approvals == nil {
		res.Approvals = []qa.Approval{}
	}

	// validate must pass on the very commit the approvals are for.
	rep, err := check()
	switch {
	case err != nil:
		return nil, err
	case patchCommit != pr.HeadSHA && !t.Forge.Offline():
		res.State = qa.Failure
		res.Description = fmt.Sprintf("validated %s, not the head %s: fetch it and rerun", ShortSHA(patchCommit), ShortSHA(pr.HeadSHA))
		res.Explain = append(res.Explain, "blocking: "+res.Description+" (git fetch origin "+t.Head+")")
	case rep.Failed():
		errs := 0
		for _, p := range rep.Patches {
			errs += p.Errors
		}
		var codes []string
		for _, f := range rep.Findings {
			if f.Severity == validate.Error && !slices.Contains(codes, f.Code) {
				codes = append(codes, f.Code)
			}
		}
		res.State = qa.Failure
		res.Description = fmt.Sprintf("validate: %d error(s) (%s); %s", errs, strings.Join(codes, ", "), d.Description)
		for _, f := range rep.Findings {
			if f.Severity == validate.Error {
				res.Explain = append(res.Explain, "blocking: "+f.String())
			}
		}
	default:
		res.Validated = true
	}
	return res, nil
}

// undecided is a gate that failed before its status was set. It sets
// patchline/qa to error on the head, and returns why.
func (t *Target) undecided(ctx context.Context, pr forge.PullRequest, cause error) error {
	c := t.Forge
	if c.DryRun() || pr.HeadSHA == "" {
		return cause
	}
	why := cause.Error()
	var apiErr *forge.APIError
	if errors.As(cause, &apiErr) {
		why = apiErr.Op + ": " + apiErr.Kind.Error()
	}
	err := c.SetStatus(ctx, pr.HeadSHA, forge.Status{State: qa.Error, Context: QAContext,
		Description: "not decided (" + why + "); rerun patchline gate", TargetURL: pr.URL})
	if err != nil {
		return fmt.Errorf("%w; %s on %s could not be set to error either, so the status an earlier run set stands until a rerun succeeds", cause, QAContext, ShortSHA(pr.HeadSHA))
	}
	t.say("set %s to error on %s: rerun patchline gate", QAContext, ShortSHA(pr.HeadSHA))
	return cause
}

// notOpen explains why no open pull request is there to gate. A merged one
// has nothing left to gate; a closed one, most often closed by GitHub when
// its branch was deleted, must be reopened.
func (t *Target) notOpen(ctx context.Context, prs []forge.PullRequest) error {
	c := t.Forge
	for _, p := range prs {
		if p.Merged && p.BaseRef == t.Base {
			t.say("#%d from %s already merged into %s: nothing left to gate", p.Number, t.Head, t.Base)
			return nil
		}
	}
	if len(prs) == 0 {
		return mark(ErrNotOpen, "no open pull request from %s on %s: run `patchline pr %s` first", t.Head, c.Repo(), t.Manifest.ID)
	}
	closed := prs[0]
	if _, found, err := c.GetRef(ctx, "heads/"+t.Head); err != nil {
		return err
	} else if !found {
		return fmt.Errorf("%w: #%d closed when %s was deleted from %s; push it again (git push -u origin %s) and reopen #%d",
			ErrHeadBranchMissing, closed.Number, t.Head, c.Repo(), t.Head, closed.Number)
	}
	return mark(ErrNotOpen, "#%d from %s is closed: reopen it, or run `patchline pr %s` to open a new one", closed.Number, t.Head, t.Manifest.ID)
}

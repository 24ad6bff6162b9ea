package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/forge"
	"github.com/patchline/patchline/internal/qa"
	"github.com/patchline/patchline/internal/validate"
)

// GateOptions are the flags of `patchline gate`.
type GateOptions struct {
	IO   *IOStreams
	Repo RepoFlags
	JSONFlag
	Getenv func(string) string
	Now    func() time.Time
	ID     string
	DryRun bool
}

// NewCmdGate builds `patchline gate`.
func NewCmdGate(f *Factory, runF func(*GateOptions) error) *cobra.Command {
	opts := &GateOptions{IO: f.IO, Getenv: f.Getenv, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "gate [ID]",
		Short: "Set the patchline/qa status: the required check for merging a patch",
		Long: `Reads the reviews of the patch's open pull request and sets the commit
status patchline/qa on its head commit: success only when [qa] approvals
distinct QA reviewers ([qa] reviewers: users, or members of org/team)
approved the head commit itself, and validate passes. An approval of an
older commit does not count, a later "changes requested" or a dismissal
cancels one, and the patch's authors (the pull request's and its commits')
never count. Otherwise the status is pending (approvals missing) or failure
(changes requested, or validate fails), and the description and stdout say
what is missing.

When gate cannot decide (GitHub rate limits it past its wait, refuses the
token, or does not answer), it sets the status to error, so that a success
an earlier run left on the same commit cannot let the pull request merge,
and exits non-zero; a rerun decides. A merged pull request has nothing
left to gate.

Make patchline/qa a required status check of the maintenance branches.

Exit status: 0 when the gate is satisfied (or the pull request merged), 1
when not, and when GitHub could not be read (stdout then has no status
line); 2 for no token, a refused token or a repository GitHub does not
show; 4 when the patch branch was deleted and its pull request closed.`,
		Example: `  patchline gate                      # on the patch branch
  patchline gate patch/PL-2026-0007   # in a pull_request_review workflow
  patchline gate --json`,
		Args: argsUsage(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.ID = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return runGate(cmd.Context(), opts)
		},
	}
	opts.Repo.AddFlags(cmd)
	opts.JSONFlag.AddFlags(cmd)
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print the status it would set, set none")
	return cmd
}

// GateResult is what `patchline gate` reports.
type GateResult struct {
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

func runGate(ctx context.Context, opts *GateOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	t, err := loadPRTarget(opts.Repo, opts.IO, opts.Getenv, opts.ID, opts.DryRun)
	if err != nil {
		return err
	}
	c := t.client
	prs, err := c.FindPulls(ctx, t.head, "all")
	if err != nil {
		return err
	}
	pr := forge.OpenPull(prs)
	if pr == nil {
		if !c.Offline() {
			return t.notOpen(ctx, prs)
		}
		pr = &forge.PullRequest{HeadSHA: t.patch.Commit.String()}
	}
	res, err := t.gate(ctx, *pr, opts.Now())
	if err != nil {
		return t.undecided(ctx, *pr, err)
	}
	err = c.SetStatus(ctx, pr.HeadSHA, forge.Status{State: res.State, Context: QAContext, Description: res.Description, TargetURL: pr.URL})
	if err != nil {
		return t.undecided(ctx, *pr, err)
	}
	if opts.JSON {
		if err := writeJSON(opts.IO, res); err != nil {
			return err
		}
	} else if !opts.DryRun {
		fmt.Fprintf(opts.IO.Out, "%s: %s — %s\n", QAContext, res.State, res.Description)
		for _, line := range res.Explain {
			fmt.Fprintf(opts.IO.Out, "  %s\n", line)
		}
	}
	if res.State != qa.Success {
		return findings()
	}
	return nil
}

// gate decides the pull request's patchline/qa status: its reviews against
// [qa], and validate on its head commit.
func (t *prTarget) gate(ctx context.Context, pr forge.PullRequest, now time.Time) (*GateResult, error) {
	c := t.client
	d, err := t.decide(ctx, pr)
	if err != nil {
		return nil, err
	}
	res := &GateResult{Number: pr.Number, Head: pr.HeadSHA, State: d.State, Description: d.Description,
		Required: d.Required, Approvals: d.Approvals, Missing: d.Missing(), Explain: d.Explain(t.policy)}
	if res.Approvals == nil {
		res.Approvals = []qa.Approval{}
	}

	// validate must pass on the very commit the approvals are for.
	rep, err := validatePatch(t.reg, t.patch, now)
	switch {
	case err != nil:
		return nil, err
	case t.patch.Commit.String() != pr.HeadSHA && !c.Offline():
		res.State = qa.Failure
		res.Description = fmt.Sprintf("validated %s, not the head %s: fetch it and rerun", shortSHA(t.patch.Commit.String()), shortSHA(pr.HeadSHA))
		res.Explain = append(res.Explain, "blocking: "+res.Description+" (git fetch origin "+t.head+")")
	case rep.Failed():
		v := summarizeReport(rep)
		var codes []string
		for _, f := range rep.Findings {
			if f.Severity == validate.Error && !containsString(codes, f.Code) {
				codes = append(codes, f.Code)
			}
		}
		res.State = qa.Failure
		res.Description = fmt.Sprintf("validate: %d error(s) (%s); %s", v.Errors, strings.Join(codes, ", "), d.Description)
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
// patchline/qa to error on the head, so that a success an earlier run left
// on the same commit cannot let the pull request merge, and returns why.
func (t *prTarget) undecided(ctx context.Context, pr forge.PullRequest, cause error) error {
	c := t.client
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
		return fmt.Errorf("%w; %s on %s could not be set to error either, so the status an earlier run set stands until a rerun succeeds", cause, QAContext, shortSHA(pr.HeadSHA))
	}
	t.say("set %s to error on %s: rerun patchline gate", QAContext, shortSHA(pr.HeadSHA))
	return cause
}

// notOpen explains why no open pull request is there to gate. A merged one
// has nothing left to gate; a closed one, most often closed by GitHub when
// its branch was deleted, must be reopened.
func (t *prTarget) notOpen(ctx context.Context, prs []forge.PullRequest) error {
	c := t.client
	for _, p := range prs {
		if p.Merged && p.BaseRef == t.base {
			t.say("#%d from %s already merged into %s: nothing left to gate", p.Number, t.head, t.base)
			return nil
		}
	}
	if len(prs) == 0 {
		return &exitError{code: ExitFindings, err: fmt.Errorf("no open pull request from %s on %s: run `patchline pr %s` first", t.head, c.Repo(), t.m.ID)}
	}
	closed := prs[0]
	if _, found, err := c.GetRef(ctx, "heads/"+t.head); err != nil {
		return err
	} else if !found {
		return &exitError{code: ExitPrecondition, err: fmt.Errorf("%w: #%d closed when %s was deleted from %s; push it again (git push -u origin %s) and reopen #%d",
			ErrHeadBranchMissing, closed.Number, t.head, c.Repo(), t.head, closed.Number)}
	}
	return &exitError{code: ExitFindings, err: fmt.Errorf("#%d from %s is closed: reopen it, or run `patchline pr %s` to open a new one", closed.Number, t.head, t.m.ID)}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

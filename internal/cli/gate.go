package cli

import (
	"context"
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

Make patchline/qa a required status check of the maintenance branches.

Exit status: 0 when the gate is satisfied, 1 when not.`,
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
	prs, err := c.FindPulls(ctx, t.head, "open")
	if err != nil {
		return err
	}
	if len(prs) == 0 {
		if !c.Offline() {
			return &exitError{code: ExitFindings, err: fmt.Errorf("no open pull request from %s on %s: run `patchline pr %s` first", t.head, c.Repo(), t.m.ID)}
		}
		prs = []forge.PullRequest{{HeadSHA: t.patch.Commit.String()}}
	}
	pr := prs[0]
	d, err := t.decide(ctx, pr)
	if err != nil {
		return err
	}
	res := &GateResult{Number: pr.Number, Head: pr.HeadSHA, State: d.State, Description: d.Description,
		Required: d.Required, Approvals: d.Approvals, Missing: d.Missing(), Explain: d.Explain(t.policy)}
	if res.Approvals == nil {
		res.Approvals = []qa.Approval{}
	}

	// validate must pass on the very commit the approvals are for.
	rep, verr := validatePatch(t.reg, t.patch, opts.Now())
	switch {
	case verr != nil:
		return verr
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

	err = c.SetStatus(ctx, pr.HeadSHA, forge.Status{State: res.State, Context: QAContext, Description: res.Description, TargetURL: pr.URL})
	if err != nil {
		return err
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

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

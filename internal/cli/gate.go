package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

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

func runGate(ctx context.Context, opts *GateOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	t, err := loadPRTarget(opts.Repo, opts.IO, opts.Getenv, opts.ID, opts.DryRun)
	if err != nil {
		return err
	}
	res, err := t.review.Gate(ctx, t.patch.Commit.String(), func() (*validate.Report, error) {
		return validatePatch(t.reg, t.patch, opts.Now())
	})
	if err != nil || res == nil {
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

package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/release"
	"github.com/patchline/patchline/internal/rollup"
)

// RollupOptions are the flags of `patchline rollup`.
type RollupOptions struct {
	IO   *IOStreams
	Repo RepoFlags
	JSONFlag
	Range  RangeFlags
	Getenv func(string) string
	Now    func() time.Time
	// Accept records a release manager's sign-off for one patch in --to.
	Accept, Reason string
}

// RangeFlags are --from and --to, two release tags, older first.
type RangeFlags struct {
	From, To string
}

// AddFlags registers --from and --to.
func (r *RangeFlags) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.From, "from", "", "the older release tag, e.g. the previous quarterly release (required)")
	cmd.Flags().StringVar(&r.To, "to", "", "the newer release tag, e.g. the new quarterly release (required)")
}

// check is run in PreRunE: both flags are given.
func (r *RangeFlags) check(cmd *cobra.Command) error {
	for _, name := range []string{"from", "to"} {
		if !cmd.Flags().Changed(name) {
			return usageError("--%s is required, e.g. --from v2026.2.0 --to v2026.3.0\nRun '%s --help' for usage.", name, cmd.CommandPath())
		}
	}
	return nil
}

// resolve checks both are release tags and --from is the older one.
func (r *RangeFlags) resolve(h *history.History) (from, to gitrepo.Tag, err error) {
	if from, err = h.Tags.ReleaseTag(r.From); err != nil {
		return from, to, fmt.Errorf("--from: %w", err)
	}
	if to, err = h.Tags.ReleaseTag(r.To); err != nil {
		return from, to, fmt.Errorf("--to: %w", err)
	}
	if release.CompareTags(r.From, r.To) >= 0 {
		return from, to, usageError("--from %s is not older than --to %s: give the older release first, e.g. --from %s --to %s", r.From, r.To, r.To, r.From)
	}
	return from, to, nil
}

// NewCmdRollup builds `patchline rollup`.
func NewCmdRollup(f *Factory, runF func(*RollupOptions) error) *cobra.Command {
	opts := &RollupOptions{IO: f.IO, Getenv: f.Getenv, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "rollup --from TAG --to TAG | --accept ID --to TAG --reason TEXT",
		Short: "Prove every patch of the previous line reached the new release",
		Long: `Reads the patches merged on the release line of --from after it (its
maintenance branch, or its newest tag when the branch is gone) and weighs
the evidence that each one's change is in --to, strongest first:

  ancestry   the fix's commits are in --to's history, or the commits they
             were cherry-picked from (git cherry-pick -x), or were
             cherry-picked into it
  content    its diff applies in reverse to --to's tree, or each hunk's
             post-image (or its added lines) is there, following files
             --to moved to another directory
  adapted    every hunk outside test files is there ([rollup] tests);
             the test hunks that differ are listed
  accepted   a release manager signed it off with --accept
  missing    none of the above: exit 1

A patch is also superseded (a manifest in --to says supersedes = ["<ID>"]),
reverted or withdrawn (taken off the line again), or later (merged after
--to was made). Every verdict carries its evidence, in text and JSON.

--accept ID --to TAG --reason TEXT records that ID is in TAG although no
evidence says so (fixed another way, checked by hand): who, when and why
are committed to patches/accepted.toml on the main branch, which must be
checked out. It never rewrites a tag.

Exit status: 0 when nothing is missing, 1 when something is, 2 for tags that
are not release tags or a range given newest first.`,
		Example: `  patchline rollup --from v2026.2.0 --to v2026.3.0
  patchline rollup --from v2026.2.0 --to v2026.3.0 --json | jq -r '.patches[] | select(.status == "missing") | .id'
  patchline rollup --accept PL-2026-0006 --to v2026.3.0 --reason "the exporter rewrite formats decimals itself"`,
		Args: argsUsage(cobra.NoArgs),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if opts.Accept != "" || opts.Reason != "" {
				switch {
				case opts.Accept == "":
					return usageError("--reason goes with --accept ID")
				case !cmd.Flags().Changed("to"):
					return usageError("--accept needs --to, the release the patch is accepted in")
				case strings.TrimSpace(opts.Reason) == "":
					return usageError("--accept needs --reason: why %s is in --to without evidence", opts.Accept)
				case cmd.Flags().Changed("from"):
					return usageError("--accept records one patch in --to: drop --from")
				}
				return nil
			}
			return opts.Range.check(cmd)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runRollup(opts)
		},
	}
	opts.Repo.AddFlags(cmd)
	opts.JSONFlag.AddFlags(cmd)
	opts.Range.AddFlags(cmd)
	cmd.Flags().StringVar(&opts.Accept, "accept", "", "record that patch ID is in --to although no evidence says so (needs --reason)")
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why the patch given to --accept is in --to")
	return cmd
}

func runRollup(opts *RollupOptions) error {
	h, err := openHistory(&opts.Repo)
	if err != nil {
		return err
	}
	if opts.Accept != "" {
		return runAccept(opts, h)
	}
	from, to, err := opts.Range.resolve(h)
	if err != nil {
		return err
	}
	res, err := rollup.Run(h, from, to)
	if err != nil {
		return err
	}
	warnProblems(opts.IO, res.Problems)
	if opts.JSON {
		err = res.WriteJSON(opts.IO.Out)
	} else {
		err = res.WriteText(opts.IO.Out)
	}
	if err != nil {
		return err
	}
	if missing := res.Missing(); len(missing) > 0 {
		verb := "patches of %s are"
		if len(missing) == 1 {
			verb = "patch of %s is"
		}
		shown := missing
		if len(shown) > 10 {
			shown = append(shown[:10:10], fmt.Sprintf("and %d more", len(missing)-10))
		}
		return &exitError{code: ExitFindings, err: fmt.Errorf("%d "+verb+" missing from %s: %s", len(missing), res.Line, res.To, strings.Join(shown, ", "))}
	}
	return nil
}

// openHistory opens the repository's registry and reads its release lines.
func openHistory(repo *RepoFlags) (*history.History, error) {
	reg, err := repo.Registry()
	if err != nil {
		return nil, err
	}
	return history.New(reg)
}

// warnProblems reports manifests in history that do not decode, on stderr.
func warnProblems(io *IOStreams, problems []string) {
	for _, p := range problems {
		fmt.Fprintf(io.ErrOut, "warning: %s\n", p)
	}
}

func runAccept(opts *RollupOptions, h *history.History) error {
	if _, _, _, err := manifest.ParseID(opts.Accept); err != nil {
		return usageError("--accept %q: %v", opts.Accept, err)
	}
	to, err := h.Tags.ReleaseTag(opts.Range.To)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	author, committer, err := h.Reg.Repo.Identity(opts.Getenv, opts.Now())
	if err != nil {
		return err
	}
	a := rollup.Acceptance{ID: opts.Accept, To: to.Name, By: fmt.Sprintf("%s <%s>", committer.Name, committer.Email),
		At: committer.When.UTC().Truncate(time.Second), Reason: strings.TrimSpace(opts.Reason)}
	commit, err := rollup.Accept(h.Reg, a, author, committer)
	if err != nil {
		return err // on another branch: a WrongBranchError, exit 4
	}
	if opts.JSON {
		return writeJSON(opts.IO, a)
	}
	fmt.Fprintf(opts.IO.Out, "accepted %s in %s: committed %s on %s (%s)\n", a.ID, a.To, commit.String()[:7], h.Reg.Config.Release.MainBranch, rollup.AcceptedFile)
	return nil
}

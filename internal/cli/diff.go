package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/registry"
)

// DiffOptions are the flags of `patchline diff`.
type DiffOptions struct {
	IO   *IOStreams
	Repo RepoFlags
	JSONFlag
	ID     string
	Stdout bool
}

// NewCmdDiff builds `patchline diff`.
func NewCmdDiff(f *Factory, runF func(*DiffOptions) error) *cobra.Command {
	opts := &DiffOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "diff [ID]",
		Short: "Record the patch branch's change as patches/<ID>/patch.diff",
		Long: `Writes what the patch branch changes since its base tag, outside patches/,
as git diff --binary --full-index would, to patches/<ID>/patch.diff. The
diff is made in-process and is byte-stable: the same branch always gives the
same file. Only committed changes are recorded. ID defaults to the checked-out
patch branch's.`,
		Example: `  patchline diff
  patchline diff PL-2026-0007 --stdout | git apply --check`,
		Args: argsUsage(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.ID = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return runDiff(opts)
		},
	}
	opts.Repo.AddFlags(cmd)
	opts.JSONFlag.AddFlags(cmd)
	cmd.Flags().BoolVar(&opts.Stdout, "stdout", false, "print the diff instead of writing patch.diff")
	return cmd
}

// currentID is the id of the checked-out patch branch.
func currentID(reg *registry.Registry) (string, error) {
	head, _, err := reg.Repo.Head()
	if err != nil {
		return "", err
	}
	prefix := reg.Config.Release.PatchBranch
	id, ok := strings.CutPrefix(head, prefix)
	id, _ = registry.SplitBranchID(id)
	if !ok || id == "" {
		if head == "" {
			head = "a detached HEAD"
		}
		return "", usageError("no patch id given and %s is not a patch branch (%s<ID>): name the patch, e.g. PL-2026-0001, or switch to its branch", head, prefix)
	}
	return id, nil
}

// patchOnBranch loads the named patch, or the checked-out patch branch's,
// and insists it still has its branch: why says what needs it.
func patchOnBranch(reg *registry.Registry, id, why string) (*registry.Patch, error) {
	if id == "" {
		var err error
		if id, err = currentID(reg); err != nil {
			return nil, err
		}
	}
	p, err := reg.Load(id)
	if err != nil {
		return nil, err
	}
	if !p.HasBranch() {
		return nil, usageError("%s has no branch %s (it lives on %s): %s", id, reg.Config.PatchBranchFor(id), p.Where, why)
	}
	return p, nil
}

func runDiff(opts *DiffOptions) error {
	reg, err := opts.Repo.Registry()
	if err != nil {
		return err
	}
	p, err := patchOnBranch(reg, opts.ID, "patch.diff is recorded from the patch branch")
	if err != nil {
		return err
	}
	if p.Manifest == nil {
		return usageError("%s", p.Problems[0].String())
	}
	rec, err := reg.Record(p, registry.RecordOptions{DryRun: opts.Stdout})
	if err != nil {
		var notOut *registry.NotCheckedOutError
		if errors.As(err, &notOut) {
			return fmt.Errorf("%w, or print the diff with --stdout", err)
		}
		return err
	}
	if opts.Stdout {
		_, err := opts.IO.Out.Write(rec.Diff)
		return err
	}
	if opts.JSON {
		return writeJSON(opts.IO, map[string]any{"id": p.ID, "file": rec.File, "base": p.Manifest.Base, "commit": p.Branch.Commit.String(), "changed": rec.Changed, "stat": rec.Stat})
	}
	state := "unchanged"
	if rec.Changed {
		state = "wrote"
	}
	st := rec.Stat
	fmt.Fprintf(opts.IO.Out, "%s %s: %d files, +%d -%d (%s..%s at %s)\n", state, rec.File, st.Files, st.Added, st.Removed, p.Manifest.Base, p.Branch.Name, p.Branch.Commit.String()[:7])
	if rec.Changed {
		fmt.Fprintf(opts.IO.ErrOut, "next: git add %s && git commit -m \"%s: record patch.diff\"\n", rec.File, p.ID)
	}
	return nil
}

package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/patchdiff"
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

// DiffStat counts what a diff changes.
type DiffStat struct {
	Files   int `json:"files"`
	Added   int `json:"added"`
	Removed int `json:"removed"`
}

func diffStat(changes []patchdiff.Change, diff []byte) DiffStat {
	st := DiffStat{Files: len(changes)}
	// Only lines inside hunks count: a removed line "-- x" reads "--- x",
	// like a file header.
	inHunk := false
	for _, l := range bytes.Split(diff, []byte("\n")) {
		switch {
		case bytes.HasPrefix(l, []byte("diff --git ")):
			inHunk = false
		case bytes.HasPrefix(l, []byte("@@ ")):
			inHunk = true
		case !inHunk:
		case bytes.HasPrefix(l, []byte("+")):
			st.Added++
		case bytes.HasPrefix(l, []byte("-")):
			st.Removed++
		}
	}
	return st
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
	id := p.ID
	if p.Manifest == nil {
		return usageError("%s", p.Problems[0].String())
	}
	tags, err := reg.LoadTags()
	if err != nil {
		return err
	}
	tag, err := tags.ReleaseTag(p.Manifest.Base)
	if err != nil {
		return usageError("%s: base: %w", p.ManifestPath, err)
	}
	changes, err := reg.Repo.Changes(tag.Commit, p.Branch.Commit, func(name string) bool {
		return name == registry.Dir || strings.HasPrefix(name, registry.Dir+"/")
	})
	if err != nil {
		return err
	}
	if len(changes) == 0 {
		return &exitError{code: ExitFindings, err: fmt.Errorf("nothing to record: %s changes nothing outside %s/ since %s; commit the fix first", p.Branch.Name, registry.Dir, p.Manifest.Base)}
	}
	var buf bytes.Buffer
	if err := patchdiff.Write(&buf, changes); err != nil {
		return err
	}
	st := diffStat(changes, buf.Bytes())
	file := path.Join(registry.PatchDir(id), registry.DiffName)
	if opts.Stdout {
		_, err := opts.IO.Out.Write(buf.Bytes())
		return err
	}
	root := reg.Repo.Root()
	head, _, _ := reg.Repo.Head()
	if root == "" || head != p.Branch.Name {
		return usageError("check out %s first (git switch %s), or print the diff with --stdout", p.Branch.Name, p.Branch.Name)
	}
	full := filepath.Join(root, filepath.FromSlash(file))
	old, err := os.ReadFile(full)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	unchanged := err == nil && bytes.Equal(old, buf.Bytes())
	if !unchanged {
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := gitrepo.WriteFileAtomic(full, buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if opts.JSON {
		return writeJSON(opts.IO, map[string]any{"id": id, "file": file, "base": p.Manifest.Base, "commit": p.Branch.Commit.String(), "changed": !unchanged, "stat": st})
	}
	state := "wrote"
	if unchanged {
		state = "unchanged"
	}
	fmt.Fprintf(opts.IO.Out, "%s %s: %d files, +%d -%d (%s..%s at %s)\n", state, file, st.Files, st.Added, st.Removed, p.Manifest.Base, p.Branch.Name, p.Branch.Commit.String()[:7])
	if !unchanged {
		fmt.Fprintf(opts.IO.ErrOut, "next: git add %s && git commit -m \"%s: record patch.diff\"\n", file, id)
	}
	return nil
}

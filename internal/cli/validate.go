package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/textsafe"
	"github.com/patchline/patchline/internal/validate"
)

// ValidateOptions are the flags of `patchline validate`.
type ValidateOptions struct {
	IO     *IOStreams
	Repo   RepoFlags
	Now    func() time.Time
	Getenv func(string) string
	IDs    []string
	All    bool
	Format string
	JSONFlag
}

// NewCmdValidate builds `patchline validate`.
func NewCmdValidate(f *Factory, runF func(*ValidateOptions) error) *cobra.Command {
	opts := &ValidateOptions{IO: f.IO, Now: f.Now, Getenv: f.Getenv}
	cmd := &cobra.Command{
		Use:   "validate [ID...] [--all]",
		Short: "Check patches against every rule of the patch policy",
		Long: `Runs every rule on the named patches (default: the checked-out patch
branch's), or on every patch branch with --all, and prints each finding with
its stable code, where it is and how to fix it.

Rules: PL100-PL106 the manifest (PL104 also refuses control characters, bidi
controls and GitHub workflow commands in its text); PL110 the id equals its
folder; PL111 the id is unique; PL120 base is a release tag; PL121 it is signed when [release]
signed_tags asks; PL130-PL132 the branch was cut at base; PL133 base is still
the line's newest release; PL140-PL144 patch.diff exists, parses, applies to
base and equals the branch's change; PL150-PL151 no path leaves the tree or
goes through a symlink; PL160-PL161 modules are known and cover the change;
PL170-PL171 the SLA clock; PL180 also names release tags.

Exit status: 0 when no finding is an error, 1 when one is.`,
		Example: `  patchline validate
  patchline validate PL-2026-0007 PL-2026-0009
  patchline validate --all --format github   # annotations on the pull request
  patchline validate --all --json | jq '.findings[] | select(.severity == "error")'`,
		// --json is --format json, as every other command spells it.
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if !opts.JSON {
				return nil
			}
			if cmd.Flags().Changed("format") && opts.Format != "json" {
				return usageError("--json and --format %s: pick one (--json is --format json)", opts.Format)
			}
			opts.Format = "json"
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := patchIDs(args, opts.All)
			if err != nil {
				return err
			}
			opts.IDs = ids
			switch opts.Format {
			case "text", "json", "github":
			default:
				return usageError("--format %q: want text, json or github", opts.Format)
			}
			if runF != nil {
				return runF(opts)
			}
			return runValidate(opts)
		},
	}
	opts.Repo.AddFlags(cmd)
	addAllFlag(cmd, &opts.All, "validate every patch branch")
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output: text, json, or github (workflow annotations)")
	opts.JSONFlag.AddFlags(cmd)
	return cmd
}

func runValidate(opts *ValidateOptions) error {
	reg, err := opts.Repo.Registry()
	if err != nil {
		return err
	}
	patches, err := selectPatches(reg, opts.IDs, opts.All)
	if err != nil {
		return err
	}
	if opts.All && len(patches) == 0 {
		fmt.Fprintf(opts.IO.ErrOut, "no patch branches (%s<ID>) to validate\n", reg.Config.Release.PatchBranch)
	}
	v, err := validate.New(reg, opts.Now())
	if err != nil {
		return err
	}
	if key := reg.Config.Release.TagKeys; key != "" {
		if v.KeyRing, err = readRepoFile(reg.Repo.Root(), key); err != nil {
			return usageError("[release] tag_keys: %w", err)
		}
	}
	progress := func(i, n int, id string) {
		if opts.IO.Interactive && n > 1 {
			fmt.Fprintf(opts.IO.ErrOut, "\rvalidating %d/%d %s ", i+1, n, textsafe.Line(id))
		}
	}
	rep, err := v.Run(patches, progress)
	if opts.IO.Interactive && len(patches) > 1 {
		fmt.Fprint(opts.IO.ErrOut, "\r\033[K")
	}
	if err != nil {
		return err
	}
	switch opts.Format {
	case "json":
		err = rep.WriteJSON(opts.IO.Out)
	case "github":
		err = rep.WriteGitHub(opts.IO.Out)
		if err == nil {
			err = rep.WriteText(opts.IO.ErrOut)
		}
	default:
		err = rep.WriteText(opts.IO.Out)
	}
	if err != nil {
		return err
	}
	if rep.Failed() {
		return findings()
	}
	return nil
}

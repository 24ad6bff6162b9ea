package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/backport"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/jsonout"
	"github.com/patchline/patchline/internal/registry"
)

// NewOptions are the flags of `patchline new`.
type NewOptions struct {
	IO   *IOStreams
	Repo RepoFlags
	JSONFlag
	Getenv func(string) string
	Now    func() time.Time

	Base          string
	Title         string
	Kind          string
	Severity      string
	Urgency       string
	Modules       []string
	Cases         []string
	CVEs          []string
	Also          []string
	Summary       string
	Justification string
	Risk          string
	Rollback      string
	Reported      string
	From          string // backport this patch to --base (backport.go)
}

// NewCmdNew builds `patchline new`.
func NewCmdNew(f *Factory, runF func(*NewOptions) error) *cobra.Command {
	opts := &NewOptions{IO: f.IO, Getenv: f.Getenv, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "new --base TAG --title TITLE [flags]",
		Short: "Cut a patch branch from a release tag and write its manifest",
		Long: `Checks that TAG is a release tag, takes the next free patch id, creates the
branch patch/<ID> at the tag, checks it out, and commits
patches/<ID>/patch.toml filled in from the flags.`,
		Example: `  patchline new --base v2026.3.0 --title "CSV importer drops quoted commas" \
      --severity critical --kind fix --module importer --case CRM-1
  patchline new --base v2026.3.0 --title "Heap overflow in parser" --kind security \
      --severity critical --urgency emergency --cve CVE-2026-1234 \
      --justification "exploited in the wild" --module parser
  patchline new --from PL-2026-0007 --base v2026.2.3   # backport to the v2026.2 line`,
		Args: argsUsage(cobra.NoArgs),
		// Checked here, before cobra's own required-flag check, so that a
		// missing flag is a usage error (exit 2) like any other.
		PreRunE: func(cmd *cobra.Command, args []string) error {
			for _, name := range []string{"base", "title"} {
				if name == "title" && opts.From != "" {
					continue // a backport takes the original's
				}
				if !cmd.Flags().Changed(name) {
					return usageError("--%s is required, e.g. --base v2026.3.0 --title \"CSV importer drops quoted commas\"\nRun '%s --help' for usage.", name, cmd.CommandPath())
				}
			}
			if opts.From != "" {
				for _, name := range []string{"title", "kind", "severity", "urgency", "module", "case", "cve", "also", "summary", "justification", "risk", "rollback", "reported"} {
					if cmd.Flags().Changed(name) {
						return usageError("--from takes the manifest of %s: drop --%s, and edit patches/%s/patch.toml on the backport branch instead", opts.From, name, opts.From)
					}
				}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runNew(opts)
		},
	}
	opts.Repo.AddFlags(cmd)
	opts.JSONFlag.AddFlags(cmd)
	fl := cmd.Flags()
	fl.StringVar(&opts.Base, "base", "", "release tag the patch starts from (required)")
	fl.StringVar(&opts.Title, "title", "", "one-line title (required, except with --from)")
	fl.StringVar(&opts.Kind, "kind", "fix", "security, fix or performance")
	fl.StringVar(&opts.Severity, "severity", "moderate", "critical, important, moderate or low")
	fl.StringVar(&opts.Urgency, "urgency", "scheduled", "scheduled, or emergency for an out-of-band patch (needs --justification)")
	fl.StringSliceVar(&opts.Modules, "module", nil, "affected module from [modules] (repeatable; default: the only one, when [modules] has one)")
	fl.StringSliceVar(&opts.Cases, "case", nil, "customer case id (repeatable)")
	fl.StringSliceVar(&opts.CVEs, "cve", nil, "CVE id (repeatable)")
	fl.StringSliceVar(&opts.Also, "also", nil, "release tag of another line that needs the fix (repeatable)")
	fl.StringVar(&opts.Summary, "summary", "", "what users read in the notes (default: the title)")
	fl.StringVar(&opts.Justification, "justification", "", "why an emergency patch cannot wait")
	fl.StringVar(&opts.Risk, "risk", "medium", "regression risk: low, medium or high")
	fl.StringVar(&opts.Rollback, "rollback", "", "how to undo it (default: patchline rollback <ID>)")
	fl.StringVar(&opts.Reported, "reported", "", "when the issue was reported, RFC 3339 (default: now)")
	fl.StringVar(&opts.From, "from", "", "backport this patch id to --base: same id and manifest, its fix applied when it applies (branch patch/<ID>@<line>)")
	_ = cmd.MarkFlagRequired("base")
	return cmd
}

func runNew(opts *NewOptions) error {
	reg, err := opts.Repo.Registry()
	if err != nil {
		return err
	}
	tags, err := reg.LoadTags()
	if err != nil {
		return err
	}
	base, err := tags.ReleaseTag(opts.Base)
	if err != nil {
		return err
	}
	if opts.From != "" {
		return runBackport(opts, reg, base)
	}
	var reported time.Time
	if opts.Reported != "" {
		if reported, err = time.Parse(time.RFC3339, opts.Reported); err != nil {
			return usageError("--reported %q: want an RFC 3339 time such as 2026-03-01T09:30:00Z", opts.Reported)
		}
	}
	c, err := reg.Create(registry.NewPatch{
		Base: base, Title: opts.Title, Kind: opts.Kind, Severity: opts.Severity, Urgency: opts.Urgency,
		Modules: opts.Modules, Cases: opts.Cases, CVEs: opts.CVEs, Also: opts.Also,
		Summary: opts.Summary, Justification: opts.Justification, Risk: opts.Risk, Rollback: opts.Rollback,
		Reported: reported,
		Now:      opts.Now(),
		Identity: reg.Repo.SignerFrom(opts.Getenv, opts.Now),
	})
	if err != nil {
		return err
	}
	if c.DefaultModule != "" {
		fmt.Fprintf(opts.IO.ErrOut, "module %s: the only one under [modules] in .patchline.toml\n", c.DefaultModule)
	}
	if opts.JSON {
		return writeJSON(opts.IO, map[string]any{"id": c.ID, "branch": c.Branch, "base": c.Base.Name, "base_commit": c.Base.Commit.String(), "commit": c.Commit.String(), "manifest": c.Manifest})
	}
	fmt.Fprintln(opts.IO.Out, c.ID)
	fmt.Fprintf(opts.IO.ErrOut, "created %s at %s (%s) and committed %s\n", c.Branch, c.Base.Name, c.Base.Commit.String()[:7], c.Manifest)
	fmt.Fprintf(opts.IO.ErrOut, "next: commit the fix on %s, then run `patchline diff` and `patchline validate`\n", c.Branch)
	return nil
}

func writeJSON(io *IOStreams, v any) error {
	enc := json.NewEncoder(io.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(jsonout.Lists(v))
}

// runBackport starts the backport of an existing patch to the line of
// --base (package backport). When its fix does not apply, the branch is
// left for a human to adapt, and the exit status is 5.
func runBackport(opts *NewOptions, reg *registry.Registry, tag gitrepo.Tag) error {
	orig, err := reg.Load(opts.From)
	if err != nil {
		return err
	}
	res, err := backport.Run(reg, orig, tag, reg.Repo.SignerFrom(opts.Getenv, opts.Now))
	var in *backport.InputError
	switch {
	case errors.As(err, &in) && errors.Is(in.Err, backport.ErrSameLine):
		return usageError("--from: %w", in.Err)
	case errors.As(err, &in):
		return usageError("--from %s: %w", opts.From, in.Err)
	case err != nil:
		return err
	}
	if v := res.Already; v != nil {
		if opts.JSON {
			return writeJSON(opts.IO, map[string]any{"id": orig.ID, "base": tag.Name, "already_in": true, "status": v.Status, "evidence": v.Evidence})
		}
		fmt.Fprintf(opts.IO.Out, "%s is already in %s (%s): nothing to backport\n", orig.ID, tag.Name, v.Evidence)
		return nil
	}
	plan := res.Plan
	if opts.JSON {
		out := map[string]any{"id": plan.ID, "branch": plan.Branch, "base": tag.Name, "base_commit": tag.Commit.String(), "commit": res.Commit.String(), "applied": res.Applied()}
		if res.Applied() {
			out["diff"] = plan.DiffName
		} else {
			out["conflict"] = plan.Conflict.Error()
		}
		if err := writeJSON(opts.IO, out); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(opts.IO.Out, plan.ID)
	}
	fmt.Fprintf(opts.IO.ErrOut, "created %s at %s (%s)\n", plan.Branch, tag.Name, tag.Commit.String()[:7])
	if res.Applied() {
		fmt.Fprintf(opts.IO.ErrOut, "applied %s of %s and committed it with the manifest\nnext: `patchline validate`, then push %s\n", plan.DiffName, plan.ID, plan.Branch)
		return nil
	}
	fmt.Fprintf(opts.IO.ErrOut, "committed the manifest only: %v\n", plan.Conflict)
	fmt.Fprintf(opts.IO.ErrOut, "next: adapt the fix on %s and commit it, then record it:\n    git diff --binary --full-index %s HEAD -- . ':!%s' > %s\n",
		plan.Branch, tag.Name, registry.Dir, path.Join(registry.PatchDir(plan.ID), registry.DiffName))
	return &exitError{code: ExitConflict, err: fmt.Errorf("the fix of %s does not apply to %s: %s is left for you to adapt it", plan.ID, tag.Name, plan.Branch), silent: false}
}

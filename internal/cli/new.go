package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/backport"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/jsonout"
	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/manifest/stricttoml"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/rollup"
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
	tag, err := tags.ReleaseTag(opts.Base)
	if err != nil {
		return err
	}
	if opts.From != "" {
		return runBackport(opts, reg, tag)
	}
	for _, also := range opts.Also {
		if _, err := tags.ReleaseTag(also); err != nil {
			return usageError("--also: %w", err)
		}
	}
	modules, err := defaultModules(opts.Modules, reg.Config.Modules)
	if err != nil {
		return err
	}
	if len(opts.Modules) == 0 {
		fmt.Fprintf(opts.IO.ErrOut, "module %s: the only one under [modules] in .patchline.toml\n", modules[0])
	}
	now := opts.Now().UTC()
	reported := now.Truncate(time.Second)
	if opts.Reported != "" {
		if reported, err = time.Parse(time.RFC3339, opts.Reported); err != nil {
			return usageError("--reported %q: want an RFC 3339 time such as 2026-03-01T09:30:00Z", opts.Reported)
		}
	}
	// The id's year is the year the patch is made, not the year of the
	// report: a case filed years ago and fixed today gets this year's id.
	id, err := reg.NextID(now.Year())
	if err != nil {
		return err
	}
	m := &manifest.Manifest{
		Schema: 1, ID: id, Title: opts.Title, Base: opts.Base, Also: opts.Also,
		Kind: opts.Kind, Severity: opts.Severity, Urgency: opts.Urgency,
		Modules: modules, Cases: opts.Cases, CVEs: opts.CVEs, Reported: reported,
		Summary: opts.Summary, Justification: opts.Justification, Risk: opts.Risk, Rollback: opts.Rollback,
	}
	if m.Summary == "" {
		m.Summary = m.Title
	}
	if m.Rollback == "" {
		m.Rollback = fmt.Sprintf("patchline rollback %s restores the previous files byte for byte", id)
	}
	data := m.Encode()
	file := path.Join(registry.PatchDir(id), registry.ManifestName)
	// Decode what we are about to commit: a bad flag value is refused here,
	// with the manifest's own message, rather than committed.
	if _, problems := manifest.Decode(file, data); len(problems) > 0 {
		p := problems[0]
		msg := p.Message
		if p.Hint != "" {
			msg += " (" + p.Hint + ")"
		}
		return usageError("%s", msg)
	}
	for _, mod := range m.Modules {
		if _, ok := reg.Config.Modules[mod]; !ok {
			return usageError("--module %q: %s", mod, unknownModule(mod, reg.Config.Modules))
		}
	}
	branch := reg.Config.PatchBranchFor(id)
	author, committer, err := reg.Repo.Identity(opts.Getenv, opts.Now())
	if err != nil {
		return err
	}
	if err := reg.Repo.CheckoutNewBranch(branch, tag.Commit); err != nil {
		return err
	}
	commit, err := reg.Repo.CommitFiles(map[string][]byte{file: data}, fmt.Sprintf("%s: open patch: %s\n\nPatch-Id: %s\n", id, m.Title, id), author, committer)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(opts.IO, map[string]any{"id": id, "branch": branch, "base": opts.Base, "base_commit": tag.Commit.String(), "commit": commit.String(), "manifest": file})
	}
	fmt.Fprintln(opts.IO.Out, id)
	fmt.Fprintf(opts.IO.ErrOut, "created %s at %s (%s) and committed %s\n", branch, opts.Base, tag.Commit.String()[:7], file)
	fmt.Fprintf(opts.IO.ErrOut, "next: commit the fix on %s, then run `patchline diff` and `patchline validate`\n", branch)
	return nil
}

// defaultModules is --module, or, when it is not given, the config's only
// module; with several to choose from the user must name them.
func defaultModules(given []string, declared map[string][]string) ([]string, error) {
	if len(given) > 0 {
		return given, nil
	}
	known := make([]string, 0, len(declared))
	for k := range declared {
		known = append(known, k)
	}
	sort.Strings(known)
	switch len(known) {
	case 0:
		return nil, usageError("no modules under [modules] in .patchline.toml: declare one (name = [\"path/glob/**\"]), then give --module")
	case 1:
		return known, nil
	}
	return nil, usageError("give --module, one of: %s", strings.Join(known, ", "))
}

// unknownModule says what the modules of the config are, and which one a
// misspelt name most likely meant.
func unknownModule(name string, modules map[string][]string) string {
	known := make([]string, 0, len(modules))
	for k := range modules {
		known = append(known, k)
	}
	sort.Strings(known)
	msg := fmt.Sprintf("not declared under [modules] in .patchline.toml (known: %s)", strings.Join(known, ", "))
	if near := stricttoml.Suggest(name, known, nil); near != "" {
		msg += fmt.Sprintf("; did you mean %q?", near)
	}
	return msg
}

func writeJSON(io *IOStreams, v any) error {
	enc := json.NewEncoder(io.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(jsonout.Lists(v))
}

// runBackport starts the backport of an existing patch to the line of tag:
// branch patch/<ID>@<line> at the tag, the original's manifest based on
// the tag, and its fix when it applies (package backport). When it does
// not, the branch is left for a human to adapt, and the exit status is 5.
func runBackport(opts *NewOptions, reg *registry.Registry, tag gitrepo.Tag) error {
	orig, err := reg.Load(opts.From)
	if err != nil {
		return err
	}
	// A backport to a release that already has the fix (merged forward,
	// cherry-picked, fixed the same way) is nothing to do.
	if orig.Manifest != nil {
		if own, _ := reg.Config.LineOf(orig.Manifest.Base); own != "" {
			if line, _ := reg.Config.LineOf(tag.Name); line != own {
				h, err := history.New(reg)
				if err != nil {
					return err
				}
				v, err := rollup.ProvePatch(h, orig, tag)
				if err != nil {
					return err
				}
				if v.In() {
					if opts.JSON {
						return writeJSON(opts.IO, map[string]any{"id": orig.ID, "base": tag.Name, "already_in": true, "status": v.Status, "evidence": v.Evidence})
					}
					fmt.Fprintf(opts.IO.Out, "%s is already in %s (%s): nothing to backport\n", orig.ID, tag.Name, v.Evidence)
					return nil
				}
			}
		}
	}
	plan, err := backport.Prepare(reg, orig, tag)
	if errors.Is(err, backport.ErrSameLine) || (err == nil && orig.Manifest == nil) {
		return usageError("--from: %w", err)
	}
	if err != nil {
		return usageError("--from %s: %w", opts.From, err)
	}
	if _, ok, err := reg.Repo.Branch(plan.Branch); err != nil {
		return err
	} else if ok {
		return usageError("branch %s already exists: the backport of %s to %s is under way", plan.Branch, plan.ID, plan.Line)
	}
	author, committer, err := reg.Repo.Identity(opts.Getenv, opts.Now())
	if err != nil {
		return err
	}
	commit, err := backport.Start(reg.Repo, plan, author, committer)
	if err != nil {
		return err
	}
	if opts.JSON {
		res := map[string]any{"id": plan.ID, "branch": plan.Branch, "base": tag.Name, "base_commit": tag.Commit.String(), "commit": commit.String(), "applied": plan.Diff != nil}
		if plan.Diff != nil {
			res["diff"] = plan.DiffName
		} else {
			res["conflict"] = plan.Conflict.Error()
		}
		if err := writeJSON(opts.IO, res); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(opts.IO.Out, plan.ID)
	}
	fmt.Fprintf(opts.IO.ErrOut, "created %s at %s (%s)\n", plan.Branch, tag.Name, tag.Commit.String()[:7])
	if plan.Diff != nil {
		fmt.Fprintf(opts.IO.ErrOut, "applied %s of %s and committed it with the manifest\nnext: `patchline validate`, then push %s\n", plan.DiffName, plan.ID, plan.Branch)
		return nil
	}
	fmt.Fprintf(opts.IO.ErrOut, "committed the manifest only: %v\n", plan.Conflict)
	fmt.Fprintf(opts.IO.ErrOut, "next: adapt the fix on %s and commit it, then record it:\n    git diff --binary --full-index %s HEAD -- . ':!%s' > %s\n",
		plan.Branch, tag.Name, registry.Dir, path.Join(registry.PatchDir(plan.ID), registry.DiffName))
	return &exitError{code: ExitConflict, err: fmt.Errorf("the fix of %s does not apply to %s: %s is left for you to adapt it", plan.ID, tag.Name, plan.Branch), silent: false}
}

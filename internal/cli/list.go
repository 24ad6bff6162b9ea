package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/registry"
)

// ListOptions are the flags of `patchline list`.
type ListOptions struct {
	IO   *IOStreams
	Repo RepoFlags
	JSONFlag
}

// NewCmdList builds `patchline list`.
func NewCmdList(f *Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the patch registry",
		Long: `Lists every patch the repository knows: open ones on their patch branches
and merged ones on the maintenance branches and the main line.`,
		Example: `  patchline list
  patchline list --json | jq -r '.[] | select(.severity == "critical") | .id'`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runList(opts)
		},
	}
	opts.Repo.AddFlags(cmd)
	opts.JSONFlag.AddFlags(cmd)
	return cmd
}

// Entry is one patch as list and show print it.
type Entry struct {
	ID            string    `json:"id"`
	Status        string    `json:"status"`
	Where         string    `json:"where"`
	Branch        string    `json:"branch,omitempty"`
	Commit        string    `json:"commit,omitempty"`
	Title         string    `json:"title"`
	Base          string    `json:"base"`
	Also          []string  `json:"also"`
	Kind          string    `json:"kind"`
	Severity      string    `json:"severity"`
	Urgency       string    `json:"urgency"`
	Modules       []string  `json:"modules"`
	Cases         []string  `json:"cases"`
	CVEs          []string  `json:"cves"`
	Reported      time.Time `json:"reported"`
	Summary       string    `json:"summary"`
	Justification string    `json:"justification,omitempty"`
	Risk          string    `json:"risk"`
	Rollback      string    `json:"rollback"`
	HasDiff       bool      `json:"has_diff"`
	Problems      []string  `json:"problems,omitempty"`
}

func entryOf(p *registry.Patch) Entry {
	e := Entry{ID: p.ID, Where: p.Where, HasDiff: p.Diff != nil, Status: "merged"}
	if p.HasBranch() {
		e.Status, e.Branch = "open", p.Branch.Name
	}
	if p.Commit != [20]byte{} {
		e.Commit = p.Commit.String()
	}
	for _, pr := range p.Problems {
		e.Problems = append(e.Problems, pr.String())
	}
	if m := p.Manifest; m != nil {
		e.Title, e.Base, e.Also, e.Kind, e.Severity, e.Urgency = m.Title, m.Base, m.Also, m.Kind, m.Severity, m.Urgency
		e.Modules, e.Cases, e.CVEs, e.Reported, e.Summary = m.Modules, m.Cases, m.CVEs, m.Reported, m.Summary
		e.Justification, e.Risk, e.Rollback = m.Justification, m.Risk, m.Rollback
	} else {
		e.Status = "invalid"
	}
	return e
}

func runList(opts *ListOptions) error {
	reg, err := opts.Repo.Registry()
	if err != nil {
		return err
	}
	patches, err := reg.All(true)
	if err != nil {
		return err
	}
	entries := make([]Entry, 0, len(patches))
	for _, p := range patches {
		entries = append(entries, entryOf(p))
	}
	if opts.JSON {
		return writeJSON(opts.IO, entries)
	}
	if len(entries) == 0 {
		fmt.Fprintln(opts.IO.ErrOut, "no patches yet: start one with `patchline new --base <release tag> --title ...`")
		return nil
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tBASE\tSEVERITY\tKIND\tTITLE")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Status, dash(e.Base), dash(e.Severity), dash(e.Kind), dash(e.Title))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func readRepoFile(root, name string) (string, error) {
	if !filepath.IsAbs(name) {
		name = filepath.Join(root, name)
	}
	data, err := os.ReadFile(name)
	return string(data), err
}

// ShowOptions are the flags of `patchline show`.
type ShowOptions struct {
	IO   *IOStreams
	Repo RepoFlags
	JSONFlag
	ID string
}

// NewCmdShow builds `patchline show`.
func NewCmdShow(f *Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show one patch",
		Example: `  patchline show PL-2026-0007
  patchline show PL-2026-0007 --json`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runShow(opts)
		},
	}
	opts.Repo.AddFlags(cmd)
	opts.JSONFlag.AddFlags(cmd)
	return cmd
}

func runShow(opts *ShowOptions) error {
	reg, err := opts.Repo.Registry()
	if err != nil {
		return err
	}
	p, err := reg.Load(opts.ID)
	if err != nil {
		return err
	}
	e := entryOf(p)
	// What could be read is shown either way; a manifest that is not TOML
	// at all is bad input, as for diff (docs/decisions.md).
	var result error
	if p.Manifest == nil {
		result = usageError("%s does not decode: run `patchline validate %s` for where and how to fix it", p.ManifestPath, p.ID)
	}
	if opts.JSON {
		if err := writeJSON(opts.IO, e); err != nil {
			return err
		}
		return result
	}
	var b strings.Builder
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-14s %s\n", k+":", v)
		}
	}
	row("id", e.ID)
	row("title", e.Title)
	row("status", e.Status+" ("+e.Where+")")
	row("base", e.Base)
	row("also", strings.Join(e.Also, ", "))
	row("kind", e.Kind)
	row("severity", e.Severity)
	row("urgency", e.Urgency)
	row("modules", strings.Join(e.Modules, ", "))
	row("cases", strings.Join(e.Cases, ", "))
	row("cves", strings.Join(e.CVEs, ", "))
	if !e.Reported.IsZero() {
		row("reported", e.Reported.UTC().Format(time.RFC3339))
	}
	row("risk", e.Risk)
	row("rollback", e.Rollback)
	row("justification", e.Justification)
	diff := "missing"
	if e.HasDiff {
		diff = "present"
	}
	row("patch.diff", diff)
	if e.Summary != "" {
		fmt.Fprintf(&b, "\n%s\n", e.Summary)
	}
	if len(e.Problems) > 0 {
		b.WriteByte('\n')
	}
	for _, pr := range e.Problems {
		fmt.Fprintf(&b, "problem: %s\n", pr)
	}
	if _, err := fmt.Fprint(opts.IO.Out, b.String()); err != nil {
		return err
	}
	return result
}

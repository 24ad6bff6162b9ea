package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/report"
	"github.com/patchline/patchline/internal/textsafe"
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
		Long: `Lists every patch the repository knows: those on their patch branches
(draft until patch.diff is recorded, then in review, as report says) and
merged ones on the maintenance branches and the main line.`,
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
	// Approvals is the approval chain: the manifest's, the note on the
	// merge commit (refs/notes/patchline) and the release tag's trailers,
	// each approval once.
	Approvals []history.Approval `json:"approvals,omitempty"`
}

func entryOf(p *registry.Patch) Entry {
	e := Entry{ID: p.ID, Where: p.Where, HasDiff: p.Diff != nil, Status: "merged"}
	if p.HasBranch() {
		// The words report and docs/release-manager.md use for the same
		// states: a branch without its diff yet, and one with it.
		e.Status, e.Branch = report.Draft, p.Branch.Name
		if p.Diff != nil {
			e.Status = report.InReview
		}
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
	rec, err := recordedApprovals(opts.IO, reg)
	if err != nil {
		return err
	}
	entries := make([]Entry, 0, len(patches))
	for _, p := range patches {
		e := entryOf(p)
		e.Approvals = approvalsOf(p, rec)
		entries = append(entries, e)
	}
	if opts.JSON {
		return writeSafeJSON(opts.IO, entries)
	}
	if len(entries) == 0 {
		fmt.Fprintln(opts.IO.ErrOut, "no patches yet: start one with `patchline new --base <release tag> --title ...`")
		return nil
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tBASE\tSEVERITY\tKIND\tTITLE")
	for _, e := range entries {
		// Manifests merged before validate checked their text may hold
		// control characters: print them escaped, one row per patch.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", textsafe.Line(e.ID), textsafe.Line(e.Status), textsafe.Line(dash(e.Base)),
			textsafe.Line(dash(e.Severity)), textsafe.Line(dash(e.Kind)), textsafe.Line(dash(e.Title)))
	}
	return tw.Flush()
}

// writeSafeJSON is writeJSON with the characters encoding/json leaves raw
// (DEL, C1 and bidi controls) written as \u escapes: the same data, nothing
// a terminal acts on.
func writeSafeJSON(streams *IOStreams, v any) error {
	var b bytes.Buffer
	if err := writeJSON(&IOStreams{Out: &b}, v); err != nil {
		return err
	}
	_, err := streams.Out.Write(textsafe.JSON(b.Bytes()))
	return err
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
	rec, err := recordedApprovals(opts.IO, reg)
	if err != nil {
		return err
	}
	e := entryOf(p)
	e.Approvals = approvalsOf(p, rec)
	// What could be read is shown either way; a manifest that is not TOML
	// at all is bad input, as for diff (docs/decisions.md).
	var result error
	if p.Manifest == nil {
		result = usageError("%s does not decode: run `patchline validate %s` for where and how to fix it", p.ManifestPath, p.ID)
	}
	if opts.JSON {
		if err := writeSafeJSON(opts.IO, e); err != nil {
			return err
		}
		return result
	}
	var b strings.Builder
	row := func(k, v string) {
		if v != "" {
			// Escaped, and a value over several lines goes on under the first.
			v = strings.ReplaceAll(textsafe.Text(v), "\n", "\n"+strings.Repeat(" ", 15))
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
	for i, a := range e.Approvals {
		label := ""
		if i == 0 {
			label = "approved by:"
		}
		fmt.Fprintf(&b, "%-14s %s\n", label, textsafe.Line(approvalLine(a)))
	}
	if e.Summary != "" {
		fmt.Fprintf(&b, "\n%s\n", textsafe.Text(e.Summary))
	}
	if len(e.Problems) > 0 {
		b.WriteByte('\n')
	}
	for _, pr := range e.Problems {
		fmt.Fprintf(&b, "problem: %s\n", textsafe.Line(pr))
	}
	if _, err := fmt.Fprint(opts.IO.Out, b.String()); err != nil {
		return err
	}
	return result
}

// recordedApprovals reads the approvals kept outside the manifests (the
// notes on refs/notes/patchline, the release tags' trailers), warning
// about notes it could not read.
func recordedApprovals(streams *IOStreams, reg *registry.Registry) (*history.Recorded, error) {
	tags, err := reg.LoadTags()
	if err != nil {
		return nil, err
	}
	rec, err := history.ReadRecorded(reg.Repo, tags)
	if err != nil {
		return nil, err
	}
	warnProblems(streams, rec.Problems)
	return rec, nil
}

// approvalsOf is a patch's approval chain: its manifest's, then the
// recorded ones, each approval once.
func approvalsOf(p *registry.Patch, rec *history.Recorded) []history.Approval {
	var own []history.Approval
	if m := p.Manifest; m != nil {
		for _, a := range m.Approvals {
			own = append(own, history.Approval{Role: a.Role, By: a.By, At: a.At, Ref: a.Ref})
		}
	}
	return history.MergeApprovals(own, rec.For(p.ID))
}

// approvalLine is one approval as show prints it: login (role), time, review.
func approvalLine(a history.Approval) string {
	parts := []string{a.By}
	if a.Role != "" {
		parts[0] += " (" + a.Role + ")"
	}
	if !a.At.IsZero() {
		parts = append(parts, a.At.UTC().Format(time.RFC3339))
	}
	if a.Ref != "" {
		parts = append(parts, a.Ref)
	}
	return strings.Join(parts, "  ")
}

package notes

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/patchline/patchline"
	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/jsonout"
	"github.com/patchline/patchline/internal/textsafe"
)

// The built-in templates, which templates/<name> in the product repository
// replaces.
const (
	MarkdownTemplate = "release-notes.md.tmpl"
	HTMLTemplate     = "release-notes.html.tmpl"
)

// ErrTemplate is wrapped by the errors of a template that does not parse
// or does not run on the notes.
var ErrTemplate = errors.New("bad release notes template")

var funcs = map[string]any{
	"join":  func(sep string, s []string) string { return strings.Join(s, sep) },
	"date":  func(t time.Time) string { return t.UTC().Format("2006-01-02") },
	"lower": strings.ToLower,
}

// Markdown renders the notes with release-notes.md.tmpl: the product
// repository's own (root/templates/) when it has one, else the built-in.
func (n *Notes) Markdown(root string) ([]byte, error) {
	text, err := patchline.Template(root, MarkdownTemplate)
	if err != nil {
		return nil, err
	}
	t, err := texttemplate.New(MarkdownTemplate).Funcs(funcs).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTemplate, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, n.printable()); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTemplate, err)
	}
	return endLine(b.Bytes()), nil
}

func endLine(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] != '\n' {
		b = append(b, '\n')
	}
	return b
}

// HTML renders the notes as one self-contained page with
// release-notes.html.tmpl, escaping every value.
func (n *Notes) HTML(root string) ([]byte, error) {
	text, err := patchline.Template(root, HTMLTemplate)
	if err != nil {
		return nil, err
	}
	t, err := htmltemplate.New(HTMLTemplate).Funcs(funcs).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTemplate, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, n.printable()); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTemplate, err)
	}
	return endLine(b.Bytes()), nil
}

// printable is a copy of the notes for the templates with every text that
// came from the repository escaped (textsafe): a manifest merged before
// validate checked its text may hold control characters or workflow
// commands, and notes are printed on terminals and in CI logs. JSON keeps
// the data as it is.
func (n *Notes) printable() *Notes {
	c := *n
	c.Project, c.From, c.To = textsafe.Line(n.Project), textsafe.Line(n.From), textsafe.Line(n.To)
	c.Problems = lines(n.Problems)
	c.Groups = make([]Group, len(n.Groups))
	for i, g := range n.Groups {
		g.Kind, g.Title = textsafe.Line(g.Kind), textsafe.Line(g.Title) // a kind the notes do not know heads its own group
		g.Entries = printableEntries(g.Entries)
		c.Groups[i] = g
	}
	c.Removed = printableEntries(n.Removed)
	return &c
}

func printableEntries(es []*Entry) []*Entry {
	if es == nil {
		return nil
	}
	out := make([]*Entry, len(es))
	for i, e := range es {
		c := *e
		c.ID, c.Title, c.Kind, c.Severity = textsafe.Line(e.ID), textsafe.Line(e.Title), textsafe.Line(e.Kind), textsafe.Line(e.Severity)
		c.Urgency, c.Status, c.Problem = textsafe.Line(e.Urgency), textsafe.Line(e.Status), textsafe.Line(e.Problem)
		c.Summary = textsafe.Text(e.Summary)
		c.Cases, c.CVEs, c.Modules = lines(e.Cases), lines(e.CVEs), lines(e.Modules)
		c.Supersedes, c.SupersededBy = lines(e.Supersedes), lines(e.SupersededBy)
		c.Advisories = lines(e.Advisories)
		c.Dependencies = printableDependencies(e.Dependencies)
		c.ReleaseMethod, c.ReleaseStatus, c.ReleaseEvidence = textsafe.Line(e.ReleaseMethod), textsafe.Line(e.ReleaseStatus), textsafe.Line(e.ReleaseEvidence)
		if e.Lines != nil {
			c.Lines = make([]Shipment, len(e.Lines))
			for j, s := range e.Lines {
				s.Line, s.Tag, s.Commit = textsafe.Line(s.Line), textsafe.Line(s.Tag), textsafe.Line(s.Commit)
				s.Status, s.RemovedIn = textsafe.Line(s.Status), textsafe.Line(s.RemovedIn)
				c.Lines[j] = s
			}
		}
		if e.Approvals != nil {
			c.Approvals = make([]history.Approval, len(e.Approvals))
			for j, a := range e.Approvals {
				a.Role, a.By, a.Ref = textsafe.Line(a.Role), textsafe.Line(a.By), textsafe.Line(a.Ref)
				c.Approvals[j] = a
			}
		}
		out[i] = &c
	}
	return out
}

// lines escapes each string, keeping nil and empty apart.
func lines(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = textsafe.Line(s)
	}
	return out
}

// JSON renders the notes as indented JSON: the data the templates get.
func (n *Notes) JSON() ([]byte, error) {
	data, err := json.MarshalIndent(jsonout.Lists(n), "", "  ")
	if err != nil {
		return nil, err
	}
	// The same data, with no raw control character for a terminal to act on.
	return append(textsafe.JSON(data), '\n'), nil
}

// Describe says what a line did with the patch, for the notes:
// "v2026.2.2", "merged on v2026.2, not yet released", "v2026.2.3, reverted
// in v2026.2.4", "withdrawn from v2026.2 before release".
func (s Shipment) Describe() string {
	switch s.Status {
	case "merged":
		return fmt.Sprintf("merged on %s, not yet released", s.Line)
	case "reverted":
		shipped := s.Tag
		if shipped == "" {
			shipped = "merged on " + s.Line
		}
		if s.RemovedIn == "" {
			return shipped + ", reverted (not yet released)"
		}
		return shipped + ", reverted in " + s.RemovedIn
	case "withdrawn":
		return fmt.Sprintf("withdrawn from %s before release", s.Line)
	}
	return s.Tag
}

// ReleaseText says whether the release the notes are for holds the fix:
// "" when not asked (the fix is on the release's own line).
func (e *Entry) ReleaseText(to string) string {
	switch {
	case e.InRelease == nil:
		return ""
	case len(e.SupersededBy) > 0:
		return fmt.Sprintf("Superseded in %s by %s", to, strings.Join(e.SupersededBy, ", "))
	case e.ReleaseStatus == "adapted":
		return "Included in " + to + ", adapted (its tests differ)"
	case e.ReleaseStatus == "accepted":
		return "Included in " + to + " (checked by the release manager)"
	case *e.InRelease:
		return "Included in " + to
	case e.ReleaseStatus != "" && e.ReleaseStatus != "missing":
		return ""
	}
	// Only a verdict of missing says so publicly.
	return "Not in " + to + ": it regresses on upgrade until it is ported"
}

// StatusText is the entry's status as a heading word: Fixed, Reverted, Withdrawn.
func (e *Entry) StatusText() string {
	if e.Status == "" {
		return ""
	}
	return strings.ToUpper(e.Status[:1]) + e.Status[1:]
}

// Missing reports whether a quarterly release lacks a fix that nothing replaced.
func (e *Entry) Missing() bool {
	return e.InRelease != nil && !*e.InRelease && len(e.SupersededBy) == 0
}

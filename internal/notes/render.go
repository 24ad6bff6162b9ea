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
	if err := t.Execute(&b, n); err != nil {
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
	if err := t.Execute(&b, n); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTemplate, err)
	}
	return endLine(b.Bytes()), nil
}

// JSON renders the notes as indented JSON: the data the templates get.
func (n *Notes) JSON() ([]byte, error) {
	data, err := json.MarshalIndent(n, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
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

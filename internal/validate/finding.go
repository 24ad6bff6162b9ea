// Package validate runs every rule of the patch policy against a patch and
// reports findings, each under a stable code, as text, JSON or GitHub
// workflow annotations.
package validate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/patchline/patchline/internal/jsonout"
	"github.com/patchline/patchline/internal/textsafe"
)

// Severity of a finding: only errors fail validation.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Notice  Severity = "notice"
)

// Finding is one thing a rule found.
type Finding struct {
	Code     string   `json:"code"`
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Patch    string   `json:"patch"`
	File     string   `json:"file,omitempty"`
	Line     int      `json:"line,omitempty"`
	Col      int      `json:"col,omitempty"`
	Message  string   `json:"message"`
	Hint     string   `json:"hint,omitempty"`
}

func (f Finding) location() string {
	switch {
	case f.File == "":
		return f.Patch
	case f.Line == 0:
		return f.File
	case f.Col == 0:
		return fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	return fmt.Sprintf("%s:%d:%d", f.File, f.Line, f.Col)
}

// String is the text form: "file:line:col: error PL104 manifest.bad-value:
// message", one line with any control character escaped, since messages
// quote manifests and names from the repository (textsafe).
func (f Finding) String() string {
	return textsafe.Line(fmt.Sprintf("%s: %s %s %s: %s", f.location(), f.Severity, f.Code, f.Rule, f.Message))
}

// Report is the result of validating some patches.
type Report struct {
	Patches  []PatchResult `json:"patches"`
	Findings []Finding     `json:"findings"`
}

// PatchResult says whether one patch passed.
type PatchResult struct {
	ID       string `json:"id"`
	Where    string `json:"where"`
	OK       bool   `json:"ok"`
	Errors   int    `json:"errors"`
	Warnings int    `json:"warnings"`
}

// Failed reports whether any finding is an error.
func (r *Report) Failed() bool {
	for _, f := range r.Findings {
		if f.Severity == Error {
			return true
		}
	}
	return false
}

func (r *Report) add(id, where string, fs []Finding) {
	res := PatchResult{ID: id, Where: where, OK: true}
	for _, f := range fs {
		switch f.Severity {
		case Error:
			res.Errors++
			res.OK = false
		case Warning:
			res.Warnings++
		}
	}
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Code < fs[j].Code })
	r.Patches = append(r.Patches, res)
	r.Findings = append(r.Findings, fs...)
}

// WriteText writes findings for people: one per line with its hint below,
// then a line per patch.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, f := range r.Findings {
		b.WriteString(f.String())
		b.WriteByte('\n')
		if f.Hint != "" {
			fmt.Fprintf(&b, "    hint: %s\n", textsafe.Line(f.Hint))
		}
	}
	for _, p := range r.Patches {
		status := "ok"
		if !p.OK {
			status = fmt.Sprintf("FAIL (%s)", count(p.Errors, "error"))
		}
		if p.Warnings > 0 {
			status += ", " + count(p.Warnings, "warning")
		}
		fmt.Fprintf(&b, "%s: %s [%s]\n", p.ID, status, p.Where)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// count is "1 error", "2 errors".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// WriteJSON writes the whole report as one JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	out := *r
	if out.Findings == nil {
		out.Findings = []Finding{}
	}
	if out.Patches == nil {
		out.Patches = []PatchResult{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(jsonout.Lists(out)); err != nil {
		return err
	}
	// Messages quote manifests: no raw control character, the same data.
	_, err := w.Write(textsafe.JSON(b.Bytes()))
	return err
}

// WriteGitHub writes workflow commands that GitHub Actions turns into
// annotations on the pull request's files.
func (r *Report) WriteGitHub(w io.Writer) error {
	var b strings.Builder
	for _, f := range r.Findings {
		b.WriteString("::")
		b.WriteString(string(f.Severity))
		var props []string
		if f.File != "" {
			props = append(props, "file="+escapeProperty(textsafe.Line(f.File)))
			if f.Line > 0 {
				props = append(props, fmt.Sprintf("line=%d", f.Line))
			}
			if f.Col > 0 {
				props = append(props, fmt.Sprintf("col=%d", f.Col))
			}
		}
		props = append(props, "title="+escapeProperty(textsafe.Line(f.Patch+" "+f.Code+" "+f.Rule)))
		b.WriteString(" " + strings.Join(props, ","))
		// The runner shows the message in the log, where escape sequences
		// would run; the one line break it gets is the escaped %0A below.
		msg := textsafe.Line(f.Message)
		if f.Hint != "" {
			msg += "\nhint: " + textsafe.Line(f.Hint)
		}
		b.WriteString("::" + escapeData(msg) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// escapeData and escapeProperty follow the escaping of GitHub's
// @actions/core toolkit, so messages survive newlines, colons and commas.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

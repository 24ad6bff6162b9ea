package manifest

import (
	"fmt"
	"strings"

	"github.com/patchline/patchline/internal/manifest/stricttoml"
	"github.com/patchline/patchline/internal/textsafe"
)

// multiline are the keys whose values may hold line breaks and tabs.
var multiline = map[string]bool{"summary": true, "justification": true, "rollback": true, "known_issues": true}

// CheckText reports, as PL104, every string of the manifest that holds a
// character patchline does not print raw (a C0 or C1 control, DEL, a bidi
// control; line breaks and tabs only in summary, justification, rollback
// and known_issues) or a line GitHub Actions would run as a workflow command. Such
// text would rewrite a terminal or a CI log wherever show, list, notes or
// validate print it.
//
// Decode does not report these, so that manifests merged before patchline
// checked them still read, and print escaped (textsafe); validate refuses
// them. CheckText reports nothing for data Decode cannot read at all.
func CheckText(file string, data []byte) []Problem {
	if len(data) > MaxSize {
		return nil
	}
	var m Manifest
	doc, findings := stricttoml.Decode(data, &m, stricttoml.Options{Examples: examples})
	if doc == nil {
		return nil
	}
	c := &checker{file: file, doc: doc, skip: map[string]bool{}}
	for _, f := range findings {
		if f.Kind == stricttoml.WrongType {
			c.skip[f.Path] = true
		}
	}
	c.checkText(&m)
	SortProblems(c.problems)
	return c.problems
}

func (c *checker) checkText(m *Manifest) {
	for _, f := range []struct {
		key, val string
	}{
		{"id", m.ID}, {"title", m.Title}, {"base", m.Base}, {"kind", m.Kind}, {"severity", m.Severity},
		{"urgency", m.Urgency}, {"summary", m.Summary}, {"justification", m.Justification},
		{"risk", m.Risk}, {"rollback", m.Rollback}, {"known_issues", m.KnownIssues},
	} {
		val := f.val
		if f.key == "title" {
			// Decode reports a title that is not one line; the rest of it
			// is checked here, each line break standing in as a space.
			val = strings.NewReplacer("\r", " ", "\n", " ").Replace(val)
		}
		if !c.skip[f.key] && c.doc.Has(f.key) {
			c.text(f.key, val, multiline[f.key], f.key)
		}
	}
	for _, l := range []struct {
		key  string
		vals []string
	}{{"also", m.Also}, {"modules", m.Modules}, {"cases", m.Cases}, {"cves", m.CVEs}, {"requires", m.Requires},
		{"services", m.Services}, {"supersedes", m.Supersedes}, {"dependencies", m.Dependencies}} {
		if c.skip[l.key] {
			continue
		}
		for i, s := range l.vals {
			if !c.skip[stricttoml.FormatPath(l.key, i)] {
				c.text(stricttoml.FormatPath(l.key, i), s, false, l.key, i)
			}
		}
	}
	for i, a := range m.Approvals {
		if c.skip[stricttoml.FormatPath("approval", i)] {
			continue
		}
		for _, k := range []struct{ key, val string }{{"role", a.Role}, {"by", a.By}, {"ref", a.Ref}} {
			if name := stricttoml.FormatPath("approval", i, k.key); !c.skip[name] && c.doc.Has("approval", i, k.key) {
				c.text(name, k.val, false, "approval", i, k.key)
			}
		}
	}
}

// text reports the first character of one value that would print as an
// escape, else its first line that would run as a workflow command. name
// is how the message calls the value; path finds its position.
func (c *checker) text(name, s string, multiline bool, path ...any) {
	pos := c.doc.ValuePos(path...)
	if at, r, ok := textsafe.FindControl(s, multiline); ok {
		msg := fmt.Sprintf("%s: control character %s at character %d", name, textsafe.Describe(r), at)
		if n := textsafe.CountControl(s, multiline); n > 1 {
			msg += fmt.Sprintf(" (%d in all)", n)
		}
		hint := "remove it: " + name + " is one line of plain text, printed on terminals and in CI logs"
		if multiline {
			hint = "remove it: " + name + " may hold line breaks and tabs, no other control characters"
		}
		if r >= 0x202a && r <= 0x2069 {
			hint = "remove it: a bidi control reorders how the text around it reads"
		}
		c.bad(pos, msg, hint)
		return
	}
	if line, ok := textsafe.FindCommand(s); ok {
		how := `starts with "::"`
		if strings.Contains(strings.Split(s, "\n")[line-1], "##[") {
			how = `holds "##" followed by "["`
		}
		msg := fmt.Sprintf("%s %s, which GitHub Actions runs as a workflow command", name, how)
		if multiline && strings.Contains(s, "\n") {
			msg = fmt.Sprintf("%s: line %d %s, which GitHub Actions runs as a workflow command", name, line, how)
		}
		c.bad(pos, msg, "reword it: patchline prints "+name+" in CI logs, where the runner reads such a line as a command")
	}
}

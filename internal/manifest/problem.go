package manifest

import (
	"fmt"
	"sort"

	"github.com/patchline/patchline/internal/textsafe"
)

// Problem is one thing wrong with a manifest or a config file, at a place in
// it. The config package reports its problems with this type too.
type Problem struct {
	File    string // as the caller named it
	Line    int    // 1-based
	Col     int    // 1-based, in bytes
	Code    string // stable, e.g. "PL104"
	Rule    string // stable, e.g. "manifest.bad-value"
	Message string
	Hint    string // how to fix it; may be empty
}

// String is "file:line:col: PL104 manifest.bad-value: message (hint: ...)",
// one line, with any control character escaped: a message may quote the
// manifest (textsafe).
func (p Problem) String() string {
	s := fmt.Sprintf("%s:%d:%d: %s %s: %s", p.File, p.Line, p.Col, p.Code, p.Rule, p.Message)
	if p.Hint != "" {
		s += " (hint: " + p.Hint + ")"
	}
	return textsafe.Line(s)
}

// Codes and rules of the problems Decode reports.
const (
	CodeSyntax        = "PL100"
	CodeUnknownKey    = "PL101"
	CodeType          = "PL102"
	CodeMissingField  = "PL103"
	CodeBadValue      = "PL104"
	CodeSchema        = "PL105"
	CodeJustification = "PL106"
	CodeTooLarge      = "PL107"

	RuleSyntax        = "manifest.syntax"
	RuleUnknownKey    = "manifest.unknown-key"
	RuleType          = "manifest.type"
	RuleMissingField  = "manifest.missing-field"
	RuleBadValue      = "manifest.bad-value"
	RuleSchema        = "manifest.schema"
	RuleJustification = "manifest.justification"
	RuleTooLarge      = "manifest.too-large"
)

// SortProblems orders problems by file, line, column and code, so reports
// read top to bottom and repeat from run to run.
func SortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return a.Code < b.Code
	})
}

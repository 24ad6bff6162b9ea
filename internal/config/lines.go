package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/patchline/patchline/internal/lazyre"
)

// The placeholders [release] maintenance_branch may hold.
const (
	PlaceholderLine  = "{line}"  // the release line, the tag without its last number: v2026.3
	PlaceholderMajor = "{major}" // the line's first number: 2026
	PlaceholderMinor = "{minor}" // the line's second number: 3
)

// Placeholders lists the placeholders of a maintenance branch template.
var Placeholders = []string{PlaceholderLine, PlaceholderMajor, PlaceholderMinor}

// ErrUnsupportedLine is wrapped when a release tag's line is not one of
// [release] lines.
var ErrUnsupportedLine = errors.New("not a supported release line")

// lineNumbers finds the numbers at the end of a line name: v2026.3 -> 2026, 3.
var lineNumbers = lazyre.New(`(\d+)(?:\.(\d+))?(?:\.\d+)*$`)

// parseBranchTemplate splits a maintenance_branch value into its literal
// text and placeholders, or says what is wrong with it.
func parseBranchTemplate(s string) (parts []string, placeholders bool, err error) {
	for s != "" {
		open := strings.IndexAny(s, "{}")
		if open < 0 {
			parts = append(parts, s)
			break
		}
		if s[open] == '}' {
			return nil, false, fmt.Errorf("a %q without its %q", "}", "{")
		}
		if open > 0 {
			parts = append(parts, s[:open])
		}
		end := strings.IndexByte(s[open:], '}')
		if end < 0 {
			return nil, false, fmt.Errorf("%q is not closed", s[open:])
		}
		ph := s[open : open+end+1]
		if !slices.Contains(Placeholders, ph) {
			return nil, false, fmt.Errorf("unknown placeholder %s", ph)
		}
		parts = append(parts, ph)
		placeholders = true
		s = s[open+end+1:]
	}
	return parts, placeholders, nil
}

// checkBranchTemplate says why a maintenance_branch value cannot name one
// branch per release line, or returns "" and the branch it names for an
// example line, for checking as a branch name.
func checkBranchTemplate(s string) (problem, example string) {
	parts, placeholders, err := parseBranchTemplate(s)
	if err != nil {
		return err.Error(), ""
	}
	if placeholders && !slices.Contains(parts, PlaceholderLine) &&
		!(slices.Contains(parts, PlaceholderMajor) && slices.Contains(parts, PlaceholderMinor)) {
		return "it names one branch for several lines: use {line}, or {major} and {minor} together", ""
	}
	example, _ = expandBranch(parts, placeholders, "v2026.3")
	return "", example
}

// expandBranch names the maintenance branch of a line: prefix + line
// without placeholders, else the template filled in. It reports false when
// the line lacks a number the template asks for.
func expandBranch(parts []string, placeholders bool, line string) (string, bool) {
	if !placeholders {
		return strings.Join(parts, "") + line, true
	}
	var major, minor string
	if m := lineNumbers.FindStringSubmatch(line); m != nil {
		major, minor = m[1], m[2]
	}
	var b strings.Builder
	for _, p := range parts {
		v := p
		switch p {
		case PlaceholderLine:
			v = line
		case PlaceholderMajor:
			v = major
		case PlaceholderMinor:
			v = minor
		}
		if v == "" {
			return "", false
		}
		b.WriteString(v)
	}
	return b.String(), true
}

// MaintenanceBranch names the maintenance branch of a release line from
// [release] maintenance_branch: a prefix (prefix + line) or a template with
// {line}, {major} and {minor}. It reports false when the template asks for
// a number the line does not have ({minor} of a line v3).
func (c *Config) MaintenanceBranch(line string) (string, bool) {
	tmpl := c.Release.MaintenanceBranch
	if tmpl == "" {
		tmpl = DefaultMaintenanceBranch
	}
	parts, placeholders, err := parseBranchTemplate(tmpl)
	if err != nil {
		return "", false // Decode refuses such a value
	}
	return expandBranch(parts, placeholders, line)
}

// MaintenanceBranchFor is the maintenance branch of a release line, "" when
// [release] maintenance_branch cannot name it (see MaintenanceBranch).
func (c *Config) MaintenanceBranchFor(line string) string {
	name, _ := c.MaintenanceBranch(line)
	return name
}

// SupportsLine reports whether a release line is supported: one of
// [release] lines, or any line when that list is empty.
func (c *Config) SupportsLine(line string) bool {
	return len(c.Release.Lines) == 0 || slices.Contains(c.Release.Lines, line)
}

// SupportedLineOf is the release line of a release tag when that line is
// supported. Its errors say which: not a release tag, or a line [release]
// lines does not list (wrapping ErrUnsupportedLine).
func (c *Config) SupportedLineOf(tag string) (string, error) {
	line, ok := c.LineOf(tag)
	if !ok {
		return "", fmt.Errorf("%q is not a release tag matching [release] tags %s", tag, c.ReleaseTagPattern())
	}
	if !c.SupportsLine(line) {
		return "", fmt.Errorf("%s is on the release line %s, %w: [release] lines lists %s",
			tag, line, ErrUnsupportedLine, strings.Join(c.Release.Lines, ", "))
	}
	return line, nil
}

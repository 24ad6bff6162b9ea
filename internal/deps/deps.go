// Package deps is a patch's dependency changes: the entries of a manifest's
// dependencies list, the changes a diff makes to go.mod files (read with
// golang.org/x/mod/modfile), and how the two match.
//
// An entry is written as the go command would make the change:
//
//	golang.org/x/net v0.38.0: CVE-2025-22870     go get golang.org/x/net@v0.38.0
//	example.com/old none                          go get example.com/old@none
//	go 1.24.0                                     go get go@1.24.0
//	toolchain go1.24.4                            go get toolchain@go1.24.4
//	example.com/lib => example.com/fork v1.2.1    go mod edit -replace=example.com/lib=example.com/fork@v1.2.1
//	example.com/lib v1.2.0 => ../lib              go mod edit -replace=example.com/lib@v1.2.0=../lib
//	example.com/lib => none                       go mod edit -dropreplace=example.com/lib
//
// Everything after the first colon is the reason, for the release notes.
package deps

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// None is the version of a requirement the patch removes, and the target
// of a replace directive it removes, as `go get m@none` writes it.
const None = "none"

// The directives an entry names by their keyword instead of a module path,
// as `go get go@1.24.0` and `go get toolchain@go1.24.4` do.
const (
	Go        = "go"
	Toolchain = "toolchain"
)

// Change is one dependency change, as the go.mod file is after the patch.
type Change struct {
	// Module is the module path, or Go or Toolchain for those directives;
	// for a replace directive, the module it replaces.
	Module string
	// Version is, for a requirement, the version after the patch or None;
	// for a replace directive, the version it replaces, "" for every one.
	Version string
	// Replace marks a replace directive.
	Replace bool
	// With is the replacement module path or directory, or None when the
	// patch removes the directive; WithVersion is the replacement module's
	// version, "" for a directory and None.
	With, WithVersion string
}

// String is the change as a manifest entry writes it, without a reason.
func (c Change) String() string {
	if !c.Replace {
		return c.Module + " " + c.Version
	}
	s := c.Module
	if c.Version != "" {
		s += " " + c.Version
	}
	s += " => " + c.With
	if c.WithVersion != "" {
		s += " " + c.WithVersion
	}
	return s
}

// Subject is what the change is about: a requirement, a directive, or the
// replacement of one module (version). Two changes with the same subject
// and different outcomes contradict each other.
func (c Change) Subject() string {
	switch {
	case c.Replace && c.Version != "":
		return "replace " + c.Module + " " + c.Version
	case c.Replace:
		return "replace " + c.Module
	}
	return c.Module
}

// GoCommand is the command that makes the change in a go.mod file.
func (c Change) GoCommand() string {
	switch {
	case c.Replace && c.With == None:
		return "go mod edit -dropreplace=" + at(c.Module, c.Version)
	case c.Replace:
		return "go mod edit -replace=" + at(c.Module, c.Version) + "=" + at(c.With, c.WithVersion)
	}
	return "go get " + at(c.Module, c.Version)
}

func at(path, version string) string {
	if version == "" {
		return path
	}
	return path + "@" + version
}

// Entry is one entry of a manifest's dependencies list.
type Entry struct {
	Change
	Reason string // "" when the entry gives none
}

// String is the entry as a manifest writes it.
func (e Entry) String() string {
	if e.Reason == "" {
		return e.Change.String()
	}
	return e.Change.String() + ": " + e.Reason
}

// EntryError says what is wrong with an entry and how to write it.
type EntryError struct {
	Message string
	Hint    string
}

func (e *EntryError) Error() string { return e.Message }

func entryError(hint, format string, args ...any) *EntryError {
	return &EntryError{Message: fmt.Sprintf(format, args...), Hint: hint}
}

// Example is an entry written correctly, for hints.
const Example = `"golang.org/x/net v0.38.0: CVE-2025-22870"`

// grammar is the hint of an entry that does not parse at all.
const grammar = `write "<module path> <version>", "<module path> none" for a removal, or "<module> [<version>] => <replacement> [<version>]" for a replace directive, then ": <reason>" if you like, e.g. ` + Example

// ParseEntry reads one entry of a manifest's dependencies list. It is
// strict: single spaces between the fields, canonical versions, one space
// after the colon and a reason that is not blank. An error is an
// *EntryError.
func ParseEntry(s string) (Entry, error) {
	change, reason, hasReason := strings.Cut(s, ":")
	var e Entry
	if hasReason {
		r := strings.TrimSpace(reason)
		switch {
		case r == "":
			return e, entryError(fmt.Sprintf("say why after the colon, or remove it: %q", strings.TrimSpace(change)), "%q has a colon but no reason after it", s)
		case !strings.HasPrefix(reason, " ") || r != reason[1:]:
			return e, entryError(fmt.Sprintf("write %q", strings.TrimSpace(change)+": "+r), "%q: write one space after the colon and none at the end", s)
		}
		e.Reason = r
	}
	fields := strings.Fields(change)
	if canon := strings.Join(fields, " "); canon != change && len(fields) > 0 {
		fix := canon
		if hasReason {
			fix += ": " + e.Reason
		}
		return e, entryError(fmt.Sprintf("write %q", fix), "%q: separate the fields with single spaces, with none before the colon", s)
	}
	arrow := -1
	for i, f := range fields {
		if f == "=>" {
			arrow = i
			break
		}
	}
	var err error
	if arrow >= 0 {
		e.Change, err = parseReplace(s, fields, arrow)
	} else {
		e.Change, err = parseRequire(s, fields)
	}
	return e, err
}

func parseRequire(s string, fields []string) (Change, error) {
	switch len(fields) {
	case 0:
		return Change{}, entryError(grammar, "%q names no module", s)
	case 1:
		if path, v, ok := strings.Cut(fields[0], "@"); ok {
			return Change{}, entryError(fmt.Sprintf("write %q", path+" "+v), "%q: separate the module and the version with a space, not @", s)
		}
		return Change{}, entryError(fmt.Sprintf(`write the version the patch sets after the module, e.g. "%s v1.2.3", or "%s none" when it removes the requirement`, fields[0], fields[0]),
			"%q has no version", s)
	case 2:
	default:
		return Change{}, entryError(grammar, "%q: want a module and a version, got %d fields", s, len(fields))
	}
	c := Change{Module: fields[0], Version: fields[1]}
	switch c.Module {
	case Go:
		if c.Version != None && !modfile.GoVersionRE.MatchString(c.Version) {
			return c, entryError(`write the go line's version as go.mod does, e.g. "go 1.24.0"`, "%q: %q is not a Go version", s, c.Version)
		}
		return c, nil
	case Toolchain:
		if c.Version != None && !modfile.ToolchainRE.MatchString(c.Version) {
			return c, entryError(`write the toolchain line's name as go.mod does, e.g. "toolchain go1.24.4"`, "%q: %q is not a toolchain name", s, c.Version)
		}
		return c, nil
	}
	if err := checkPath(s, c.Module); err != nil {
		return c, err
	}
	if c.Version == None {
		return c, nil
	}
	return c, checkVersion(s, c.Module, c.Version)
}

func parseReplace(s string, fields []string, arrow int) (Change, error) {
	c := Change{Replace: true}
	left, right := fields[:arrow], fields[arrow+1:]
	if len(left) < 1 || len(left) > 2 || len(right) < 1 || len(right) > 2 {
		return c, entryError(`write "<module> [<version>] => <module> <version>", "<module> [<version>] => <directory>" or "<module> [<version>] => none", as a replace directive in go.mod`,
			"%q is not a replace directive", s)
	}
	c.Module = left[0]
	if err := checkPath(s, c.Module); err != nil {
		return c, err
	}
	if len(left) == 2 {
		c.Version = left[1]
		if c.Version == None {
			return c, entryError(fmt.Sprintf("a replace directive replaces one version or every one: write %q", c.Module+" => "+strings.Join(right, " ")),
				"%q: a replace directive cannot replace version none", s)
		}
		if err := checkVersion(s, c.Module, c.Version); err != nil {
			return c, err
		}
	}
	c.With = right[0]
	switch {
	case c.With == None || modfile.IsDirectoryPath(c.With):
		if len(right) == 2 {
			return c, entryError(fmt.Sprintf("write %q", strings.Join(fields[:arrow+2], " ")), "%q: %s takes no version", s, describeTarget(c.With))
		}
		if strings.Contains(c.With, `\`) {
			return c, entryError("write the directory with forward slashes, relative to the go.mod file, e.g. ../lib", "%q: %q is a Windows path", s, c.With)
		}
		return c, nil
	case len(right) == 1:
		return c, entryError(fmt.Sprintf(`a replacement module needs its version, e.g. "%s => %s v1.2.3"; a directory starts with ./, ../ or /`, strings.Join(left, " "), c.With),
			"%q: the replacement %s has no version", s, c.With)
	}
	c.WithVersion = right[1]
	if err := checkPath(s, c.With); err != nil {
		return c, err
	}
	return c, checkVersion(s, c.With, c.WithVersion)
}

func describeTarget(with string) string {
	if with == None {
		return "none"
	}
	return "a directory"
}

// checkPath accepts what a go.mod file may require: an import path, which
// need not have a dot in its first element (a module of the same
// repository, replaced by a directory, often has none).
func checkPath(s, path string) error {
	if err := module.CheckImportPath(path); err != nil {
		return entryError("write the module path as go.mod does, e.g. golang.org/x/net", "%q: %s", s, unwrapPathError(err))
	}
	if _, _, ok := module.SplitPathVersion(path); !ok {
		return entryError("write the module path as go.mod does, e.g. golang.org/x/net or example.com/m/v2", "%q: %q is not a module path", s, path)
	}
	return nil
}

// checkVersion accepts a canonical semantic version that matches the
// path's major version suffix, as go.mod writes it.
func checkVersion(s, path, v string) error {
	cv := module.CanonicalVersion(v)
	if cv == "" && !strings.HasPrefix(v, "v") {
		cv = module.CanonicalVersion("v" + v)
	}
	if cv != v {
		hint := "versions are semantic versions as go.mod writes them, e.g. v1.2.3, or none for a removal"
		if cv != "" {
			hint = fmt.Sprintf("did you mean %q?", path+" "+cv)
		}
		return entryError(hint, "%q: %q is not a canonical module version", s, v)
	}
	_, major, _ := module.SplitPathVersion(path)
	if err := module.CheckPathMajor(v, major); err != nil {
		hint := "a module path ending in /vN takes versions vN.x.y, and gopkg.in/m.vN takes vN.x.y"
		if m := semver.Major(v); major == "" && m != "v0" && m != "v1" {
			hint = fmt.Sprintf("major version %s is module %s/%s, or %s+incompatible for a module without a go.mod", m, path, m, v)
		}
		return entryError(hint, "%q: version %s does not match module %s", s, v, path)
	}
	return nil
}

// unwrapPathError drops x/mod's "malformed import path" prefix, which
// repeats what the message says.
func unwrapPathError(err error) string {
	var pe *module.InvalidPathError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%q is not a module path: %v", pe.Path, pe.Err)
	}
	return err.Error()
}

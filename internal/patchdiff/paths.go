package patchdiff

import (
	"fmt"
	"strings"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
)

// Problem is a path-safety finding.
type Problem struct {
	Path   string
	Reason string
}

func (p Problem) String() string { return fmt.Sprintf("%q: %s", p.Path, p.Reason) }

// CheckPaths reports every path of files that must not be applied: paths
// that are absolute, have empty, "." or ".." components, name a .git
// directory (in any case, and in the spellings Windows and macOS file
// systems treat as .git), or contain NUL or a backslash. Given a Source, it
// also reports paths that would be written through a symlink: a parent
// directory that is a symlink in src (unless the diff removes it) or that
// the diff itself creates as one, and a symlink in src that the diff
// changes as a regular file, which a naive writer would follow.
//
// The problems come in the order of the files, each path once.
func CheckPaths(files []*gitdiff.File, src Source) []Problem {
	var problems []Problem
	seen := map[Problem]bool{}
	report := func(p, reason string) {
		pr := Problem{Path: p, Reason: reason}
		if !seen[pr] {
			seen[pr] = true
			problems = append(problems, pr)
		}
	}

	createdLinks := map[string]bool{}
	removed := map[string]bool{}
	for _, f := range files {
		if f == nil {
			continue
		}
		if !f.IsDelete && Mode(f.NewMode).IsSymlink() {
			createdLinks[f.NewName] = true
		}
		if f.IsDelete || f.IsRename {
			removed[f.OldName] = true
		}
	}
	links := &linkChecker{src: src, created: createdLinks, removed: removed, cache: map[string]linkState{}}

	for _, f := range files {
		if f == nil {
			continue
		}
		for _, p := range filePaths(f) {
			if reason := pathProblem(p); reason != "" {
				report(p, reason)
				continue
			}
			if src == nil {
				continue
			}
			if parent, reason := links.parentProblem(p); parent != "" {
				report(p, reason)
			}
		}
		if src != nil && !f.IsNew && !f.IsDelete && pathProblem(f.OldName) == "" {
			if _, mode, ok, err := src.Lookup(f.OldName); err == nil && ok && mode.IsSymlink() &&
				!Mode(f.OldMode).IsSymlink() && !removed[f.OldName] {
				report(f.OldName, "is a symlink in the tree but the diff changes it as a regular file")
			}
		}
	}
	return problems
}

// filePaths lists the paths a file patch reads or writes.
func filePaths(f *gitdiff.File) []string {
	var out []string
	if !f.IsNew {
		out = append(out, f.OldName)
	}
	if !f.IsDelete && (f.IsNew || f.NewName != f.OldName) {
		out = append(out, f.NewName)
	}
	return out
}

// pathProblem checks the shape of a path alone; "" means it is fine.
func pathProblem(p string) string {
	switch {
	case p == "":
		return "empty path"
	case strings.IndexByte(p, 0) >= 0:
		return "contains a NUL byte"
	case strings.IndexByte(p, '\\') >= 0:
		return "contains a backslash"
	case p[0] == '/':
		return "absolute path"
	case len(p) >= 2 && p[1] == ':' && ('a' <= p[0]|0x20 && p[0]|0x20 <= 'z'):
		return "absolute path (drive letter)"
	}
	for _, c := range strings.Split(p, "/") {
		switch {
		case c == "":
			return "empty path component"
		case c == "." || c == "..":
			return fmt.Sprintf("has a %q component", c)
		case isDotGit(c):
			return fmt.Sprintf("has a .git component (%q)", c)
		}
	}
	return ""
}

// hfsIgnorable are code points HFS+ drops when comparing names, so that
// ".g\u200cit" opens .git on a Mac.
var hfsIgnorable = strings.NewReplacer(
	"\u200c", "", "\u200d", "", "\u200e", "", "\u200f", "",
	"\u202a", "", "\u202b", "", "\u202c", "", "\u202d", "", "\u202e", "",
	"\u206a", "", "\u206b", "", "\u206c", "", "\u206d", "", "\u206e", "", "\u206f", "",
	"\ufeff", "",
)

// isDotGit reports whether a path component names the .git directory on
// some file system: any case, trailing dots and spaces (Windows drops
// them), an NTFS stream suffix (".git::$INDEX_ALLOCATION"), the 8.3 short
// name GIT~1, and HFS+ ignorable code points.
func isDotGit(c string) bool {
	c = strings.ToLower(hfsIgnorable.Replace(c))
	if base, _, ok := strings.Cut(c, ":"); ok {
		c = base
	}
	c = strings.TrimRight(c, " .")
	return c == ".git" || c == "git~1"
}

type linkState int

const (
	linkNo     linkState = iota // absent or a directory
	linkYes                     // a symlink the diff keeps
	linkNotDir                  // a file, or a symlink the diff removes: nothing below it exists
	linkError                   // the source could not say
)

// linkChecker answers "is this directory a symlink" for the pre-image as the
// diff leaves it, caching lookups since many paths share parents.
type linkChecker struct {
	src     Source
	created map[string]bool // symlinks the diff creates
	removed map[string]bool // paths the diff deletes or renames away
	cache   map[string]linkState
}

// parentProblem returns the first parent directory of p that is a symlink,
// and why, or "" if there is none.
func (c *linkChecker) parentProblem(p string) (string, string) {
	inSrc := true // false once a parent is a file or removed link in the source
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		dir := p[:i]
		if c.created[dir] {
			return dir, fmt.Sprintf("parent %q is a symlink the diff creates", dir)
		}
		if !inSrc {
			continue
		}
		switch c.state(dir) {
		case linkYes:
			return dir, fmt.Sprintf("parent %q is a symlink", dir)
		case linkError:
			return dir, fmt.Sprintf("parent %q cannot be checked", dir)
		case linkNotDir:
			inSrc = false
		}
	}
	return "", ""
}

func (c *linkChecker) state(dir string) linkState {
	if s, ok := c.cache[dir]; ok {
		return s
	}
	s := linkNo
	_, mode, ok, err := c.src.Lookup(dir)
	switch {
	case err != nil:
		s = linkError
	case ok && mode.IsSymlink() && !c.removed[dir]:
		s = linkYes
	case ok:
		s = linkNotDir
	}
	c.cache[dir] = s
	return s
}

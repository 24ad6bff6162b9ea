package deps

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// Edit is a change a diff makes to one go.mod file.
type Edit struct {
	File string // the go.mod file, repository-relative
	Change
	// Was is what the go.mod file said before: the version of the
	// requirement or directive, the replacement ("path version" or a
	// directory) of a replace directive, or None when there was none.
	Was string
}

// Describe says what the edit does, for a finding: "go.mod upgrades
// golang.org/x/net from v0.37.0 to v0.38.0".
func (e Edit) Describe() string {
	now := e.Version
	if e.Replace {
		now = e.With
		if e.WithVersion != "" {
			now += " " + e.WithVersion
		}
	}
	what := e.Module
	if e.Replace && e.Version != "" {
		what += " " + e.Version
	}
	switch {
	case e.Replace && e.Was == None:
		return fmt.Sprintf("%s replaces %s with %s", e.File, what, now)
	case e.Replace && now == None:
		return fmt.Sprintf("%s drops the replacement of %s with %s", e.File, what, e.Was)
	case e.Replace:
		return fmt.Sprintf("%s replaces %s with %s instead of %s", e.File, what, now, e.Was)
	case e.Module == Go || e.Module == Toolchain:
		switch {
		case e.Was == None:
			return fmt.Sprintf("%s adds the line %s %s", e.File, e.Module, now)
		case now == None:
			return fmt.Sprintf("%s removes the line %s %s", e.File, e.Module, e.Was)
		}
		return fmt.Sprintf("%s changes %s from %s to %s", e.File, e.Module, e.Was, now)
	case e.Was == None:
		return fmt.Sprintf("%s adds %s %s", e.File, e.Module, now)
	case now == None:
		return fmt.Sprintf("%s removes %s %s", e.File, e.Module, e.Was)
	case semver.Compare(now, e.Was) < 0:
		return fmt.Sprintf("%s downgrades %s from %s to %s", e.File, e.Module, e.Was, now)
	}
	return fmt.Sprintf("%s upgrades %s from %s to %s", e.File, e.Module, e.Was, now)
}

// Edits compares two versions of one go.mod file and returns what changed
// in its go and toolchain lines, requirements and replace directives, in
// that order and by module within each. A nil old or new is a file that is
// absent on that side. Comments, // indirect marks, exclude, retract,
// godebug and tool lines are not dependency changes. An error says which
// side does not parse.
func Edits(file string, old, new []byte) ([]Edit, error) {
	before, err := read(file, old)
	if err != nil {
		return nil, fmt.Errorf("%s before the patch: %w", file, err)
	}
	after, err := read(file, new)
	if err != nil {
		return nil, fmt.Errorf("%s after the patch: %w", file, err)
	}
	var out []Edit
	for _, d := range []string{Go, Toolchain} {
		if b, a := before.directives[d], after.directives[d]; a != b {
			out = append(out, Edit{File: file, Change: Change{Module: d, Version: a}, Was: b})
		}
	}
	for _, p := range keys(before.requires, after.requires) {
		if b, a := or(before.requires, p), or(after.requires, p); a != b {
			out = append(out, Edit{File: file, Change: Change{Module: p, Version: a}, Was: b})
		}
	}
	for _, k := range keys(before.replaces, after.replaces) {
		b, a := or(before.replaces, k), or(after.replaces, k)
		if a == b {
			continue
		}
		mod, _ := splitVersion(k)
		c := Change{Module: mod.Path, Version: mod.Version, Replace: true}
		with, _ := splitVersion(a)
		c.With, c.WithVersion = with.Path, with.Version
		out = append(out, Edit{File: file, Change: c, Was: b})
	}
	return out, nil
}

// gomod is what of a go.mod file counts as its dependencies, with None for
// what it does not say.
type gomod struct {
	directives map[string]string // go, toolchain
	requires   map[string]string // module path -> version
	replaces   map[string]string // "path[ version]" -> "path version" or a directory
}

func read(file string, data []byte) (gomod, error) {
	g := gomod{directives: map[string]string{Go: None, Toolchain: None}, requires: map[string]string{}, replaces: map[string]string{}}
	if data == nil {
		return g, nil
	}
	f, err := modfile.Parse(file, data, nil)
	if err != nil {
		return g, err
	}
	if f.Go != nil {
		g.directives[Go] = f.Go.Version
	}
	if f.Toolchain != nil {
		g.directives[Toolchain] = f.Toolchain.Name
	}
	for _, r := range f.Require {
		// A module required twice is required at the higher version, as
		// minimal version selection reads it.
		if v, ok := g.requires[r.Mod.Path]; !ok || semver.Compare(r.Mod.Version, v) > 0 {
			g.requires[r.Mod.Path] = r.Mod.Version
		}
	}
	for _, r := range f.Replace {
		// The go command refuses a module replaced twice; the last one is
		// what a reader of the file sees last.
		g.replaces[joinVersion(r.Old)] = joinVersion(r.New)
	}
	return g, nil
}

func joinVersion(m module.Version) string {
	if m.Version == "" {
		return m.Path
	}
	return m.Path + " " + m.Version
}

// splitVersion undoes joinVersion; a directory may hold spaces, a module
// path never does, so only a last field that is a version is split off.
func splitVersion(s string) (module.Version, bool) {
	if i := strings.LastIndexByte(s, ' '); i >= 0 && semver.IsValid(s[i+1:]) && !modfile.IsDirectoryPath(s) {
		return module.Version{Path: s[:i], Version: s[i+1:]}, true
	}
	return module.Version{Path: s}, false
}

func or(m map[string]string, k string) string {
	if v, ok := m[k]; ok {
		return v
	}
	return None
}

func keys(a, b map[string]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range []map[string]string{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Kind is what a path of a diff is to the dependency rule.
type Kind int

const (
	Other  Kind = iota
	GoMod       // a go.mod file
	GoSum       // a go.sum file
	Vendor      // a file under a vendor/ directory
)

// Classify says whether a repository path is a go.mod or go.sum file or
// lies under a vendor directory, at any depth, and names the directory of
// the module it belongs to: the go.mod's or go.sum's own, the one holding
// vendor/. Paths under a testdata directory (outside vendor/) are Other:
// the go command never builds them into the product.
func Classify(p string) (kind Kind, dir string) {
	elems := strings.Split(p, "/")
	for i, e := range elems[:len(elems)-1] {
		switch e {
		case "vendor":
			return Vendor, path.Join(append([]string{"."}, elems[:i]...)...)
		case "testdata":
			return Other, ""
		}
	}
	switch elems[len(elems)-1] {
	case "go.mod":
		return GoMod, path.Dir(p)
	case "go.sum":
		return GoSum, path.Dir(p)
	}
	return Other, ""
}

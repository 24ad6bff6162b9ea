package validate

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/patchline/patchline/internal/deps"
	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/registry"
)

// Codes of the dependency rule.
const (
	CodeDepsUnlisted   = "PL200"
	CodeDepsMismatch   = "PL201"
	CodeDepsNotInDiff  = "PL202"
	CodeDepsWithoutMod = "PL203"
	CodeDepsGoMod      = "PL204"
)

// depsRule: every change patch.diff makes to a go.mod file, at any depth
// (requirements, replace directives, the go and toolchain lines), is an
// entry of dependencies, and every entry is such a change; a go.sum or
// vendor/ change comes with a change to its module's go.mod. The go.mod
// files are read with modfile, as base has them and as patch.diff leaves
// them.
type depsRule struct{}

func (depsRule) String() string { return "dependencies" }

func (depsRule) Check(v *Validator, s *State) ([]Finding, error) {
	p, m := s.Patch, s.Patch.Manifest
	if m == nil || s.Applied == nil {
		// No manifest, or a diff that does not apply to base: what it
		// would change is not known, and other rules say why.
		return nil, nil
	}
	diffPath := path.Join(registry.PatchDir(p.ID), registry.DiffName)
	var (
		fs      []Finding
		edits   []deps.Edit
		changed = map[string]bool{} // module directories whose go.mod changes a dependency
		loose   = map[string][]string{}
	)
	for _, r := range s.Applied {
		kind, dir := deps.Classify(r.Path)
		switch kind {
		case deps.GoMod:
			old, _, ok, err := s.Base.Lookup(r.Path)
			if err != nil {
				return nil, err
			}
			if !ok {
				old = nil
			} else if old == nil {
				old = []byte{}
			}
			var now []byte
			if !r.Deleted {
				now = r.Data
				if now == nil {
					now = []byte{}
				}
			}
			es, err := deps.Edits(r.Path, old, now)
			if err != nil {
				fs = append(fs, Finding{Code: CodeDepsGoMod, Rule: "deps.go-mod", Severity: Error, File: diffPath, Line: diffLine(p.Diff, r.Path),
					Message: "cannot read the dependencies of " + err.Error(),
					Hint:    "the go command must read go.mod before and after the patch: fix it on the branch and run `patchline diff`"})
				continue
			}
			if len(es) > 0 {
				changed[dir] = true
			}
			edits = append(edits, es...)
		case deps.GoSum, deps.Vendor:
			loose[dir] = append(loose[dir], r.Path)
		}
	}
	fs = append(fs, withoutGoMod(p.Diff, diffPath, m.Base, loose, changed)...)

	entries := m.ParsedDependencies()
	if len(entries) < len(m.Dependencies) {
		// An entry the manifest rule refused (PL104) may be the one a
		// change needs: matching now would say so twice.
		return fs, nil
	}
	res := deps.Match(entries, edits)
	keyLine, keyCol := keyPos(p.ManifestData, "dependencies")
	for _, e := range res.Unlisted {
		hint := fmt.Sprintf("add %q to dependencies, with the reason after a colon if you like: %q", e.Change.String(), e.Change.String()+": <why>")
		if len(m.Dependencies) == 0 {
			hint = fmt.Sprintf("list it in the manifest: dependencies = [%q], with the reason after a colon if you like: %q", e.Change.String(), e.Change.String()+": <why>")
		}
		fs = append(fs, Finding{Code: CodeDepsUnlisted, Rule: "deps.unlisted", Severity: Error, File: p.ManifestPath, Line: keyLine, Col: keyCol,
			Message: describeEdit(e, edits) + ", and dependencies does not list it", Hint: hint})
	}
	for _, mm := range res.Mismatched {
		listed := entries[mm.Entry]
		fix := deps.Entry{Change: mm.Edit.Change, Reason: listed.Reason}
		line, col := manifest.ValuePos(p.ManifestData, "dependencies", mm.Entry)
		fs = append(fs, Finding{Code: CodeDepsMismatch, Rule: "deps.mismatch", Severity: Error, File: p.ManifestPath, Line: line, Col: col,
			Message: fmt.Sprintf("dependencies lists %s, but %s", listed.Change, describeEdit(mm.Edit, edits)),
			Hint:    fmt.Sprintf("write %q, or change go.mod to match: %s, then run `patchline diff`", fix.String(), listed.GoCommand())})
	}
	for _, i := range res.Unchanged {
		listed := entries[i]
		line, col := manifest.ValuePos(p.ManifestData, "dependencies", i)
		fs = append(fs, Finding{Code: CodeDepsNotInDiff, Rule: "deps.not-in-diff", Severity: Error, File: p.ManifestPath, Line: line, Col: col,
			Message: fmt.Sprintf("dependencies lists %s, but no go.mod file in patch.diff makes that change", listed.Change),
			Hint:    fmt.Sprintf("remove the entry, or make the change (%s), commit it and run `patchline diff`", listed.GoCommand())})
	}
	return fs, nil
}

// describeEdit says what an edit does, naming every go.mod that makes it.
func describeEdit(e deps.Edit, all []deps.Edit) string {
	s := e.Describe()
	if files := deps.Files(all, e.Change); len(files) > 1 {
		s += " (so does " + joinMax(files[1:], 3) + ")"
	}
	return s
}

// withoutGoMod reports go.sum and vendor/ changes of a module whose go.mod
// changes no dependency: code or checksums the manifest cannot name.
func withoutGoMod(diff []byte, diffPath, base string, loose map[string][]string, changed map[string]bool) []Finding {
	dirs := make([]string, 0, len(loose))
	for dir := range loose {
		if !changed[dir] {
			dirs = append(dirs, dir)
		}
	}
	sort.Strings(dirs)
	var fs []Finding
	for _, dir := range dirs {
		paths := loose[dir]
		sort.Strings(paths)
		goMod := path.Join(dir, "go.mod")
		var sums, vendored []string
		for _, p := range paths {
			if kind, _ := deps.Classify(p); kind == deps.GoSum {
				sums = append(sums, p)
			} else {
				vendored = append(vendored, p)
			}
		}
		var what, restore []string
		if len(sums) > 0 {
			what = append(what, sums[0])
			restore = append(restore, sums[0])
		}
		if len(vendored) > 0 {
			vendorDir := path.Join(dir, "vendor")
			w := vendored[0]
			if len(vendored) > 1 {
				w += fmt.Sprintf(" and %d more under %s/", len(vendored)-1, vendorDir)
			}
			what = append(what, w)
			restore = append(restore, vendorDir)
		}
		fs = append(fs, Finding{Code: CodeDepsWithoutMod, Rule: "deps.without-go-mod", Severity: Error, File: diffPath, Line: diffLine(diff, paths[0]),
			Message: fmt.Sprintf("patch.diff changes %s, but no dependency in %s", strings.Join(what, " and "), goMod),
			Hint: fmt.Sprintf("go.sum and vendor/ follow go.mod: change the dependency in %s (go get <module>@<version>, or a replace directive for a fork with a local fix), run go mod tidy%s and `patchline diff`, and list the change in dependencies; or undo it: git checkout %s -- %s",
				goMod, vendorStep(vendored), base, strings.Join(restore, " "))})
	}
	return fs
}

func vendorStep(vendored []string) string {
	if len(vendored) > 0 {
		return " and go mod vendor"
	}
	return ""
}

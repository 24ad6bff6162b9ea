package registry

import (
	"fmt"
	"slices"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/release"
)

// Line is one supported release line as every command sees it: its release
// tags and its maintenance branch. Registry.Lines is the one place lines
// are worked out; validate, the cli, notes, report and rollup (through
// history) all read them from there.
type Line struct {
	Name       string        // e.g. v2026.3
	BranchName string        // the branch [release] maintenance_branch names for the line; "" when it names none
	Branch     gitrepo.Ref   // that branch; zero when the repository does not have it
	Tags       []gitrepo.Tag // the line's release tags, oldest first
}

// HasBranch reports whether the line's maintenance branch exists.
func (l Line) HasBranch() bool { return l.Branch.Full != "" }

// LineNames lists the supported release lines, oldest first: [release]
// lines when the config sets them, else the line of every release tag.
// Branches never add a line.
func LineNames(cfg *config.Config, releaseTags []string) []string {
	var names []string
	if len(cfg.Release.Lines) > 0 {
		names = slices.Clone(cfg.Release.Lines)
	} else {
		seen := map[string]bool{}
		for _, tag := range releaseTags {
			if line, ok := cfg.LineOf(tag); ok && !seen[line] {
				seen[line] = true
				names = append(names, line)
			}
		}
	}
	release.Sort(names)
	return names
}

// Lines reads the supported release lines, oldest first, each with its
// release tags and its maintenance branch: the branch [release]
// maintenance_branch names for that line, so a branch that only shares
// its prefix (release-notes, or release-1.5 of a line with no release tag)
// is never taken for a line.
func (r *Registry) Lines(tags *Tags) ([]Line, error) {
	names := LineNames(r.Config, tags.Release())
	lines := make([]Line, 0, len(names))
	index := make(map[string]int, len(names))
	owner := map[string]string{} // branch -> line
	for _, name := range names {
		l := Line{Name: name}
		if branch, ok := r.Config.MaintenanceBranch(name); ok {
			if other, taken := owner[branch]; taken {
				return nil, fmt.Errorf("[release] maintenance_branch %q names %s for both the lines %s and %s: use {line}, which gives each line its own branch",
					r.Config.Release.MaintenanceBranch, branch, other, name)
			}
			owner[branch] = name
			l.BranchName = branch
			ref, found, err := r.Repo.Branch(branch)
			if err != nil {
				return nil, err
			}
			if found {
				l.Branch = ref
			}
		}
		index[name] = len(lines)
		lines = append(lines, l)
	}
	for _, name := range tags.Release() { // oldest first
		line, ok := r.Config.LineOf(name)
		if i, supported := index[line]; ok && supported {
			tag, _ := tags.Get(name)
			lines[i].Tags = append(lines[i].Tags, tag)
		}
	}
	return lines, nil
}

// FindLine finds one line by name.
func FindLine(lines []Line, name string) (Line, bool) {
	for _, l := range lines {
		if l.Name == name {
			return l, true
		}
	}
	return Line{}, false
}

// maintenanceBranches lists the maintenance branches of the supported
// lines that exist, newest line first. The branch names are worked out once
// per Registry; the refs are read on every call.
func (r *Registry) maintenanceBranches() ([]gitrepo.Ref, error) {
	if r.branchNames == nil {
		tags := &Tags{} // the lines are the config's: no need to read every tag
		if len(r.Config.Release.Lines) == 0 {
			var err error
			if tags, err = r.LoadTags(); err != nil {
				return nil, err
			}
		}
		lines, err := r.Lines(tags)
		if err != nil {
			return nil, err
		}
		names := []string{}
		for i := len(lines) - 1; i >= 0; i-- {
			if lines[i].BranchName != "" {
				names = append(names, lines[i].BranchName)
			}
		}
		r.branchNames = names
	}
	var refs []gitrepo.Ref
	for _, name := range r.branchNames {
		ref, ok, err := r.Repo.Branch(name)
		if err != nil {
			return nil, err
		}
		if ok {
			refs = append(refs, ref)
		}
	}
	return refs, nil
}

package validate

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/release"
)

// Codes of the prerequisite rule.
const (
	CodeRequiresUnknown = "PL190"
	CodeRequiresLine    = "PL191"
	CodeRequiresOrder   = "PL192"
)

// requiresRule: each patch in requires exists on the patch's own release
// line and comes before it. A prerequisite is in order when the base
// release already holds it (it merged on the line, or reached the release
// from the main line), or when it is still open on a patch branch of the
// line cut from the same release or an older one, so it can merge first.
// One merged on the line after the base, a patch that is still open while
// this one has merged, or one cut from a newer release, comes after it.
type requiresRule struct{}

func (requiresRule) String() string { return "requires" }

func (requiresRule) Check(v *Validator, s *State) ([]Finding, error) {
	p, m := s.Patch, s.Patch.Manifest
	if m == nil || len(m.Requires) == 0 || s.BaseTag == nil {
		return nil, nil
	}
	lineName, ok := v.Config.LineOf(m.Base)
	if !ok {
		return nil, nil
	}
	inBase, err := v.patchFolders(s.BaseTag.Commit)
	if err != nil {
		return nil, err
	}
	line, _ := registry.FindLine(v.lines, lineName)
	onLine := map[string]bool{}
	if line.HasBranch() {
		if onLine, err = v.patchFolders(line.Branch.Commit); err != nil {
			return nil, err
		}
	}
	ln, col := keyPos(p.ManifestData, "requires")
	finding := func(code, rule, msg, hint string) Finding {
		return Finding{Code: code, Rule: rule, Severity: Error, File: p.ManifestPath, Line: ln, Col: col, Message: msg, Hint: hint}
	}
	var fs []Finding
	for _, id := range m.Requires {
		switch {
		case id == m.ID || inBase[id]:
			// Requiring itself is the manifest's finding (PL104).
		case onLine[id]:
			shipped, err := v.shippedIn(line, m.Base, id)
			if err != nil {
				return nil, err
			}
			msg := fmt.Sprintf("requires %s, which merged on %s after %s, the release this patch is based on", id, line.Branch.Name, m.Base)
			hint := fmt.Sprintf("it is not released yet; once its patch-level tag is out, rebase onto it: git rebase --onto <new tag> %s %s, and set base to that tag", m.Base, v.branchName(p))
			if shipped != "" {
				hint = fmt.Sprintf("it shipped in %s: rebase onto that release (git rebase --onto %s %s %s) and set base = %q", shipped, shipped, m.Base, v.branchName(p), shipped)
			}
			if s.Merged {
				msg = fmt.Sprintf("requires %s, which merged on %s after this patch", id, line.Branch.Name)
				hint = "a prerequisite is installed first, so it must reach the line first; remove it from requires, or make this a new patch based on the release that ships it"
			}
			fs = append(fs, finding(CodeRequiresOrder, "requires.order", msg, hint))
		default:
			f, err := v.openPrerequisite(s, id, lineName, finding)
			if err != nil {
				return nil, err
			}
			if f != nil {
				fs = append(fs, *f)
			}
		}
	}
	return fs, nil
}

// openPrerequisite checks a prerequisite that the line has not merged: it
// must be open on a patch branch of the line, cut from base or an older
// release, while this patch is open too.
func (v *Validator) openPrerequisite(s *State, id, lineName string, finding func(code, rule, msg, hint string) Finding) (*Finding, error) {
	m := s.Patch.Manifest
	refs, err := v.patchBranchesOf(id)
	if err != nil {
		return nil, err
	}
	var elsewhere []string // the other lines it was found on
	for _, ref := range refs {
		req, err := v.Registry.LoadBranch(id, ref)
		if err != nil {
			return nil, err
		}
		if req.Manifest == nil {
			continue
		}
		reqLine, ok := v.Config.LineOf(req.Manifest.Base)
		if !ok {
			continue
		}
		if reqLine != lineName {
			elsewhere = append(elsewhere, reqLine)
			continue
		}
		switch {
		case release.CompareTags(req.Manifest.Base, m.Base) > 0:
			f := finding(CodeRequiresOrder, "requires.order",
				fmt.Sprintf("requires %s, which is based on %s, a newer release than this patch's base %s", id, req.Manifest.Base, m.Base),
				fmt.Sprintf("a prerequisite comes first on the line: rebase this patch onto %s once %s has merged, or drop it from requires", req.Manifest.Base, id))
			return &f, nil
		case s.Merged:
			f := finding(CodeRequiresOrder, "requires.order",
				fmt.Sprintf("requires %s, which has not merged on the %s line, though this patch has", id, lineName),
				"a prerequisite is installed first, so it must reach the line first; merge it, or remove it from requires")
			return &f, nil
		}
		return nil, nil // open on the line, cut no later than this patch
	}
	for _, l := range v.lines {
		if l.Name == lineName || !l.HasBranch() {
			continue
		}
		merged, err := v.patchFolders(l.Branch.Commit)
		if err != nil {
			return nil, err
		}
		if merged[id] {
			elsewhere = append(elsewhere, l.Name)
		}
	}
	if len(elsewhere) > 0 {
		release.Sort(elsewhere)
		elsewhere = slices.Compact(elsewhere)
		f := finding(CodeRequiresLine, "requires.same-line",
			fmt.Sprintf("requires %s, which is on the %s line, not on %s, the line of base %s", id, strings.Join(elsewhere, ", "), lineName, m.Base),
			fmt.Sprintf("a prerequisite must be installed on the same release line: backport it with `patchline new --from %s --base %s`, or remove it from requires", id, m.Base))
		return &f, nil
	}
	known, err := v.knownIDs()
	if err != nil {
		return nil, err
	}
	if known[id] {
		f := finding(CodeRequiresLine, "requires.same-line",
			fmt.Sprintf("requires %s, which is on no patch branch of the %s line and not merged on it", id, lineName),
			fmt.Sprintf("cut it from %s (or backport it with `patchline new --from %s --base %s`), or remove it from requires", m.Base, id, m.Base))
		return &f, nil
	}
	f := finding(CodeRequiresUnknown, "requires.known",
		fmt.Sprintf("requires %s, which no patch branch or release line of this repository holds", id),
		"requires names patches by id; `patchline list` shows the open ones")
	return &f, nil
}

// shippedIn names the first release of the line after base that holds the
// patch, "" when none does yet.
func (v *Validator) shippedIn(line registry.Line, base, id string) (string, error) {
	for _, t := range line.Tags {
		if release.CompareTags(t.Name, base) <= 0 {
			continue
		}
		folders, err := v.patchFolders(t.Commit)
		if err != nil {
			return "", err
		}
		if folders[id] {
			return t.Name, nil
		}
	}
	return "", nil
}

// patchFolders lists the patches/<ID>/ folders of a commit's tree, once per
// commit for the whole run.
func (v *Validator) patchFolders(commit gitrepo.Hash) (map[string]bool, error) {
	if f, ok := v.folders[commit]; ok {
		return f, nil
	}
	t, err := v.Repo.Tree(commit)
	if err != nil {
		return nil, err
	}
	names, err := gitrepo.ListDir(t, registry.Dir)
	if err != nil {
		return nil, err
	}
	f := map[string]bool{}
	for name, isDir := range names {
		if isDir {
			f[name] = true
		}
	}
	if v.folders == nil {
		v.folders = map[gitrepo.Hash]map[string]bool{}
	}
	v.folders[commit] = f
	return f, nil
}

// patchBranchesOf lists a patch's branches: its own, then its backport
// branches by name.
func (v *Validator) patchBranchesOf(id string) ([]gitrepo.Ref, error) {
	if v.branches == nil {
		own, err := v.Registry.Branches()
		if err != nil {
			return nil, err
		}
		backports, err := v.Registry.Backports()
		if err != nil {
			return nil, err
		}
		v.branches = map[string][]gitrepo.Ref{}
		for pid, ref := range own {
			v.branches[pid] = append(v.branches[pid], ref)
		}
		for pid, refs := range backports {
			refs = append([]gitrepo.Ref(nil), refs...)
			sort.Slice(refs, func(i, j int) bool { return refs[i].Name < refs[j].Name })
			v.branches[pid] = append(v.branches[pid], refs...)
		}
	}
	return v.branches[id], nil
}

// knownIDs is every patch id the repository knows, read once per run.
func (v *Validator) knownIDs() (map[string]bool, error) {
	if v.known == nil {
		ids, err := v.Registry.IDs()
		if err != nil {
			return nil, err
		}
		v.known = map[string]bool{}
		for _, id := range ids {
			v.known[id] = true
		}
	}
	return v.known, nil
}

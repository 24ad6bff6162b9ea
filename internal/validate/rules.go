package validate

import (
	"bytes"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/bluekeyes/go-gitdiff/gitdiff"

	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/manifest/stricttoml"
	"github.com/patchline/patchline/internal/patchdiff"
	"github.com/patchline/patchline/internal/registry"
)

// Codes of the rules this package adds to the manifest's own PL100-PL106.
const (
	CodeIDFolder       = "PL110"
	CodeIDDuplicate    = "PL111"
	CodeBaseNotRelease = "PL120"
	CodeBaseUnsigned   = "PL121"
	CodeBaseLine       = "PL122"
	CodeBranchMissing  = "PL130"
	CodeBranchDescends = "PL131"
	CodeBranchCut      = "PL132"
	CodeBranchStale    = "PL133"
	CodeDiffMissing    = "PL140"
	CodeDiffMalformed  = "PL141"
	CodeDiffDrift      = "PL142"
	CodeDiffConflict   = "PL143"
	CodeDiffEmpty      = "PL144"
	CodePathUnsafe     = "PL150"
	CodePathSymlink    = "PL151"
	CodeModuleUnknown  = "PL160"
	CodeModuleUncover  = "PL161"
	CodeSLABreached    = "PL170"
	CodeSLADueSoon     = "PL171"
	CodeAlsoNotRelease = "PL180"
	CodeAlsoLine       = "PL181"
)

// manifestRule turns the manifest's decode problems into findings.
type manifestRule struct{}

func (manifestRule) String() string { return "manifest" }

func (manifestRule) Check(v *Validator, s *State) ([]Finding, error) {
	problems := s.Patch.Problems
	// Control characters and workflow commands in the text: Decode lets
	// them through for manifests merged before, validate does not.
	if text := manifest.CheckText(s.Patch.ManifestPath, s.Patch.ManifestData); s.Patch.Manifest != nil && len(text) > 0 {
		problems = append(slices.Clip(problems), text...)
		manifest.SortProblems(problems)
	}
	var fs []Finding
	for _, p := range problems {
		fs = append(fs, Finding{Code: p.Code, Rule: p.Rule, Severity: Error, File: p.File, Line: p.Line, Col: p.Col, Message: p.Message, Hint: p.Hint})
	}
	return fs, nil
}

// idRule: the id equals its folder, and no other folder declares it.
type idRule struct{}

func (idRule) String() string { return "id" }

func (idRule) Check(v *Validator, s *State) ([]Finding, error) {
	m, p := s.Patch.Manifest, s.Patch
	if m == nil {
		return nil, nil
	}
	var fs []Finding
	if m.ID != p.ID {
		line, col := keyPos(p.ManifestData, "id")
		fs = append(fs, Finding{Code: CodeIDFolder, Rule: "id.folder", Severity: Error, File: p.ManifestPath, Line: line, Col: col,
			Message: fmt.Sprintf("id %q does not match its folder %s", m.ID, registry.PatchDir(p.ID)),
			Hint:    fmt.Sprintf("ids are immutable: set id = %q, or move the patch to %s", p.ID, registry.PatchDir(m.ID))})
	}
	var others []string
	if v.ids != nil {
		for _, folder := range v.ids[m.ID] {
			if folder != p.ID {
				others = append(others, registry.PatchDir(folder))
			}
		}
	} else if m.ID != p.ID {
		// One patch at a time: reading every manifest of the repository
		// would cost more than the rest of validate, so check only that the
		// id it claims is not another patch's; --all compares every pair.
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
		if v.known[m.ID] {
			others = append(others, registry.PatchDir(m.ID))
		}
	}
	if len(others) > 0 {
		line, col := keyPos(p.ManifestData, "id")
		fs = append(fs, Finding{Code: CodeIDDuplicate, Rule: "id.duplicate", Severity: Error, File: p.ManifestPath, Line: line, Col: col,
			Message: fmt.Sprintf("id %s is also declared by %s", m.ID, strings.Join(others, ", ")),
			Hint:    "every patch needs its own id; start new work with `patchline new`, which takes the next free one"})
	}
	return fs, nil
}

// baseRule: base names a release tag that exists (and is signed, where asked).
type baseRule struct{}

func (baseRule) String() string { return "base" }

func (baseRule) Check(v *Validator, s *State) ([]Finding, error) {
	m, p := s.Patch.Manifest, s.Patch
	if m == nil {
		return nil, nil
	}
	line, col := keyPos(p.ManifestData, "base")
	f := Finding{Code: CodeBaseNotRelease, Rule: "base.release-tag", Severity: Error, File: p.ManifestPath, Line: line, Col: col}
	tag, err := v.tags.ReleaseTag(m.Base)
	if err != nil {
		f.Message, f.Hint = err.Error(), "base is the release tag the patch branch was cut from"
		return []Finding{f}, nil
	}
	s.BaseTag = &tag
	tree, err := v.Repo.Tree(tag.Commit)
	if err != nil {
		return nil, err
	}
	s.BaseTree = tree
	var fs []Finding
	if _, err := v.Config.SupportedLineOf(m.Base); err != nil {
		l := f
		l.Code, l.Rule, l.Message = CodeBaseLine, "base.supported-line", "base "+err.Error()
		l.Hint = "cut the patch from the newest release of a supported line (" + strings.Join(v.newestReleases(), ", ") + "), or add its line to [release] lines"
		fs = append(fs, l)
	}
	if !v.Config.Release.SignedTags {
		return fs, nil
	}
	f.Code, f.Rule = CodeBaseUnsigned, "base.signed"
	signed, err := tag.Signed()
	if err != nil {
		return nil, err
	}
	switch {
	case !signed:
		f.Message = fmt.Sprintf("release tag %s is not signed, and [release] signed_tags requires it", m.Base)
		f.Hint = "release managers sign release tags with `git tag -s`"
		return append(fs, f), nil
	case v.KeyRing != "":
		if err := tag.VerifyTag(v.KeyRing); err != nil {
			f.Message, f.Hint = err.Error(), "the tag must be signed by a key in the release key ring"
			return append(fs, f), nil
		}
	}
	return fs, nil
}

// newestReleases names the newest release tag of every supported line,
// newest line first.
func (v *Validator) newestReleases() []string {
	var out []string
	for i := len(v.lines) - 1; i >= 0; i-- {
		if tags := v.lines[i].Tags; len(tags) > 0 {
			out = append(out, tags[len(tags)-1].Name)
		}
	}
	return out
}

// branchRule: the patch branch descends from base, carries no commit made
// after the tag on the main line or another release line, and base is still
// the newest release of its line.
type branchRule struct{}

func (branchRule) String() string { return "branch" }

func (branchRule) Check(v *Validator, s *State) ([]Finding, error) {
	p := s.Patch
	branch := v.branchName(p)
	if !p.HasBranch() {
		// Read from a maintenance branch or the main line: it was merged,
		// and the SLA clock stopped then.
		if _, s.Merged = v.place(p.Where); s.Merged {
			return []Finding{{Code: CodeBranchMissing, Rule: "branch.missing", Severity: Notice, File: p.ManifestPath,
				Message: fmt.Sprintf("no branch %s; checked the patch as merged on %s", branch, p.Where)}}, nil
		}
		// Only in the work tree: not merged anywhere, and nothing to review.
		base := "<base tag>"
		if p.Manifest != nil && p.Manifest.Base != "" {
			base = p.Manifest.Base
		}
		return []Finding{{Code: CodeBranchMissing, Rule: "branch.missing", Severity: Error, File: p.ManifestPath,
			Message: fmt.Sprintf("no branch %s, and no release line has merged the patch: it is only in the %s", branch, p.Where),
			Hint:    fmt.Sprintf("a patch lives on its own branch, cut at its base: git switch -c %s %s, then commit %s there", branch, base, registry.PatchDir(p.ID))}}, nil
	}
	if s.BaseTag == nil {
		return nil, nil
	}
	base := s.Patch.Manifest.Base
	commits, descends, err := v.Repo.Range(s.BaseTag.Commit, p.Branch.Commit)
	if err != nil {
		return nil, err
	}
	if !descends {
		return []Finding{{Code: CodeBranchDescends, Rule: "branch.descends", Severity: Error, File: p.ManifestPath,
			Message: fmt.Sprintf("%s does not descend from %s", branch, base),
			Hint:    fmt.Sprintf("cut the branch at the tag: git switch -c %s %s, then cherry-pick the fix", branch, base)}}, nil
	}
	line, _ := v.Config.LineOf(base)
	own := v.Config.MaintenanceBranchFor(line)
	if ref, ok := v.place(own); ok && len(commits) > 0 {
		if s.Merged, err = v.mergedInto(ref, p); err != nil {
			return nil, err
		}
	}
	if s.Merged {
		// Merged into its own line: main or another line that holds its
		// commits got them from there (the line merged forward), and its
		// base was the newest release when it merged.
		return nil, nil
	}
	var fs []Finding
	foreign := map[string][]gitrepo.Hash{}
	for _, place := range v.places {
		if place.Name == own {
			continue
		}
		rc, err := v.reachOf(place)
		if err != nil {
			return nil, err
		}
		for _, c := range commits {
			in, err := rc.Contains(c)
			if err != nil {
				return nil, err
			}
			if in {
				foreign[place.Name] = append(foreign[place.Name], c)
			}
		}
	}
	names := make([]string, 0, len(foreign))
	for n := range foreign {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		cs := foreign[n]
		oldest, newest, err := v.ends(cs)
		if err != nil {
			return nil, err
		}
		subject := ""
		if c, err := v.Repo.Commit(oldest); err == nil {
			subject, _, _ = strings.Cut(c.Message, "\n")
		}
		// Rebasing onto base from the newest foreign commit replays only
		// the commits made on the branch after it.
		fs = append(fs, Finding{Code: CodeBranchCut, Rule: "branch.cut-at-base", Severity: Error, File: p.ManifestPath,
			Message: fmt.Sprintf("%s carries %d commit(s) made after %s on %s, from %s %q on", branch, len(cs), base, n, oldest.String()[:7], subject),
			Hint:    fmt.Sprintf("a patch ships only its fix: git rebase --onto %s %s %s keeps your commits and drops the rest", base, newest.String()[:7], branch)})
	}
	return append(fs, v.staleBase(s, base, line, own)...), nil
}

// mergedInto reports whether a patch branch has merged into a line: its tip
// is on the line, or (after a squash or rebase merge, which leave the tip
// behind) the line holds the patch's manifest.
func (v *Validator) mergedInto(line gitrepo.Ref, p *registry.Patch) (bool, error) {
	if in, err := v.contains(line, p.Branch.Commit); err != nil || in {
		return in, err
	}
	tree, err := v.Repo.Tree(line.Commit)
	if err != nil {
		return false, err
	}
	_, ok, err := gitrepo.ReadTreeFile(tree, p.ManifestPath)
	return ok, err
}

// ends finds the oldest and the newest of some commits by their parents,
// not their times, which may be equal: the oldest has no parent among them
// and the newest is no parent of any of them. cs is newest first by time,
// which breaks ties.
func (v *Validator) ends(cs []gitrepo.Hash) (oldest, newest gitrepo.Hash, err error) {
	in := make(map[gitrepo.Hash]bool, len(cs))
	for _, c := range cs {
		in[c] = true
	}
	isParent := map[gitrepo.Hash]bool{}
	hasParent := map[gitrepo.Hash]bool{}
	for _, c := range cs {
		commit, err := v.Repo.Commit(c)
		if err != nil {
			return oldest, newest, err
		}
		for _, p := range commit.ParentHashes {
			if in[p] {
				isParent[p], hasParent[c] = true, true
			}
		}
	}
	oldest, newest = cs[len(cs)-1], cs[0]
	for i := len(cs) - 1; i >= 0; i-- {
		if !hasParent[cs[i]] {
			oldest = cs[i]
			break
		}
	}
	for _, c := range cs {
		if !isParent[c] {
			newest = c
			break
		}
	}
	return oldest, newest, nil
}

// staleBase reports when the line has moved on since base: a newer release
// tag, or another patch merged into the maintenance branch and not yet tagged.
func (v *Validator) staleBase(s *State, base, line, own string) []Finding {
	p := s.Patch
	newer := v.tags.NewerOnLine(base)
	branch := v.branchName(p)
	ln, col := keyPos(p.ManifestData, "base")
	if len(newer) > 0 {
		newest := newer[len(newer)-1]
		return []Finding{{Code: CodeBranchStale, Rule: "branch.stale-base", Severity: Error, File: p.ManifestPath, Line: ln, Col: col,
			Message: fmt.Sprintf("base %s is stale: %s released on the %s line since", base, joinMax(newer, 3), line),
			Hint:    fmt.Sprintf("rebase onto the newest release: git rebase --onto %s %s %s, set base = %q, then run `patchline diff`", newest, base, branch, newest)}}
	}
	if ref, ok := v.place(own); ok && ref.Commit != s.BaseTag.Commit {
		if moved, err := v.contains(ref, s.BaseTag.Commit); err == nil && moved {
			return []Finding{{Code: CodeBranchStale, Rule: "branch.stale-base", Severity: Error, File: p.ManifestPath, Line: ln, Col: col,
				Message: fmt.Sprintf("%s has moved past %s: another patch merged into the line and will be released first", own, base),
				Hint:    fmt.Sprintf("once its patch-level tag is out, rebase onto it: git rebase --onto <new tag> %s %s, and set base to that tag", base, branch)}}
		}
	}
	return nil
}

// diffRule: patch.diff parses, names only safe paths, applies to base and
// equals what the branch changes outside patches/.
type diffRule struct{}

func (diffRule) String() string { return "diff" }

func (diffRule) Check(v *Validator, s *State) ([]Finding, error) {
	p := s.Patch
	diffPath := path.Join(registry.PatchDir(p.ID), registry.DiffName)
	if p.Diff == nil {
		return []Finding{{Code: CodeDiffMissing, Rule: "diff.missing", Severity: Error, File: diffPath,
			Message: "the patch has no patch.diff",
			Hint:    "commit the fix on the patch branch, then run `patchline diff` and commit " + diffPath}}, nil
	}
	files, err := patchdiff.Parse(bytes.NewReader(p.Diff))
	if err != nil {
		return []Finding{{Code: CodeDiffMalformed, Rule: "diff.malformed", Severity: Error, File: diffPath,
			Message: err.Error(), Hint: "regenerate it with `patchline diff` rather than editing it by hand"}}, nil
	}
	s.Files = files
	s.Touched = touched(files)
	if len(files) == 0 {
		return []Finding{{Code: CodeDiffEmpty, Rule: "diff.empty", Severity: Error, File: diffPath,
			Message: "patch.diff changes nothing", Hint: "commit the fix on the patch branch and run `patchline diff`"}}, nil
	}
	if s.BaseTree == nil {
		return nil, nil
	}
	src := newMemoSource(patchdiff.TreeSource(s.BaseTree))
	if fs, outside := pathFindings(p.Diff, diffPath, files, src); len(fs) > 0 {
		// A path outside the tree belongs to no module: modules.cover has
		// nothing to add about it.
		s.Touched = slices.DeleteFunc(s.Touched, func(t string) bool { return outside[t] })
		return fs, nil
	}
	base := p.Manifest.Base
	results, err := patchdiff.Apply(files, src)
	if err != nil {
		if !isConflict(err) {
			return []Finding{{Code: CodeDiffMalformed, Rule: "diff.malformed", Severity: Error, File: diffPath,
				Message: err.Error(), Hint: "regenerate it with `patchline diff` rather than editing it by hand"}}, nil
		}
		return []Finding{{Code: CodeDiffConflict, Rule: "diff.applies", Severity: Error, File: diffPath,
			Message: fmt.Sprintf("patch.diff does not apply to %s: %v", base, err),
			Hint:    "run `patchline diff` on the branch to record its change again"}}, nil
	}
	s.Base, s.Applied = src, results
	if !p.HasBranch() {
		return nil, nil
	}
	changes, err := v.Repo.Changes(s.BaseTag.Commit, p.Branch.Commit, inPatches)
	if err != nil {
		return nil, err
	}
	if drift := compare(results, changes); len(drift) > 0 {
		return []Finding{{Code: CodeDiffDrift, Rule: "diff.matches-branch", Severity: Error, File: diffPath, Line: diffLine(p.Diff, drift[0].path),
			Message: fmt.Sprintf("patch.diff and %s differ: %s", p.Branch.Name, describeDrift(drift)),
			Hint:    "run `patchline diff` and commit " + diffPath}}, nil
	}
	return nil, nil
}

func inPatches(p string) bool { return p == registry.Dir || strings.HasPrefix(p, registry.Dir+"/") }

func touched(files []*gitdiff.File) []string {
	seen := map[string]bool{}
	for _, f := range files {
		for _, n := range []string{f.OldName, f.NewName} {
			if n != "" {
				seen[n] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// pathFindings reports the unsafe paths of a diff, and which of them leave
// the tree (as opposed to going through a symlink).
func pathFindings(diff []byte, diffPath string, files []*gitdiff.File, src patchdiff.Source) ([]Finding, map[string]bool) {
	var fs []Finding
	outside := map[string]bool{}
	for _, pr := range patchdiff.CheckPaths(files, src) {
		code, rule := CodePathUnsafe, "path.in-tree"
		if strings.Contains(pr.Reason, "symlink") {
			code, rule = CodePathSymlink, "path.no-symlink"
		} else {
			outside[pr.Path] = true
		}
		fs = append(fs, Finding{Code: code, Rule: rule, Severity: Error, File: diffPath, Line: diffLine(diff, pr.Path),
			Message: fmt.Sprintf("%q: %s", pr.Path, pr.Reason),
			Hint:    "a patch may only write regular files inside the product tree; it is never applied while this stands"})
	}
	return fs, outside
}

type drift struct {
	path, what string
}

// compare checks that applying patch.diff to base gives exactly the
// branch's tree outside patches/.
func compare(results []patchdiff.Result, changes []patchdiff.Change) []drift {
	type post struct {
		mode    patchdiff.Mode
		data    []byte
		deleted bool
	}
	want := map[string]post{}
	for _, c := range changes {
		if c.OldPath != "" && c.OldPath != c.NewPath {
			want[c.OldPath] = post{deleted: true}
		}
		if c.NewPath != "" {
			want[c.NewPath] = post{mode: c.NewMode, data: c.NewData}
		}
	}
	got := map[string]post{}
	for _, r := range results {
		if r.OldPath != "" && r.OldPath != r.Path {
			if _, ok := got[r.OldPath]; !ok {
				got[r.OldPath] = post{deleted: true}
			}
		}
		if r.Deleted {
			got[r.Path] = post{deleted: true}
		} else {
			got[r.Path] = post{mode: r.Mode, data: r.Data}
		}
	}
	var out []drift
	for p, w := range want {
		g, ok := got[p]
		switch {
		case !ok:
			out = append(out, drift{p, "changed on the branch, not in patch.diff"})
		case w.deleted != g.deleted:
			out = append(out, drift{p, "deleted on one side only"})
		case w.mode != g.mode:
			out = append(out, drift{p, fmt.Sprintf("mode %o on the branch, %o from patch.diff", w.mode, g.mode)})
		case !bytes.Equal(w.data, g.data):
			out = append(out, drift{p, "contents differ"})
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			out = append(out, drift{p, "in patch.diff, not changed on the branch"})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

func describeDrift(ds []drift) string {
	parts := make([]string, 0, len(ds))
	for _, d := range ds {
		parts = append(parts, d.path+" ("+d.what+")")
	}
	return joinMax(parts, 4)
}

// alsoRule: each tag in also is a release tag, and the fix (or its adapted
// diff, patches/<ID>/<tag>.diff) applies to it.
type alsoRule struct{}

func (alsoRule) String() string { return "also" }

func (alsoRule) Check(v *Validator, s *State) ([]Finding, error) {
	p, m := s.Patch, s.Patch.Manifest
	if m == nil {
		return nil, nil
	}
	var fs []Finding
	line, col := keyPos(p.ManifestData, "also")
	for _, tag := range m.Also {
		also, err := v.tags.ReleaseTag(tag)
		if err != nil {
			fs = append(fs, Finding{Code: CodeAlsoNotRelease, Rule: "also.release-tag", Severity: Error, File: p.ManifestPath, Line: line, Col: col,
				Message: "also: " + err.Error(), Hint: "also lists the release tags of other supported lines that need the same fix"})
			continue
		}
		if _, err := v.Config.SupportedLineOf(tag); err != nil {
			fs = append(fs, Finding{Code: CodeAlsoLine, Rule: "also.supported-line", Severity: Error, File: p.ManifestPath, Line: line, Col: col,
				Message: "also: " + err.Error(), Hint: "also lists the release tags of other supported lines (" + strings.Join(v.newestReleases(), ", ") + "); remove it, or add its line to [release] lines"})
			continue
		}
		diff, diffPath, files := p.Diff, path.Join(registry.PatchDir(p.ID), registry.DiffName), s.Files
		if adapted, ok := p.Adapted[tag]; ok {
			diffPath = path.Join(registry.PatchDir(p.ID), tag+".diff")
			parsed, err := patchdiff.Parse(bytes.NewReader(adapted))
			if err != nil {
				fs = append(fs, Finding{Code: CodeDiffMalformed, Rule: "diff.malformed", Severity: Error, File: diffPath, Message: err.Error()})
				continue
			}
			diff, files = adapted, parsed
		}
		if files == nil {
			continue
		}
		tree, err := v.Repo.Tree(also.Commit)
		if err != nil {
			return nil, err
		}
		src := newMemoSource(patchdiff.TreeSource(tree))
		if pf, _ := pathFindings(diff, diffPath, files, src); len(pf) > 0 {
			fs = append(fs, pf...)
			continue
		}
		if _, err := patchdiff.Apply(files, src); err != nil {
			hint := fmt.Sprintf("adapt the fix on a branch cut from %s and save its change as patches/%s/%s.diff: git diff --binary --full-index %s <branch> -- . ':!patches'", tag, p.ID, tag, tag)
			if !isConflict(err) {
				hint = ""
			}
			fs = append(fs, Finding{Code: CodeDiffConflict, Rule: "diff.applies", Severity: Error, File: diffPath,
				Message: fmt.Sprintf("%s does not apply to %s: %v", path.Base(diffPath), tag, err), Hint: hint})
		}
	}
	for tag := range p.Adapted {
		if !contains(m.Also, tag) {
			fs = append(fs, Finding{Code: CodeAlsoNotRelease, Rule: "also.release-tag", Severity: Warning, File: path.Join(registry.PatchDir(p.ID), tag+".diff"),
				Message: fmt.Sprintf("adapted diff for %s, but also does not list %s", tag, tag), Hint: fmt.Sprintf("add %q to also, or remove the file", tag)})
		}
	}
	return fs, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// moduleRule: every module is declared in the config, and together they
// cover every path the diff touches.
type moduleRule struct{}

func (moduleRule) String() string { return "modules" }

func (moduleRule) Check(v *Validator, s *State) ([]Finding, error) {
	p, m := s.Patch, s.Patch.Manifest
	if m == nil {
		return nil, nil
	}
	line, col := keyPos(p.ManifestData, "modules")
	known := make([]string, 0, len(v.Config.Modules))
	for name := range v.Config.Modules {
		known = append(known, name)
	}
	sort.Strings(known)
	var fs []Finding
	for _, mod := range m.Modules {
		if _, ok := v.Config.Modules[mod]; !ok {
			hint := "declare it under [modules] in .patchline.toml"
			if near := stricttoml.Suggest(mod, known, nil); near != "" {
				hint = fmt.Sprintf("did you mean %q? modules are declared under [modules] in .patchline.toml", near)
			}
			fs = append(fs, Finding{Code: CodeModuleUnknown, Rule: "modules.known", Severity: Error, File: p.ManifestPath, Line: line, Col: col,
				Message: fmt.Sprintf("module %q is not declared in .patchline.toml (known: %s)", mod, joinMax(known, 8)), Hint: hint})
		}
	}
	uncovered := map[string][]string{} // path -> modules it belongs to
	for _, t := range s.Touched {
		mods := v.Config.ModulesFor(t)
		if !overlaps(mods, m.Modules) {
			uncovered[t] = mods
		}
	}
	paths := make([]string, 0, len(uncovered))
	for t := range uncovered {
		paths = append(paths, t)
	}
	sort.Strings(paths)
	for _, t := range paths {
		mods := uncovered[t]
		msg := fmt.Sprintf("%s is changed but belongs to no module the patch lists (%s)", t, strings.Join(m.Modules, ", "))
		hint := "add the path to a module under [modules] in .patchline.toml"
		if len(mods) > 0 {
			msg += "; it is in " + strings.Join(mods, ", ")
			hint = fmt.Sprintf("add %q to modules", mods[0])
		}
		fs = append(fs, Finding{Code: CodeModuleUncover, Rule: "modules.cover", Severity: Error, File: p.ManifestPath, Line: line, Col: col, Message: msg, Hint: hint})
	}
	return fs, nil
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		if contains(b, x) {
			return true
		}
	}
	return false
}

// slaRule: time from `reported` against the severity's SLA. A breach is a
// warning, not an error: it must never block the fix that ends it.
type slaRule struct{}

func (slaRule) String() string { return "sla" }

func (slaRule) Check(v *Validator, s *State) ([]Finding, error) {
	p, m := s.Patch, s.Patch.Manifest
	if m == nil || s.Merged || m.Reported.IsZero() {
		return nil, nil
	}
	limit, ok := v.Config.SLAFor(m.Severity)
	if !ok {
		return nil, nil
	}
	due := m.Reported.Add(limit)
	line, col := keyPos(p.ManifestData, "reported")
	left := due.Sub(v.Now)
	switch {
	case left < 0:
		return []Finding{{Code: CodeSLABreached, Rule: "sla.clock", Severity: Warning, File: p.ManifestPath, Line: line, Col: col,
			Message: fmt.Sprintf("the %s SLA of %s ran out %s ago (reported %s, due %s)", m.Severity, human(limit), human(-left), m.Reported.UTC().Format(time.RFC3339), due.UTC().Format(time.RFC3339)),
			Hint:    "the breach is recorded in `patchline report`; ship the signed patch as soon as QA approves"}}, nil
	case left < limit/4:
		return []Finding{{Code: CodeSLADueSoon, Rule: "sla.clock", Severity: Notice, File: p.ManifestPath, Line: line, Col: col,
			Message: fmt.Sprintf("the %s SLA of %s runs out in %s (due %s)", m.Severity, human(limit), human(left), due.UTC().Format(time.RFC3339))}}, nil
	}
	return nil, nil
}

// human prints a duration in days and hours.
func human(d time.Duration) string {
	d = d.Round(time.Minute)
	days := int(d / (24 * time.Hour))
	d -= time.Duration(days) * 24 * time.Hour
	switch {
	case days > 0 && d >= time.Hour:
		return fmt.Sprintf("%dd%dh", days, int(d/time.Hour))
	case days > 0:
		return fmt.Sprintf("%dd", days)
	case d >= time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dm", int(d/time.Minute))
}

// memoSource remembers what a Source returned, so that checking a diff's
// paths and then applying it reads each blob once.
type memoSource struct {
	src  patchdiff.Source
	seen map[string]memoEntry
}

type memoEntry struct {
	data []byte
	mode patchdiff.Mode
	ok   bool
}

func newMemoSource(src patchdiff.Source) *memoSource {
	return &memoSource{src: src, seen: map[string]memoEntry{}}
}

func (m *memoSource) Lookup(path string) ([]byte, patchdiff.Mode, bool, error) {
	if e, ok := m.seen[path]; ok {
		return e.data, e.mode, e.ok, nil
	}
	data, mode, ok, err := m.src.Lookup(path)
	if err != nil {
		return nil, 0, false, err
	}
	m.seen[path] = memoEntry{data, mode, ok}
	return data, mode, ok, nil
}

// branchName is the patch's branch: its own, or the backport branch it
// was loaded from.
func (v *Validator) branchName(p *registry.Patch) string {
	if p.HasBranch() {
		return p.Branch.Name
	}
	return v.Config.PatchBranchFor(p.ID)
}

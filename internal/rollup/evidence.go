package rollup

import (
	"bytes"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
	"github.com/bmatcuk/doublestar/v4"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/lazyre"
	"github.com/patchline/patchline/internal/patchdiff"
	"github.com/patchline/patchline/internal/registry"
)

// Options tune what counts as evidence.
type Options struct {
	// Tests are globs of test files ([rollup] tests): a fix ported with
	// another test is still the fix. Nil is config.DefaultTestGlobs.
	Tests []string
	// Accepted are the release manager's records; nil reads none.
	Accepted []Acceptance
}

// Verdict is what the evidence says of one patch in one release, the
// strongest evidence first: ancestry, content (following moved files),
// adapted (every hunk outside test files), accepted by hand, or missing.
type Verdict struct {
	Status   Status
	Evidence string      // one line: how it was found, or why not
	Method   string      // the content method, when found by content
	Files    []FileProof // the files not found (missing, adapted), or found moved (contained)
	// SupersededBy are the patches of the release that replace it.
	SupersededBy []string
}

// Checker proves patches against one release. It reads the release's tree
// and history once for every patch it is asked about.
type Checker struct {
	h      *history.History
	to     gitrepo.Tag
	src    *treeSource
	tests  []string
	accept map[string]Acceptance // by patch id, for this release

	picks      map[string]map[gitrepo.Hash]bool // originals cherry-picked into to since a stop commit, by stop
	reach      *gitrepo.Reach
	basenames  map[string][]string // file name -> paths in to's tree, read on the first moved file
	supersedes map[string][]string // read on the first patch not found
}

// NewChecker returns a checker for the release to.
func NewChecker(h *history.History, to gitrepo.Tag, opts Options) (*Checker, error) {
	tree, err := h.Reg.Repo.Tree(to.Commit)
	if err != nil {
		return nil, err
	}
	c := &Checker{h: h, to: to, src: TreeSource(tree).(*treeSource), tests: opts.Tests, accept: map[string]Acceptance{}, picks: map[string]map[gitrepo.Hash]bool{}}
	if c.tests == nil {
		c.tests = config.DefaultTestGlobs
	}
	for _, a := range opts.Accepted {
		if a.To == to.Name {
			c.accept[a.ID] = a
		}
	}
	return c, nil
}

// Source is the release's tree, for callers that check other things in it.
func (c *Checker) Source() patchdiff.Source { return c.src }

// Prove weighs the evidence that the change of diff (the patch's diff as
// its line holds it) is in the release. fix are the commits that made the
// fix on its line (FixCommits), and stop the commit where that line left
// the release's history (its first tag): cherry-picks into the release
// are looked for after it.
func (c *Checker) Prove(id string, diff []byte, fix []gitrepo.Hash, stop gitrepo.Hash) (Verdict, error) {
	if v, ok, err := c.ancestry(fix, stop); err != nil || ok {
		return v, err
	}
	v := Verdict{Status: Missing}
	if diff == nil {
		v.Evidence = "no patch.diff on the line: nothing to check"
	} else if files, err := patchdiff.Parse(bytes.NewReader(diff)); err != nil {
		v.Evidence = fmt.Sprintf("the diff does not parse: %v", err)
	} else {
		proof, err := c.contains(files)
		if err != nil {
			return Verdict{}, err
		}
		if proof.Contained {
			var moved []FileProof
			for _, f := range proof.Files {
				if f.MovedFrom != "" {
					moved = append(moved, f)
				}
			}
			return Verdict{Status: Contained, Method: proof.Method, Evidence: contentEvidence(proof), Files: moved}, nil
		}
		v.Files = proof.Missing()
		if adapted, differ := c.adapted(proof, files); adapted {
			return Verdict{Status: Adapted, Files: differ,
				Evidence: fmt.Sprintf("adapted: every hunk outside test files is in %s; %s differ", c.to.Name, describeFiles(differ))}, nil
		}
		v.Evidence = fmt.Sprintf("%s not found in %s", describeFiles(v.Files), c.to.Name)
	}
	if c.supersedes == nil {
		var err error
		if c.supersedes, err = Superseders(c.h, c.to.Commit); err != nil {
			return Verdict{}, err
		}
	}
	if by := c.supersedes[id]; len(by) > 0 {
		verb := "replaces"
		if len(by) > 1 {
			verb = "replace"
		}
		return Verdict{Status: Superseded, SupersededBy: by, Files: v.Files,
			Evidence: fmt.Sprintf("superseded: %s in %s %s it", strings.Join(by, ", "), c.to.Name, verb)}, nil
	}
	if a, ok := c.accept[id]; ok {
		return Verdict{Status: Accepted, Files: v.Files,
			Evidence: fmt.Sprintf("accepted by %s on %s: %s (%s)", a.By, a.At.UTC().Format("2006-01-02"), a.Reason, v.Evidence)}, nil
	}
	return v, nil
}

// ancestry is the strongest evidence: every commit of the fix is in the
// release, itself or as the original it was cherry-picked from (git
// cherry-pick -x), or was cherry-picked into the release.
func (c *Checker) ancestry(fix []gitrepo.Hash, stop gitrepo.Hash) (Verdict, bool, error) {
	if len(fix) == 0 {
		return Verdict{}, false, nil
	}
	repo := c.h.Reg.Repo
	if c.reach == nil {
		rc, err := repo.NewReach(c.to.Commit)
		if err != nil {
			return Verdict{}, false, err
		}
		c.reach = rc
	}
	var direct, picked []string
	for _, h := range fix {
		in, err := c.reach.Contains(h)
		if err != nil {
			return Verdict{}, false, err
		}
		if in {
			direct = append(direct, short(h.String()))
			continue
		}
		commit, err := repo.Commit(h)
		if err != nil {
			return Verdict{}, false, err
		}
		found := false
		for _, orig := range cherryPicked(commit.Message) {
			o, err := repo.Resolve(orig)
			if err != nil {
				continue // an original this clone does not have
			}
			if in, err := c.reach.Contains(o); err != nil {
				return Verdict{}, false, err
			} else if in {
				picked = append(picked, fmt.Sprintf("%s (cherry-picked from %s)", short(h.String()), short(o.String())))
				found = true
				break
			}
		}
		if found {
			continue
		}
		into, err := c.pickedInto(stop)
		if err != nil {
			return Verdict{}, false, err
		}
		if !into[h] {
			return Verdict{}, false, nil
		}
		picked = append(picked, fmt.Sprintf("%s (cherry-picked into %s)", short(h.String()), c.to.Name))
	}
	all := append(direct, picked...)
	verb := "is"
	if len(all) > 1 {
		verb = "are"
	}
	return Verdict{Status: Contained, Method: MethodAncestry,
		Evidence: fmt.Sprintf("ancestry: %s %s in %s", strings.Join(all, ", "), verb, c.to.Name)}, true, nil
}

// pickedInto lists the originals named by the cherry-pick trailers of the
// release's commits after stop.
func (c *Checker) pickedInto(stop gitrepo.Hash) (map[gitrepo.Hash]bool, error) {
	key := stop.String()
	if m, ok := c.picks[key]; ok {
		return m, nil
	}
	repo := c.h.Reg.Repo
	m := map[gitrepo.Hash]bool{}
	commits, _, err := repo.Range(stop, c.to.Commit)
	if err != nil {
		return nil, err
	}
	for _, h := range commits {
		commit, err := repo.Commit(h)
		if err != nil {
			return nil, err
		}
		for _, orig := range cherryPicked(commit.Message) {
			if o, err := repo.Resolve(orig); err == nil {
				m[o] = true
			}
		}
	}
	c.picks[key] = m
	return m, nil
}

var cherryPickTrailer = lazyre.New(`(?m)^\(cherry picked from commit ([0-9a-f]{7,64})\)\s*$`)

// cherryPicked returns the commits a message says it was cherry-picked
// from, as `git cherry-pick -x` writes it.
func cherryPicked(msg string) []string {
	var out []string
	for _, m := range cherryPickTrailer.FindAllStringSubmatch(msg, -1) {
		out = append(out, m[1])
	}
	return out
}

// FixCommits are the commits that brought a patch to its line: the side
// of the merge that added its folder (the patch branch), or the commit
// itself when it was squashed or fast-forwarded. Commits that change only
// patches/ are not part of the fix.
func FixCommits(h *history.History, merged *history.Step) ([]gitrepo.Hash, error) {
	if merged == nil {
		return nil, nil
	}
	repo := h.Reg.Repo
	commit, err := repo.Commit(merged.Commit)
	if err != nil {
		return nil, err
	}
	candidates := []gitrepo.Hash{merged.Commit}
	if len(commit.ParentHashes) >= 2 {
		if candidates, _, err = repo.Range(commit.ParentHashes[0], commit.ParentHashes[1]); err != nil {
			return nil, err
		}
	}
	var out []gitrepo.Hash
	for _, c := range candidates {
		changes, err := changedOutsidePatches(h, c)
		if err != nil {
			return nil, err
		}
		if changes {
			out = append(out, c)
		}
	}
	return out, nil
}

// changedOutsidePatches reports whether a commit changes anything but
// patches/ against its first parent.
func changedOutsidePatches(h *history.History, c gitrepo.Hash) (bool, error) {
	repo := h.Reg.Repo
	commit, err := repo.Commit(c)
	if err != nil {
		return false, err
	}
	if len(commit.ParentHashes) == 0 {
		return true, nil
	}
	changes, err := repo.Changes(commit.ParentHashes[0], c, func(p string) bool { return p == registry.Dir || strings.HasPrefix(p, registry.Dir+"/") })
	if err != nil {
		return false, err
	}
	return len(changes) > 0, nil
}

// contains is Contains, following files the release moved: a file of the
// diff the release does not have is looked for under another directory,
// by its name and its content.
func (c *Checker) contains(files []*gitdiff.File) (Proof, error) {
	proof, err := Contains(files, c.src)
	if err != nil || proof.Contained {
		return proof, err
	}
	// Each file the release moved, under its new name. Two files may move
	// to one: a line that kept two copies of some code (containerd 1.7's
	// pkg/cri/server and pkg/cri/sbserver) patched both, and the newer
	// release keeps one; then that one must have both files' changes.
	all := make([]*gitdiff.File, len(files))
	copy(all, files)
	moved := false
	for i, f := range files {
		fp := proof.Files[i]
		if fp.Found || f.IsDelete || f.IsNew {
			continue
		}
		if _, _, ok, err := c.src.Lookup(f.NewName); err != nil || ok {
			if err != nil {
				return Proof{}, err
			}
			continue
		}
		to, err := c.movedTo(f)
		if err != nil {
			return Proof{}, err
		}
		if to == "" {
			continue
		}
		g := *f
		g.OldName, g.NewName = to, to
		all[i], moved = &g, true
	}
	if !moved {
		return proof, nil
	}
	again, err := Contains(all, c.src)
	if err != nil {
		return Proof{}, err
	}
	for i := range again.Files {
		if all[i] != files[i] {
			again.Files[i].MovedFrom = files[i].NewName
		}
	}
	return again, nil
}

// movedTo finds where the release keeps a file of the diff it does not
// have at its path: a file of the same name whose lines are most like
// the patch's pre-image context and post-image, if enough of them are.
func (c *Checker) movedTo(f *gitdiff.File) (string, error) {
	if c.basenames == nil {
		c.basenames = map[string][]string{}
		paths, err := c.src.listFiles("")
		if err != nil {
			return "", err
		}
		for _, p := range paths {
			b := path.Base(p)
			c.basenames[b] = append(c.basenames[b], p)
		}
	}
	want := map[string]bool{}
	for _, frag := range f.TextFragments {
		for _, l := range frag.Lines {
			if l.Op != gitdiff.OpDelete {
				if s := strings.TrimSpace(l.Line); s != "" {
					want[s] = true
				}
			}
		}
	}
	if len(want) == 0 {
		return "", nil
	}
	best, bestScore := "", 0.0
	for _, p := range c.basenames[path.Base(f.NewName)] {
		data, _, ok, err := c.src.Lookup(p)
		if err != nil {
			return "", err
		}
		if !ok {
			continue
		}
		have := map[string]bool{}
		for _, l := range splitLines(data) {
			have[strings.TrimSpace(l)] = true
		}
		n := 0
		for l := range want {
			if have[l] {
				n++
			}
		}
		if score := float64(n) / float64(len(want)); score > bestScore {
			best, bestScore = p, score
		}
	}
	if bestScore < 0.5 {
		return "", nil
	}
	return best, nil
}

// adapted reports whether every file of the diff that is not a test was
// found, and returns the test files whose hunks differ.
func (c *Checker) adapted(proof Proof, files []*gitdiff.File) (bool, []FileProof) {
	var differ []FileProof
	nonTest := 0
	for _, fp := range proof.Files {
		if c.isTest(fp.Path) {
			if !fp.Found {
				differ = append(differ, fp)
			}
			continue
		}
		nonTest++
		if !fp.Found {
			return false, nil
		}
	}
	return nonTest > 0 && len(differ) > 0, differ
}

func (c *Checker) isTest(p string) bool {
	for _, g := range c.tests {
		if ok, _ := doublestar.Match(g, p); ok {
			return true
		}
	}
	return false
}

func contentEvidence(p Proof) string {
	var moved []string
	for _, f := range p.Files {
		if f.MovedFrom != "" {
			moved = append(moved, fmt.Sprintf("%s moved to %s", f.MovedFrom, f.Path))
		}
	}
	s := "content: " + methodText(p.Method)
	if len(moved) > 0 {
		sort.Strings(moved)
		s += " (" + strings.Join(moved, ", ") + ")"
	}
	return s
}

func methodText(m string) string {
	switch m {
	case MethodReverse:
		return "the diff applies in reverse"
	case MethodPostImage:
		return "found by post-image"
	case MethodAddedLines:
		return "found by added lines (context changed)"
	}
	return m
}

func describeFiles(fs []FileProof) string {
	names := make([]string, 0, len(fs))
	for _, f := range fs {
		names = append(names, f.Path)
	}
	if len(names) == 0 {
		return "nothing"
	}
	return strings.Join(names, ", ")
}

// ProvePatch weighs the evidence that patch p, wherever it is now (merged
// on its line or still on its branch), is already in the release to: what
// `new --from` asks before it starts a backport.
func ProvePatch(h *history.History, p *registry.Patch, to gitrepo.Tag) (Verdict, error) {
	if p.Manifest == nil {
		return Verdict{Status: Missing, Evidence: "the manifest does not decode"}, nil
	}
	var fix []gitrepo.Hash
	var stop gitrepo.Hash
	if l, ok := h.LineOf(p.Manifest.Base); ok {
		if start, ok := l.Start(); ok {
			stop = start.Commit
			if tip, _ := l.Tip(); tip != start.Commit {
				w, err := h.Walk(history.Span{Tip: tip, Stop: start.Commit})
				if err != nil {
					return Verdict{}, err
				}
				pres, err := h.Track(l, w, history.Window{})
				if err != nil {
					return Verdict{}, err
				}
				if pr, ok := pres[p.ID]; ok && pr.Present() {
					if fix, err = FixCommits(h, pr.Merged); err != nil {
						return Verdict{}, err
					}
				}
			}
		}
	}
	if fix == nil && p.HasBranch() {
		// Not merged yet: the branch's own commits since its base.
		base, err := h.Tags.ReleaseTag(p.Manifest.Base)
		if err != nil {
			return Verdict{}, err
		}
		commits, _, err := h.Reg.Repo.Range(base.Commit, p.Branch.Commit)
		if err != nil {
			return Verdict{}, err
		}
		for _, c := range commits {
			if changed, err := changedOutsidePatches(h, c); err != nil {
				return Verdict{}, err
			} else if changed {
				fix = append(fix, c)
			}
		}
	}
	accepted, err := LoadAccepted(h.Reg)
	if err != nil {
		return Verdict{}, err
	}
	c, err := NewChecker(h, to, Options{Accepted: accepted, Tests: h.Reg.Config.TestGlobs()})
	if err != nil {
		return Verdict{}, err
	}
	toLine, _ := h.Reg.Config.LineOf(to.Name)
	diff, _ := DiffFor(p, h.Reg, toLine)
	return c.Prove(p.ID, diff, fix, stop)
}

// In reports whether a verdict says the change is in the release.
func (v Verdict) In() bool {
	return v.Status == Contained || v.Status == Adapted || v.Status == Accepted
}

// Package history reads what a repository's release lines have merged,
// from git alone: which patches/<ID>/ folders each line's first-parent
// history added, changed and removed, when, in which release tags they
// shipped, and the approval trailers of the commits that merged them.
//
// It reads only what it needs: the commits of the walked range, their root
// trees, and the patches/ trees that changed. It never compares two whole
// release trees.
package history

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/registry"
)

// skew is how far a commit's time may lie below its descendants' before a
// walk bounded by time stops, as gitrepo's walks allow.
const skew = 24 * time.Hour

// Listing is a patches/ folder: patch id -> the tree hash of its folder.
type Listing map[string]gitrepo.Hash

// History answers questions about the merged patches of one repository.
type History struct {
	Reg  *registry.Registry
	Tags *registry.Tags

	listings map[gitrepo.Hash]Listing // by patches/ tree hash
	atCommit map[gitrepo.Hash]gitrepo.Hash
	trees    map[gitrepo.Hash]*object.Tree    // patches/ trees read whole, by hash
	patches  map[gitrepo.Hash]*registry.Patch // by the hash of the patch's folder
	// prefetched are listings read ahead by a walk's prefetcher, by root tree.
	prefetched map[gitrepo.Hash]rootListing
	walks      map[Span]*Walk
	lines      []Line
	recorded   *Recorded // approvals outside the manifests, read once
}

// New reads the repository's tags and release lines.
func New(reg *registry.Registry) (*History, error) {
	tags, err := reg.LoadTags()
	if err != nil {
		return nil, err
	}
	h := &History{Reg: reg, Tags: tags, listings: map[gitrepo.Hash]Listing{}, atCommit: map[gitrepo.Hash]gitrepo.Hash{},
		trees: map[gitrepo.Hash]*object.Tree{}, patches: map[gitrepo.Hash]*registry.Patch{}, walks: map[Span]*Walk{}}
	if h.lines, err = h.readLines(); err != nil {
		return nil, err
	}
	return h, nil
}

// Line is one release line: its maintenance branch and its release tags.
type Line struct {
	Name   string        // e.g. v2026.2
	Branch gitrepo.Ref   // zero when the line has no maintenance branch
	Tags   []gitrepo.Tag // the line's release tags, oldest first
}

// HasBranch reports whether the line has a maintenance branch.
func (l Line) HasBranch() bool { return l.Branch.Full != "" }

// Tip is where the line is now: its maintenance branch, else its newest tag.
func (l Line) Tip() (gitrepo.Hash, string) {
	if l.HasBranch() {
		return l.Branch.Commit, l.Branch.Name
	}
	if len(l.Tags) == 0 {
		return plumbing.ZeroHash, ""
	}
	t := l.Tags[len(l.Tags)-1]
	return t.Commit, t.Name
}

// Start is the line's first release tag, the commit its branch starts at.
func (l Line) Start() (gitrepo.Tag, bool) {
	if len(l.Tags) == 0 {
		return gitrepo.Tag{}, false
	}
	return l.Tags[0], true
}

// Lines returns every release line, oldest first.
func (h *History) Lines() []Line { return h.lines }

// Line returns one release line by name.
func (h *History) Line(name string) (Line, bool) {
	for _, l := range h.lines {
		if l.Name == name {
			return l, true
		}
	}
	return Line{}, false
}

// LineOf returns the line of a release tag.
func (h *History) LineOf(tag string) (Line, bool) {
	name, ok := h.Reg.Config.LineOf(tag)
	if !ok {
		return Line{}, false
	}
	return h.Line(name)
}

// readLines takes the release lines from registry's line model, the one
// every command shares: the supported lines, each with its tags and the
// maintenance branch the config names for it.
func (h *History) readLines() ([]Line, error) {
	lines, err := h.Reg.Lines(h.Tags)
	if err != nil {
		return nil, err
	}
	out := make([]Line, len(lines))
	for i, l := range lines {
		out[i] = Line{Name: l.Name, Branch: l.Branch, Tags: l.Tags}
	}
	return out, nil
}

// ListingAt returns the patches/ folder of a commit's tree (empty when it
// has none). Listings are cached by tree, so tags and walks share them.
func (h *History) ListingAt(commit gitrepo.Hash) (Listing, error) {
	c, err := h.Reg.Repo.CommitInfo(commit)
	if err != nil {
		return nil, err
	}
	_, l, err := h.listing(c)
	return l, err
}

// listing returns the hash of a commit's patches/ tree and its listing.
// Of the root tree it reads only the patches/ entry, and of patches/ only
// the names and ids of its folders.
func (h *History) listing(c gitrepo.CommitInfo) (gitrepo.Hash, Listing, error) {
	if th, ok := h.atCommit[c.Hash]; ok {
		return th, h.listings[th], nil
	}
	if rl, ok := h.prefetched[c.Tree]; ok {
		h.atCommit[c.Hash] = rl.th
		if _, ok := h.listings[rl.th]; !ok {
			h.listings[rl.th] = rl.l
		}
		return rl.th, h.listings[rl.th], nil
	}
	root, err := h.Reg.Repo.TreeEntries(c.Tree, registry.Dir)
	if err != nil {
		return plumbing.ZeroHash, nil, fmt.Errorf("read tree of %s: %w", c.Hash, err)
	}
	var th gitrepo.Hash
	if len(root) == 1 && root[0].Dir {
		th = root[0].Hash
	}
	h.atCommit[c.Hash] = th
	if l, ok := h.listings[th]; ok {
		return th, l, nil
	}
	l, err := readListing(h.Reg.Repo, th)
	if err != nil {
		return plumbing.ZeroHash, nil, fmt.Errorf("read %s/ of %s: %w", registry.Dir, c.Hash, err)
	}
	h.listings[th] = l
	return th, l, nil
}

// readListing reads the names and ids of the folders of a patches/ tree
// (none for the zero hash).
func readListing(repo *gitrepo.Repo, th gitrepo.Hash) (Listing, error) {
	l := Listing{}
	if th.IsZero() {
		return l, nil
	}
	entries, err := repo.TreeEntries(th, "")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Dir {
			l[e.Name] = e.Hash
		}
	}
	return l, nil
}

// Patch reads patches/<ID>/ as a commit holds it; ok is false when the
// commit has no such folder. Folders with the same content are read and
// decoded once, so a caller may ask for the same patch at many commits.
func (h *History) Patch(id string, commit gitrepo.Hash, where string) (p *registry.Patch, ok bool, err error) {
	c, err := h.Reg.Repo.CommitInfo(commit)
	if err != nil {
		return nil, false, err
	}
	th, listing, err := h.listing(c)
	if err != nil {
		return nil, false, err
	}
	folder, ok := listing[id]
	if !ok {
		return nil, false, nil
	}
	if cached, ok := h.patches[folder]; ok {
		cp := *cached
		cp.Commit, cp.Where = commit, where
		return &cp, true, nil
	}
	sub, ok := h.trees[th]
	if !ok {
		if sub, err = h.Reg.Repo.TreeObject(th); err != nil {
			return nil, false, fmt.Errorf("read %s/ of %s: %w", registry.Dir, commit, err)
		}
		h.trees[th] = sub
	}
	ft, err := sub.Tree(id)
	if err != nil {
		return nil, false, fmt.Errorf("read %s of %s: %w", registry.PatchDir(id), commit, err)
	}
	if p, err = h.Reg.LoadFolder(id, ft, commit, where); err != nil {
		return nil, false, err
	}
	h.patches[folder] = p
	cp := *p
	return &cp, true, nil
}

// Step is one commit of a line's first-parent history that changed the
// patches/ folder or names a patch in its trailers.
type Step struct {
	Commit  gitrepo.Hash
	Parent  gitrepo.Hash // first parent; zero for a root commit
	When    time.Time    // committer time
	Subject string
	Revert  bool // a `git revert` commit

	Added, Changed, Removed []string // patch ids, sorted

	PatchIDs  []string   // Patch-Id: trailers
	Approvals []Approval // Approved-by: trailers
}

// Approval is one approver of a patch, from its manifest or from the
// Approved-by trailer of the commit that merged it.
type Approval struct {
	Role string    `json:"role,omitempty"`
	By   string    `json:"by"`
	At   time.Time `json:"at,omitzero"`
	Ref  string    `json:"ref,omitempty"`
}

// Walk is a first-parent walk of a line.
type Walk struct {
	Tip   gitrepo.Hash
	Steps []Step // oldest first
	// End is the newest walked commit at or before the walk's Until time
	// (the tip when Until is zero); zero when every commit is later.
	End     gitrepo.Hash
	Commits int // how many commits were read
}

// Span says what to walk: the first parents of Tip, back to but not
// including Stop (and whatever Stop reaches), and, when After is set, no
// further than the first commit older than After less a day of clock skew:
// whichever comes first.
type Span struct {
	Tip   gitrepo.Hash
	Stop  gitrepo.Hash
	After time.Time
	Until time.Time // where End is taken; zero: the tip
}

// Walk follows a line's first parents as Span says and records every commit
// that changed patches/ or carries patch trailers. The same span is walked
// once; callers must not change the result.
func (h *History) Walk(s Span) (*Walk, error) {
	if w, ok := h.walks[s]; ok {
		return w, nil
	}
	w, err := h.walk(s)
	if err == nil {
		h.walks[s] = w
	}
	return w, err
}

func (h *History) walk(s Span) (*Walk, error) {
	var stopAt time.Time
	if !s.After.IsZero() {
		stopAt = s.After.Add(-skew)
	}
	if s.Stop.IsZero() {
		w, _, err := h.walkUntil(s, stopAt, nil, time.Time{})
		return w, err
	}
	stop, err := h.Reg.Repo.CommitInfo(s.Stop)
	if err != nil {
		return nil, err
	}
	if !stopAt.IsZero() && stop.Committed.Before(stopAt) {
		// The walk ends by time before it could reach Stop or anything
		// Stop reaches, all of which is older still.
		w, _, err := h.walkUntil(s, stopAt, nil, time.Time{})
		return w, err
	}
	// Most lines reach Stop through first parents: then every commit
	// before it is one Stop does not reach, and the walk needs nothing
	// else. One that passes Stop's time without meeting it (Stop on a
	// merged side branch) is walked again against the commits Stop reaches.
	if w, ok, err := h.walkUntil(s, stopAt, nil, stop.Committed.Add(-skew)); err != nil || ok {
		return w, err
	}
	commits, _, err := h.Reg.Repo.Range(s.Stop, s.Tip)
	if err != nil {
		return nil, err
	}
	inRange := make(map[gitrepo.Hash]bool, len(commits))
	for _, c := range commits {
		inRange[c] = true
	}
	w, _, err := h.walkUntil(s, stopAt, inRange, time.Time{})
	return w, err
}

// walkUntil walks s's first parents back to Stop, the first commit older
// than stopAt, or (when inRange is set) the first commit not in it. With
// giveUp set it is looking for Stop by its first parents alone: ok is
// false when it passes a commit older than giveUp, or the root, first.
func (h *History) walkUntil(s Span, stopAt time.Time, inRange map[gitrepo.Hash]bool, giveUp time.Time) (w *Walk, ok bool, err error) {
	repo := h.Reg.Repo
	w = &Walk{Tip: s.Tip}
	pre := h.prefetch()
	defer pre.stop()
	// The first parents, newest first, each with the parent it is compared
	// with; their listings are read on another goroutine meanwhile.
	type link struct{ c, parent gitrepo.CommitInfo }
	var chain []link
	cur := s.Tip
	var next gitrepo.CommitInfo // the parent read by the step before
	fast := !giveUp.IsZero()
	for !cur.IsZero() {
		if cur == s.Stop {
			ok = true
			break
		}
		if inRange != nil && !inRange[cur] {
			break
		}
		c := next
		if c.Hash != cur {
			if c, err = repo.CommitInfo(cur); err != nil {
				return nil, false, err
			}
			pre.add(c)
		}
		w.Commits++
		when := c.Committed
		if fast && when.Before(giveUp) {
			return nil, false, nil
		}
		if !stopAt.IsZero() && when.Before(stopAt) {
			break
		}
		if w.End.IsZero() && (s.Until.IsZero() || !when.After(s.Until)) {
			w.End = cur
		}
		l := link{c: c}
		if len(c.Parents) > 0 {
			if l.parent, err = repo.CommitInfo(c.Parents[0]); err != nil {
				return nil, false, err
			}
			pre.add(l.parent)
			next = l.parent
		}
		chain = append(chain, l)
		cur = l.parent.Hash
	}
	if fast && !ok {
		return nil, false, nil
	}
	pre.wait()
	var steps []Step
	for _, l := range chain {
		c := l.c
		th, cl, err := h.listing(c)
		if err != nil {
			return nil, false, err
		}
		var pl Listing
		var ph gitrepo.Hash
		if !l.parent.Hash.IsZero() {
			if ph, pl, err = h.listing(l.parent); err != nil {
				return nil, false, err
			}
		}
		st := Step{Commit: c.Hash, Parent: l.parent.Hash, When: c.Committed.UTC(), Subject: subject(c.Message)}
		st.PatchIDs, st.Approvals = trailers(c.Message)
		st.Revert = isRevert(c.Message)
		if th != ph {
			for id, hash := range cl {
				switch old, ok := pl[id]; {
				case !ok:
					st.Added = append(st.Added, id)
				case old != hash:
					st.Changed = append(st.Changed, id)
				}
			}
			for id := range pl {
				if _, ok := cl[id]; !ok {
					st.Removed = append(st.Removed, id)
				}
			}
			sort.Strings(st.Added)
			sort.Strings(st.Changed)
			sort.Strings(st.Removed)
		}
		if len(st.Added)+len(st.Changed)+len(st.Removed)+len(st.PatchIDs) > 0 {
			steps = append(steps, st)
		}
	}
	for i := len(steps) - 1; i >= 0; i-- {
		w.Steps = append(w.Steps, steps[i])
	}
	return w, true, nil
}

func subject(msg string) string {
	s, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
	return strings.TrimSpace(s)
}

func isRevert(msg string) bool {
	return strings.HasPrefix(msg, "Revert \"") || strings.Contains(msg, "\nThis reverts commit ")
}

// trailers reads the Patch-Id and Approved-by trailers of a commit or tag
// message's last paragraph. Approved-by is "<login> [<review url>]
// [(<role>, <time>)]" (see ApprovalTrailer); the role is qa when not given.
func trailers(msg string) (ids []string, approvals []Approval) {
	paras := strings.Split(strings.TrimSpace(strings.ReplaceAll(msg, "\r\n", "\n")), "\n\n")
	if len(paras) < 2 {
		return nil, nil
	}
	for _, line := range strings.Split(paras[len(paras)-1], "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "patch-id":
			if val != "" {
				ids = append(ids, val)
			}
		case "approved-by":
			f := strings.Fields(val)
			if len(f) == 0 {
				continue
			}
			a := Approval{By: strings.Trim(strings.TrimPrefix(f[0], "@"), "<>")}
			for _, raw := range f[1:] {
				word := strings.Trim(raw, "<>(),")
				if at, err := time.Parse(time.RFC3339, word); err == nil {
					a.At = at.UTC()
				} else if strings.Contains(word, "://") {
					a.Ref = word
				} else if strings.HasPrefix(raw, "(") && a.Role == "" && word != "" {
					a.Role = word
				}
			}
			if a.Role == "" {
				a.Role = "qa"
			}
			approvals = append(approvals, a)
		}
	}
	return ids, approvals
}

// TaggedAt is when a release was tagged: the tagger's time of an annotated
// tag, else the time of the commit it names.
func (h *History) TaggedAt(tag gitrepo.Tag) (time.Time, error) {
	if at, err := tag.Tagged(); err != nil || !at.IsZero() {
		return at, err
	}
	c, err := h.Reg.Repo.Commit(tag.Commit)
	if err != nil {
		return time.Time{}, err
	}
	return c.Committer.When.UTC(), nil
}

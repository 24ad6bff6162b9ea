// Package notes compiles the release notes of a range of releases from the
// manifests the release lines merged in it: one entry per patch id, grouped
// by kind and ordered by severity, with the tags it shipped in on each line,
// who approved it, and whether the new quarterly release contains it.
package notes

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/release"
	"github.com/patchline/patchline/internal/rollup"
)

// The status of an entry.
const (
	StatusFixed     = "fixed"     // on at least one line at the end of the range
	StatusReverted  = "reverted"  // shipped, then taken out of every line again
	StatusWithdrawn = "withdrawn" // taken out again before any release shipped it
)

// Notes is everything the templates and the JSON output get.
type Notes struct {
	Project   string    `json:"project"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Date      time.Time `json:"date"`      // when --to was tagged
	Quarterly bool      `json:"quarterly"` // --to is a quarterly release
	Counts    Counts    `json:"counts"`
	Groups    []Group   `json:"groups"`  // the fixes, by kind
	Removed   []*Entry  `json:"removed"` // reverted and withdrawn patches
	Problems  []string  `json:"problems,omitempty"`
}

// Counts summarises the notes.
type Counts struct {
	Patches    int `json:"patches"`
	Fixed      int `json:"fixed"`
	Security   int `json:"security"`
	CVEs       int `json:"cves"`
	Removed    int `json:"removed"`
	NotRolled  int `json:"not_in_release"` // fixes a quarterly --to does not contain
	Superseded int `json:"superseded"`
}

// Group is the entries of one kind.
type Group struct {
	Kind    string   `json:"kind"`
	Title   string   `json:"title"`
	Entries []*Entry `json:"patches"`
}

// Entry is one patch id.
type Entry struct {
	ID            string             `json:"id"`
	Title         string             `json:"title"`
	Kind          string             `json:"kind"`
	Severity      string             `json:"severity"`
	Urgency       string             `json:"urgency"`
	Summary       string             `json:"summary"`
	Cases         []string           `json:"cases"`
	CVEs          []string           `json:"cves"`
	Modules       []string           `json:"modules"`
	Reported      time.Time          `json:"reported,omitzero"`
	Status        string             `json:"status"`
	Lines         []Shipment         `json:"lines"` // newest line first
	Approvals     []history.Approval `json:"approvals"`
	Supersedes    []string           `json:"supersedes,omitempty"`
	SupersededBy  []string           `json:"superseded_by,omitempty"`
	InRelease     *bool              `json:"in_release,omitempty"`     // a quarterly --to contains it (nil: not asked)
	ReleaseMethod string             `json:"release_method,omitempty"` // how containment was proved
	// ReleaseStatus and ReleaseEvidence are rollup's verdict for the
	// quarterly --to: contained, adapted, accepted, superseded or missing.
	ReleaseStatus   string `json:"release_status,omitempty"`
	ReleaseEvidence string `json:"release_evidence,omitempty"`
	Problem         string `json:"problem,omitempty"` // the manifest did not decode
	// Advisories are the files of a released security fix's advisory
	// (advisories/<format>/<name>), as its release attaches them.
	Advisories []string `json:"advisories,omitempty"`
	// Dependencies are the go.mod changes the patch ships, with their reasons.
	Dependencies []Dependency `json:"dependencies,omitempty"`
}

// Shipment is what one line did with a patch.
type Shipment struct {
	Line      string    `json:"line"`
	Tag       string    `json:"tag,omitempty"` // the first release tag of the line holding it
	MergedAt  time.Time `json:"merged_at,omitzero"`
	Commit    string    `json:"commit,omitempty"` // the commit that merged it on the line
	Status    string    `json:"status"`           // released, merged (not yet tagged), reverted, withdrawn
	RemovedIn string    `json:"removed_in,omitempty"`
}

// kinds are the groups, in order, with their headings.
var kinds = []struct{ kind, title string }{
	{manifest.KindSecurity, "Security fixes"},
	{manifest.KindFix, "Fixes"},
	{manifest.KindPerformance, "Performance"},
}

// Compile reads the patches merged between from and to: on the line of
// from after it, on every older line in the same span of time, on the
// line of to up to it, and on the main line between them.
func Compile(h *history.History, from, to gitrepo.Tag) (*Notes, error) {
	repo, cfg := h.Reg.Repo, h.Reg.Config
	fromLine, _ := cfg.LineOf(from.Name)
	toLine, _ := cfg.LineOf(to.Name)
	fromTime, err := commitTime(repo, from.Commit)
	if err != nil {
		return nil, err
	}
	toTime, err := commitTime(repo, to.Commit)
	if err != nil {
		return nil, err
	}
	date, err := h.TaggedAt(to)
	if err != nil {
		return nil, err
	}
	n := &Notes{Project: cfg.Project.Name, From: from.Name, To: to.Name, Date: date, Quarterly: cfg.IsQuarterlyTag(to.Name)}

	// Per id, what each line did with it, newest line first.
	seen := map[string][]*history.Presence{}
	for i := len(h.Lines()) - 1; i >= 0; i-- {
		line := h.Lines()[i]
		if release.CompareTags(line.Name, toLine) > 0 {
			continue
		}
		start, ok := line.Start()
		if !ok {
			continue
		}
		span := history.Span{Stop: start.Commit}
		win := history.Window{}
		switch {
		case line.Name == toLine:
			span.Tip = to.Commit
		default:
			span.Tip, _ = line.Tip()
			win.Until, span.Until = toTime, toTime
		}
		switch c := release.CompareTags(line.Name, fromLine); {
		case c == 0:
			span.Stop = from.Commit
		case c < 0:
			// Steps before the window are not folded in: the walk ends there.
			win.After, span.After = fromTime, fromTime
		}
		if span.Tip == span.Stop {
			continue
		}
		w, err := h.Walk(span)
		if err != nil {
			return nil, err
		}
		pres, err := h.Track(line, w, win)
		if err != nil {
			return nil, err
		}
		for _, id := range history.IDs(pres) {
			seen[id] = append(seen[id], pres[id])
		}
	}
	// Patches that reached the main line (merged forward or ported) without
	// a line of their own in the range ship in the quarterly release.
	quarterly, hasQuarterly := quarterlyOf(h, toLine)
	var onMain map[string]bool
	if hasQuarterly && toLine != fromLine {
		before, err := h.ListingAt(from.Commit)
		if err != nil {
			return nil, err
		}
		after, err := h.ListingAt(quarterly.Commit)
		if err != nil {
			return nil, err
		}
		onMain = map[string]bool{}
		for id := range after {
			if _, ok := before[id]; !ok {
				onMain[id] = true
				if _, ok := seen[id]; !ok {
					seen[id] = []*history.Presence{{ID: id, Line: toLine, ShippedIn: quarterly.Name, ReadAt: quarterly.Commit}}
				}
			}
		}
	}

	// A quarterly release is checked for every fix of the older lines
	// with rollup's own evidence, so notes and rollup never disagree.
	var checker *rollup.Checker
	if n.Quarterly && toLine != fromLine {
		accepted, err := rollup.LoadAccepted(h.Reg)
		if err != nil {
			return nil, err
		}
		if checker, err = rollup.NewChecker(h, to, rollup.Options{Accepted: accepted, Tests: h.Reg.Config.TestGlobs()}); err != nil {
			return nil, err
		}
	}

	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var entries []*Entry
	for _, id := range ids {
		e, err := entry(h, id, seen[id], n, toLine, checker, onMain[id])
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	sort.SliceStable(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		if ka, kb := kindRank(a.Kind), kindRank(b.Kind); ka != kb {
			return ka < kb
		}
		if sa, sb := manifest.SeverityRank(a.Severity), manifest.SeverityRank(b.Severity); sa != sb {
			return sa < sb
		}
		return a.ID < b.ID
	})
	n.Removed = []*Entry{}
	for _, e := range entries {
		n.Counts.Patches++
		if e.Status != StatusFixed {
			n.Removed = append(n.Removed, e)
			n.Counts.Removed++
			continue
		}
		n.Counts.Fixed++
		if e.Kind == manifest.KindSecurity {
			n.Counts.Security++
		}
		n.Counts.CVEs += len(e.CVEs)
		if len(e.SupersededBy) > 0 {
			n.Counts.Superseded++
		} else if e.InRelease != nil && !*e.InRelease {
			n.Counts.NotRolled++
		}
		n.add(e)
	}
	if n.Groups == nil {
		n.Groups = []Group{}
	}
	n.linkAdvisories()
	return n, nil
}

func (n *Notes) add(e *Entry) {
	title := e.Kind
	for _, k := range kinds {
		if k.kind == e.Kind {
			title = k.title
		}
	}
	if title == "" {
		title = "Other"
	}
	if len(n.Groups) == 0 || n.Groups[len(n.Groups)-1].Kind != e.Kind {
		n.Groups = append(n.Groups, Group{Kind: e.Kind, Title: title})
	}
	g := &n.Groups[len(n.Groups)-1]
	g.Entries = append(g.Entries, e)
}

func kindRank(kind string) int {
	for i, k := range kinds {
		if k.kind == kind {
			return i
		}
	}
	return len(kinds)
}

// quarterlyOf is the first release tag of a line: the quarterly release
// that opened it.
func quarterlyOf(h *history.History, line string) (gitrepo.Tag, bool) {
	l, ok := h.Line(line)
	if !ok {
		return gitrepo.Tag{}, false
	}
	return l.Start()
}

func commitTime(repo *gitrepo.Repo, h gitrepo.Hash) (time.Time, error) {
	c, err := repo.Commit(h)
	if err != nil {
		return time.Time{}, err
	}
	return c.Committer.When.UTC(), nil
}

// entry builds one patch's entry from what each line did with it. The
// manifest is the merged one of the newest line that still has the patch
// (so an edit on the patch branch after the merge does not count, and a
// follow-up commit on the line does).
func entry(h *history.History, id string, pres []*history.Presence, n *Notes, toLine string,
	checker *rollup.Checker, onMain bool) (*Entry, error) {
	e := &Entry{ID: id, Status: StatusWithdrawn, Cases: []string{}, CVEs: []string{}, Modules: []string{}, Approvals: []history.Approval{}}
	primary := pres[0]
	for _, p := range pres {
		if p.Present() {
			primary = p
			e.Status = StatusFixed
			break
		}
	}
	if e.Status != StatusFixed {
		for _, p := range pres {
			if p.ShippedIn != "" || (p.Removed != nil && p.Removed.Revert) {
				e.Status = StatusReverted
			}
		}
	}
	for _, p := range pres {
		s := Shipment{Line: p.Line, Tag: p.ShippedIn, Status: "released"}
		if p.Merged != nil {
			s.MergedAt, s.Commit = p.Merged.When, p.Merged.Commit.String()
		}
		switch {
		case p.Removed != nil && (p.ShippedIn != "" || p.Removed.Revert):
			s.Status, s.RemovedIn = "reverted", p.RemovedIn
		case p.Removed != nil:
			s.Status = "withdrawn"
		case p.ShippedIn == "":
			s.Status = "merged"
		}
		e.Lines = append(e.Lines, s)
		for _, a := range p.Approvals {
			e.addApproval(a)
		}
	}
	patch, found, err := h.Patch(id, primary.ReadAt, primary.Line)
	if err != nil {
		return nil, err
	}
	var line string
	if found {
		line = primary.Line
		where := primary.Line
		if l, ok := h.Line(primary.Line); ok && l.HasBranch() {
			where = l.Branch.Name
		}
		probs := rollup.Problems(patch, primary.ReadAt, where)
		n.Problems = append(n.Problems, probs...)
		if len(probs) > 0 {
			e.Problem = probs[0]
		}
		if m := patch.Manifest; m != nil {
			e.Title, e.Kind, e.Severity, e.Urgency, e.Summary = m.Title, m.Kind, m.Severity, m.Urgency, m.Summary
			e.Cases, e.CVEs, e.Modules, e.Reported = nonNil(m.Cases), nonNil(m.CVEs), nonNil(m.Modules), m.Reported
			e.Supersedes = m.Supersedes
			e.Dependencies = dependencies(m.Dependencies)
			approvals := e.Approvals
			e.Approvals = []history.Approval{}
			for _, a := range m.Approvals {
				e.addApproval(history.Approval{Role: a.Role, By: a.By, At: a.At, Ref: a.Ref})
			}
			for _, a := range approvals {
				e.addApproval(a)
			}
		}
	}
	// The approvals kept where branch protection does not block them: the
	// note on the merge commit and the release tag's trailers.
	rec, err := h.Recorded()
	if err != nil {
		return nil, err
	}
	for _, a := range rec.For(id) {
		e.addApproval(a)
	}
	if e.Title == "" {
		e.Title = "(manifest does not decode)"
	}
	// Does the new quarterly release hold it? Only asked for fixes that
	// reached older lines; the release's own line ships it by definition.
	if checker != nil && e.Status == StatusFixed && found && release.CompareTags(line, toLine) < 0 {
		diff, _ := rollup.DiffFor(patch, h.Reg, line)
		fix, err := rollup.FixCommits(h, primary.Merged)
		if err != nil {
			return nil, err
		}
		var stop gitrepo.Hash
		if l, ok := h.Line(line); ok {
			if start, ok := l.Start(); ok {
				stop = start.Commit
			}
		}
		v, err := checker.Prove(id, diff, fix, stop)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		in := onMain || v.Status == rollup.Contained || v.Status == rollup.Adapted || v.Status == rollup.Accepted
		if v.Status == rollup.Superseded {
			e.SupersededBy, in = v.SupersededBy, false
		}
		e.ReleaseMethod, e.ReleaseStatus, e.ReleaseEvidence = v.Method, string(v.Status), v.Evidence
		e.InRelease = &in
	}
	return e, nil
}

// addApproval lists each approver once; a later record of the same
// approver fills what the earlier one lacks (a trailer has no time).
func (e *Entry) addApproval(a history.Approval) {
	if a.By == "" {
		return
	}
	if i := slices.IndexFunc(e.Approvals, func(b history.Approval) bool { return b.By == a.By }); i >= 0 {
		b := &e.Approvals[i]
		if b.At.IsZero() {
			b.At = a.At
		}
		if b.Ref == "" {
			b.Ref = a.Ref
		}
		if b.Role == "" {
			b.Role = a.Role
		}
		return
	}
	e.Approvals = append(e.Approvals, a)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

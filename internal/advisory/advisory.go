// Package advisory writes a security patch as the advisory documents
// scanners and verifiers read: OSV, CSAF 2.0 (csaf_security_advisory) and
// OpenVEX. Everything a document says comes from the repository, read
// through the line model history shares with notes and report: on each
// release line the patch reached, the releases before the patch-level tag
// that first carries the fix are affected and that tag is the fix; every
// date is a tag's or a commit's. The same repository gives the same bytes.
package advisory

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/release"
	"github.com/patchline/patchline/internal/rollup"
)

// Errors Build returns, each wrapped with what to do about it.
var (
	// ErrNotSecurity: the patch is neither kind security nor names a CVE.
	ErrNotSecurity = errors.New("not a security patch")
	// ErrNotReleased: no release tag carries the fix yet.
	ErrNotReleased = errors.New("not released")
	// ErrBadManifest: the merged manifest does not decode.
	ErrBadManifest = errors.New("manifest does not decode")
	// ErrNoProduct: the product has no name an advisory can give it.
	ErrNoProduct = errors.New("no product name")
)

// The states of a line in an advisory.
const (
	Released = "released" // a patch-level tag of the line carries the fix
	Merged   = "merged"   // merged on the line, not in a release tag yet
	Pending  = "pending"  // the patch names the line (also, a backport branch) but has not reached it
)

// Advisory is one security patch as every format writes it.
type Advisory struct {
	ID          string
	Title       string
	Summary     string
	KnownIssues string
	Kind        string
	Severity    string
	CVEs        []string
	Reported    time.Time
	Project     string    // [project] name
	Publisher   Publisher // who publishes it
	RepoURL     string    // https://github.com/<owner>/<repo>; "" without [project] github
	Platforms   []string  // [build] platforms, for the bundle names
	Lines       []Line    // oldest first
	Revisions   []Revision
	// Final is true when every line the patch names has released it; an
	// interim advisory still waits for a backport or a release.
	Final bool
}

// Publisher is who publishes the advisory: [advisory] publisher and
// namespace, or the owner in [project] github.
type Publisher struct {
	Name      string
	Namespace string // a URL; "" when neither is configured
}

// Line is what one release line did with the patch.
type Line struct {
	Name    string
	Branch  string // the maintenance branch
	State   string // Released, Merged or Pending
	Package Package
	// Base is the release the line's patch branch was cut from: the base
	// of its bundles. "" when the patch is not merged on the line.
	Base string
	// Merge is the commit that merged the patch on the line; "" when not merged.
	Merge string
	// Affected are the line's releases without the fix: those before Fix,
	// and those from the tag that took it out again, if one did.
	Affected []Release
	// Fixed are the releases that carry it: Fix and the later ones.
	Fixed []Release
	Fix   *Release // the patch-level tag that first carries the fix; nil unless Released
	// Reverted is the release that no longer carries the fix; nil when none.
	Reverted *Release
	// Named says why a Pending line is listed: "also v2026.2.0", "its
	// base v2026.2.0" or "backport branch patch/PL-2026-0007@v2026.2".
	Named string
}

// Release is one release tag.
type Release struct {
	Tag    string
	Commit string
	Date   time.Time // the tagger's time, or the commit's for a lightweight tag
	hash   gitrepo.Hash
}

// Revision is one change of the advisory: a release that fixed a line, or
// took the fix out again, or an edit of the merged manifest after the first.
type Revision struct {
	Number  int
	Date    time.Time
	Summary string
}

// Published is when the first release carrying the fix was tagged.
func (a *Advisory) Published() time.Time { return a.Revisions[0].Date }

// Modified is the date of the newest revision.
func (a *Advisory) Modified() time.Time { return a.Revisions[len(a.Revisions)-1].Date }

// Version is the advisory's version: the number of its revisions.
func (a *Advisory) Version() int { return len(a.Revisions) }

// Vulnerabilities are the CVEs, or the patch id when it names none.
func (a *Advisory) Vulnerabilities() []string {
	if len(a.CVEs) > 0 {
		return a.CVEs
	}
	return []string{a.ID}
}

// IsSecurity reports whether a manifest's patch gets an advisory: kind
// security, or any CVE.
func IsSecurity(m *manifest.Manifest) bool {
	return m != nil && (m.Kind == manifest.KindSecurity || len(m.CVEs) > 0)
}

// Build reads one patch from the release lines and works out what its
// advisory says. reg.Load is asked only to tell an unknown id from one that
// is not merged yet.
func Build(h *history.History, id string) (*Advisory, error) {
	reg := h.Reg
	pres, err := presences(h, id)
	if err != nil {
		return nil, err
	}
	if len(pres) == 0 {
		p, err := reg.Load(id)
		if err != nil {
			return nil, err
		}
		where := "only in the work tree"
		if p.HasBranch() {
			where = "on branch " + p.Branch.Name
		}
		return nil, fmt.Errorf("%w: %s is not merged on any release line yet (it is %s): an advisory describes a released fix; merge it and tag the line's next patch-level release first",
			ErrNotReleased, id, where)
	}
	// The manifest is the merged one of the newest line that has the
	// patch, as notes reads it.
	var primary *history.Presence
	for i := len(pres) - 1; i >= 0 && primary == nil; i-- {
		if pres[i].Present() {
			primary = pres[i]
		}
	}
	if primary == nil {
		return nil, fmt.Errorf("%w: %s was taken out of every line it was merged on (%s): there is no fix to advise", ErrNotReleased, id, describeRemoved(pres))
	}
	patch, found, err := h.Patch(id, primary.ReadAt, primary.Line)
	if err != nil {
		return nil, err
	}
	if !found || patch.Manifest == nil || len(patch.Problems) > 0 {
		where := primary.Line
		if l, ok := h.Line(primary.Line); ok && l.HasBranch() {
			where = l.Branch.Name
		}
		probs := []string{"no manifest"}
		if found {
			probs = rollup.Problems(patch, primary.ReadAt, where)
		}
		return nil, fmt.Errorf("%w: %s: fix it on the line, then write the advisory", ErrBadManifest, strings.Join(probs, "; "))
	}
	m := patch.Manifest
	if !IsSecurity(m) {
		return nil, fmt.Errorf("%w: %s is kind %q and names no CVE; advisories are for kind = \"security\" or patches with cves (add the CVE to cves in its manifest if it fixes one)",
			ErrNotSecurity, id, m.Kind)
	}
	cfg := reg.Config
	a := &Advisory{
		ID: m.ID, Title: m.Title, Summary: m.Summary, KnownIssues: m.KnownIssues, Kind: m.Kind, Severity: m.Severity,
		CVEs: slices.Clone(m.CVEs), Reported: m.Reported, Project: cfg.Project.Name, Platforms: cfg.Build.Platforms,
		Publisher: publisher(cfg.Advisory.Publisher, cfg.Advisory.Namespace, cfg.Project.GitHub, cfg.Project.Name),
	}
	if cfg.Project.GitHub != "" {
		a.RepoURL = "https://github.com/" + cfg.Project.GitHub
	}
	if a.Lines, err = lines(h, id, m, pres); err != nil {
		return nil, err
	}
	if err := a.revise(h, id, primary); err != nil {
		return nil, err
	}
	if len(a.Revisions) == 0 {
		var merged []string
		for _, l := range a.Lines {
			if l.State == Merged {
				merged = append(merged, cmp.Or(l.Branch, l.Name))
			}
		}
		return nil, fmt.Errorf("%w: %s is merged on %s but no release tag carries it yet: tag the line's next patch-level release (patchline pr --merged does), then write its advisory",
			ErrNotReleased, id, strings.Join(merged, ", "))
	}
	// A document tells the repository as of its newest revision: releases
	// tagged after it wait for the next one, so the bytes change only
	// with a revision (docs/decisions.md, "Security advisories"). A line
	// with no release by then is not in it yet.
	upTo := a.Modified()
	a.Final = true
	kept := a.Lines[:0]
	for _, l := range a.Lines {
		l.Affected = taggedBy(l.Affected, upTo)
		l.Fixed = taggedBy(l.Fixed, upTo)
		if len(l.Affected)+len(l.Fixed) == 0 {
			continue
		}
		if l.State != Released || l.Reverted != nil {
			a.Final = false
		}
		kept = append(kept, l)
	}
	a.Lines = kept
	for i := range a.Lines {
		if err := productOf(h, &a.Lines[i], cfg.Advisory.PURL); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// presences walks every release line as report does and returns what each
// did with the patch, oldest line first.
func presences(h *history.History, id string) ([]*history.Presence, error) {
	var out []*history.Presence
	for _, line := range h.Lines() {
		start, ok := line.Start()
		if !ok {
			continue
		}
		tip, _ := line.Tip()
		if tip == start.Commit {
			continue
		}
		w, err := h.Walk(history.Span{Tip: tip, Stop: start.Commit})
		if err != nil {
			return nil, err
		}
		pres, err := h.Track(line, w, history.Window{})
		if err != nil {
			return nil, err
		}
		if p, ok := pres[id]; ok {
			out = append(out, p)
		}
	}
	return out, nil
}

func describeRemoved(pres []*history.Presence) string {
	var parts []string
	for _, p := range pres {
		s := "withdrawn from " + p.Line
		if p.RemovedIn != "" {
			s = "reverted in " + p.RemovedIn
		} else if p.ShippedIn != "" || (p.Removed != nil && p.Removed.Revert) {
			s = "reverted on " + p.Line
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// publisher is [advisory] publisher and namespace, else the GitHub owner.
func publisher(name, namespace, github, project string) Publisher {
	owner, _, _ := strings.Cut(github, "/")
	p := Publisher{Name: cmp.Or(name, owner, project), Namespace: namespace}
	if p.Namespace == "" && owner != "" {
		p.Namespace = "https://github.com/" + owner
	}
	p.Namespace = strings.TrimSuffix(p.Namespace, "/")
	return p
}

// lines works out every line the advisory speaks for: those the patch was
// merged on, and those it names but has not reached (the base and also
// tags of its manifests, its open backport branches).
func lines(h *history.History, id string, m *manifest.Manifest, pres []*history.Presence) ([]Line, error) {
	reg := h.Reg
	byLine := map[string]*history.Presence{}
	for _, p := range pres {
		byLine[p.Line] = p
	}
	named := map[string]string{} // line -> why it is named
	note := func(tag, why string) {
		if line, ok := reg.Config.LineOf(tag); ok {
			if _, seen := named[line]; !seen {
				named[line] = why
			}
		}
	}
	note(m.Base, "its base "+m.Base)
	for _, tag := range m.Also {
		note(tag, "also "+tag)
	}
	backports, err := reg.Backports()
	if err != nil {
		return nil, err
	}
	for _, ref := range backports[id] {
		_, line := registry.SplitBranchID(strings.TrimPrefix(ref.Name, reg.Config.Release.PatchBranch))
		if _, ok := named[line]; !ok {
			named[line] = "backport branch " + ref.Name
		}
	}

	var out []Line
	for _, hl := range h.Lines() {
		p := byLine[hl.Name]
		_, isNamed := named[hl.Name]
		// A line that withdrew the patch before any release is as if it
		// never had it.
		reached := p != nil && (p.Present() || p.ShippedIn != "")
		if !reached && !isNamed {
			continue
		}
		l := Line{Name: hl.Name, Branch: hl.Branch.Name, State: Pending, Named: named[hl.Name]}
		if l.Branch == "" {
			l.Branch = hl.Name
		}
		tags := make([]Release, len(hl.Tags))
		for i, t := range hl.Tags {
			at, err := h.TaggedAt(t)
			if err != nil {
				return nil, err
			}
			tags[i] = Release{Tag: t.Name, Commit: t.Commit.String(), Date: at.UTC(), hash: t.Commit}
		}
		if !reached {
			if len(tags) == 0 {
				continue // a supported line with no release yet: nothing is affected
			}
			l.Affected = tags
			out = append(out, l)
			continue
		}
		if p.Merged != nil {
			l.Merge = p.Merged.Commit.String()
		}
		if lp, found, err := h.Patch(id, p.ReadAt, hl.Name); err != nil {
			return nil, err
		} else if found && lp.Manifest != nil {
			l.Base = lp.Manifest.Base
		}
		shipped, removed := -1, len(tags)
		for i, t := range tags {
			if t.Tag == p.ShippedIn {
				shipped = i
			}
			if t.Tag == p.RemovedIn {
				removed = i
			}
		}
		if shipped < 0 {
			l.State, l.Affected = Merged, tags
			out = append(out, l)
			continue
		}
		l.State = Released
		l.Affected = append(slices.Clone(tags[:shipped]), tags[removed:]...)
		l.Fixed = tags[shipped:removed]
		l.Fix = &tags[shipped]
		if removed < len(tags) {
			l.Reverted = &tags[removed]
		}
		out = append(out, l)
	}
	return out, nil
}

// revise lists the revisions: each release that first carried the fix on
// a line or took it out again, and each later edit of the manifest the
// advisory is read from, oldest first.
func (a *Advisory) revise(h *history.History, id string, primary *history.Presence) error {
	type event struct {
		date    time.Time
		tag     string // for the order of two tags of one second
		summary string
	}
	var events []event
	for _, l := range a.Lines {
		if l.Fix != nil {
			events = append(events, event{l.Fix.Date, l.Fix.Tag, fmt.Sprintf("Fixed in %s (line %s).", l.Fix.Tag, l.Name)})
		}
		if l.Reverted != nil {
			events = append(events, event{l.Reverted.Date, l.Reverted.Tag,
				fmt.Sprintf("%s no longer carries the fix (line %s): affected again.", l.Reverted.Tag, l.Name)})
		}
	}
	if len(events) == 0 {
		return nil
	}
	first := slices.MinFunc(events, func(x, y event) int { return x.date.Compare(y.date) }).date
	// An edit of the manifest on its line after the first release changes
	// what the advisory says: it is a revision of its own.
	for _, st := range primary.Changed {
		if !st.When.After(first) {
			continue
		}
		after, okA, err := h.Patch(id, st.Commit, primary.Line)
		if err != nil {
			return err
		}
		before, okB, err := h.Patch(id, st.Parent, primary.Line)
		if err != nil {
			return err
		}
		if okA && okB && string(after.ManifestData) != string(before.ManifestData) {
			events = append(events, event{st.When, "", fmt.Sprintf("Updated: the manifest changed on %s (%s).", primary.Line, shortHash(st.Commit))})
		}
	}
	slices.SortStableFunc(events, func(x, y event) int {
		if c := x.date.Compare(y.date); c != 0 {
			return c
		}
		return release.CompareTags(x.tag, y.tag)
	})
	for i, e := range events {
		a.Revisions = append(a.Revisions, Revision{Number: i + 1, Date: e.date.UTC(), Summary: e.summary})
	}
	return nil
}

func shortHash(h gitrepo.Hash) string { return h.String()[:12] }

func taggedBy(rs []Release, t time.Time) []Release {
	var out []Release
	for _, r := range rs {
		if !r.Date.After(t) {
			out = append(out, r)
		}
	}
	return out
}

// InRelease lists the security patches that a release tag is the first
// release of on its line, sorted by id: the advisories that release
// publishes (or revises, for a backport). A quarterly release opens its
// line and ships none. problems names the patches of the tag whose
// manifest does not decode, so it cannot be told whether they are.
func InRelease(h *history.History, tag gitrepo.Tag) (ids, problems []string, err error) {
	line, ok := h.LineOf(tag.Name)
	if !ok {
		return nil, nil, fmt.Errorf("%s: its line is %w (add it to [release] lines)", tag.Name, config.ErrUnsupportedLine)
	}
	start, _ := line.Start()
	tip, _ := line.Tip()
	if tip == start.Commit {
		return nil, nil, nil
	}
	w, err := h.Walk(history.Span{Tip: tip, Stop: start.Commit})
	if err != nil {
		return nil, nil, err
	}
	pres, err := h.Track(line, w, history.Window{})
	if err != nil {
		return nil, nil, err
	}
	for _, id := range history.IDs(pres) {
		p := pres[id]
		if p.ShippedIn != tag.Name {
			continue
		}
		patch, found, err := h.Patch(id, tag.Commit, tag.Name)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case !found:
			continue
		case patch.Manifest == nil || len(patch.Problems) > 0:
			problems = append(problems, rollup.Problems(patch, tag.Commit, tag.Name)...)
		case IsSecurity(patch.Manifest):
			ids = append(ids, id)
		}
	}
	return ids, problems, nil
}

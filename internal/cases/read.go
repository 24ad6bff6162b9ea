package cases

import (
	"sort"
	"strings"

	"github.com/patchline/patchline/internal/backport"
	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/rollup"
)

// Read collects every patch whose manifest names a case: those merged on
// a release line (with the patch-level tags that shipped them) and those
// still on a patch branch. Problems are manifests that do not decode and
// notes that were skipped; what they would have said is not counted.
func Read(h *history.History) (patches []Patch, problems []string, err error) {
	recorded, err := h.Recorded()
	if err != nil {
		return nil, nil, err
	}
	problems = append(problems, recorded.Problems...)

	type seen struct {
		pres []*history.Presence // newest line first
	}
	byID := map[string]*seen{}
	lines := h.Lines()
	for i := len(lines) - 1; i >= 0; i-- {
		line := lines[i]
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
			return nil, nil, err
		}
		pres, err := h.Track(line, w, history.Window{})
		if err != nil {
			return nil, nil, err
		}
		for _, id := range history.IDs(pres) {
			s := byID[id]
			if s == nil {
				s = &seen{}
				byID[id] = s
			}
			s.pres = append(s.pres, pres[id])
		}
	}

	tagTimes := map[string]Release{}
	for _, line := range lines {
		for _, t := range line.Tags {
			at, err := h.TaggedAt(t)
			if err != nil {
				return nil, nil, err
			}
			tagTimes[t.Name] = Release{Line: line.Name, Tag: t.Name, At: at}
		}
	}

	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		s := byID[id]
		primary := s.pres[0]
		for _, pr := range s.pres {
			if pr.Present() {
				primary = pr
				break
			}
		}
		patch, found, err := h.Patch(id, primary.ReadAt, primary.Line)
		if err != nil {
			return nil, nil, err
		}
		if !found {
			continue
		}
		problems = append(problems, rollup.Problems(patch, primary.ReadAt, primary.Line)...)
		m := patch.Manifest
		if m == nil || len(m.Cases) == 0 {
			continue
		}
		p := Patch{ID: id, Title: m.Title, Severity: m.Severity, Cases: m.Cases}
		var approvals []history.Approval
		for _, a := range m.Approvals {
			approvals = append(approvals, history.Approval{Role: a.Role, By: a.By, At: a.At, Ref: a.Ref})
		}
		for _, pr := range s.pres {
			approvals = append(approvals, pr.Approvals...)
			if pr.ShippedIn != "" {
				rel, ok := tagTimes[pr.ShippedIn]
				if !ok {
					rel = Release{Line: pr.Line, Tag: pr.ShippedIn}
				}
				p.Releases = append(p.Releases, rel)
			}
		}
		sort.Slice(p.Releases, func(i, j int) bool {
			a, b := p.Releases[i], p.Releases[j]
			if !a.At.Equal(b.At) {
				return a.At.Before(b.At)
			}
			return a.Tag < b.Tag
		})
		p.Approval = history.MergeApprovals(approvals, recorded.For(id))
		p.Pull = recorded.Pull(id)
		if p.Pull == "" {
			p.Pull = pullOf(p.Approval)
		}
		patches = append(patches, p)
	}

	// Patches still on their branch: open, whatever their cases say.
	branches, err := h.Reg.Branches()
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, 0, len(branches))
	for name := range branches {
		names = append(names, name)
	}
	sort.Strings(names)
	onBranch := map[string]bool{}
	for _, name := range names {
		id, _, _ := strings.Cut(name, backport.Sep)
		if byID[id] != nil || onBranch[id] {
			continue
		}
		ref := branches[name]
		patch, found, err := h.Patch(id, ref.Commit, ref.Name)
		if err != nil {
			return nil, nil, err
		}
		if !found {
			continue
		}
		onBranch[id] = true
		problems = append(problems, rollup.Problems(patch, ref.Commit, ref.Name)...)
		if m := patch.Manifest; m != nil && len(m.Cases) > 0 {
			patches = append(patches, Patch{ID: id, Title: m.Title, Severity: m.Severity, Cases: m.Cases})
		}
	}
	sort.Slice(patches, func(i, j int) bool { return patches[i].ID < patches[j].ID })
	return patches, problems, nil
}

// pullOf is the pull request a review link belongs to:
// https://github.com/o/r/pull/42#pullrequestreview-1 gives …/pull/42.
func pullOf(approvals []history.Approval) string {
	for _, a := range approvals {
		if u, _, _ := strings.Cut(a.Ref, "#"); strings.Contains(u, "/pull/") {
			return u
		}
	}
	return ""
}

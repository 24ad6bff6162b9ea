package history

import (
	"slices"
	"sort"
	"time"

	"github.com/patchline/patchline/internal/gitrepo"
)

// Presence is what one line did with one patch within a window of time.
type Presence struct {
	ID   string
	Line string
	// Merged is the step that added the patch's folder to the line (the
	// latest, when it was removed and added again); nil when the folder was
	// there before the window and the window only removed or changed it.
	Merged *Step
	// Removed is the step that took the folder away again (a revert or a
	// withdrawal); nil when the patch is on the line at the window's end.
	Removed *Step
	Changed []*Step // later edits of its files on the line

	ShippedIn string // the line's first release tag that holds the patch
	RemovedIn string // the first later tag that no longer does

	Approvals []Approval // from the Approved-by trailers of the steps naming it
	// ReadAt is where the patch's files are read: the window's end on the
	// line, or the commit before the one that removed them.
	ReadAt gitrepo.Hash
}

// Present reports whether the patch is on the line at the window's end.
func (p *Presence) Present() bool { return p.Removed == nil }

// Window bounds the steps Track folds in: those committed after After and
// at or before Until; a zero bound is open.
type Window struct {
	After, Until time.Time
}

// Contains reports whether t lies in the window.
func (w Window) Contains(t time.Time) bool {
	return (w.After.IsZero() || t.After(w.After)) && (w.Until.IsZero() || !t.After(w.Until))
}

// Track folds a walk of a line into the presence of each patch the window
// added or removed there, by id, and finds the tags each shipped in.
func (h *History) Track(line Line, w *Walk, win Window) (map[string]*Presence, error) {
	out := map[string]*Presence{}
	get := func(id string) *Presence {
		p, ok := out[id]
		if !ok {
			p = &Presence{ID: id, Line: line.Name}
			out[id] = p
		}
		return p
	}
	for i := range w.Steps {
		st := &w.Steps[i]
		if !win.Contains(st.When) {
			continue
		}
		for _, id := range st.Added {
			p := get(id)
			p.Merged, p.Removed = st, nil
		}
		for _, id := range st.Removed {
			get(id).Removed = st
		}
		for _, id := range st.Changed {
			if p, ok := out[id]; ok {
				p.Changed = append(p.Changed, st)
			}
		}
		named := st.PatchIDs
		if len(named) == 0 {
			named = st.Added
		}
		for _, id := range named {
			if p, ok := out[id]; ok {
				for _, a := range st.Approvals {
					if !slices.ContainsFunc(p.Approvals, func(b Approval) bool { return b.By == a.By }) {
						p.Approvals = append(p.Approvals, a)
					}
				}
			}
		}
	}
	if len(out) == 0 {
		return out, nil // no tag to read for
	}
	listings := make([]Listing, len(line.Tags))
	for i, t := range line.Tags {
		l, err := h.ListingAt(t.Commit)
		if err != nil {
			return nil, err
		}
		listings[i] = l
	}
	for _, p := range out {
		p.ReadAt = w.End
		if p.Removed != nil {
			p.ReadAt = p.Removed.Parent
		}
		shipped := -1
		for i, l := range listings {
			_, has := l[p.ID]
			switch {
			case has && shipped < 0:
				if p.Merged != nil && line.Tags[i].Commit != p.Merged.Commit {
					// A tag before the merge cannot hold it (a folder of
					// the same name from elsewhere); check by ancestry.
					ok, err := h.Reg.Repo.IsAncestor(p.Merged.Commit, line.Tags[i].Commit)
					if err != nil {
						return nil, err
					}
					if !ok {
						continue
					}
				}
				shipped = i
				p.ShippedIn = line.Tags[i].Name
			case !has && shipped >= 0 && p.RemovedIn == "":
				p.RemovedIn = line.Tags[i].Name
			}
		}
	}
	return out, nil
}

// IDs returns the keys of a presence map, sorted.
func IDs(m map[string]*Presence) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

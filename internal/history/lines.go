package history

import (
	"fmt"

	"github.com/patchline/patchline/internal/gitrepo"
)

// Pairing is the quarterly release a line's patches must reach: the first
// release of the next supported line that has one.
type Pairing struct {
	Line string
	From gitrepo.Tag // the line's first release, where its patches start
	Next gitrepo.Tag // the next quarterly release; zero when Due is false
	// Due is true when there is a next quarterly release to check against.
	// When it is false, Reason says why no rollup can be proved yet; an
	// empty Reason means the line is the newest released one, and nothing
	// is due.
	Due    bool
	Reason string
}

// NextQuarterly pairs a line with the quarterly release after it in the
// line model that every command shares: the first release tag of the next
// newer supported line that has any. report and rollup both use it, so
// they check the same pairs, and a line that cannot be paired says why
// instead of passing unchecked.
func (h *History) NextQuarterly(name string) Pairing {
	p := Pairing{Line: name}
	i := -1
	for j, l := range h.lines {
		if l.Name == name {
			i = j
			break
		}
	}
	if i < 0 {
		p.Reason = fmt.Sprintf("%s is not a supported release line", name)
		return p
	}
	start, ok := h.lines[i].Start()
	newer := h.lines[i+1:]
	if !ok {
		for _, l := range newer {
			if len(l.Tags) > 0 {
				p.Reason = fmt.Sprintf("the line has no release tag to start from, and %s has been released since", l.Name)
				return p
			}
		}
		return p // nothing released on it or after it yet
	}
	p.From = start
	for _, l := range newer {
		first, ok := l.Start()
		if !ok {
			continue // a supported line not released yet
		}
		if !h.Reg.Config.IsQuarterlyTag(first.Name) {
			p.Reason = fmt.Sprintf("the next line %s starts at %s, not at a quarterly release (matching [release] quarterly %s)",
				l.Name, first.Name, h.Reg.Config.Release.Quarterly)
			return p
		}
		p.Next, p.Due = first, true
		return p
	}
	return p
}

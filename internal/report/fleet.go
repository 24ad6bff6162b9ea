package report

import (
	"time"

	"github.com/patchline/patchline/internal/fleet"
	"github.com/patchline/patchline/internal/history"
)

// FleetInput is what fleet.Compute needs from the registry: the patches
// released on each line, with the tags that shipped them, as Build found
// them, and the repository's release lines, [release] tags and [sla].
// The report should be built over all history (no --since), so that a
// patch released long ago still counts as missing where it is.
func (r *Report) FleetInput(h *history.History, filed []fleet.Filed, now time.Time) fleet.Input {
	in := fleet.Input{Filed: filed, Lines: map[string][]string{}, LineOf: h.Reg.Config.LineOf, SLA: h.Reg.Config.SLAFor, Now: now}
	for _, l := range h.Lines() {
		tags := make([]string, len(l.Tags))
		for i, t := range l.Tags {
			tags[i] = t.Name
		}
		in.Lines[l.Name] = tags
	}
	for _, p := range r.Patches {
		fp := fleet.Patch{ID: p.ID, Title: p.Title, Kind: p.Kind, Severity: p.Severity, CVEs: p.CVEs}
		for _, l := range p.Lines {
			if l.Status == "released" && l.Tag != "" {
				fp.Released = append(fp.Released, fleet.Shipped{Line: l.Line, Tag: l.Tag, Tagged: l.Tagged})
			}
		}
		if len(fp.Released) > 0 {
			in.Patches = append(in.Patches, fp)
		}
	}
	return in
}

// Package report is the audit registry of every patch and the metrics the
// patch policy asks for, from git alone: time to patch per severity, SLA
// breaches, patches per kind and module, the emergency share, rollbacks,
// backport lag per line and the patches missing from the next quarterly
// release.
package report

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/patchline/patchline/internal/backport"
	"github.com/patchline/patchline/internal/fleet"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/release"
	"github.com/patchline/patchline/internal/rollup"
	"github.com/patchline/patchline/internal/stats"
)

// The statuses of a patch, in the order of its life.
const (
	Draft      = "draft"       // a patch branch without patch.diff
	InReview   = "in review"   // a patch branch with its diff, not merged
	Approved   = "approved"    // merged on its line (QA approved it), not in a release tag yet
	Released   = "released"    // in a patch-level release tag
	RolledInto = "rolled into" // released, and its change is in the next quarterly release
	Superseded = "superseded"  // released, and a patch of the next quarterly release replaces it
	RolledBack = "rolled back" // released, then reverted
	Withdrawn  = "withdrawn"   // merged, then taken out before any release shipped it
)

// Report is the registry and its metrics.
type Report struct {
	Project  string      `json:"project"`
	Since    time.Time   `json:"since,omitzero"`
	Until    time.Time   `json:"until"` // the end of the window, or now
	Patches  []Patch     `json:"patches"`
	Metrics  Metrics     `json:"metrics"`
	Problems []string    `json:"problems,omitempty"`
	Lines    []LineState `json:"lines"`
	// Fleet is the installed base, when the repository has delivery
	// records filed (`patchline fleet add`).
	Fleet *fleet.Fleet `json:"fleet,omitempty"`
}

// LineState is one release line at the end of the window.
type LineState struct {
	Line   string `json:"line"`
	Branch string `json:"branch,omitempty"`
	Newest string `json:"newest_tag"`
	Tags   int    `json:"tags"`
}

// Patch is one row of the registry.
type Patch struct {
	ID       string      `json:"id"`
	Title    string      `json:"title"`
	Status   string      `json:"status"`
	Kind     string      `json:"kind"`
	Severity string      `json:"severity"`
	Urgency  string      `json:"urgency"`
	Modules  []string    `json:"modules"`
	Base     string      `json:"base"`
	Reported time.Time   `json:"reported,omitzero"`
	Released time.Time   `json:"released,omitzero"`     // when the first release tag shipping it was made
	Lines    []LineReach `json:"lines"`                 // every line it reached, newest first
	Waiting  []string    `json:"waiting"`               // also tags whose lines it has not reached
	RolledIn string      `json:"rolled_into,omitempty"` // the next quarterly release, which holds it or its replacement
	// RolledAs is rollup's verdict when it is weaker than contained:
	// adapted (its tests differ) or accepted (signed off by hand), with
	// the evidence.
	RolledAs       string   `json:"rolled_as,omitempty"`
	RolledEvidence string   `json:"rolled_evidence,omitempty"`
	SupersededBy   []string `json:"superseded_by,omitempty"`
	Missing        string   `json:"missing_from,omitempty"` // the next quarterly release lacks it
	Branch         string   `json:"branch,omitempty"`
	SLA            string   `json:"sla,omitempty"`
	Breached       bool     `json:"sla_breached"`
	TimeToFix      Duration `json:"time_to_patch,omitempty"`
	// Approvals is who approved it: the manifest's chain, the note on the
	// merge commit (refs/notes/patchline), the tag and merge trailers.
	Approvals []history.Approval `json:"approvals,omitempty"`
	// CVEs are the manifest's, for the fleet's SLA (a security patch).
	CVEs []string `json:"-"`
}

// LineReach is one line a patch reached.
type LineReach struct {
	Line     string    `json:"line"`
	Tag      string    `json:"tag,omitempty"`
	Tagged   time.Time `json:"tagged,omitzero"`
	MergedAt time.Time `json:"merged_at,omitzero"`
	Status   string    `json:"status"` // released, merged, reverted, withdrawn
}

// Duration is a time.Duration that reads as hours in JSON.
type Duration time.Duration

// MarshalJSON writes the duration in hours, to two decimals.
func (d Duration) MarshalJSON() ([]byte, error) {
	h := math.Round(time.Duration(d).Hours()*100) / 100
	return []byte(fmtFloat(h)), nil
}

// Metrics are the figures of the window.
type Metrics struct {
	Patches        int            `json:"patches"`
	TimeToPatch    []SeverityStat `json:"time_to_patch"`
	Breaches       []Breach       `json:"sla_breaches"`
	PerKind        []Count        `json:"per_kind"`
	PerModule      []Count        `json:"per_module"`
	Emergency      int            `json:"emergency"`
	EmergencyShare float64        `json:"emergency_share"`
	Rollbacks      []string       `json:"rollbacks"`
	BackportLag    []LineLag      `json:"backport_lag"`
	Missing        []MissingPatch `json:"missing_from_next_quarterly"`
	// Unchecked names the lines whose rollup could not be proved, and why.
	Unchecked []UncheckedLine `json:"rollup_unchecked,omitempty"`
}

// SeverityStat is time to patch for one severity: from reported to the
// first release tag that shipped the patch.
type SeverityStat struct {
	Severity string   `json:"severity"`
	Released int      `json:"released"`
	Mean     Duration `json:"mean_hours"`
	P90      Duration `json:"p90_hours"`
	SLA      Duration `json:"sla_hours,omitempty"`
	Breaches int      `json:"breaches"`
}

// Breach is a patch that took longer than [sla] allows, or is still open
// past it.
type Breach struct {
	ID       string   `json:"id"`
	Severity string   `json:"severity"`
	Took     Duration `json:"took_hours"`
	SLA      Duration `json:"sla_hours"`
	Open     bool     `json:"open"` // not released by the end of the window
}

// Count is how many patches have a kind or touch a module.
type Count struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// LineLag is how long backports to a line took: from the patch's first
// release on any line to its release on this one.
type LineLag struct {
	Line      string   `json:"line"`
	Backports int      `json:"backports"`
	Mean      Duration `json:"mean_hours"`
	Max       Duration `json:"max_hours"`
	Waiting   []string `json:"waiting"` // ids whose also names this line, not reached yet
}

// UncheckedLine is a line that could not be paired with the next quarterly
// release, so its patches were not checked against it.
type UncheckedLine struct {
	Line   string `json:"line"`
	Reason string `json:"reason"`
}

// MissingPatch is a patch of a line that the next quarterly release lacks.
type MissingPatch struct {
	ID   string `json:"id"`
	Line string `json:"line"`
	Next string `json:"next_quarterly"`
}

// Window bounds the report: a patch is in it when it was reported,
// merged, released or rolled back in [Since, Until). Zero Since is open;
// Until is required (pass now).
type Window struct {
	Since, Until time.Time
}

func (w Window) has(t time.Time) bool {
	return !t.IsZero() && (w.Since.IsZero() || !t.Before(w.Since)) && t.Before(w.Until)
}

// Build reads the registry and computes the metrics.
func Build(h *history.History, win Window) (*Report, error) {
	reg := h.Reg
	r := &Report{Project: reg.Config.Project.Name, Since: win.Since, Until: win.Until}
	type known struct {
		pres []*history.Presence // newest line first
	}
	byID := map[string]*known{}
	recorded, err := h.Recorded()
	if err != nil {
		return nil, err
	}
	r.Problems = append(r.Problems, recorded.Problems...)
	tagTime := map[string]time.Time{}
	when := func(tag gitrepo.Tag) (time.Time, error) {
		if t, ok := tagTime[tag.Name]; ok {
			return t, nil
		}
		t, err := h.TaggedAt(tag)
		tagTime[tag.Name] = t
		return t, err
	}
	lines := h.Lines()
	for i := len(lines) - 1; i >= 0; i-- {
		line := lines[i]
		start, ok := line.Start()
		if !ok {
			continue
		}
		tip, _ := line.Tip()
		newest := line.Tags[len(line.Tags)-1]
		r.Lines = append(r.Lines, LineState{Line: line.Name, Branch: line.Branch.Name, Newest: newest.Name, Tags: len(line.Tags)})
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
		for _, id := range history.IDs(pres) {
			k := byID[id]
			if k == nil {
				k = &known{}
				byID[id] = k
			}
			k.pres = append(k.pres, pres[id])
		}
	}

	// Rollup of each line into the next quarterly release after it, paired
	// as rollup pairs them; a line that cannot be paired is named, never
	// passed as if nothing were missing.
	rolled := map[string]string{} // id -> quarterly release holding it
	superseded := map[string][]string{}
	missing := map[string]string{}        // id -> quarterly release lacking it
	verdicts := map[string]rollup.Patch{} // id -> an adapted or accepted verdict, shown with its evidence
	for _, line := range lines {
		pair := h.NextQuarterly(line.Name)
		if !pair.Due {
			if pair.Reason != "" {
				r.Metrics.Unchecked = append(r.Metrics.Unchecked, UncheckedLine{Line: line.Name, Reason: pair.Reason})
			}
			continue
		}
		start, next := pair.From, pair.Next
		res, err := rollup.Run(h, start, next)
		if err != nil {
			return nil, err
		}
		for _, p := range res.Patches {
			switch p.Status {
			case rollup.Contained, rollup.Adapted, rollup.Accepted:
				rolled[p.ID] = next.Name
				if p.Status != rollup.Contained {
					verdicts[p.ID] = p
				}
			case rollup.Superseded:
				rolled[p.ID], superseded[p.ID] = next.Name, p.SupersededBy
			case rollup.Missing:
				missing[p.ID] = next.Name
				r.Metrics.Missing = append(r.Metrics.Missing, MissingPatch{ID: p.ID, Line: line.Name, Next: next.Name})
			}
		}
	}

	// Open patch branches (backport branches count for their patch).
	branches, err := reg.Branches()
	if err != nil {
		return nil, err
	}
	open := map[string]gitrepo.Ref{}
	for name, ref := range branches {
		id, _, _ := strings.Cut(name, backport.Sep)
		if cur, ok := open[id]; !ok || strings.Contains(cur.Name, backport.Sep) {
			open[id] = ref
		}
	}

	ids := make([]string, 0, len(byID)+len(open))
	for id := range byID {
		ids = append(ids, id)
	}
	for id := range open {
		if _, ok := byID[id]; !ok {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)

	for _, id := range ids {
		k := byID[id]
		p := Patch{ID: id, Modules: []string{}, Lines: []LineReach{}, Waiting: []string{}}
		var m *manifest.Manifest
		if k != nil {
			primary := k.pres[0]
			for _, pr := range k.pres {
				if pr.Present() {
					primary = pr
					break
				}
			}
			where := primary.Line
			patch, found, err := h.Patch(id, primary.ReadAt, where)
			if err != nil {
				return nil, err
			}
			if found {
				r.Problems = append(r.Problems, rollup.Problems(patch, primary.ReadAt, where)...)
				m = patch.Manifest
			}
			anyPresent, anyShipped := false, false
			for _, pr := range k.pres {
				lr := LineReach{Line: pr.Line, Tag: pr.ShippedIn, Status: "released"}
				if pr.Merged != nil {
					lr.MergedAt = pr.Merged.When
				}
				if pr.ShippedIn != "" {
					anyShipped = true
					if l, ok := h.Line(pr.Line); ok {
						for _, t := range l.Tags {
							if t.Name == pr.ShippedIn {
								if lr.Tagged, err = when(t); err != nil {
									return nil, err
								}
							}
						}
					}
				}
				switch {
				case pr.Removed != nil && (pr.ShippedIn != "" || pr.Removed.Revert):
					lr.Status = "reverted"
				case pr.Removed != nil:
					lr.Status = "withdrawn"
				case pr.ShippedIn == "":
					lr.Status = "merged"
					anyPresent = true
				default:
					anyPresent = true
				}
				p.Lines = append(p.Lines, lr)
				if !lr.Tagged.IsZero() && (p.Released.IsZero() || lr.Tagged.Before(p.Released)) {
					p.Released = lr.Tagged
				}
			}
			switch {
			case !anyPresent && anyShipped:
				p.Status = RolledBack
			case !anyPresent:
				p.Status = Withdrawn
			case superseded[id] != nil:
				p.Status, p.RolledIn, p.SupersededBy = Superseded, rolled[id], superseded[id]
			case rolled[id] != "":
				p.Status, p.RolledIn = RolledInto, rolled[id]
				if v, ok := verdicts[id]; ok {
					p.RolledAs, p.RolledEvidence = string(v.Status), v.Evidence
				}
			case anyShipped:
				p.Status = Released
			default:
				p.Status = Approved
			}
			p.Missing = missing[id]
		} else {
			ref := open[id]
			patch, found, err := h.Patch(id, ref.Commit, ref.Name)
			if err != nil {
				return nil, err
			}
			p.Status, p.Branch = Draft, ref.Name
			if found {
				r.Problems = append(r.Problems, rollup.Problems(patch, ref.Commit, ref.Name)...)
				m = patch.Manifest
				if patch.Diff != nil {
					p.Status = InReview
				}
			}
		}
		var own []history.Approval
		if m != nil {
			for _, a := range m.Approvals {
				own = append(own, history.Approval{Role: a.Role, By: a.By, At: a.At, Ref: a.Ref})
			}
		}
		if k != nil {
			for _, pr := range k.pres {
				own = append(own, pr.Approvals...)
			}
		}
		p.Approvals = history.MergeApprovals(own, recorded.For(id))
		if m != nil {
			p.Title, p.Kind, p.Severity, p.Urgency, p.Base, p.Reported = m.Title, m.Kind, m.Severity, m.Urgency, m.Base, m.Reported
			p.CVEs = m.CVEs
			if m.Modules != nil {
				p.Modules = m.Modules
			}
			for _, tag := range m.Also {
				line, ok := reg.Config.LineOf(tag)
				if ok && !slices.ContainsFunc(p.Lines, func(l LineReach) bool { return l.Line == line && l.Status != "withdrawn" && l.Status != "reverted" }) {
					p.Waiting = append(p.Waiting, tag)
				}
			}
		} else {
			p.Title = "(manifest does not decode)"
		}
		if !inWindow(win, p) {
			continue
		}
		if d, ok := reg.Config.SLAFor(p.Severity); ok && !p.Reported.IsZero() {
			p.SLA = d.String()
			end := p.Released
			if end.IsZero() || end.After(win.Until) {
				end = win.Until
			}
			took := end.Sub(p.Reported)
			if !p.Released.IsZero() && !p.Released.After(win.Until) {
				p.TimeToFix = Duration(took)
			}
			if took > d && p.Status != Withdrawn {
				p.Breached = true
			}
		}
		r.Patches = append(r.Patches, p)
	}
	r.metrics(h, win)
	if r.Patches == nil {
		r.Patches = []Patch{}
	}
	return r, nil
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// inWindow: something happened to the patch in the window.
func inWindow(w Window, p Patch) bool {
	if w.Since.IsZero() {
		return p.Reported.IsZero() || p.Reported.Before(w.Until)
	}
	if w.has(p.Reported) || w.has(p.Released) {
		return true
	}
	for _, l := range p.Lines {
		if w.has(l.MergedAt) || w.has(l.Tagged) {
			return true
		}
	}
	// Open across the whole window.
	return p.Released.IsZero() && !p.Reported.IsZero() && p.Reported.Before(w.Since) &&
		(p.Status == Draft || p.Status == InReview || p.Status == Approved)
}

func (r *Report) metrics(h *history.History, win Window) {
	m := &r.Metrics
	m.Patches = len(r.Patches)
	kinds, modules := map[string]int{}, map[string]int{}
	took := map[string][]time.Duration{}
	lags := map[string][]time.Duration{}
	waiting := map[string][]string{}
	m.Rollbacks, m.Breaches, m.BackportLag = []string{}, []Breach{}, []LineLag{}
	for _, p := range r.Patches {
		kinds[p.Kind]++
		for _, mod := range p.Modules {
			modules[mod]++
		}
		if p.Urgency == manifest.UrgencyEmergency {
			m.Emergency++
		}
		if p.Status == RolledBack {
			m.Rollbacks = append(m.Rollbacks, p.ID)
		}
		if p.TimeToFix != 0 {
			took[p.Severity] = append(took[p.Severity], time.Duration(p.TimeToFix))
		}
		if p.Breached {
			d, _ := h.Reg.Config.SLAFor(p.Severity)
			end := p.Released
			open := end.IsZero() || end.After(win.Until)
			if open {
				end = win.Until
			}
			m.Breaches = append(m.Breaches, Breach{ID: p.ID, Severity: p.Severity, Took: Duration(end.Sub(p.Reported)), SLA: Duration(d), Open: open})
		}
		// Backport lag: from the first release anywhere to the release on
		// each other line.
		for _, l := range p.Lines {
			if !l.Tagged.IsZero() && l.Tagged.After(p.Released) {
				lags[l.Line] = append(lags[l.Line], l.Tagged.Sub(p.Released))
			}
		}
		for _, tag := range p.Waiting {
			if line, ok := h.Reg.Config.LineOf(tag); ok {
				waiting[line] = append(waiting[line], p.ID)
			}
		}
	}
	if m.Patches > 0 {
		m.EmergencyShare = math.Round(float64(m.Emergency)/float64(m.Patches)*1000) / 1000
	}
	for _, k := range manifest.Kinds {
		m.PerKind = append(m.PerKind, Count{k, kinds[k]})
		delete(kinds, k)
	}
	m.PerKind = append(m.PerKind, sortedCounts(kinds)...)
	m.PerModule = sortedCounts(modules)
	for _, sev := range manifest.Severities {
		st := SeverityStat{Severity: sev}
		if d, ok := h.Reg.Config.SLAFor(sev); ok {
			st.SLA = Duration(d)
		}
		ds := took[sev]
		st.Released = len(ds)
		if len(ds) > 0 {
			st.Mean = Duration(stats.Mean(ds))
			st.P90 = Duration(stats.Percentile(ds, 0.9))
		}
		for _, b := range m.Breaches {
			if b.Severity == sev {
				st.Breaches++
			}
		}
		m.TimeToPatch = append(m.TimeToPatch, st)
	}
	names := map[string]bool{}
	for l := range lags {
		names[l] = true
	}
	for l := range waiting {
		names[l] = true
	}
	var order []string
	for l := range names {
		order = append(order, l)
	}
	sort.Slice(order, func(i, j int) bool { return release.CompareTags(order[i], order[j]) > 0 })
	for _, l := range order {
		ll := LineLag{Line: l, Backports: len(lags[l]), Waiting: waiting[l]}
		if ll.Waiting == nil {
			ll.Waiting = []string{}
		}
		var sum, most time.Duration
		for _, d := range lags[l] {
			sum += d
			most = max(most, d)
		}
		if len(lags[l]) > 0 {
			ll.Mean, ll.Max = Duration(sum/time.Duration(len(lags[l]))), Duration(most)
		}
		m.BackportLag = append(m.BackportLag, ll)
	}
	if m.Missing == nil {
		m.Missing = []MissingPatch{}
	}
	// Only the patches of the window.
	in := map[string]bool{}
	for _, p := range r.Patches {
		in[p.ID] = true
	}
	m.Missing = slices.DeleteFunc(m.Missing, func(x MissingPatch) bool { return !in[x.ID] })
}

func sortedCounts(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, v := range m {
		out = append(out, Count{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Name < out[j].Name
	})
	return out
}

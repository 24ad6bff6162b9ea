package fleet

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/release"
	"github.com/patchline/patchline/internal/stats"
)

// Patch is what the fleet needs to know of one patch of the registry:
// report.Build computes it from the release lines' history, so the fleet
// and the report agree on what is released, and when.
type Patch struct {
	ID       string
	Title    string
	Kind     string
	Severity string
	CVEs     []string
	// Released is every line whose patch-level tag ships the patch, and
	// still does (a reverted patch is not listed).
	Released []Shipped
}

// Shipped is the patch-level tag of a line that shipped a patch.
type Shipped struct {
	Line   string
	Tag    string
	Tagged time.Time
}

// Security reports whether the patch is held to its SLA on every install:
// critical, or a security fix (kind security, or it names CVEs).
func (p Patch) Security() bool {
	return p.Kind == manifest.KindSecurity || len(p.CVEs) > 0
}

// Urgent reports whether an install lacking the patch past its SLA fails
// `patchline fleet`: a critical or a security patch.
func (p Patch) Urgent() bool {
	return p.Severity == manifest.SeverityCritical || p.Security()
}

// Input is what Compute reads.
type Input struct {
	Filed   []Filed
	Patches []Patch
	// Lines are the repository's release lines by name, each with its
	// release tags; an install on a line not listed is named a problem.
	Lines map[string][]string
	// LineOf is the release line of a release tag ([release] tags).
	LineOf func(tag string) (string, bool)
	// SLA is [sla] for a severity.
	SLA func(severity string) (time.Duration, bool)
	Now time.Time
}

// Fleet is the installed base as its filed records show it.
type Fleet struct {
	Now         time.Time      `json:"now"`
	Installs    []Install      `json:"installs"`
	Coverage    []Coverage     `json:"coverage"`
	Drift       []Drift        `json:"drift"`
	TimeToPatch []SeverityTime `json:"time_to_patch"`
	Breaches    []Breach       `json:"sla_breaches"`
	Problems    []string       `json:"problems,omitempty"`
}

// Install is one filed record and what it lacks.
type Install struct {
	Site     string    `json:"site"`
	Env      string    `json:"env"`
	Path     string    `json:"path"`
	Host     string    `json:"host,omitempty"`
	Operator string    `json:"operator,omitempty"`
	Line     string    `json:"line"`
	Release  string    `json:"release"`
	Exported time.Time `json:"exported_at"`
	Age      Hours     `json:"age_hours"`
	// Patches counts every patch the install has: those its release
	// ships (the line's patches tagged up to it) and those applied and
	// not rolled back. Applied lists the latter.
	Patches      int           `json:"patches"`
	Applied      []string      `json:"applied"`
	Missing      []Missing     `json:"missing"`
	FailedChecks []FailedCheck `json:"failed_checks"`
	Rollbacks    []Rollback    `json:"rollbacks"`
	TimeToPatch  []Took        `json:"time_to_patch"`
}

// Missing is a released patch of the install's line that it lacks.
type Missing struct {
	ID       string    `json:"id"`
	Severity string    `json:"severity"`
	Kind     string    `json:"kind"`
	Urgent   bool      `json:"urgent"` // critical or security
	Tag      string    `json:"tag"`    // the line's patch-level tag that shipped it
	Released time.Time `json:"released"`
	SLA      Hours     `json:"sla_hours,omitempty"`
	Overdue  bool      `json:"overdue"` // urgent and released longer than its SLA ago
}

// FailedCheck is a failed run of the health check after a patch.
type FailedCheck struct {
	Patch    string    `json:"patch"`
	At       time.Time `json:"at"`
	Attempts int       `json:"attempts,omitempty"`
	ExitCode int       `json:"exit_code"`
}

// Rollback is a patch the install rolled back.
type Rollback struct {
	Patch string    `json:"patch"`
	At    time.Time `json:"at"`
	Auto  bool      `json:"auto"` // apply rolled it back after its health check failed
}

// Took is the time from the patch-level tag of the install's line to the
// patch applied there.
type Took struct {
	Patch    string `json:"patch"`
	Severity string `json:"severity"`
	Hours    Hours  `json:"hours"`
}

// Coverage is the share of the installs on a line that have a patch it
// released.
type Coverage struct {
	ID       string  `json:"id"`
	Line     string  `json:"line"`
	Tag      string  `json:"tag"`
	Severity string  `json:"severity"`
	Kind     string  `json:"kind"`
	Installs int     `json:"installs"`
	Have     int     `json:"have"`
	Share    float64 `json:"share"`
}

// Drift is two environments of a site that differ.
type Drift struct {
	Site      string   `json:"site"`
	Env       string   `json:"env"`
	Other     string   `json:"other"`
	Release   string   `json:"release"`
	OtherRel  string   `json:"other_release"`
	OnlyEnv   []string `json:"only_in_env"`   // env has, other lacks
	OnlyOther []string `json:"only_in_other"` // other has, env lacks
}

// SeverityTime is time to patch across the fleet for one severity.
type SeverityTime struct {
	Severity string `json:"severity"`
	Applied  int    `json:"applied"`
	Mean     Hours  `json:"mean_hours"`
	P90      Hours  `json:"p90_hours"`
}

// Breach is an install lacking a critical or security patch released
// longer than its SLA ago.
type Breach struct {
	Site     string `json:"site"`
	Env      string `json:"env"`
	ID       string `json:"id"`
	Severity string `json:"severity"`
	Tag      string `json:"tag"`
	Released Hours  `json:"released_hours_ago"`
	SLA      Hours  `json:"sla_hours"`
}

// Hours is a duration that reads as hours, to two decimals, in JSON.
type Hours time.Duration

// MarshalJSON writes the duration in hours.
func (h Hours) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprint(math.Round(time.Duration(h).Hours()*100) / 100)), nil
}

// lineOrder is a line's released patches in the order its tags shipped
// them, and each one's place in it.
type lineOrder struct {
	patches []*Patch
	tags    []string // tags[k] shipped patches[k]
	index   map[string]int
}

// owned is what one install has, without listing every patch of its
// release: the first pos patches of its line's order, and those applied
// (not rolled back) that are not among them.
type owned struct {
	line  string
	pos   int
	extra map[string]bool
}

func (o owned) has(order *lineOrder, id string) bool {
	if order != nil {
		if k, ok := order.index[id]; ok && k < o.pos {
			return true
		}
	}
	return o.extra[id]
}

// Compute brings the records together with the registry. It runs in
// time linear in the records and the patches of their lines (plus their
// differences), so that 10,000 installs over 2,000 patches take a
// fraction of a second (docs/benchmarks.md, "fleet").
func Compute(in Input) *Fleet {
	f := &Fleet{Now: in.Now, Installs: []Install{}, Coverage: []Coverage{}, Drift: []Drift{}, Breaches: []Breach{}}
	byID := make(map[string]*Patch, len(in.Patches))
	orders := map[string]*lineOrder{}
	for i := range in.Patches {
		p := &in.Patches[i]
		byID[p.ID] = p
		for _, s := range p.Released {
			o := orders[s.Line]
			if o == nil {
				o = &lineOrder{index: map[string]int{}}
				orders[s.Line] = o
			}
			o.patches = append(o.patches, p)
			o.tags = append(o.tags, s.Tag)
		}
	}
	for _, o := range orders {
		sortOrder(o)
	}
	took := map[string][]time.Duration{}
	own := make([]owned, len(in.Filed))
	for i, fi := range in.Filed {
		inst, o := f.install(in, fi, byID, orders)
		for _, t := range inst.TimeToPatch {
			took[t.Severity] = append(took[t.Severity], time.Duration(t.Hours))
		}
		for _, m := range inst.Missing {
			if m.Overdue {
				f.Breaches = append(f.Breaches, Breach{Site: inst.Site, Env: inst.Env, ID: m.ID, Severity: m.Severity, Tag: m.Tag,
					Released: Hours(in.Now.Sub(m.Released)), SLA: m.SLA})
			}
		}
		f.Installs = append(f.Installs, inst)
		own[i] = o
	}
	f.coverage(orders, own)
	f.drift(orders, own)
	for _, sev := range manifest.Severities {
		ds := took[sev]
		f.TimeToPatch = append(f.TimeToPatch, SeverityTime{Severity: sev, Applied: len(ds),
			Mean: Hours(stats.Mean(ds)), P90: Hours(stats.Percentile(ds, 0.9))})
	}
	return f
}

// sortOrder sorts a line's patches by the version of the tag that
// shipped them, then by id, parsing each tag once.
func sortOrder(o *lineOrder) {
	type item struct {
		p   *Patch
		tag string
		ver []int
	}
	items := make([]item, len(o.patches))
	for k := range o.patches {
		v, _ := release.ParseVersion(o.tags[k])
		items[k] = item{o.patches[k], o.tags[k], v}
	}
	slices.SortStableFunc(items, func(a, b item) int {
		if c := slices.Compare(a.ver, b.ver); c != 0 {
			return c
		}
		return strings.Compare(a.p.ID, b.p.ID)
	})
	for k, it := range items {
		o.patches[k], o.tags[k] = it.p, it.tag
		o.index[it.p.ID] = k
	}
}

func (f *Fleet) install(in Input, fi Filed, byID map[string]*Patch, orders map[string]*lineOrder) (Install, owned) {
	r := fi.Record
	inst := Install{Site: fi.Site, Env: fi.Env, Path: fi.Path, Host: r.Host, Operator: r.Operator, Release: r.Release.Tag,
		Exported: r.Exported, Age: Hours(max(0, in.Now.Sub(r.Exported))),
		Applied: []string{}, Missing: []Missing{}, FailedChecks: []FailedCheck{}, Rollbacks: []Rollback{}, TimeToPatch: []Took{}}
	line, ok := in.LineOf(r.Release.Tag)
	switch {
	case !ok:
		f.Problems = append(f.Problems, fmt.Sprintf("%s: release %s is not a release tag of this repository", fi.Path, r.Release.Tag))
	case in.Lines[line] == nil:
		f.Problems = append(f.Problems, fmt.Sprintf("%s: release %s is of line %s, which this repository does not support or has no release of", fi.Path, r.Release.Tag, line))
	case !slices.Contains(in.Lines[line], r.Release.Tag):
		f.Problems = append(f.Problems, fmt.Sprintf("%s: release %s is not a tag of this repository; what it lacks is counted from its version", fi.Path, r.Release.Tag))
	}
	inst.Line = line
	o := owned{line: line, extra: map[string]bool{}}
	order := orders[line]
	if order != nil {
		// What the release ships: every patch of the line tagged at or
		// before it.
		rel, _ := release.ParseVersion(r.Release.Tag)
		o.pos = sort.Search(len(order.tags), func(k int) bool {
			v, _ := release.ParseVersion(order.tags[k])
			return slices.Compare(v, rel) > 0
		})
	}
	for _, rp := range r.Patches {
		for _, c := range rp.Checks {
			if !c.OK {
				inst.FailedChecks = append(inst.FailedChecks, FailedCheck{Patch: rp.ID, At: c.At, Attempts: c.Attempts, ExitCode: c.ExitCode})
			}
		}
		if rp.RolledBackAt != nil {
			inst.Rollbacks = append(inst.Rollbacks, Rollback{Patch: rp.ID, At: *rp.RolledBackAt, Auto: rp.AutoRolledBack})
			continue
		}
		inst.Applied = append(inst.Applied, rp.ID)
		if !o.has(order, rp.ID) {
			o.extra[rp.ID] = true
		}
		p := byID[rp.ID]
		if p == nil {
			continue
		}
		if s, ok := shippedOn(p, line); ok {
			// A test install may take a bundle before its tag is made:
			// it waited no time.
			inst.TimeToPatch = append(inst.TimeToPatch, Took{Patch: p.ID, Severity: p.Severity, Hours: Hours(max(0, rp.AppliedAt.Sub(s.Tagged)))})
		}
	}
	sort.Strings(inst.Applied)
	inst.Patches = o.pos + len(o.extra)
	if order == nil {
		return inst, o
	}
	// Every later tag of the line is reachable from the install's
	// release: one bundle per tag, or one cumulative bundle.
	for k := o.pos; k < len(order.patches); k++ {
		p := order.patches[k]
		if o.extra[p.ID] {
			continue
		}
		s, _ := shippedOn(p, line)
		m := Missing{ID: p.ID, Severity: p.Severity, Kind: p.Kind, Urgent: p.Urgent(), Tag: s.Tag, Released: s.Tagged}
		if d, ok := in.SLA(p.Severity); ok {
			m.SLA = Hours(d)
			m.Overdue = m.Urgent && !s.Tagged.IsZero() && in.Now.Sub(s.Tagged) > d
		}
		inst.Missing = append(inst.Missing, m)
	}
	return inst, o
}

// shippedOn is the tag of line that shipped p.
func shippedOn(p *Patch, line string) (Shipped, bool) {
	for _, s := range p.Released {
		if s.Line == line {
			return s, true
		}
	}
	return Shipped{}, false
}

func (f *Fleet) coverage(orders map[string]*lineOrder, own []owned) {
	lines := make([]string, 0, len(orders))
	for l := range orders {
		lines = append(lines, l)
	}
	sort.Slice(lines, func(i, j int) bool { return release.CompareTags(lines[i], lines[j]) > 0 })
	for _, line := range lines {
		order := orders[line]
		// An install has patch k when its release ships it (pos > k) or
		// it applied it beyond its release.
		atPos := make([]int, len(order.patches)+1)
		applied := make([]int, len(order.patches))
		installs := 0
		for _, o := range own {
			if o.line != line {
				continue
			}
			installs++
			atPos[o.pos]++
			for id := range o.extra {
				if k, ok := order.index[id]; ok {
					applied[k]++
				}
			}
		}
		if installs == 0 {
			continue // no install to cover
		}
		n := make([]int, len(order.patches))
		shipped := 0
		for k := len(order.patches) - 1; k >= 0; k-- {
			shipped += atPos[k+1]
			n[k] = shipped + applied[k]
		}
		for k, p := range order.patches {
			c := Coverage{ID: p.ID, Line: line, Tag: order.tags[k], Severity: p.Severity, Kind: p.Kind, Installs: installs, Have: n[k]}
			c.Share = math.Round(float64(c.Have)/float64(c.Installs)*1000) / 1000
			f.Coverage = append(f.Coverage, c)
		}
	}
}

// drift compares every two environments of a site, in rollout order.
func (f *Fleet) drift(orders map[string]*lineOrder, own []owned) {
	bySite := map[string][]int{}
	var sites []string
	for i, inst := range f.Installs {
		if bySite[inst.Site] == nil {
			sites = append(sites, inst.Site)
		}
		bySite[inst.Site] = append(bySite[inst.Site], i)
	}
	for _, site := range sites {
		idx := bySite[site]
		for x, i := range idx {
			for _, j := range idx[x+1:] {
				a, b := f.Installs[i], f.Installs[j]
				d := Drift{Site: site, Env: a.Env, Other: b.Env, Release: a.Release, OtherRel: b.Release,
					OnlyEnv: only(orders, own[i], own[j]), OnlyOther: only(orders, own[j], own[i])}
				if len(d.OnlyEnv) > 0 || len(d.OnlyOther) > 0 {
					f.Drift = append(f.Drift, d)
				}
			}
		}
	}
}

// only is what a has and b lacks, sorted.
func only(orders map[string]*lineOrder, a, b owned) []string {
	out := []string{}
	oa, ob := orders[a.line], orders[b.line]
	if oa != nil {
		from := 0
		if a.line == b.line {
			from = min(b.pos, a.pos) // both have what comes before
		}
		for _, p := range oa.patches[from:a.pos] {
			if !b.has(ob, p.ID) {
				out = append(out, p.ID)
			}
		}
	}
	for id := range a.extra {
		if !b.has(ob, id) {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// Overdue reports whether some install lacks a critical or security patch
// past its SLA: `patchline fleet` exits 1.
func (f *Fleet) Overdue() bool { return len(f.Breaches) > 0 }

// MissingBySeverity counts, for each severity, the install-patch pairs
// where a released patch is missing.
func (f *Fleet) MissingBySeverity() map[string]int {
	n := map[string]int{}
	for _, inst := range f.Installs {
		for _, m := range inst.Missing {
			n[m.Severity]++
		}
	}
	return n
}

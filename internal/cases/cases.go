// Package cases ties the customer cases named in the manifests (`cases`)
// to their evidence: the release that shipped each patch, the QA approvals
// with the pull request, and, from the delivery records filed in the
// repository, where it was applied and who confirmed it. It gives each
// case a status (open, delivered, awaiting confirmation, closed), writes
// them as CSV, JSON or text, and delivers the changes to a webhook or to
// the GitHub issues that are cases. docs/decisions.md, "Customer cases",
// has the exact rules.
package cases

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/lazyre"
	"github.com/patchline/patchline/internal/rollout"
)

// The statuses of a case, in the order of its life.
const (
	Open      = "open"                  // no patch of it is in a release tag yet
	Delivered = "delivered"             // released, applied on no install (or rolled back everywhere)
	Awaiting  = "awaiting confirmation" // applied, and some install that has it has no confirmation
	Closed    = "closed"                // every install that has it applied has confirmed it
)

// Statuses lists them in order.
var Statuses = []string{Open, Delivered, Awaiting, Closed}

func rank(status string) int { return slices.Index(Statuses, status) }

// Schema is the version of the JSON that `cases --format json` prints and
// the webhook receives.
const Schema = 1

// Patch is what a case needs of one patch, read from the repository.
type Patch struct {
	ID       string
	Title    string
	Severity string
	Cases    []string           // as the manifest writes them
	Releases []Release          // patch-level tags that shipped it, oldest first
	Pull     string             // the merged pull request, when known
	Approval []history.Approval // QA's approvals
}

// Release is a patch-level tag that shipped a patch on one line.
type Release struct {
	Line string    `json:"line"`
	Tag  string    `json:"tag"`
	At   time.Time `json:"at,omitzero"`
}

// Install is one delivery record as it is filed in the repository
// (fleet.Filed).
type Install struct {
	Path      string // e.g. fleet/acme-berlin/production.json
	Site, Env string
	Record    *rollout.Record
}

// Report is every case with its evidence.
type Report struct {
	Schema  int    `json:"schema"`
	Project string `json:"project"`
	Cases   []Case `json:"cases"`
}

// Case is one customer case and the patches that name it.
type Case struct {
	ID string `json:"case"`
	// Issue is owner/repo#N when the case is a GitHub issue.
	Issue   string      `json:"github_issue,omitempty"`
	Status  string      `json:"status"` // the least advanced of its patches'
	Patches []CasePatch `json:"patches"`
}

// CasePatch is one patch of a case, with its evidence.
type CasePatch struct {
	ID        string             `json:"id"`
	Title     string             `json:"title"`
	Severity  string             `json:"severity,omitempty"`
	Status    string             `json:"status"`
	Releases  []Release          `json:"releases"`
	Pull      string             `json:"pull_request,omitempty"`
	Approvals []history.Approval `json:"qa"`
	Installs  []Delivery         `json:"installs"`
}

// Delivery is one install whose record names the patch.
type Delivery struct {
	Site          string                 `json:"site"`
	Env           string                 `json:"env"`
	Host          string                 `json:"host,omitempty"`
	Record        string                 `json:"record"`  // where it is filed
	Release       string                 `json:"release"` // the tag the bundle took the install to
	AppliedAt     time.Time              `json:"applied_at"`
	RolledBackAt  *time.Time             `json:"rolled_back_at,omitempty"`
	Confirmations []rollout.Confirmation `json:"confirmations"`
}

// Applied reports whether the patch is installed there now.
func (d Delivery) Applied() bool { return d.RolledBackAt == nil }

// Confirmed reports whether the patch is installed there and the
// customer confirmed it.
func (d Delivery) Confirmed() bool { return d.Applied() && len(d.Confirmations) > 0 }

// LastConfirmation is the latest confirmation by time.
func (d Delivery) LastConfirmation() (rollout.Confirmation, bool) {
	if len(d.Confirmations) == 0 {
		return rollout.Confirmation{}, false
	}
	last := d.Confirmations[0]
	for _, c := range d.Confirmations[1:] {
		if !c.At.Before(last.At) {
			last = c
		}
	}
	return last, true
}

// PatchStatus is the status of one patch of a case, by the rules in
// docs/decisions.md: open until a patch-level tag ships it; delivered
// while no install has it applied; awaiting confirmation while an install
// that has it applied has no confirmation; closed when every install that
// has it applied has one.
func PatchStatus(released bool, installs []Delivery) string {
	if !released {
		return Open
	}
	applied, confirmed := 0, 0
	for _, d := range installs {
		if d.Applied() {
			applied++
			if d.Confirmed() {
				confirmed++
			}
		}
	}
	switch {
	case applied == 0:
		return Delivered
	case confirmed < applied:
		return Awaiting
	}
	return Closed
}

// CaseStatus is the least advanced status of the case's patches: a case
// is closed only when each of its patches is.
func CaseStatus(patches []CasePatch) string {
	status := Closed
	for _, p := range patches {
		if rank(p.Status) < rank(status) {
			status = p.Status
		}
	}
	if len(patches) == 0 {
		return Open
	}
	return status
}

var issueRE = lazyre.New(`^(?:([A-Za-z0-9][A-Za-z0-9-]{0,38})/([A-Za-z0-9._-]{1,100}))?#([1-9][0-9]{0,9})$`)

// IssueOf reads a case written as a GitHub issue, `#123` (in repo, the
// product's owner/repo) or `owner/repo#123`, and returns it as
// owner/repo#123. ok is false for any other case id, and for `#123` when
// repo is "".
func IssueOf(caseID, repo string) (owner, name string, number int, ok bool) {
	m := issueRE.FindStringSubmatch(strings.TrimSpace(caseID))
	if m == nil {
		return "", "", 0, false
	}
	owner, name = m[1], m[2]
	if name == "." || name == ".." {
		return "", "", 0, false
	}
	if owner == "" {
		var found bool
		owner, name, found = strings.Cut(repo, "/")
		if !found || owner == "" || name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
			return "", "", 0, false
		}
	}
	n, err := strconv.Atoi(m[3])
	if err != nil {
		return "", "", 0, false
	}
	return owner, name, n, true
}

// Build joins the patches and the filed records into cases. repo is the
// product's owner/repo on GitHub ("" when unknown): `#123` names an issue
// there, and `#123` and `owner/repo#123` for the same issue are one case.
// A patch that names no case is left out; a record's patch that no
// manifest names is not evidence of any case.
func Build(project, repo string, patches []Patch, installs []Install) *Report {
	// Deliveries by patch id, in the order the records come (fleet.Load
	// sorts them by site and environment).
	byPatch := map[string][]Delivery{}
	for _, in := range installs {
		if in.Record == nil {
			continue
		}
		for _, rp := range in.Record.Patches {
			d := Delivery{
				Site: in.Site, Env: in.Env, Host: in.Record.Host, Record: in.Path,
				Release: rp.Target.Tag, AppliedAt: rp.AppliedAt, RolledBackAt: rp.RolledBackAt,
				Confirmations: nonNil(rp.Confirmations),
			}
			// A patch applied again after a rollback: the install's case
			// evidence is its latest delivery (records list them in order).
			if ds := byPatch[rp.ID]; len(ds) > 0 && ds[len(ds)-1].Record == in.Path {
				ds[len(ds)-1] = d
				continue
			}
			byPatch[rp.ID] = append(byPatch[rp.ID], d)
		}
	}
	byCase := map[string]*Case{}
	for _, p := range patches {
		seen := map[string]bool{}
		for _, c := range p.Cases {
			key, issue := strings.TrimSpace(c), ""
			if owner, name, n, ok := IssueOf(key, repo); ok {
				issue = owner + "/" + name + "#" + strconv.Itoa(n)
				key = issue
			}
			if key == "" || seen[key] {
				continue
			}
			seen[key] = true
			cs := byCase[key]
			if cs == nil {
				cs = &Case{ID: key, Issue: issue}
				byCase[key] = cs
			}
			installs := byPatch[p.ID]
			if installs == nil {
				installs = []Delivery{}
			}
			cs.Patches = append(cs.Patches, CasePatch{
				ID: p.ID, Title: p.Title, Severity: p.Severity,
				Status:   PatchStatus(len(p.Releases) > 0, installs),
				Releases: nonNil(p.Releases), Pull: p.Pull, Approvals: nonNil(p.Approval),
				Installs: installs,
			})
		}
	}
	r := &Report{Schema: Schema, Project: project, Cases: make([]Case, 0, len(byCase))}
	for _, cs := range byCase {
		sort.Slice(cs.Patches, func(i, j int) bool { return cs.Patches[i].ID < cs.Patches[j].ID })
		cs.Status = CaseStatus(cs.Patches)
		r.Cases = append(r.Cases, *cs)
	}
	sort.Slice(r.Cases, func(i, j int) bool { return r.Cases[i].ID < r.Cases[j].ID })
	return r
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

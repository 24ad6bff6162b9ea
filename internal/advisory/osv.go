package advisory

import (
	"strings"

	"golang.org/x/mod/semver"
)

// OSVSchemaVersion is the OSV schema version the documents follow.
const OSVSchemaVersion = "1.7.5"

// OSVPrefix starts every OSV id: OSV's prefix for a database it does not
// aggregate, before the patch id (x_PL-2026-0007).
const OSVPrefix = "x_"

type osvDoc struct {
	SchemaVersion    string         `json:"schema_version"`
	ID               string         `json:"id"`
	Modified         string         `json:"modified"`
	Published        string         `json:"published"`
	Aliases          []string       `json:"aliases,omitempty"`
	Summary          string         `json:"summary"`
	Details          string         `json:"details"`
	Affected         []osvAffected  `json:"affected"`
	References       []osvReference `json:"references,omitempty"`
	DatabaseSpecific osvDatabase    `json:"database_specific"`
}

type osvAffected struct {
	Package          *osvPackage       `json:"package,omitempty"`
	Ranges           []osvRange        `json:"ranges,omitempty"`
	Versions         []string          `json:"versions,omitempty"`
	DatabaseSpecific *osvAffectedExtra `json:"database_specific,omitempty"`
}

type osvPackage struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl"`
}

type osvRange struct {
	Type   string     `json:"type"`
	Events []osvEvent `json:"events"`
}

type osvEvent struct {
	Introduced string `json:"introduced,omitempty"`
	Fixed      string `json:"fixed,omitempty"`
}

type osvReference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

type osvDatabase struct {
	Severity string    `json:"severity"`
	Status   string    `json:"status"` // final or interim, as CSAF's tracking status
	Lines    []osvLine `json:"lines"`
}

// osvLine is what the advisory says of one release line, in patchline's
// words: OSV's ranges have no notion of a line.
type osvLine struct {
	Line     string   `json:"line"`
	State    string   `json:"state"`
	Fixed    string   `json:"fixed,omitempty"`
	Affected []string `json:"affected"`
}

// osvAffectedExtra names a product OSV has no ecosystem for.
type osvAffectedExtra struct {
	PURL string `json:"purl"`
}

// OSV writes the advisory in the OSV format (ossf/osv-schema).
func (a *Advisory) OSV() ([]byte, error) {
	d := osvDoc{
		SchemaVersion: OSVSchemaVersion,
		ID:            OSVPrefix + a.ID,
		Modified:      stamp(a.Modified()),
		Published:     stamp(a.Published()),
		Aliases:       a.CVEs,
		Summary:       a.Title,
		Details:       a.details(),
		DatabaseSpecific: osvDatabase{
			Severity: a.Severity,
			Status:   a.status(),
			Lines:    []osvLine{},
		},
	}
	for _, l := range a.Lines {
		ol := osvLine{Line: l.Name, State: l.State, Affected: tagsOf(l.Affected)}
		if l.Fix != nil {
			ol.Fixed = l.Fix.Tag
		}
		d.DatabaseSpecific.Lines = append(d.DatabaseSpecific.Lines, ol)
	}
	for _, pkg := range a.packages() {
		d.Affected = append(d.Affected, a.osvAffected(pkg))
	}
	for _, cve := range a.CVEs {
		d.References = append(d.References, osvReference{Type: "ADVISORY", URL: cveURL(cve)})
	}
	if a.RepoURL != "" {
		for _, l := range a.Lines {
			if l.Merge != "" {
				d.References = append(d.References, osvReference{Type: "FIX", URL: a.RepoURL + "/commit/" + l.Merge})
			}
		}
	}
	return encode(d)
}

// osvAffected is one package's entry. A Go module gets one SEMVER range
// with the events of every line, sorted by version: each line's first
// release introduces the flaw and its fix ends it, so later lines, which
// hold the fix, are outside it. A product OSV has no ecosystem for, or
// whose tags are not semantic versions, lists the affected releases.
func (a *Advisory) osvAffected(pkg Package) osvAffected {
	var affected []string
	type event struct{ version, kind string }
	var events []event
	for _, l := range a.Lines {
		if l.Package.PURL != pkg.PURL {
			continue
		}
		affected = append(affected, tagsOf(l.Affected)...)
		if len(l.Affected) == 0 {
			continue
		}
		events = append(events, event{l.Affected[0].Tag, "introduced"})
		if l.Fix != nil {
			events = append(events, event{l.Fix.Tag, "fixed"})
		}
		if l.Reverted != nil {
			events = append(events, event{l.Reverted.Tag, "introduced"})
		}
	}
	out := osvAffected{}
	semverOK := pkg.Ecosystem() == "Go"
	for _, e := range events {
		semverOK = semverOK && isSemver(e.version)
	}
	if !semverOK {
		if pkg.Ecosystem() != "" {
			out.Package = &osvPackage{Ecosystem: pkg.Ecosystem(), Name: pkg.Name, PURL: pkg.PURL}
		} else {
			out.DatabaseSpecific = &osvAffectedExtra{PURL: pkg.PURL}
		}
		out.Versions = affected
		return out
	}
	out.Package = &osvPackage{Ecosystem: pkg.Ecosystem(), Name: pkg.Name, PURL: pkg.PURL}
	sortStable(events, func(x, y event) int { return semver.Compare(x.version, y.version) })
	r := osvRange{Type: "SEMVER"}
	for _, e := range events {
		v := strings.TrimPrefix(e.version, "v") // OSV's SEMVER has no leading v
		if e.kind == "fixed" {
			r.Events = append(r.Events, osvEvent{Fixed: v})
		} else {
			r.Events = append(r.Events, osvEvent{Introduced: v})
		}
	}
	out.Ranges = []osvRange{r}
	return out
}

// isSemver reports whether a tag is vMAJOR.MINOR.PATCH as SemVer 2.0
// spells it (Go's short forms such as v2026.3 are not).
func isSemver(tag string) bool {
	return semver.IsValid(tag) && semver.Canonical(tag) == tag
}

// details is the OSV details text (Markdown): the summary, then known
// issues, then each line in words.
func (a *Advisory) details() string {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(a.Summary))
	if k := strings.TrimSpace(a.KnownIssues); k != "" {
		b.WriteString("\n\nKnown issues: " + k)
	}
	b.WriteString("\n")
	for _, l := range a.Lines {
		b.WriteString("\n- " + a.lineText(l))
	}
	b.WriteString("\n")
	return b.String()
}

func cveURL(cve string) string { return "https://www.cve.org/CVERecord?id=" + cve }

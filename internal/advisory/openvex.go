package advisory

import (
	"fmt"
	"net/url"
)

// OpenVEXContext is the OpenVEX version the documents follow.
const OpenVEXContext = "https://openvex.dev/ns/v0.2.0"

type vexDoc struct {
	Context     string         `json:"@context"`
	ID          string         `json:"@id"`
	Author      string         `json:"author"`
	Role        string         `json:"role"`
	Timestamp   string         `json:"timestamp"`
	LastUpdated string         `json:"last_updated"`
	Version     int            `json:"version"`
	Tooling     string         `json:"tooling"`
	Statements  []vexStatement `json:"statements"`
}

type vexStatement struct {
	Vulnerability            vexVulnerability `json:"vulnerability"`
	Timestamp                string           `json:"timestamp,omitempty"`
	Products                 []vexProduct     `json:"products"`
	Status                   string           `json:"status"`
	StatusNotes              string           `json:"status_notes,omitempty"`
	ActionStatement          string           `json:"action_statement,omitempty"`
	ActionStatementTimestamp string           `json:"action_statement_timestamp,omitempty"`
}

type vexVulnerability struct {
	ID      string   `json:"@id,omitempty"`
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
}

type vexProduct struct {
	ID          string         `json:"@id"`
	Identifiers vexIdentifiers `json:"identifiers"`
}

type vexIdentifiers struct {
	PURL string `json:"purl"`
}

// OpenVEXID is the IRI naming an advisory's OpenVEX document:
// <namespace>/openvex/<project>/<ID>. It need not resolve; it stays the
// same across the document's versions.
func (a *Advisory) OpenVEXID() string {
	return a.Publisher.Namespace + "/openvex/" + url.PathEscape(a.Project) + "/" + url.PathEscape(a.ID)
}

// OpenVEX writes the advisory as an OpenVEX document: per vulnerability
// and line, a statement that the releases carrying the fix are fixed and
// one that the releases before them are affected, with what to do.
func (a *Advisory) OpenVEX() ([]byte, error) {
	if a.Publisher.Namespace == "" {
		return nil, fmt.Errorf("%w: an OpenVEX document's @id starts with the publisher's URL: set [advisory] namespace (e.g. namespace = \"https://acme.example\") or [project] github in .patchline.toml", ErrNoNamespace)
	}
	d := vexDoc{
		Context:     OpenVEXContext,
		ID:          a.OpenVEXID(),
		Author:      a.Publisher.Name,
		Role:        "vendor",
		Timestamp:   stamp(a.Published()),
		LastUpdated: stamp(a.Modified()),
		Version:     a.Version(),
		Tooling:     "patchline",
		Statements:  []vexStatement{},
	}
	for _, v := range a.Vulnerabilities() {
		vuln := vexVulnerability{Name: v}
		if v != a.ID {
			vuln.ID, vuln.Aliases = cveURL(v), []string{a.ID}
		}
		for _, l := range a.Lines {
			if len(l.Fixed) > 0 {
				d.Statements = append(d.Statements, vexStatement{
					Vulnerability: vuln, Timestamp: stamp(l.Fix.Date), Products: vexProducts(l.Package, l.Fixed), Status: "fixed",
					StatusNotes: fmt.Sprintf("%s, the patch-level release of line %s that first carries %s, and the later releases of the line.", l.Fix.Tag, l.Name, a.ID),
				})
			}
			if len(l.Affected) > 0 {
				s := vexStatement{Vulnerability: vuln, Products: vexProducts(l.Package, l.Affected), Status: "affected", ActionStatement: a.remedy(l)}
				if l.Fix != nil {
					s.Timestamp, s.ActionStatementTimestamp = stamp(l.Fix.Date), stamp(l.Fix.Date)
				}
				if l.Reverted != nil {
					s.Timestamp, s.StatusNotes = stamp(l.Reverted.Date), fmt.Sprintf("%s took the fix out again.", l.Reverted.Tag)
				}
				d.Statements = append(d.Statements, s)
			}
		}
	}
	return encode(d)
}

func vexProducts(p Package, rs []Release) []vexProduct {
	out := make([]vexProduct, len(rs))
	for i, r := range rs {
		purl := p.At(r.Tag)
		out[i] = vexProduct{ID: purl, Identifiers: vexIdentifiers{PURL: purl}}
	}
	return out
}

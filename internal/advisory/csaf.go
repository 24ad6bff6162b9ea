package advisory

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/patchline/patchline/internal/release"
)

// ErrNoNamespace: CSAF and OpenVEX need the publisher's URL, and neither
// [advisory] namespace nor [project] github gives one.
var ErrNoNamespace = errors.New("no publisher namespace")

// CSAF 2.0, profile 4 (csaf_security_advisory): the document, its product
// tree and its vulnerabilities. Fields are in the schema's order.
type csafDoc struct {
	Document        csafDocument        `json:"document"`
	ProductTree     csafProductTree     `json:"product_tree"`
	Vulnerabilities []csafVulnerability `json:"vulnerabilities"`
}

type csafDocument struct {
	AggregateSeverity csafText        `json:"aggregate_severity"`
	Category          string          `json:"category"`
	CSAFVersion       string          `json:"csaf_version"`
	Lang              string          `json:"lang"`
	Notes             []csafNote      `json:"notes"`
	Publisher         csafPublisher   `json:"publisher"`
	References        []csafReference `json:"references,omitempty"`
	Title             string          `json:"title"`
	Tracking          csafTracking    `json:"tracking"`
}

type csafText struct {
	Text string `json:"text"`
}

type csafNote struct {
	Category string `json:"category"`
	Text     string `json:"text"`
	Title    string `json:"title"`
}

type csafPublisher struct {
	Category  string `json:"category"`
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

type csafReference struct {
	Category string `json:"category"`
	Summary  string `json:"summary"`
	URL      string `json:"url"`
}

type csafTracking struct {
	CurrentReleaseDate string         `json:"current_release_date"`
	Generator          csafGenerator  `json:"generator"`
	ID                 string         `json:"id"`
	InitialReleaseDate string         `json:"initial_release_date"`
	RevisionHistory    []csafRevision `json:"revision_history"`
	Status             string         `json:"status"`
	Version            string         `json:"version"`
}

type csafGenerator struct {
	Engine struct {
		Name string `json:"name"`
	} `json:"engine"`
}

type csafRevision struct {
	Date    string `json:"date"`
	Number  string `json:"number"`
	Summary string `json:"summary"`
}

type csafProductTree struct {
	Branches []csafBranch `json:"branches"`
}

type csafBranch struct {
	Branches []csafBranch `json:"branches,omitempty"`
	Category string       `json:"category"`
	Name     string       `json:"name"`
	Product  *csafProduct `json:"product,omitempty"`
}

type csafProduct struct {
	Name                        string     `json:"name"`
	ProductID                   string     `json:"product_id"`
	ProductIdentificationHelper csafHelper `json:"product_identification_helper"`
}

type csafHelper struct {
	PURL string `json:"purl"`
}

type csafVulnerability struct {
	CVE           string            `json:"cve,omitempty"`
	DiscoveryDate string            `json:"discovery_date,omitempty"`
	IDs           []csafID          `json:"ids"`
	Notes         []csafNote        `json:"notes"`
	ProductStatus csafProductStatus `json:"product_status"`
	References    []csafReference   `json:"references,omitempty"`
	Remediations  []csafRemediation `json:"remediations"`
	Title         string            `json:"title"`
}

type csafID struct {
	SystemName string `json:"system_name"`
	Text       string `json:"text"`
}

type csafProductStatus struct {
	Fixed         []string `json:"fixed,omitempty"`
	KnownAffected []string `json:"known_affected,omitempty"`
}

type csafRemediation struct {
	Category   string   `json:"category"`
	Details    string   `json:"details"`
	ProductIDs []string `json:"product_ids"`
	URL        string   `json:"url,omitempty"`
}

// productID names a release in the product tree: its package URL, which is
// unique by construction.
func productID(p Package, tag string) string { return p.At(tag) }

// CSAF writes the advisory as a CSAF 2.0 document of the
// csaf_security_advisory profile.
func (a *Advisory) CSAF() ([]byte, error) {
	if a.Publisher.Namespace == "" {
		return nil, fmt.Errorf("%w: a CSAF document names its publisher by URL: set [advisory] namespace (e.g. namespace = \"https://acme.example\") or [project] github in .patchline.toml", ErrNoNamespace)
	}
	d := csafDoc{Document: csafDocument{
		AggregateSeverity: csafText{Text: a.Severity},
		Category:          "csaf_security_advisory",
		CSAFVersion:       "2.0",
		Lang:              "en",
		Notes:             a.csafNotes(),
		Publisher:         csafPublisher{Category: "vendor", Name: a.Publisher.Name, Namespace: a.Publisher.Namespace},
		Title:             a.ID + ": " + a.Title,
		Tracking: csafTracking{
			CurrentReleaseDate: stamp(a.Modified()),
			ID:                 a.ID,
			InitialReleaseDate: stamp(a.Published()),
			Status:             a.status(),
			Version:            strconv.Itoa(a.Version()),
		},
	}}
	d.Document.Tracking.Generator.Engine.Name = "patchline"
	for _, r := range a.Revisions {
		d.Document.Tracking.RevisionHistory = append(d.Document.Tracking.RevisionHistory,
			csafRevision{Date: stamp(r.Date), Number: strconv.Itoa(r.Number), Summary: r.Summary})
	}
	if a.RepoURL != "" {
		for _, l := range a.Lines {
			if l.Fix != nil {
				d.Document.References = append(d.Document.References, csafReference{Category: "external",
					Summary: fmt.Sprintf("Release %s (line %s)", l.Fix.Tag, l.Name), URL: a.RepoURL + "/releases/tag/" + l.Fix.Tag})
			}
		}
	}
	d.ProductTree = a.csafProductTree()

	var fixed, affected []string
	var remediations []csafRemediation
	for _, l := range a.Lines {
		for _, r := range l.Fixed {
			fixed = append(fixed, productID(l.Package, r.Tag))
		}
		var ids []string
		for _, r := range l.Affected {
			ids = append(ids, productID(l.Package, r.Tag))
		}
		affected = append(affected, ids...)
		if len(ids) == 0 {
			continue
		}
		rem := csafRemediation{Category: "vendor_fix", Details: a.remedy(l), ProductIDs: ids}
		if l.State != Released {
			rem.Category = "none_available"
		} else if a.RepoURL != "" {
			rem.URL = a.RepoURL + "/releases/tag/" + l.Fix.Tag
		}
		remediations = append(remediations, rem)
	}
	for _, v := range a.Vulnerabilities() {
		cv := csafVulnerability{
			IDs:           []csafID{{SystemName: "patchline", Text: a.ID}},
			Notes:         []csafNote{{Category: "description", Text: a.Summary, Title: "Description"}},
			ProductStatus: csafProductStatus{Fixed: fixed, KnownAffected: affected},
			Remediations:  remediations,
			Title:         a.Title,
		}
		if v != a.ID {
			cv.CVE = v
			cv.References = []csafReference{{Category: "external", Summary: v, URL: cveURL(v)}}
		}
		if !a.Reported.IsZero() {
			cv.DiscoveryDate = stamp(a.Reported)
		}
		d.Vulnerabilities = append(d.Vulnerabilities, cv)
	}
	return encode(d)
}

func (a *Advisory) csafNotes() []csafNote {
	notes := []csafNote{{Category: "summary", Text: a.Summary, Title: "Summary"}}
	if a.KnownIssues != "" {
		notes = append(notes, csafNote{Category: "other", Text: a.KnownIssues, Title: "Known issues"})
	}
	var lines string
	for i, l := range a.Lines {
		if i > 0 {
			lines += "\n"
		}
		lines += a.lineText(l)
	}
	return append(notes, csafNote{Category: "details", Text: lines, Title: "Release lines"})
}

// csafProductTree is vendor > product name > one product_version branch
// per release the advisory lists, each named by its package URL.
func (a *Advisory) csafProductTree() csafProductTree {
	vendor := csafBranch{Category: "vendor", Name: a.Publisher.Name}
	for _, pkg := range a.packages() {
		product := csafBranch{Category: "product_name", Name: pkg.Name}
		for _, l := range a.Lines {
			if l.Package.PURL != pkg.PURL {
				continue
			}
			// Affected and fixed, in tag order: a revert puts later tags
			// back among the affected.
			rs := append(append([]Release(nil), l.Affected...), l.Fixed...)
			sortStable(rs, func(x, y Release) int { return release.CompareTags(x.Tag, y.Tag) })
			for _, r := range rs {
				product.Branches = append(product.Branches, csafBranch{Category: "product_version", Name: r.Tag,
					Product: &csafProduct{Name: pkg.Name + " " + r.Tag, ProductID: productID(pkg, r.Tag),
						ProductIdentificationHelper: csafHelper{PURL: pkg.At(r.Tag)}}})
			}
		}
		vendor.Branches = append(vendor.Branches, product)
	}
	return csafProductTree{Branches: []csafBranch{vendor}}
}

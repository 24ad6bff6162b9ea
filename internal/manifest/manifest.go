// Package manifest reads and writes patches/<ID>/patch.toml, the manifest of
// one patch, strictly: every unknown key, wrong type, missing field and bad
// value is a Problem with its file, line and column and a hint.
package manifest

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/patchline/patchline/internal/lazyre"
)

// SchemaVersion is the manifest format this patchline reads and writes.
const SchemaVersion = 1

// MaxSize is the largest manifest Decode accepts, in bytes.
const MaxSize = 1 << 20

// MaxRequires is the most prerequisites a manifest may list.
const MaxRequires = 100

// Manifest is patches/<ID>/patch.toml. The field order is the order of the
// table in SPEC.md and the order Encode writes.
type Manifest struct {
	Schema        int        `toml:"schema"`
	ID            string     `toml:"id"`
	Title         string     `toml:"title"`
	Base          string     `toml:"base"`
	Also          []string   `toml:"also"`
	Kind          string     `toml:"kind"`
	Severity      string     `toml:"severity"`
	Urgency       string     `toml:"urgency"`
	Modules       []string   `toml:"modules"`
	Cases         []string   `toml:"cases"`
	CVEs          []string   `toml:"cves"`
	Reported      time.Time  `toml:"reported"` // in UTC after Decode
	Summary       string     `toml:"summary"`
	Justification string     `toml:"justification"`
	Risk          string     `toml:"risk"`
	Rollback      string     `toml:"rollback"`
	Requires      []string   `toml:"requires"`     // patches that must be installed first, on the same line
	KnownIssues   string     `toml:"known_issues"` // known issues and workarounds (notes, installation guide)
	Services      []string   `toml:"services"`     // system services to stop before an apply and start after it
	Supersedes    []string   `toml:"supersedes"`   // ids this patch replaces (release notes, rollup)
	Dependencies  []string   `toml:"dependencies"` // each go.mod change and why (internal/deps); validate matches them with the diff
	Approvals     []Approval `toml:"approval"`     // written by patchline, never by hand
}

// Approval is one [[approval]] of the chain, as patchline records it.
type Approval struct {
	Role string    `toml:"role"` // e.g. "qa"
	By   string    `toml:"by"`   // GitHub login
	At   time.Time `toml:"at"`   // in UTC after Decode
	Ref  string    `toml:"ref"`  // where it was given, e.g. the review URL
}

// The values of the enumerated fields.
const (
	KindSecurity    = "security"
	KindFix         = "fix"
	KindPerformance = "performance"

	SeverityCritical  = "critical"
	SeverityImportant = "important"
	SeverityModerate  = "moderate"
	SeverityLow       = "low"

	UrgencyEmergency = "emergency"
	UrgencyScheduled = "scheduled"

	RiskLow    = "low"
	RiskMedium = "medium"
	RiskHigh   = "high"
)

// The allowed values of kind, severity (most severe first), urgency and risk.
var (
	Kinds      = []string{KindSecurity, KindFix, KindPerformance}
	Severities = []string{SeverityCritical, SeverityImportant, SeverityModerate, SeverityLow}
	Urgencies  = []string{UrgencyEmergency, UrgencyScheduled}
	Risks      = []string{RiskLow, RiskMedium, RiskHigh}
)

// SeverityRank orders severities: critical is 0, low is 3, anything else
// sorts after them.
func SeverityRank(s string) int {
	if i := slices.Index([]string{SeverityCritical, SeverityImportant, SeverityModerate, SeverityLow}, s); i >= 0 {
		return i
	}
	return 4
}

var (
	idRE  = lazyre.New(`^([A-Z][A-Z0-9]*)-(\d{4})-(\d{4,})$`)
	cveRE = lazyre.New(`^CVE-\d{4}-\d{4,}$`)
	// serviceRE is a service name the installation guide can put in a
	// command unquoted: systemd units, launchd labels, Windows service names.
	serviceRE = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9@._:+-]{0,127}$`)
)

// ParseID splits an id such as PL-2026-0007 into its prefix, year and
// sequence number.
func ParseID(id string) (prefix string, year, seq int, err error) {
	m := idRE.FindStringSubmatch(id)
	if m == nil {
		return "", 0, 0, fmt.Errorf("invalid patch id %q: want <PREFIX>-<year>-<sequence>, e.g. PL-2026-0007", id)
	}
	year, _ = strconv.Atoi(m[2])
	if seq, err = strconv.Atoi(m[3]); err != nil {
		return "", 0, 0, fmt.Errorf("invalid patch id %q: sequence number out of range", id)
	}
	return m[1], year, seq, nil
}

// FormatID writes an id: FormatID("PL", 2026, 7) is "PL-2026-0007".
func FormatID(prefix string, year, seq int) string {
	return fmt.Sprintf("%s-%04d-%04d", prefix, year, seq)
}

// Year is the year in the manifest's id, or 0 when the id is not valid.
func (m *Manifest) Year() int {
	_, y, _, err := ParseID(m.ID)
	if err != nil {
		return 0
	}
	return y
}

// IsServiceName reports whether s is a service name the installation guide
// can put in a command unquoted (manifest services, [install] services).
func IsServiceName(s string) bool { return serviceRE.MatchString(s) }

package advisory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/patchline/patchline/internal/bundle"
	"github.com/patchline/patchline/internal/textsafe"
)

// Format is a document format.
type Format string

// The formats.
const (
	OSV     Format = "osv"
	CSAF    Format = "csaf"
	OpenVEX Format = "openvex"
)

// Formats lists every format, in the order documents are written.
var Formats = []Format{OSV, CSAF, OpenVEX}

// ParseFormat reads a --format value.
func ParseFormat(s string) (Format, bool) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	return f, slices.Contains(Formats, f)
}

// Dir is the folder a release's advisories are written to, one folder per
// format below it.
const Dir = "advisories"

// Path is where a release keeps the advisory of a patch in one format,
// relative to the release's files: advisories/<format>/<name>, the name
// as the format's own conventions have it. CSAF 2.0 (section 5.1) names
// a document by its tracking id in lower case with every run of other
// characters than a-z, 0-9, + and - made one _: pl-2026-0007.json.
func Path(f Format, id string) string {
	name := id + ".json"
	if f == CSAF {
		name = csafFileName(id)
	}
	return path.Join(Dir, string(f), name)
}

// Paths are the advisory's files in every format.
func Paths(id string) []string {
	out := make([]string, len(Formats))
	for i, f := range Formats {
		out[i] = Path(f, id)
	}
	return out
}

func csafFileName(id string) string {
	var b strings.Builder
	other := false
	for _, r := range strings.ToLower(id) {
		if r == '+' || r == '-' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			other = false
		} else if !other {
			b.WriteByte('_')
			other = true
		}
	}
	return b.String() + ".json"
}

// Encode writes the advisory in one format.
func (a *Advisory) Encode(f Format) ([]byte, error) {
	switch f {
	case OSV:
		return a.OSV()
	case CSAF:
		return a.CSAF()
	case OpenVEX:
		return a.OpenVEX()
	}
	return nil, fmt.Errorf("unknown advisory format %q", f)
}

// encode writes a document as every format is written: the struct's field
// order, two spaces of indent, < > & as they are, one final newline, and
// no raw control character a terminal would act on.
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return textsafe.JSON(b.Bytes()), nil
}

// stamp writes a time as every format wants it: RFC 3339 in UTC, with Z.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func tagsOf(rs []Release) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Tag
	}
	return out
}

func sortStable[T any](s []T, cmp func(a, b T) int) { slices.SortStableFunc(s, cmp) }

// packages are the products the lines name, in line order, each once.
func (a *Advisory) packages() []Package {
	var out []Package
	for _, l := range a.Lines {
		if !slices.ContainsFunc(out, func(p Package) bool { return p.PURL == l.Package.PURL }) {
			out = append(out, l.Package)
		}
	}
	return out
}

// status is CSAF's tracking status, which OSV and OpenVEX carry in words.
func (a *Advisory) status() string {
	if a.Final {
		return "final"
	}
	return "interim"
}

// lineText says in one sentence what a line did with the fix.
func (a *Advisory) lineText(l Line) string {
	switch l.State {
	case Released:
		s := fmt.Sprintf("Line %s: fixed in %s and later releases of the line; %s affected.", l.Name, l.Fix.Tag, list(tagsOf(l.Affected)))
		if l.Reverted != nil {
			s += fmt.Sprintf(" %s took the fix out again.", l.Reverted.Tag)
		}
		return s
	case Merged:
		return fmt.Sprintf("Line %s: every release is affected; the fix is merged on %s and ships in its next patch-level release.", l.Name, l.Branch)
	}
	return fmt.Sprintf("Line %s: every release is affected; no release of the line carries the fix yet (the patch names it: %s).", l.Name, l.Named)
}

// remedy says what a user of an affected release of a line does.
func (a *Advisory) remedy(l Line) string {
	switch l.State {
	case Released:
		s := fmt.Sprintf("Upgrade to %s, the patch-level release of line %s that carries the fix, or a later release of the line.", l.Fix.Tag, l.Name)
		if l.Base != "" && len(a.Platforms) > 0 {
			var names []string
			for _, p := range a.Platforms {
				names = append(names, bundle.FileName(a.ID, l.Base, p))
			}
			s += fmt.Sprintf(" An installation at %s can apply the signed patch bundle instead (patchline apply): %s.", l.Base, strings.Join(names, ", "))
		}
		if l.Reverted != nil {
			s += fmt.Sprintf(" %s took the fix out again: no release of the line from it on carries it.", l.Reverted.Tag)
		}
		return s
	case Merged:
		return fmt.Sprintf("No release of line %s carries the fix yet: it is merged on %s and ships in the line's next patch-level release.", l.Name, l.Branch)
	}
	return fmt.Sprintf("No release of line %s carries the fix yet: a backport is planned (%s).", l.Name, l.Named)
}

// list joins tags as a sentence does: "v1", "v1 and v2", "v1, v2 and v3".
func list(tags []string) string {
	switch len(tags) {
	case 0:
		return "no release is"
	case 1:
		return tags[0] + " is"
	}
	return strings.Join(tags[:len(tags)-1], ", ") + " and " + tags[len(tags)-1] + " are"
}

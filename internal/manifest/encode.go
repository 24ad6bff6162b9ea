package manifest

import (
	"bytes"
	"fmt"
	"strings"

	tt "github.com/patchline/patchline/internal/manifest/stricttoml"
)

// Encode writes the manifest as TOML, always the same bytes for the same
// manifest: keys in the order of SPEC.md, arrays inline, times in UTC, the
// [[approval]] chain last. Empty optional keys are left out; required ones
// are written even when empty, so Decode can say what is missing. Decode
// reads back exactly the manifest Decode gave.
func (m *Manifest) Encode() []byte {
	var b bytes.Buffer
	kv := func(key, value string) { fmt.Fprintf(&b, "%s = %s\n", key, value) }
	comment := func(text string) { fmt.Fprintf(&b, "# %s\n", text) }

	kv("schema", fmt.Sprint(m.Schema))
	kv("id", tt.String(m.ID))
	kv("title", tt.String(m.Title))
	comment("the release tag the patch branch was cut from")
	kv("base", tt.String(m.Base))
	if len(m.Also) > 0 {
		kv("also", tt.Strings(m.Also))
	}
	comment(strings.Join(Kinds, " | "))
	kv("kind", tt.String(m.Kind))
	comment(strings.Join(Severities, " | "))
	kv("severity", tt.String(m.Severity))
	comment(UrgencyEmergency + " (out of band, needs a justification) | " + UrgencyScheduled)
	kv("urgency", tt.String(m.Urgency))
	comment("names from [modules] in .patchline.toml, covering every path the diff touches")
	kv("modules", tt.Strings(m.Modules))
	if len(m.Cases) > 0 {
		kv("cases", tt.Strings(m.Cases))
	}
	if len(m.CVEs) > 0 {
		kv("cves", tt.Strings(m.CVEs))
	}
	if !m.Reported.IsZero() {
		comment("when the issue was reported; the SLA clock starts here")
		kv("reported", tt.Datetime(m.Reported))
	}
	kv("summary", tt.Text(m.Summary))
	if m.Justification != "" {
		kv("justification", tt.Text(m.Justification))
	}
	comment("regression risk: " + strings.Join(Risks, " | "))
	kv("risk", tt.String(m.Risk))
	kv("rollback", tt.Text(m.Rollback))
	if len(m.Requires) > 0 {
		comment("patches that must be installed first, on the same release line")
		kv("requires", tt.Strings(m.Requires))
	}
	if m.KnownIssues != "" {
		kv("known_issues", tt.Text(m.KnownIssues))
	}
	if len(m.Services) > 0 {
		comment("services the installation guide stops before the apply and starts after it")
		kv("services", tt.Strings(m.Services))
	}
	if len(m.Supersedes) > 0 {
		kv("supersedes", tt.Strings(m.Supersedes))
	}
	if len(m.Dependencies) > 0 {
		comment(`each go.mod change of patch.diff: "<module> <version>" ("none" when removed), then ": why"`)
		kv("dependencies", tt.Strings(m.Dependencies))
	}
	if len(m.Approvals) > 0 {
		b.WriteString("\n# The approval chain, written by patchline; do not edit by hand.\n")
	}
	for _, a := range m.Approvals {
		b.WriteString("\n[[approval]]\n")
		kv("role", tt.String(a.Role))
		kv("by", tt.String(a.By))
		if !a.At.IsZero() {
			kv("at", tt.Datetime(a.At))
		}
		if a.Ref != "" {
			kv("ref", tt.String(a.Ref))
		}
	}
	return b.Bytes()
}

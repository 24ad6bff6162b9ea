package manifest

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

const file = "patches/PL-2026-0007/patch.toml"

// valid is a correct manifest; the problem cases edit one line of it, so the
// positions in their wants are those of this layout.
const valid = `schema = 1
id = "PL-2026-0007"
title = "Importer drops rows with a byte-order mark"
base = "v2026.3.0"
also = ["v2026.2.4"]
kind = "fix"
severity = "important"
urgency = "scheduled"
modules = ["importer"]
cases = ["CS-10442"]
cves = []
reported = 2026-03-02T09:15:00+02:00
summary = "Rows that start with a BOM are no longer dropped."
risk = "low"
rollback = "patchline rollback PL-2026-0007"
`

func validManifest() *Manifest {
	return &Manifest{
		Schema: 1, ID: "PL-2026-0007", Title: "Importer drops rows with a byte-order mark",
		Base: "v2026.3.0", Also: []string{"v2026.2.4"}, Kind: "fix", Severity: "important",
		Urgency: "scheduled", Modules: []string{"importer"}, Cases: []string{"CS-10442"},
		Reported: time.Date(2026, 3, 2, 7, 15, 0, 0, time.UTC),
		Summary:  "Rows that start with a BOM are no longer dropped.",
		Risk:     "low", Rollback: "patchline rollback PL-2026-0007",
	}
}

func TestDecodeValid(t *testing.T) {
	t.Parallel()
	got, problems := Decode(file, []byte(valid))
	if len(problems) > 0 {
		t.Fatalf("Decode(valid) problems:\n%s", join(problems))
	}
	if want := validManifest(); !reflect.DeepEqual(got, want) {
		t.Errorf("Decode(valid):\ngot  %+v\nwant %+v", got, want)
	}
}

// edit replaces the line starting with key (and its value) by repl, or
// appends repl when no line starts with key.
func edit(key, repl string) string {
	lines := strings.SplitAfter(valid, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, key+" = ") {
			if repl == "" {
				lines[i] = ""
			} else {
				lines[i] = repl + "\n"
			}
			return strings.Join(lines, "")
		}
	}
	return valid + repl + "\n"
}

func TestDecodeProblems(t *testing.T) {
	t.Parallel()
	const f = file
	tests := []struct {
		name string
		src  string
		want []string
	}{
		// PL100
		{"syntax: unquoted string", edit("kind", "kind = fix"), []string{
			f + `:6:8: PL100 manifest.syntax: expected value but found "fix" instead (hint: strings need quotes: key = "value")`}},
		{"syntax: unclosed string", edit("title", `title = "Importer`), []string{
			f + `:3:18: PL100 manifest.syntax: strings cannot contain newlines`}},
		{"syntax: repeated key", valid + "kind = \"fix\"\n", []string{
			f + `:16:1: PL100 manifest.syntax: Key 'kind' has already been defined. (hint: each key may appear once per table; remove the repeated one)`}},
		{"syntax: backslash", edit("summary", `summary = "C:\new\data"`), []string{
			f + `:13:18: PL100 manifest.syntax: invalid escape in string '\d' (hint: a backslash starts an escape in "double quotes"; write regexps and Windows paths in 'single quotes', or double the backslash)`}},
		// PL101
		{"unknown key", edit("severity", `severty = "important"`), []string{
			f + `:1:1: PL103 manifest.missing-field: missing required key severity (hint: add severity = "important")`,
			f + `:7:1: PL101 manifest.unknown-key: unknown key "severty" (hint: did you mean "severity"?)`}},
		{"unknown key in approval", valid + "[[approval]]\nrole = \"qa\"\nby = \"octocat\"\nat = 2026-03-04T16:20:00Z\nreviewer = \"x\"\n", []string{
			f + `:20:1: PL101 manifest.unknown-key: unknown key "reviewer" in [[approval]] (hint: known keys: role, by, at, ref)`}},
		{"unknown table", valid + "[extra]\nx = 1\n", []string{
			f + `:16:2: PL101 manifest.unknown-key: unknown key "extra" (hint: known keys: schema, id, title, base, also, kind, severity, urgency, modules, cases, cves, reported, summary, justification, risk, rollback, requires, known_issues, services, supersedes, dependencies, approval)`}},
		// PL102
		{"type: title", edit("title", "title = 42"), []string{
			f + `:3:9: PL102 manifest.type: title must be a string, got integer (hint: write it as title = "Importer drops rows with a byte-order mark")`}},
		{"type: modules", edit("modules", `modules = "importer"`), []string{
			f + `:9:11: PL102 manifest.type: modules must be an array of strings, got string (hint: write it as modules = ["importer"])`}},
		{"type: element", edit("cases", `cases = ["CS-1", 2]`), []string{
			f + `:10:18: PL102 manifest.type: cases[1] must be a string, got integer (hint: write it as cases = ["CS-10442"])`}},
		{"type: reported quoted", edit("reported", `reported = "2026-03-02T09:15:00Z"`), []string{
			f + `:12:12: PL102 manifest.type: reported must be a datetime, got string (hint: remove the quotes: reported = 2026-03-02T09:15:00Z)`}},
		{"type: schema", edit("schema", `schema = "1"`), []string{
			f + `:1:10: PL102 manifest.type: schema must be an integer, got string (hint: write it as schema = 1)`}},
		{"type: single approval table", valid + "[approval]\nrole = \"qa\"\n", []string{
			f + `:16:2: PL102 manifest.type: approval must be an array of tables, got table (hint: write [[approval]] (an array of tables), not [approval])`}},
		// PL103
		{"missing", edit("risk", ""), []string{
			f + `:1:1: PL103 manifest.missing-field: missing required key risk (hint: add risk = "low")`}},
		{"missing in approval", valid + "\n[[approval]]\nrole = \"qa\"\nat = 2026-03-04T16:20:00Z\n", []string{
			f + `:17:3: PL103 manifest.missing-field: approval[0] is missing by (hint: add by = "octocat")`}},
		// PL104
		{"bad severity", edit("severity", `severity = "severe"`), []string{
			f + `:7:12: PL104 manifest.bad-value: severity must be one of critical, important, moderate, low (hint: did you mean "critical"?)`}},
		{"bad kind", edit("kind", `kind = "perfomance"`), []string{
			f + `:6:8: PL104 manifest.bad-value: kind must be one of security, fix, performance (hint: did you mean "performance"?)`}},
		{"bad urgency", edit("urgency", `urgency = "whenever"`), []string{
			f + `:8:11: PL104 manifest.bad-value: urgency must be one of emergency, scheduled (hint: e.g. urgency = "scheduled")`}},
		{"bad risk", edit("risk", `risk = "Medium"`), []string{
			f + `:14:8: PL104 manifest.bad-value: risk must be one of low, medium, high (hint: did you mean "medium"?)`}},
		{"bad id", edit("id", `id = "pl-2026-7"`), []string{
			f + `:2:6: PL104 manifest.bad-value: id "pl-2026-7" is not a patch id (hint: did you mean "PL-2026-0007"?)`}},
		{"bad id, no guess", edit("id", `id = "fix-the-importer"`), []string{
			f + `:2:6: PL104 manifest.bad-value: id "fix-the-importer" is not a patch id (hint: ids are <PREFIX>-<year>-<sequence of 4 or more digits>, e.g. PL-2026-0007)`}},
		{"bad cve", edit("cves", `cves = ["CVE-2026-1234", "cve-2026-5678", "2026-1"]`), []string{
			f + `:11:26: PL104 manifest.bad-value: "cve-2026-5678" is not a CVE id (hint: did you mean "CVE-2026-5678"?)`,
			f + `:11:43: PL104 manifest.bad-value: "2026-1" is not a CVE id (hint: CVE ids look like CVE-2026-12345)`}},
		{"empty title", edit("title", `title = "  "`), []string{
			f + `:3:9: PL104 manifest.bad-value: title is empty (hint: write title = "Importer drops rows with a byte-order mark")`}},
		{"two-line title", edit("title", `title = "one\ntwo"`), []string{
			f + `:3:9: PL104 manifest.bad-value: title must be one line (hint: keep the title short and move the details to summary)`}},
		{"empty modules", edit("modules", `modules = []`), []string{
			f + `:9:11: PL104 manifest.bad-value: modules is empty (hint: list the modules the fix touches, by their names under [modules] in .patchline.toml, e.g. modules = ["importer"])`}},
		{"duplicate module", edit("modules", `modules = ["importer", "cli", "importer"]`), []string{
			f + `:9:31: PL104 manifest.bad-value: modules lists "importer" twice (hint: remove the repeated entry)`}},
		{"empty case", edit("cases", `cases = [""]`), []string{
			f + `:10:10: PL104 manifest.bad-value: cases[0] is empty (hint: remove the empty entry)`}},
		{"also names base", edit("also", `also = ["v2026.3.0"]`), []string{
			f + `:5:9: PL104 manifest.bad-value: also lists the base tag "v2026.3.0" (hint: also names the other release lines the fix must reach; remove the base)`}},
		{"local datetime", edit("reported", `reported = 2026-03-02T09:15:00`), []string{
			f + `:12:12: PL104 manifest.bad-value: reported has no UTC offset (hint: add Z for UTC or the offset it was taken in (+02:00): reported = 2026-03-02T09:15:00Z)`}},
		{"local date", edit("reported", `reported = 2026-03-02`), []string{
			f + `:12:12: PL104 manifest.bad-value: reported has no UTC offset (hint: add Z for UTC or the offset it was taken in (+02:00): reported = 2026-03-02T00:00:00Z)`}},
		{"year out of range", edit("reported", `reported = 0000-01-01T00:00:00+01:00`), []string{
			f + `:12:12: PL104 manifest.bad-value: reported is out of range: the year -1 (hint: write a date between the years 1 and 9999)`}},
		{"supersedes itself", valid + `supersedes = ["PL-2026-0003", "PL-2026-0007", "PL-26-1"]`, []string{
			f + `:16:31: PL104 manifest.bad-value: a patch cannot supersede itself (hint: remove "PL-2026-0007")`,
			f + `:16:47: PL104 manifest.bad-value: "PL-26-1" is not a patch id (hint: ids are <PREFIX>-<year>-<sequence of 4 or more digits>, e.g. PL-2026-0007)`}},
		{"requires itself, a bad id and a repeat", valid + `requires = ["PL-2026-0003", "PL-2026-0007", "pl-2026-4", "PL-2026-0003"]`, []string{
			f + `:16:29: PL104 manifest.bad-value: a patch cannot require itself (hint: remove "PL-2026-0007")`,
			f + `:16:45: PL104 manifest.bad-value: "pl-2026-4" is not a patch id (hint: did you mean "PL-2026-0004"?)`,
			f + `:16:58: PL104 manifest.bad-value: requires lists "PL-2026-0003" twice (hint: remove the repeated entry)`}},
		{"requires too many", valid + "requires = [" + strings.Repeat(`"PL-2026-0001", `, MaxRequires+1) + "]", func() []string {
			out := []string{f + `:16:12: PL104 manifest.bad-value: requires lists 101 patches; at most 100 (hint: list only the patches that must be installed first; a cumulative bundle (build --from) brings the others)`}
			for i := 1; i <= MaxRequires; i++ {
				out = append(out, fmt.Sprintf(`%s:16:%d: PL104 manifest.bad-value: requires lists "PL-2026-0001" twice (hint: remove the repeated entry)`, f, 13+16*i))
			}
			return out
		}()},
		{"requires wrong type", valid + `requires = "PL-2026-0003"`, []string{
			f + `:16:12: PL102 manifest.type: requires must be an array of strings, got string (hint: write it as requires = ["PL-2026-0003"])`}},
		{"empty known issues", valid + `known_issues = " "`, []string{
			f + `:16:16: PL104 manifest.bad-value: known_issues is empty (hint: write known_issues = "The first start after the patch takes a minute longer while the index is rebuilt.")`}},
		{"bad service", valid + `services = ["inventory.service", "rm -rf /", ""]`, []string{
			f + `:16:34: PL104 manifest.bad-value: "rm -rf /" is not a service name (hint: write the name a service manager knows it by, letters, digits and @ . _ : + - only, e.g. services = ["inventory.service"])`,
			f + `:16:46: PL104 manifest.bad-value: services[2] is empty (hint: remove the empty entry)`}},
		{"requires, known issues and services", valid + "requires = [\"PL-2026-0003\"]\nknown_issues = \"\"\"\nThe first start is slow.\n\tWait for it.\"\"\"\nservices = [\"inventory.service\", \"inventory-worker@1.service\"]\n", nil},
		{"dependencies", valid + `dependencies = ["golang.org/x/net v0.38.0: CVE-2025-22870", "example.com/old none", "go 1.24.0", "example.com/lib => ../lib"]`, nil},
		{"dependencies: bad entries", valid + `dependencies = ["golang.org/x/net", "golang.org/x/net@v0.38.0", "golang.org/x/net v0.38", "example.com/m v2.0.0"]`, []string{
			f + `:16:17: PL104 manifest.bad-value: dependencies: "golang.org/x/net" has no version (hint: write the version the patch sets after the module, e.g. "golang.org/x/net v1.2.3", or "golang.org/x/net none" when it removes the requirement)`,
			f + `:16:37: PL104 manifest.bad-value: dependencies: "golang.org/x/net@v0.38.0": separate the module and the version with a space, not @ (hint: write "golang.org/x/net v0.38.0")`,
			f + `:16:65: PL104 manifest.bad-value: dependencies: "golang.org/x/net v0.38": "v0.38" is not a canonical module version (hint: did you mean "golang.org/x/net v0.38.0"?)`,
			f + `:16:91: PL104 manifest.bad-value: dependencies: "example.com/m v2.0.0": version v2.0.0 does not match module example.com/m (hint: major version v2 is module example.com/m/v2, or v2.0.0+incompatible for a module without a go.mod)`}},
		{"dependencies: one change twice", valid + "dependencies = [\n  \"golang.org/x/net v0.38.0: CVE-2025-22870\",\n  \"golang.org/x/net v0.38.0: also CVE-2025-22872\",\n  \"\",\n]", []string{
			f + `:18:3: PL104 manifest.bad-value: dependencies lists golang.org/x/net v0.38.0 twice (entries 0 and 1) (hint: keep one entry per change and give every reason in it)`,
			f + `:19:3: PL104 manifest.bad-value: dependencies[2] is empty (hint: remove the empty entry)`}},
		{"dependencies: too many", valid + "dependencies = [" + strings.Repeat(`"example.com/m v1.0.0", `, MaxDependencies+1) + "]", []string{
			f + `:16:16: PL104 manifest.bad-value: dependencies lists 1001 changes; at most 1000 (hint: a patch to a release changes a few dependencies; a larger upgrade belongs in the next quarterly release)`}},
		{"dependencies: wrong type", valid + `dependencies = "golang.org/x/net v0.38.0"`, []string{
			f + `:16:16: PL102 manifest.type: dependencies must be an array of strings, got string (hint: write it as dependencies = ["golang.org/x/net v0.38.0: CVE-2025-22870"])`}},
		{"local approval time", valid + "[[approval]]\nrole = \"qa\"\nby = \"octocat\"\nat = 2026-03-04 16:20\n", []string{
			f + `:19:6: PL104 manifest.bad-value: approval[0].at has no UTC offset (hint: add Z for UTC or the offset it was taken in (+02:00): at = 2026-03-04T16:20:00Z)`}},
		// PL105
		{"newer schema", edit("schema", "schema = 2"), []string{
			f + `:1:10: PL105 manifest.schema: unsupported manifest schema 2 (hint: schema 2 was written by a newer patchline; this one reads schema 1, so upgrade patchline)`}},
		{"schema zero", edit("schema", "schema = 0"), []string{
			f + `:1:10: PL105 manifest.schema: unsupported manifest schema 0 (hint: this patchline reads schema 1; set schema = 1)`}},
		// PL106
		{"emergency without justification", edit("urgency", `urgency = "emergency"`), []string{
			f + `:8:11: PL106 manifest.justification: urgency "emergency" needs a justification (hint: say why it cannot wait for the quarterly release: justification = "Why it cannot wait for the quarterly release", or set urgency = "scheduled")`}},
		{"emergency with blank justification", edit("urgency", "urgency = \"emergency\"\njustification = \"\""), []string{
			f + `:9:17: PL106 manifest.justification: urgency "emergency" needs a justification (hint: say why it cannot wait for the quarterly release: justification = "Why it cannot wait for the quarterly release", or set urgency = "scheduled")`}},
		{"emergency justified", edit("urgency", "urgency = \"emergency\"\njustification = \"Data loss at three customers.\""), nil},
		// Several at once, in file order.
		{"all of them", "schema = 3\nid = \"PL-2026-0007\"\ntitle = 7\ncolour = \"red\"\nseverity = \"hgih\"\n", []string{
			f + `:1:1: PL103 manifest.missing-field: missing required key base (hint: add base = "v2026.3.0")`,
			f + `:1:1: PL103 manifest.missing-field: missing required key kind (hint: add kind = "fix")`,
			f + `:1:1: PL103 manifest.missing-field: missing required key urgency (hint: add urgency = "scheduled")`,
			f + `:1:1: PL103 manifest.missing-field: missing required key modules (hint: add modules = ["importer"])`,
			f + `:1:1: PL103 manifest.missing-field: missing required key reported (hint: add reported = 2026-03-02T09:15:00Z)`,
			f + `:1:1: PL103 manifest.missing-field: missing required key summary (hint: add summary = "What users see in the release notes")`,
			f + `:1:1: PL103 manifest.missing-field: missing required key risk (hint: add risk = "low")`,
			f + `:1:1: PL103 manifest.missing-field: missing required key rollback (hint: add rollback = "patchline rollback PL-2026-0007 restores the previous files")`,
			f + `:1:10: PL105 manifest.schema: unsupported manifest schema 3 (hint: schema 3 was written by a newer patchline; this one reads schema 1, so upgrade patchline)`,
			f + `:3:9: PL102 manifest.type: title must be a string, got integer (hint: write it as title = "Importer drops rows with a byte-order mark")`,
			f + `:4:1: PL101 manifest.unknown-key: unknown key "colour" (hint: known keys: schema, id, title, base, also, kind, severity, urgency, modules, cases, cves, reported, summary, justification, risk, rollback, requires, known_issues, services, supersedes, dependencies, approval)`,
			f + `:5:12: PL104 manifest.bad-value: severity must be one of critical, important, moderate, low (hint: did you mean "important"?)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, problems := Decode(file, []byte(tt.src))
			var got []string
			for _, p := range problems {
				got = append(got, p.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode problems:\ngot:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestDecodeTooLarge(t *testing.T) {
	t.Parallel()
	data := append([]byte(valid), bytes.Repeat([]byte("# padding\n"), MaxSize/10)...)
	m, problems := Decode(file, data)
	if m != nil || len(problems) != 1 || problems[0].Code != CodeTooLarge {
		t.Fatalf("Decode(%d bytes) = %v, %v; want nil and one %s", len(data), m, problems, CodeTooLarge)
	}
	want := fmt.Sprintf("%s:1:1: PL107 manifest.too-large: the manifest is %d bytes; patchline reads at most 1048576 (hint: a manifest holds a patch's metadata; the change itself goes in patch.diff)", file, len(data))
	if got := problems[0].String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestDecodeKeepsWhatItCan(t *testing.T) {
	t.Parallel()
	m, problems := Decode(file, []byte(edit("severity", `severity = 3`)))
	if len(problems) != 1 {
		t.Fatalf("problems: %s", join(problems))
	}
	if m == nil || m.ID != "PL-2026-0007" || m.Severity != "" {
		t.Errorf("Decode with a bad severity = %+v; want the rest decoded", m)
	}
	if m, _ := Decode(file, []byte("id = ")); m != nil {
		t.Errorf("Decode(syntax error) = %+v, want nil", m)
	}
}

func TestProblemString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "a.toml", Line: 3, Col: 7, Code: CodeBadValue, Rule: RuleBadValue, Message: "severity must be one of critical", Hint: `did you mean "critical"?`},
			`a.toml:3:7: PL104 manifest.bad-value: severity must be one of critical (hint: did you mean "critical"?)`},
		{Problem{File: "a.toml", Line: 1, Col: 1, Code: CodeSyntax, Rule: RuleSyntax, Message: "bad"},
			`a.toml:1:1: PL100 manifest.syntax: bad`},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("String() = %s\nwant       %s", got, tt.want)
		}
	}
}

func roundTripManifests() map[string]*Manifest {
	full := validManifest()
	full.Also = []string{"v2026.2.4", "v2026.1.9"}
	full.Kind, full.Severity, full.Urgency = KindSecurity, SeverityCritical, UrgencyEmergency
	full.CVEs = []string{"CVE-2026-12345"}
	full.Reported = time.Date(2026, 3, 2, 9, 15, 0, 123456789, time.UTC)
	full.Summary = "Two lines:\n\t\"quoted\" and a back\\slash, and \"\"\" too.\n"
	full.Justification = "Data loss at three customers; \r\n cannot wait."
	full.Rollback = `run C:\patchline rollback 'PL-2026-0007'`
	full.Supersedes = []string{"PL-2026-0003"}
	full.Requires = []string{"PL-2026-0002", "PL-2026-0005"}
	full.KnownIssues = "The first start rebuilds the index:\n\tallow a minute.\n"
	full.Services = []string{"inventory.service"}
	full.Dependencies = []string{"golang.org/x/net v0.38.0: CVE-2025-22870", "example.com/old none", "example.com/lib => example.com/fork v1.2.1: the fork has the fix"}
	full.Approvals = []Approval{
		{Role: "qa", By: "octocat", At: time.Date(2026, 3, 4, 16, 20, 0, 0, time.UTC), Ref: "https://github.com/acme/inventory/pull/42#pullrequestreview-1"},
		{Role: "release", By: "hubot", At: time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC)},
	}
	unicode := validManifest()
	unicode.Title = "Importer: ünïcödé ✓ \x1b[1m"
	unicode.Summary = "ends with a quote\""
	return map[string]*Manifest{"minimal": validManifest(), "full": full, "unicode": unicode}
}

func TestEncodeRoundTrip(t *testing.T) {
	t.Parallel()
	for name, m := range roundTripManifests() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data := m.Encode()
			got, problems := Decode(file, data)
			if len(problems) > 0 {
				t.Fatalf("Decode(Encode(m)) problems:\n%s\nin:\n%s", join(problems), data)
			}
			if !reflect.DeepEqual(got, m) {
				t.Errorf("Decode(Encode(m)):\ngot  %+v\nwant %+v\nfrom:\n%s", got, m, data)
			}
			if again := got.Encode(); !bytes.Equal(again, data) {
				t.Errorf("Encode is not stable:\n%s\nthen:\n%s", data, again)
			}
		})
	}
}

func TestEncode(t *testing.T) {
	t.Parallel()
	m := roundTripManifests()["full"]
	golden(t, m.Encode())
}

func golden(t *testing.T, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", t.Name()+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestIDs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id        string
		prefix    string
		year, seq int
		ok        bool
	}{
		{"PL-2026-0007", "PL", 2026, 7, true},
		{"ACME2-2025-12345", "ACME2", 2025, 12345, true},
		{"PL-2026-007", "", 0, 0, false},
		{"pl-2026-0007", "", 0, 0, false},
		{"PL-26-0007", "", 0, 0, false},
		{"PL-2026-99999999999999999999", "", 0, 0, false},
		{"", "", 0, 0, false},
	}
	for _, tt := range tests {
		prefix, year, seq, err := ParseID(tt.id)
		if (err == nil) != tt.ok || prefix != tt.prefix || year != tt.year || seq != tt.seq {
			t.Errorf("ParseID(%q) = %q, %d, %d, %v; want %q, %d, %d, ok=%v", tt.id, prefix, year, seq, err, tt.prefix, tt.year, tt.seq, tt.ok)
		}
		if tt.ok {
			if got := FormatID(prefix, year, seq); got != tt.id {
				t.Errorf("FormatID(ParseID(%q)) = %q", tt.id, got)
			}
			if got := (&Manifest{ID: tt.id}).Year(); got != tt.year {
				t.Errorf("Year() of %q = %d, want %d", tt.id, got, tt.year)
			}
		}
	}
	if got := FormatID("PL", 2026, 12345); got != "PL-2026-12345" {
		t.Errorf("FormatID(PL, 2026, 12345) = %q", got)
	}
	if got := (&Manifest{ID: "nope"}).Year(); got != 0 {
		t.Errorf("Year() of a bad id = %d, want 0", got)
	}
}

func TestSeverityRank(t *testing.T) {
	t.Parallel()
	for i, s := range Severities {
		if got := SeverityRank(s); got != i {
			t.Errorf("SeverityRank(%q) = %d, want %d", s, got, i)
		}
	}
	if got := SeverityRank("severe"); got != len(Severities) {
		t.Errorf("SeverityRank(unknown) = %d, want %d", got, len(Severities))
	}
}

func join(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String() + "\n")
	}
	return b.String()
}

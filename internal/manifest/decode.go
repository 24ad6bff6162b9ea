package manifest

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/patchline/patchline/internal/lazyre"
	"github.com/patchline/patchline/internal/manifest/stricttoml"
)

// examples show each key written correctly; they are the hints of wrong-type
// and missing-field problems.
var examples = map[string]string{
	"schema":        "schema = 1",
	"id":            `id = "PL-2026-0007"`,
	"title":         `title = "Importer drops rows with a byte-order mark"`,
	"base":          `base = "v2026.3.0"`,
	"also":          `also = ["v2026.2.4"]`,
	"kind":          `kind = "fix"`,
	"severity":      `severity = "important"`,
	"urgency":       `urgency = "scheduled"`,
	"modules":       `modules = ["importer"]`,
	"cases":         `cases = ["CS-10442"]`,
	"cves":          `cves = ["CVE-2026-12345"]`,
	"reported":      "reported = 2026-03-02T09:15:00Z",
	"summary":       `summary = "What users see in the release notes"`,
	"justification": `justification = "Why it cannot wait for the quarterly release"`,
	"risk":          `risk = "low"`,
	"rollback":      `rollback = "patchline rollback PL-2026-0007 restores the previous files"`,
	"requires":      `requires = ["PL-2026-0003"]`,
	"known_issues":  `known_issues = "The first start after the patch takes a minute longer while the index is rebuilt."`,
	"services":      `services = ["inventory.service"]`,
	"supersedes":    `supersedes = ["PL-2026-0003"]`,
	"dependencies":  `dependencies = ["golang.org/x/net v0.38.0: CVE-2025-22870"]`,
	"approval":      "[[approval]] tables, which patchline writes",
	"approval.role": `role = "qa"`,
	"approval.by":   `by = "octocat"`,
	"approval.at":   "at = 2026-03-04T16:20:00Z",
	"approval.ref":  `ref = "https://github.com/acme/inventory/pull/42"`,
}

// Words people write for the enumerated values.
var (
	kindSynonyms = map[string]string{
		"sec": KindSecurity, "vuln": KindSecurity, "vulnerability": KindSecurity,
		"bug": KindFix, "bugfix": KindFix, "bug-fix": KindFix, "hotfix": KindFix,
		"perf": KindPerformance, "speed": KindPerformance,
	}
	severitySynonyms = map[string]string{
		"severe": SeverityCritical, "blocker": SeverityCritical, "urgent": SeverityCritical,
		"high": SeverityImportant, "major": SeverityImportant,
		"medium": SeverityModerate, "normal": SeverityModerate,
		"minor": SeverityLow, "trivial": SeverityLow,
	}
	urgencySynonyms = map[string]string{
		"urgent": UrgencyEmergency, "immediate": UrgencyEmergency, "asap": UrgencyEmergency,
		"out-of-band": UrgencyEmergency, "normal": UrgencyScheduled, "planned": UrgencyScheduled,
		"regular": UrgencyScheduled,
	}
	riskSynonyms = map[string]string{"moderate": RiskMedium, "med": RiskMedium, "none": RiskLow, "minimal": RiskLow}
)

// Decode reads a manifest strictly and reports every problem it finds, in
// file order. file names the manifest in the problems. The manifest is nil
// only when data is too large or not TOML; otherwise it holds what could be
// decoded, so callers can go on checking, with times in UTC and empty arrays
// as nil. Decode never panics.
func Decode(file string, data []byte) (*Manifest, []Problem) {
	if len(data) > MaxSize {
		return nil, []Problem{{File: file, Line: 1, Col: 1, Code: CodeTooLarge, Rule: RuleTooLarge,
			Message: fmt.Sprintf("the manifest is %d bytes; patchline reads at most %d", len(data), MaxSize),
			Hint:    "a manifest holds a patch's metadata; the change itself goes in patch.diff"}}
	}
	var m Manifest
	doc, findings := stricttoml.Decode(data, &m, stricttoml.Options{Examples: examples})
	c := &checker{file: file, doc: doc, skip: map[string]bool{}}
	for _, f := range findings {
		c.finding(f)
	}
	if doc == nil {
		return nil, c.problems
	}
	c.check(&m)
	SortProblems(c.problems)
	return &m, c.problems
}

type checker struct {
	file     string
	doc      *stricttoml.Doc
	skip     map[string]bool // paths already reported as the wrong type
	problems []Problem
}

func (c *checker) finding(f stricttoml.Finding) {
	code, rule := CodeSyntax, RuleSyntax
	switch f.Kind {
	case stricttoml.UnknownKey:
		code, rule = CodeUnknownKey, RuleUnknownKey
	case stricttoml.WrongType:
		code, rule = CodeType, RuleType
		c.skip[f.Path] = true
	}
	c.problems = append(c.problems, Problem{File: c.file, Line: f.Pos.Line, Col: f.Pos.Col,
		Code: code, Rule: rule, Message: f.Message, Hint: f.Hint})
}

func (c *checker) add(pos stricttoml.Pos, code, rule, msg, hint string) {
	c.problems = append(c.problems, Problem{File: c.file, Line: pos.Line, Col: pos.Col,
		Code: code, Rule: rule, Message: msg, Hint: hint})
}

func (c *checker) bad(pos stricttoml.Pos, msg, hint string) {
	c.add(pos, CodeBadValue, RuleBadValue, msg, hint)
}

// present reports whether key is set with the right type, after reporting it
// missing when it is required and absent.
func (c *checker) present(key string, required bool) bool {
	if c.skip[key] {
		return false
	}
	if c.doc.Has(key) {
		return true
	}
	if required {
		c.add(stricttoml.Pos{Line: 1, Col: 1}, CodeMissingField, RuleMissingField,
			"missing required key "+key, "add "+examples[key])
	}
	return false
}

func (c *checker) check(m *Manifest) {
	if c.present("schema", true) && m.Schema != SchemaVersion {
		hint := fmt.Sprintf("this patchline reads schema %d; set schema = %d", SchemaVersion, SchemaVersion)
		if m.Schema > SchemaVersion {
			hint = fmt.Sprintf("schema %d was written by a newer patchline; this one reads schema %d, so upgrade patchline", m.Schema, SchemaVersion)
		}
		c.add(c.doc.ValuePos("schema"), CodeSchema, RuleSchema,
			fmt.Sprintf("unsupported manifest schema %d", m.Schema), hint)
	}
	if c.present("id", true) && c.nonEmpty("id", m.ID) && !idRE.MatchString(m.ID) {
		hint := "ids are <PREFIX>-<year>-<sequence of 4 or more digits>, e.g. PL-2026-0007"
		if s := suggestID(m.ID); s != "" {
			hint = fmt.Sprintf("did you mean %q?", s)
		}
		c.bad(c.doc.ValuePos("id"), fmt.Sprintf("id %q is not a patch id", m.ID), hint)
	}
	if c.present("title", true) && c.nonEmpty("title", m.Title) && strings.ContainsAny(m.Title, "\r\n") {
		c.bad(c.doc.ValuePos("title"), "title must be one line", "keep the title short and move the details to summary")
	}
	if c.present("base", true) && c.nonEmpty("base", m.Base) && strings.ContainsAny(m.Base, " \t\r\n") {
		c.bad(c.doc.ValuePos("base"), fmt.Sprintf("base %q is not a tag name", m.Base), "write the release tag the branch was cut from, e.g. "+examples["base"])
	}
	if c.present("also", false) {
		c.list("also", m.Also, nil)
		for i, tag := range m.Also {
			if tag != "" && tag == m.Base {
				c.bad(c.doc.ValuePos("also", i), fmt.Sprintf("also lists the base tag %q", tag), "also names the other release lines the fix must reach; remove the base")
			}
		}
	}
	c.enum("kind", m.Kind, Kinds, kindSynonyms)
	c.enum("severity", m.Severity, Severities, severitySynonyms)
	c.enum("urgency", m.Urgency, Urgencies, urgencySynonyms)
	if c.present("modules", true) {
		if len(m.Modules) == 0 {
			c.bad(c.doc.ValuePos("modules"), "modules is empty", "list the modules the fix touches, by their names under [modules] in .patchline.toml, e.g. "+examples["modules"])
		}
		c.list("modules", m.Modules, nil)
	}
	if c.present("cases", false) {
		c.list("cases", m.Cases, nil)
	}
	if c.present("cves", false) {
		c.list("cves", m.CVEs, func(i int, s string) {
			if !cveRE.MatchString(s) {
				hint := "CVE ids look like CVE-2026-12345"
				if up := suggestCVE(s); up != "" {
					hint = fmt.Sprintf("did you mean %q?", up)
				}
				c.bad(c.doc.ValuePos("cves", i), fmt.Sprintf("%q is not a CVE id", s), hint)
			}
		})
	}
	if c.present("reported", true) {
		m.Reported = c.datetime(m.Reported, "reported")
	}
	if c.present("summary", true) {
		c.nonEmpty("summary", m.Summary)
	}
	switch {
	case c.skip["justification"]:
	case m.Urgency == UrgencyEmergency && strings.TrimSpace(m.Justification) == "":
		pos := c.doc.ValuePos("urgency")
		if c.doc.Has("justification") {
			pos = c.doc.ValuePos("justification")
		}
		c.add(pos, CodeJustification, RuleJustification,
			`urgency "emergency" needs a justification`,
			"say why it cannot wait for the quarterly release: "+examples["justification"]+`, or set urgency = "scheduled"`)
	case c.present("justification", false):
		c.nonEmpty("justification", m.Justification)
	}
	c.enum("risk", m.Risk, Risks, riskSynonyms)
	if c.present("rollback", true) {
		c.nonEmpty("rollback", m.Rollback)
	}
	if c.present("requires", false) {
		if len(m.Requires) > MaxRequires {
			c.bad(c.doc.ValuePos("requires"), fmt.Sprintf("requires lists %d patches; at most %d", len(m.Requires), MaxRequires),
				"list only the patches that must be installed first; a cumulative bundle (build --from) brings the others")
		}
		c.list("requires", m.Requires, func(i int, s string) {
			switch {
			case !idRE.MatchString(s):
				c.bad(c.doc.ValuePos("requires", i), fmt.Sprintf("%q is not a patch id", s), idHint(s))
			case s == m.ID:
				c.bad(c.doc.ValuePos("requires", i), "a patch cannot require itself", "remove "+strconv.Quote(s))
			}
		})
	}
	if c.present("known_issues", false) {
		c.nonEmpty("known_issues", m.KnownIssues)
	}
	if c.present("services", false) {
		c.list("services", m.Services, func(i int, s string) {
			if !serviceRE.MatchString(s) {
				c.bad(c.doc.ValuePos("services", i), fmt.Sprintf("%q is not a service name", s),
					"write the name a service manager knows it by, letters, digits and @ . _ : + - only, e.g. "+examples["services"])
			}
		})
	}
	if c.present("supersedes", false) {
		c.list("supersedes", m.Supersedes, func(i int, s string) {
			switch {
			case !idRE.MatchString(s):
				c.bad(c.doc.ValuePos("supersedes", i), fmt.Sprintf("%q is not a patch id", s), idHint(s))
			case s == m.ID:
				c.bad(c.doc.ValuePos("supersedes", i), "a patch cannot supersede itself", "remove "+strconv.Quote(s))
			}
		})
	}
	if c.present("dependencies", false) {
		c.dependencies(m.Dependencies)
	}
	for i := range m.Approvals {
		c.approval(i, &m.Approvals[i])
	}
}

func (c *checker) approval(i int, a *Approval) {
	if c.skip[stricttoml.FormatPath("approval", i)] {
		return
	}
	for _, k := range []struct {
		key, val string
		required bool
	}{{"role", a.Role, true}, {"by", a.By, true}, {"ref", a.Ref, false}} {
		switch {
		case c.skip[stricttoml.FormatPath("approval", i, k.key)]:
		case !c.doc.Has("approval", i, k.key):
			if k.required {
				c.add(c.doc.KeyPos("approval", i), CodeMissingField, RuleMissingField,
					fmt.Sprintf("approval[%d] is missing %s", i, k.key), "add "+examples["approval."+k.key])
			}
		case strings.TrimSpace(k.val) == "":
			c.bad(c.doc.ValuePos("approval", i, k.key), fmt.Sprintf("approval[%d].%s is empty", i, k.key), "write "+examples["approval."+k.key])
		}
	}
	switch {
	case c.skip[stricttoml.FormatPath("approval", i, "at")]:
		return
	case !c.doc.Has("approval", i, "at"):
		c.add(c.doc.KeyPos("approval", i), CodeMissingField, RuleMissingField,
			fmt.Sprintf("approval[%d] is missing at", i), "add "+examples["approval.at"])
		return
	}
	a.At = c.datetime(a.At, "approval", i, "at")
}

// nonEmpty reports an empty (or blank) required string.
func (c *checker) nonEmpty(key, s string) bool {
	if strings.TrimSpace(s) != "" {
		return true
	}
	c.bad(c.doc.ValuePos(key), key+" is empty", "write "+examples[key])
	return false
}

func (c *checker) enum(key, val string, allowed []string, synonyms map[string]string) {
	if !c.present(key, true) {
		return
	}
	for _, a := range allowed {
		if val == a {
			return
		}
	}
	hint := "e.g. " + examples[key]
	if s := stricttoml.Suggest(val, allowed, synonyms); s != "" {
		hint = fmt.Sprintf("did you mean %q?", s)
	}
	c.bad(c.doc.ValuePos(key), fmt.Sprintf("%s must be one of %s", key, strings.Join(allowed, ", ")), hint)
}

// list reports empty and repeated entries, then runs each on the others.
func (c *checker) list(key string, vals []string, each func(i int, s string)) {
	seen := map[string]bool{}
	for i, s := range vals {
		pos := c.doc.ValuePos(key, i)
		switch {
		case c.skip[stricttoml.FormatPath(key, i)]:
			continue
		case strings.TrimSpace(s) == "":
			c.bad(pos, fmt.Sprintf("%s[%d] is empty", key, i), "remove the empty entry")
		case seen[s]:
			c.bad(pos, fmt.Sprintf("%s lists %q twice", key, s), "remove the repeated entry")
		case each != nil:
			each(i, s)
		}
		seen[s] = true
	}
}

// datetime checks a decoded datetime has an offset and can be written back,
// and returns it in UTC.
func (c *checker) datetime(t time.Time, path ...any) time.Time {
	name := stricttoml.FormatPath(path...)
	pos := c.doc.ValuePos(path...)
	key, _ := path[len(path)-1].(string)
	if stricttoml.IsLocal(t) {
		var fix string
		switch t.Location().String() {
		case "date-local":
			fix = t.Format("2006-01-02") + "T00:00:00Z"
		case "time-local":
			fix = "2026-03-02T" + t.Format("15:04:05") + "Z"
		default:
			fix = t.Format("2006-01-02T15:04:05") + "Z"
		}
		c.bad(pos, name+" has no UTC offset",
			fmt.Sprintf("add Z for UTC or the offset it was taken in (+02:00): %s = %s", key, fix))
		return time.Time{}
	}
	u := t.UTC()
	if y := u.Year(); y < 1 || y > 9999 {
		c.bad(pos, fmt.Sprintf("%s is out of range: the year %d", name, y), "write a date between the years 1 and 9999")
		return time.Time{}
	}
	return u
}

// idHint says how to write a patch id, with a repaired one when it can.
func idHint(s string) string {
	if up := suggestID(s); up != "" {
		return fmt.Sprintf("did you mean %q?", up)
	}
	return "ids are <PREFIX>-<year>-<sequence of 4 or more digits>, e.g. PL-2026-0007"
}

var looseID = lazyre.New(`^([A-Z][A-Z0-9]*)[-_ ]?(\d{4})[-_ ](\d{1,9})$`)

// suggestID repairs the usual slips in an id: case, padding, separators.
func suggestID(s string) string {
	m := looseID.FindStringSubmatch(strings.ToUpper(strings.TrimSpace(s)))
	if m == nil {
		return ""
	}
	year, _ := strconv.Atoi(m[2])
	seq, _ := strconv.Atoi(m[3])
	if id := FormatID(m[1], year, seq); id != s && idRE.MatchString(id) {
		return id
	}
	return ""
}

var looseCVE = lazyre.New(`^(?:CVE[-_ ]?)?(\d{4})[-_ ](\d{4,})$`)

func suggestCVE(s string) string {
	m := looseCVE.FindStringSubmatch(strings.ToUpper(strings.TrimSpace(s)))
	if m == nil {
		return ""
	}
	if id := "CVE-" + m[1] + "-" + m[2]; id != s {
		return id
	}
	return ""
}

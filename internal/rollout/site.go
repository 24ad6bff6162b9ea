package rollout

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/patchline/patchline/internal/lazyre"
	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/manifest/stricttoml"
	"github.com/patchline/patchline/internal/textsafe"
)

// SiteFile is the site's defaults, under the install root's .patchline.
const SiteFile = "site.toml"

// MaxSiteSize is the largest site.toml DecodeSite reads, in bytes.
const MaxSiteSize = 64 << 10

// The environments an install can be.
const (
	EnvTest       = "test"
	EnvStaging    = "staging"
	EnvProduction = "production"
)

// Envs lists them, in rollout order.
var Envs = []string{EnvTest, EnvStaging, EnvProduction}

// Bounds on the names a site file and a record carry, in bytes.
const (
	MaxNameLen     = 128 // operator, host, a confirmation's by
	MaxTimezoneLen = 64
)

// Codes and rules of site.toml problems. The codes are the config's
// (PL010-PL017: the same kinds of problem in the install's config file);
// the rules name the file.
const (
	CodeSyntax     = "PL010"
	CodeUnknownKey = "PL011"
	CodeType       = "PL012"
	CodeBadValue   = "PL014"
	CodeTooLarge   = "PL017"

	RuleSyntax     = "site.syntax"
	RuleUnknownKey = "site.unknown-key"
	RuleType       = "site.type"
	RuleBadValue   = "site.bad-value"
	RuleTooLarge   = "site.too-large"
)

// Site is DIR/.patchline/site.toml: the defaults of one install for
// `apply --site --env --operator`, the time zone its freeze windows are
// read in, and its own freeze windows. Every key is optional.
type Site struct {
	Name     string   `toml:"site"`     // e.g. "acme-berlin"; names its folder among the fleet records
	Env      string   `toml:"env"`      // test, staging or production
	Operator string   `toml:"operator"` // who applies patches here
	Timezone string   `toml:"timezone"` // IANA name, e.g. "Europe/Berlin"
	Freeze   []string `toml:"freeze"`   // the site's own freeze windows, as ParseWindow reads them

	windows []Window
	loc     *time.Location
}

// Windows are the site's freeze windows, parsed.
func (s *Site) Windows() []Window { return s.windows }

// Location is the site's time zone; nil when the file names none (the
// caller then takes the machine's).
func (s *Site) Location() *time.Location { return s.loc }

var siteExamples = map[string]string{
	"site":     `site = "acme-berlin"`,
	"env":      `env = "test"`,
	"operator": `operator = "Jane Doe"`,
	"timezone": `timezone = "Europe/Berlin"`,
	"freeze":   `freeze = ["Fri 18:00-Mon 06:00", "2026-12-20..2027-01-04"]`,
}

var envSynonyms = map[string]string{
	"prod": EnvProduction, "prd": EnvProduction, "live": EnvProduction,
	"stage": EnvStaging, "stg": EnvStaging,
	"testing": EnvTest, "tst": EnvTest,
}

var (
	siteNameRE = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	tzRE       = lazyre.New(`^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$`)
)

// SiteError is every problem DecodeSite found, in file order.
type SiteError struct {
	Problems []manifest.Problem
}

// Error is every problem, one a line.
func (e *SiteError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// DecodeSite reads a site.toml strictly: an unknown key, a value of the
// wrong type or a bad value is a problem naming the file (name, as the
// caller calls it), line, column and key. It returns a *SiteError with
// every problem, and never panics: the file sits in a customer's install
// tree and may be written by anyone who can write there.
func DecodeSite(name string, data []byte) (*Site, error) {
	if len(data) > MaxSiteSize {
		return nil, &SiteError{Problems: []manifest.Problem{{File: name, Line: 1, Col: 1, Code: CodeTooLarge, Rule: RuleTooLarge,
			Message: fmt.Sprintf("the site file is over %d bytes", MaxSiteSize),
			Hint:    "a site.toml is a few lines; is this the right file?"}}}
	}
	var s Site
	doc, findings := stricttoml.Decode(data, &s, stricttoml.Options{Examples: siteExamples})
	k := &siteChecker{file: name, doc: doc, skip: map[string]bool{}}
	for _, f := range findings {
		code, rule := CodeSyntax, RuleSyntax
		switch f.Kind {
		case stricttoml.UnknownKey:
			code, rule = CodeUnknownKey, RuleUnknownKey
		case stricttoml.WrongType:
			code, rule = CodeType, RuleType
			k.skip[f.Path] = true
		}
		k.problems = append(k.problems, manifest.Problem{File: name, Line: f.Pos.Line, Col: f.Pos.Col,
			Code: code, Rule: rule, Message: f.Message, Hint: f.Hint})
	}
	if doc != nil {
		k.check(&s)
	}
	if len(k.problems) > 0 {
		manifest.SortProblems(k.problems)
		return nil, &SiteError{Problems: k.problems}
	}
	return &s, nil
}

type siteChecker struct {
	file     string
	doc      *stricttoml.Doc
	skip     map[string]bool
	problems []manifest.Problem
}

func (k *siteChecker) bad(path []any, msg, hint string) {
	pos := k.doc.ValuePos(path...)
	k.problems = append(k.problems, manifest.Problem{File: k.file, Line: pos.Line, Col: pos.Col,
		Code: CodeBadValue, Rule: RuleBadValue, Message: msg, Hint: hint})
}

// str reports whether the file sets key, with the right type and not blank.
func (k *siteChecker) str(val, key string) bool {
	if !k.doc.Has(key) || k.skip[key] {
		return false
	}
	if strings.TrimSpace(val) == "" {
		k.bad([]any{key}, key+" is empty", "remove the key, or write "+siteExamples[key])
		return false
	}
	return true
}

func (k *siteChecker) check(s *Site) {
	if k.str(s.Name, "site") && !siteNameRE.MatchString(s.Name) {
		k.bad([]any{"site"}, fmt.Sprintf("site %q is not a site name", s.Name),
			"letters, digits, '.', '_' and '-', at most 64, starting with a letter or digit (it names a folder of fleet records), e.g. "+siteExamples["site"])
	}
	if k.str(s.Env, "env") {
		if err := CheckEnv(s.Env); err != nil {
			hint := "e.g. " + siteExamples["env"]
			if sug := stricttoml.Suggest(s.Env, Envs, envSynonyms); sug != "" {
				hint = fmt.Sprintf("did you mean %q?", sug)
			}
			k.bad([]any{"env"}, fmt.Sprintf("env %q is not one of %s", s.Env, strings.Join(Envs, ", ")), hint)
		}
	}
	if k.str(s.Operator, "operator") {
		if err := CheckName("operator", s.Operator); err != nil {
			k.bad([]any{"operator"}, err.Error(), "one line of printable text, e.g. "+siteExamples["operator"])
		}
	}
	if k.str(s.Timezone, "timezone") {
		k.timezone(s)
	}
	k.freeze(s)
}

func (k *siteChecker) timezone(s *Site) {
	const hint = `an IANA time zone name, e.g. timezone = "Europe/Berlin"`
	tz := s.Timezone
	if len(tz) > MaxTimezoneLen || !tzRE.MatchString(tz) || tz == "Local" {
		k.bad([]any{"timezone"}, fmt.Sprintf("timezone %q is not a time zone name", tz), hint)
		return
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		k.bad([]any{"timezone"}, fmt.Sprintf("timezone %q is not a time zone this machine knows", tz),
			hint+" (the names are those of the IANA database, case matters)")
		return
	}
	s.loc = loc
}

func (k *siteChecker) freeze(s *Site) {
	if !k.doc.Has("freeze") || k.skip["freeze"] {
		return
	}
	if len(s.Freeze) > MaxWindows {
		k.bad([]any{"freeze"}, fmt.Sprintf("freeze lists %d windows, at most %d", len(s.Freeze), MaxWindows),
			"merge adjacent windows")
		return
	}
	seen := map[string]bool{}
	for i, f := range s.Freeze {
		path := []any{"freeze", i}
		if k.skip[stricttoml.FormatPath(path...)] {
			continue
		}
		w, err := ParseWindow(f)
		switch {
		case err != nil:
			msg, hint := err.Error(), ""
			if we, ok := err.(*WindowError); ok {
				msg, hint = fmt.Sprintf("freeze: %q: %s", we.Window, we.Msg), we.Hint
			}
			k.bad(path, msg, hint)
		case seen[w.String()]:
			k.bad(path, fmt.Sprintf("freeze lists %q twice", f), "remove the repeated window")
		default:
			seen[w.String()] = true
			s.windows = append(s.windows, w)
		}
	}
}

// CheckEnv refuses an environment that is not test, staging or production.
func CheckEnv(env string) error {
	if !slices.Contains(Envs, env) {
		return fmt.Errorf("environment %q is not one of %s", env, strings.Join(Envs, ", "))
	}
	return nil
}

// CheckSite refuses a site name that cannot name a folder of fleet
// records: letters, digits, '.', '_' and '-', at most 64 bytes, starting
// with a letter or digit.
func CheckSite(site string) error {
	if !siteNameRE.MatchString(site) {
		return fmt.Errorf("site %q is not a site name: letters, digits, '.', '_' and '-', at most 64, starting with a letter or digit", site)
	}
	return nil
}

// CheckName refuses a one-line name (an operator, a host, who confirmed)
// that is blank, longer than MaxNameLen bytes, not UTF-8 or holding a
// control character; what says which field it is.
func CheckName(what, s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("%s is empty", what)
	case len(s) > MaxNameLen:
		return fmt.Errorf("%s is over %d bytes", what, MaxNameLen)
	}
	if at, r, ok := textsafe.FindControl(s, false); ok {
		if r == utf8.RuneError {
			return fmt.Errorf("%s %q is not UTF-8 at character %d", what, s, at)
		}
		return fmt.Errorf("%s %q has a control character (%U) at character %d", what, s, r, at)
	}
	return nil
}

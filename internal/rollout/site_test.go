package rollout

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const siteName = "/srv/inventory/.patchline/site.toml"

const validSite = `site = "acme-berlin"
env = "test"
operator = "Jane Doe <jane@acme.example>"
timezone = "Europe/Berlin"
freeze = ["Fri 18:00-Mon 06:00", "2026-12-20..2027-01-04"]
`

func TestDecodeSite(t *testing.T) {
	t.Parallel()
	s, err := DecodeSite(siteName, []byte(validSite))
	if err != nil {
		t.Fatalf("DecodeSite: %v", err)
	}
	if s.Name != "acme-berlin" || s.Env != EnvTest || s.Operator != "Jane Doe <jane@acme.example>" || s.Timezone != "Europe/Berlin" {
		t.Errorf("DecodeSite = %+v", s)
	}
	if s.Location() == nil || s.Location().String() != "Europe/Berlin" {
		t.Errorf("Location() = %v, want Europe/Berlin", s.Location())
	}
	want := []Window{mustWindow(t, "Fri 18:00-Mon 06:00"), mustWindow(t, "2026-12-20..2027-01-04")}
	if !reflect.DeepEqual(s.Windows(), want) {
		t.Errorf("Windows() = %v, want %v", s.Windows(), want)
	}

	for _, src := range []string{"", "# nothing set\n", "env = \"production\"\n", "timezone = \"UTC\"\nfreeze = []\n"} {
		s, err := DecodeSite(siteName, []byte(src))
		if err != nil {
			t.Errorf("DecodeSite(%q): %v", src, err)
			continue
		}
		if len(s.Windows()) != 0 || (s.Timezone == "" && s.Location() != nil) {
			t.Errorf("DecodeSite(%q) = %+v", src, s)
		}
	}
}

func TestDecodeSiteProblems(t *testing.T) {
	t.Parallel()
	const f = siteName
	tests := []struct {
		name, src string
		want      []string
	}{
		{"syntax", "site = acme\n", []string{
			f + `:1:8: PL010 site.syntax: expected value but found "acme" instead (hint: strings need quotes: key = "value")`}},
		{"unknown key", "site = \"a\"\nenvironment = \"test\"\n", []string{
			f + `:2:1: PL011 site.unknown-key: unknown key "environment" (hint: known keys: site, env, operator, timezone, freeze)`}},
		{"unknown key, typo", "timzone = \"UTC\"\n", []string{
			f + `:1:1: PL011 site.unknown-key: unknown key "timzone" (hint: did you mean "timezone"?)`}},
		{"unknown table", "[site]\nname = \"x\"\n", []string{
			f + `:1:2: PL012 site.type: site must be a string, got table (hint: write it as site = "acme-berlin")`}},
		{"type: freeze", "freeze = \"Sat-Sun\"\n", []string{
			f + `:1:10: PL012 site.type: freeze must be an array of strings, got string (hint: write it as freeze = ["Fri 18:00-Mon 06:00", "2026-12-20..2027-01-04"])`}},
		{"type: freeze element", "freeze = [\"Sat\", 5]\n", []string{
			f + `:1:18: PL012 site.type: freeze[1] must be a string, got integer (hint: write it as freeze = ["Fri 18:00-Mon 06:00", "2026-12-20..2027-01-04"])`}},
		{"empty site", "site = \" \"\n", []string{
			f + `:1:8: PL014 site.bad-value: site is empty (hint: remove the key, or write site = "acme-berlin")`}},
		{"bad site", "site = \"acme berlin\"\n", []string{
			f + `:1:8: PL014 site.bad-value: site "acme berlin" is not a site name (hint: letters, digits, '.', '_' and '-', at most 64, starting with a letter or digit (it names a folder of fleet records), e.g. site = "acme-berlin")`}},
		{"site leaves its folder", "site = \"../x\"\n", []string{
			f + `:1:8: PL014 site.bad-value: site "../x" is not a site name (hint: letters, digits, '.', '_' and '-', at most 64, starting with a letter or digit (it names a folder of fleet records), e.g. site = "acme-berlin")`}},
		{"bad env", "env = \"prod\"\n", []string{
			f + `:1:7: PL014 site.bad-value: env "prod" is not one of test, staging, production (hint: did you mean "production"?)`}},
		{"bad env, typo", "env = \"stagign\"\n", []string{
			f + `:1:7: PL014 site.bad-value: env "stagign" is not one of test, staging, production (hint: did you mean "staging"?)`}},
		{"bad env, case", "env = \"Test\"\n", []string{
			f + `:1:7: PL014 site.bad-value: env "Test" is not one of test, staging, production (hint: did you mean "test"?)`}},
		{"bad env, far", "env = \"qa-lab\"\n", []string{
			f + `:1:7: PL014 site.bad-value: env "qa-lab" is not one of test, staging, production (hint: e.g. env = "test")`}},
		{"operator with a control character", "operator = \"Jane\\u001b[31m\"\n", []string{
			f + `:1:12: PL014 site.bad-value: operator "Jane\x1b[31m" has a control character (U+001B) at character 5 (hint: one line of printable text, e.g. operator = "Jane Doe")`}},
		{"operator with a newline", "operator = \"Jane\\nDoe\"\n", []string{
			f + `:1:12: PL014 site.bad-value: operator "Jane\nDoe" has a control character (U+000A) at character 5 (hint: one line of printable text, e.g. operator = "Jane Doe")`}},
		{"operator too long", "operator = \"" + strings.Repeat("x", 129) + "\"\n", []string{
			f + `:1:12: PL014 site.bad-value: operator is over 128 bytes (hint: one line of printable text, e.g. operator = "Jane Doe")`}},
		{"unknown time zone", "timezone = \"Europe/Berlim\"\n", []string{
			f + `:1:12: PL014 site.bad-value: timezone "Europe/Berlim" is not a time zone this machine knows (hint: an IANA time zone name, e.g. timezone = "Europe/Berlin" (the names are those of the IANA database, case matters))`}},
		{"time zone as a path", "timezone = \"../../etc/passwd\"\n", []string{
			f + `:1:12: PL014 site.bad-value: timezone "../../etc/passwd" is not a time zone name (hint: an IANA time zone name, e.g. timezone = "Europe/Berlin")`}},
		{"time zone Local", "timezone = \"Local\"\n", []string{
			f + `:1:12: PL014 site.bad-value: timezone "Local" is not a time zone name (hint: an IANA time zone name, e.g. timezone = "Europe/Berlin")`}},
		{"time zone as an offset", "timezone = \"+01:00\"\n", []string{
			f + `:1:12: PL014 site.bad-value: timezone "+01:00" is not a time zone name (hint: an IANA time zone name, e.g. timezone = "Europe/Berlin")`}},
		{"bad windows", "freeze = [\"Fri 18:00-Mon 6\", \"Sat-Sun\", \"sat-sunday\", \"2027-01-04..2026-12-20\"]\n", []string{
			f + `:1:11: PL014 site.bad-value: freeze: "Fri 18:00-Mon 6": time "6" is not HH:MM (hint: 24-hour clock, two digits each, e.g. "06:00")`,
			f + `:1:41: PL014 site.bad-value: freeze lists "sat-sunday" twice (hint: remove the repeated window)`,
			f + `:1:55: PL014 site.bad-value: freeze: "2027-01-04..2026-12-20": ends before it starts (hint: write the earlier date first: "2026-12-20..2027-01-04")`}},
		{"too many windows", "freeze = [" + strings.Repeat(`"Sat",`, 101) + "]\n", []string{
			f + `:1:10: PL014 site.bad-value: freeze lists 101 windows, at most 100 (hint: merge adjacent windows)`}},
		{"all of them, in order", "env = \"live\"\nsite = 7\ncolour = \"red\"\n", []string{
			f + `:1:7: PL014 site.bad-value: env "live" is not one of test, staging, production (hint: did you mean "production"?)`,
			f + `:2:8: PL012 site.type: site must be a string, got integer (hint: write it as site = "acme-berlin")`,
			f + `:3:1: PL011 site.unknown-key: unknown key "colour" (hint: known keys: site, env, operator, timezone, freeze)`}},
		{"binary", "\x00\x01", []string{
			f + `:1:1: PL010 site.syntax: files cannot contain NULL bytes; probably using UTF-16; TOML files must be UTF-8 (hint: save the file as UTF-8 text)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := DecodeSite(siteName, []byte(tt.src))
			var se *SiteError
			if !errors.As(err, &se) {
				t.Fatalf("DecodeSite = %+v, %v; want a *SiteError", s, err)
			}
			var got []string
			for _, p := range se.Problems {
				got = append(got, p.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems:\ngot:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if err.Error() != strings.Join(got, "\n") {
				t.Errorf("Error() = %q", err.Error())
			}
			if s != nil {
				t.Error("DecodeSite returned a site with its error")
			}
		})
	}
}

func TestDecodeSiteTooLarge(t *testing.T) {
	t.Parallel()
	data := []byte(validSite + strings.Repeat("# padding\n", MaxSiteSize/10))
	_, err := DecodeSite(siteName, data)
	want := siteName + ":1:1: PL017 site.too-large: the site file is over 65536 bytes (hint: a site.toml is a few lines; is this the right file?)"
	if err == nil || err.Error() != want {
		t.Errorf("DecodeSite(%d bytes) = %v\nwant %s", len(data), err, want)
	}
}

func TestChecks(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  error
		want string
	}{
		{CheckEnv("test"), ""},
		{CheckEnv("production"), ""},
		{CheckEnv("prod"), `environment "prod" is not one of test, staging, production`},
		{CheckSite("acme-berlin"), ""},
		{CheckSite("acme/berlin"), `site "acme/berlin" is not a site name: letters, digits, '.', '_' and '-', at most 64, starting with a letter or digit`},
		{CheckSite(".hidden"), `site ".hidden" is not a site name: letters, digits, '.', '_' and '-', at most 64, starting with a letter or digit`},
		{CheckName("operator", "Jane Doe"), ""},
		{CheckName("operator", "Jürgen Weiß"), ""},
		{CheckName("operator", ""), "operator is empty"},
		{CheckName("by", "a\u202eb"), `by "a\u202eb" has a control character (U+202E) at character 2`},
		{CheckName("host", "\xff"), `host "\xff" is not UTF-8 at character 1`},
	} {
		got := ""
		if tt.err != nil {
			got = tt.err.Error()
		}
		if got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

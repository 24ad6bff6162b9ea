package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestMaintenanceBranch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		setting, line string
		want          string
		ok            bool
	}{
		// Without placeholders a value is a prefix, as it always was.
		{"release/", "v2026.3", "release/v2026.3", true},
		{"release-", "v1.6", "release-v1.6", true},
		{"", "v2026.3", "release/v2026.3", true}, // the default
		// Templates.
		{"release-{major}.{minor}", "v1.6", "release-1.6", true},
		{"release-{major}.{minor}", "v2026.3", "release-2026.3", true},
		{"release/{line}", "v2026.3", "release/v2026.3", true},
		{"maint/{major}/{minor}/{line}", "v1.7", "maint/1/7/v1.7", true},
		{"release-{major}.{minor}", "product-1.6", "release-1.6", true},
		{"{line}-maintenance", "v1.6", "v1.6-maintenance", true},
		// A line without the number the template asks for has no branch.
		{"release-{major}.{minor}", "v3", "", false},
		{"release-{major}.{minor}", "nightly", "", false},
	}
	for _, tt := range tests {
		c := &Config{Release: Release{MaintenanceBranch: tt.setting}}
		got, ok := c.MaintenanceBranch(tt.line)
		if got != tt.want || ok != tt.ok {
			t.Errorf("maintenance_branch %q: MaintenanceBranch(%q) = %q, %v; want %q, %v", tt.setting, tt.line, got, ok, tt.want, tt.ok)
		}
		if got := c.MaintenanceBranchFor(tt.line); got != tt.want {
			t.Errorf("maintenance_branch %q: MaintenanceBranchFor(%q) = %q, want %q", tt.setting, tt.line, got, tt.want)
		}
	}
}

func TestDecodeMaintenanceBranch(t *testing.T) {
	t.Parallel()
	const f = file
	hint := ` (hint: a prefix (the branch is prefix + line) or a template with {line}, {major}, {minor}, e.g. maintenance_branch = "release-{major}.{minor}")`
	tests := []struct {
		value string
		want  []string // problems; none: it decodes
	}{
		{`"release-{major}.{minor}"`, nil},
		{`"release/{line}"`, nil},
		{`"release-"`, nil},
		{`"release-{patch}"`, []string{f + `:12:22: PL014 config.bad-value: release.maintenance_branch "release-{patch}": unknown placeholder {patch}` + hint}},
		{`"release-{Major}.{minor}"`, []string{f + `:12:22: PL014 config.bad-value: release.maintenance_branch "release-{Major}.{minor}": unknown placeholder {Major}` + hint}},
		{`"release-{}"`, []string{f + `:12:22: PL014 config.bad-value: release.maintenance_branch "release-{}": unknown placeholder {}` + hint}},
		{`"release-{major"`, []string{f + `:12:22: PL014 config.bad-value: release.maintenance_branch "release-{major": "{major" is not closed` + hint}},
		{`"release-major}"`, []string{f + `:12:22: PL014 config.bad-value: release.maintenance_branch "release-major}": a "}" without its "{"` + hint}},
		{`"release-{major}"`, []string{f + `:12:22: PL014 config.bad-value: release.maintenance_branch "release-{major}": it names one branch for several lines: use {line}, or {major} and {minor} together` + hint}},
		{`"release {major}.{minor}"`, []string{f + `:12:22: PL014 config.bad-value: release.maintenance_branch "release {major}.{minor}" names "release 2026.3" for the line v2026.3, not a git branch name: it contains ' ' (hint: use letters, digits, '-', '_', '.' and '/' around the placeholders, e.g. maintenance_branch = "release-{major}.{minor}")`}},
	}
	for _, tt := range tests {
		src := edit("release", "maintenance_branch", "maintenance_branch = "+tt.value)
		c, err := Decode(file, []byte(src))
		var got []string
		var de *DecodeError
		switch {
		case errors.As(err, &de):
			for _, p := range de.Problems {
				got = append(got, p.String())
			}
		case err != nil:
			t.Fatalf("%s: Decode error %T, want *DecodeError: %v", tt.value, err, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("maintenance_branch = %s:\ngot:\n%s\nwant:\n%s", tt.value, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
		}
		if tt.want == nil && c.Release.MaintenanceBranch != strings.Trim(tt.value, `"`) {
			t.Errorf("maintenance_branch = %s: decoded %q", tt.value, c.Release.MaintenanceBranch)
		}
	}
}

func TestSupportedLines(t *testing.T) {
	t.Parallel()
	all := &Config{}
	if !all.SupportsLine("v1.5") {
		t.Errorf("without [release] lines, every line is supported")
	}
	some := &Config{Release: Release{Lines: []string{"v1.7", "v2.0"}}}
	for line, want := range map[string]bool{"v1.7": true, "v2.0": true, "v1.6": false} {
		if got := some.SupportsLine(line); got != want {
			t.Errorf("SupportsLine(%q) = %v, want %v", line, got, want)
		}
	}
	if line, err := some.SupportedLineOf("v1.7.2"); line != "v1.7" || err != nil {
		t.Errorf("SupportedLineOf(v1.7.2) = %q, %v; want v1.7", line, err)
	}
	_, err := some.SupportedLineOf("v1.6.3")
	if want := "v1.6.3 is on the release line v1.6, not a supported release line: [release] lines lists v1.7, v2.0"; err == nil || err.Error() != want || !errors.Is(err, ErrUnsupportedLine) {
		t.Errorf("SupportedLineOf(v1.6.3) = %v, want %s", err, want)
	}
	if _, err := some.SupportedLineOf("nightly"); err == nil || errors.Is(err, ErrUnsupportedLine) {
		t.Errorf("SupportedLineOf(nightly) = %v, want not a release tag", err)
	}
}

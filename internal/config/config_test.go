package config

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

const file = ".patchline.toml"

// valid is a correct config; the problem cases edit one line of it, so the
// positions in their wants are those of this layout.
const valid = `[project]
name = "inventory"
github = "acme/inventory"

[release]
tags = '^v\d+\.\d+\.\d+$'
quarterly = '^v\d+\.\d+\.0$'
lines = ["v2026.3", "v2026.2"]
signed_tags = true
tag_keys = "keys/release.asc"

[ids]
prefix = "PL"

[modules]
importer = ["importer/**"]
cli = ["main.go", "go.mod"]
docs = ["README.md", "data/**"]

[build]
builder = "go"
packages = ["."]
platforms = ["linux/amd64", "darwin/arm64"]

[qa]
reviewers = ["acme/qa"]
approvals = 2

[sla]
critical = "48h"
important = "7d"
moderate = "30d"
low = "2w"

[sign]
key = "env://COSIGN_KEY"
`

func validConfig() *Config {
	c := &Config{
		Project: Project{Name: "inventory", GitHub: "acme/inventory"},
		Release: Release{Tags: DefaultTags, Quarterly: DefaultQuarterly, Lines: []string{"v2026.3", "v2026.2"},
			SignedTags: true, TagKeys: "keys/release.asc",
			PatchBranch: "patch/", MaintenanceBranch: "release/", MainBranch: "main"},
		IDs:     IDs{Prefix: "PL"},
		Modules: map[string][]string{"importer": {"importer/**"}, "cli": {"main.go", "go.mod"}, "docs": {"README.md", "data/**"}},
		Build:   Build{Builder: "go", Packages: []string{"."}, Platforms: []string{"linux/amd64", "darwin/arm64"}},
		QA:      QA{Reviewers: []string{"acme/qa"}, Approvals: 2},
		SLA:     map[string]string{"critical": "48h", "important": "7d", "moderate": "30d", "low": "2w"},
		Sign:    Sign{Key: "env://COSIGN_KEY"},
		Install: Install{CheckTimeout: DefaultCheckTimeout, CheckRetries: DefaultCheckRetries},
	}
	c.compile()
	return c
}

// edit replaces the line of key in [table] by repl (which may be several
// lines, or none), or adds repl at the end of the table.
func edit(table, key, repl string) string {
	lines := strings.SplitAfter(valid, "\n")
	in := false
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "["):
			if in { // end of the table: add it here
				lines[i] = repl + "\n" + l
				return strings.Join(lines, "")
			}
			in = l == "["+table+"]\n"
		case in && strings.HasPrefix(l, key+" = "):
			lines[i] = repl + "\n"
			if repl == "" {
				lines[i] = ""
			}
			return strings.Join(lines, "")
		}
	}
	return valid + repl + "\n"
}

// equal compares configs on what they say, not on their compiled regexps.
func equal(a, b *Config) bool {
	x, y := *a, *b
	x.tags, x.quarterly, y.tags, y.quarterly = nil, nil, nil, nil
	return reflect.DeepEqual(x, y)
}

func TestDecodeValid(t *testing.T) {
	t.Parallel()
	got, err := Decode(file, []byte(valid))
	if err != nil {
		t.Fatalf("Decode(valid): %v", err)
	}
	if want := validConfig(); !equal(got, want) {
		t.Errorf("Decode(valid):\ngot  %+v\nwant %+v", got, want)
	}
}

func TestDecodeDefaults(t *testing.T) {
	t.Parallel()
	got, err := Decode(file, []byte("[project]\nname = \"x\"\n"))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	want := &Config{
		Project: Project{Name: "x"},
		Release: Release{Tags: `^v\d+\.\d+\.\d+$`, Quarterly: `^v\d+\.\d+\.0$`, PatchBranch: "patch/", MaintenanceBranch: "release/", MainBranch: "main"},
		IDs:     IDs{Prefix: "PL"},
		Build:   Build{Builder: "go", Packages: []string{"."}, Platforms: []string{"linux/amd64"}},
		QA:      QA{Approvals: 1},
		Install: Install{CheckTimeout: "60s", CheckRetries: 3},
	}
	if !equal(got, want) {
		t.Errorf("Decode filled in:\ngot  %+v\nwant %+v", got, want)
	}
	if !got.IsReleaseTag("v2026.3.1") || !got.IsQuarterlyTag("v2026.3.0") {
		t.Errorf("default tag patterns not compiled")
	}
}

func TestDecodeProblems(t *testing.T) {
	t.Parallel()
	const f = file
	tests := []struct {
		name string
		src  string
		want []string
	}{
		// PL010
		{"syntax: regexp in double quotes", edit("release", "tags", `tags = "^v\d+$"`), []string{
			f + `:6:11: PL010 config.syntax: invalid escape in string '\d' (hint: a backslash starts an escape in "double quotes"; write regexps and Windows paths in 'single quotes', or double the backslash)`}},
		{"syntax: table twice", valid + "[qa]\n", []string{
			f + `:37:2: PL010 config.syntax: Key 'qa' has already been defined. (hint: each key may appear once per table; remove the repeated one)`}},
		// PL011
		{"unknown key", edit("release", "signed_tags", "signed = true"), []string{
			f + `:9:1: PL011 config.unknown-key: unknown key "signed" in [release] (hint: known keys: tags, quarterly, lines, signed_tags, tag_keys, patch_branch, maintenance_branch, main_branch)`}},
		{"unknown key, typo", edit("qa", "approvals", "aprovals = 2"), []string{
			f + `:27:1: PL011 config.unknown-key: unknown key "aprovals" in [qa] (hint: did you mean "approvals"?)`}},
		{"unknown table", valid + "[deploy]\nhost = \"x\"\n", []string{
			f + `:37:2: PL011 config.unknown-key: unknown key "deploy" (hint: known keys: project, release, ids, modules, build, qa, sla, sign, rollup, install, rollout, fleet, advisory)`}},
		// PL012
		{"type: signed_tags", edit("release", "signed_tags", `signed_tags = "yes"`), []string{
			f + `:9:15: PL012 config.type: release.signed_tags must be a boolean (true or false), got string (hint: write it as signed_tags = true)`}},
		{"type: module globs", edit("modules", "cli", `cli = "main.go"`), []string{
			f + `:17:7: PL012 config.type: modules.cli must be an array of strings, got string (hint: write it as cli = ["internal/importer/**"])`}},
		{"type: sla", edit("sla", "low", `low = 90`), []string{
			f + `:33:7: PL012 config.type: sla.low must be a string, got integer (hint: write it as low = "48h")`}},
		{"type: approvals", edit("qa", "approvals", `approvals = "1"`), []string{
			f + `:27:13: PL012 config.type: qa.approvals must be an integer, got string (hint: write it as approvals = 1)`}},
		{"type: table", "release = \"v1\"\n", []string{
			f + `:1:11: PL012 config.type: release must be a table, got string (hint: write it as [release] with tags, quarterly, lines)`}},
		// PL013
		{"command builder without command", edit("build", "builder", `builder = "command"`), []string{
			f + `:21:11: PL013 config.missing-field: build.builder "command" needs build.command, the command that builds (hint: add command = "make dist" under [build])`}},
		{"command builder with command", edit("build", "builder", "builder = \"command\"\ncommand = \"make dist\""), nil},
		// PL014
		{"bad regexp", edit("release", "quarterly", `quarterly = '^v(\d+'`), []string{
			f + `:7:13: PL014 config.bad-value: release.quarterly is not a valid regular expression: missing closing ): ` + "`^v(\\d+`" + ` (hint: Go (RE2) syntax in 'single quotes', e.g. quarterly = '^v\d+\.\d+\.0$')`}},
		{"empty regexp", edit("release", "tags", `tags = ""`), []string{
			f + `:6:8: PL014 config.bad-value: release.tags is empty (hint: remove the key to use the default, or write tags = '^v\d+\.\d+\.\d+$')`}},
		{"tag as a line", edit("release", "lines", `lines = ["v2026.3", "v2026.2.0"]`), []string{
			f + `:8:21: PL014 config.bad-value: release.lines lists "v2026.2.0", a release tag, not a release line (hint: did you mean "v2026.2"?)`}},
		{"duplicate line", edit("release", "lines", `lines = ["v2026.3", "v2026.3"]`), []string{
			f + `:8:21: PL014 config.bad-value: release.lines lists "v2026.3" twice (hint: remove the repeated entry)`}},
		{"bad branch", edit("release", "lines", "patch_branch = \"fix es/\""), []string{
			f + `:8:16: PL014 config.bad-value: release.patch_branch "fix es/" cannot be part of a git branch name: it contains ' ' (hint: use letters, digits, '-', '_', '.' and '/', e.g. patch_branch = "patch/")`}},
		{"bad github", edit("project", "github", `github = "https://github.com/acme/inventory.git"`), []string{
			f + `:3:10: PL014 config.bad-value: project.github "https://github.com/acme/inventory.git" is not owner/repo (hint: did you mean "acme/inventory"?)`}},
		{"bad prefix", edit("ids", "prefix", `prefix = "pl"`), []string{
			f + `:13:10: PL014 config.bad-value: ids.prefix "pl" cannot start a patch id (hint: did you mean "PL"?)`}},
		{"bad glob", edit("modules", "docs", `docs = ["README.md", "data/[x"]`), []string{
			f + `:18:22: PL014 config.bad-value: modules.docs: "data/[x" is not a valid glob (hint: globs are relative to the repository root, in doublestar syntax: "internal/importer/**")`}},
		{"absolute glob", edit("modules", "docs", `docs = ["/README.md"]`), []string{
			f + `:18:9: PL014 config.bad-value: modules.docs: "/README.md" is not relative to the repository root (hint: did you mean "README.md"?)`}},
		{"glob leaves the tree", edit("modules", "docs", `docs = ["../x/**"]`), []string{
			f + `:18:9: PL014 config.bad-value: modules.docs: "../x/**" leaves the repository (hint: globs are relative to the repository root, in doublestar syntax: "internal/importer/**")`}},
		{"module without paths", edit("modules", "docs", `docs = []`), []string{
			f + `:18:8: PL014 config.bad-value: module docs has no paths (hint: list its path globs, e.g. importer = ["internal/importer/**"])`}},
		{"bad builder", edit("build", "builder", `builder = "gorelaser"`), []string{
			f + `:21:11: PL014 config.bad-value: build.builder must be one of go, goreleaser, command (hint: did you mean "goreleaser"?)`}},
		{"bad platforms", edit("build", "platforms", `platforms = ["linux/x86_64", "macos-arm64", "linux"]`), []string{
			f + `:23:14: PL014 config.bad-value: build.platforms: "linux/x86_64" is not a known os/arch (hint: did you mean "linux/amd64"?)`,
			f + `:23:30: PL014 config.bad-value: build.platforms: "macos-arm64" is not a known os/arch (hint: did you mean "darwin/arm64"?)`,
			f + `:23:45: PL014 config.bad-value: build.platforms: "linux" is not a known os/arch (hint: platforms are os/arch as ` + "`go tool dist list`" + ` prints them, e.g. linux/amd64)`}},
		{"empty platforms", edit("build", "platforms", `platforms = []`), []string{
			f + `:23:13: PL014 config.bad-value: build.platforms is empty (hint: remove the key to use the default, or write platforms = ["linux/amd64", "darwin/arm64"])`}},
		{"bad reviewer", edit("qa", "reviewers", `reviewers = ["@octocat", "acme/qa team"]`), []string{
			f + `:26:14: PL014 config.bad-value: qa.reviewers: "@octocat" is not a GitHub user or org/team (hint: did you mean "octocat"?)`,
			f + `:26:26: PL014 config.bad-value: qa.reviewers: "acme/qa team" is not a GitHub user or org/team (hint: a reviewer is a GitHub login or an org/team slug, e.g. reviewers = ["acme/qa", "octocat"])`}},
		{"no approvals", edit("qa", "approvals", `approvals = 0`), []string{
			f + `:27:13: PL014 config.bad-value: qa.approvals must be at least 1, got 0 (hint: the gate turns green on QA approval; write approvals = 1 or more)`}},
		{"sla key not a severity", edit("sla", "critical", `critcal = "48h"`), []string{
			f + `:30:1: PL014 config.bad-value: sla.critcal: "critcal" is not a severity (hint: did you mean "critical"?)`}},
		{"bad sla duration", edit("sla", "moderate", `moderate = "30 days"`), []string{
			f + `:32:12: PL014 config.bad-value: sla.moderate: invalid duration "30 days": units are ns, us, ms, s, m, h, d and w (hint: write a number and a unit (h, d or w), e.g. critical = "48h")`}},
		{"zero sla", edit("sla", "moderate", `moderate = "0d"`), []string{
			f + `:32:12: PL014 config.bad-value: sla.moderate must be longer than zero (hint: e.g. critical = "48h")`}},
		{"empty sign key", edit("sign", "key", `key = ""`), []string{
			f + `:36:7: PL014 config.bad-value: sign.key is empty (hint: remove the key to use the default, or write key = "cosign.key")`}},
		// [sign] keyless: with the repository that signs, without a key.
		{"keyless", edit("sign", "key", "keyless = true"), nil},
		{"keyless and a key", edit("sign", "key", "key = \"cosign.key\"\nkeyless = true"), []string{
			f + `:37:11: PL014 config.bad-value: sign.keyless = true signs with the workflow's OIDC token, and sign.key names a key: choose one (hint: remove key to sign keylessly, or keyless to sign with the key)`}},
		{"keyless without github", strings.Replace(edit("sign", "key", "keyless = true"), "github = \"acme/inventory\"\n", "", 1), []string{
			f + `:35:11: PL013 config.missing-field: sign.keyless needs project.github: the signature names the repository's workflow (hint: add github = "acme/inventory" under [project])`}},
		{"type: keyless", edit("sign", "key", `keyless = "yes"`), []string{
			f + `:36:11: PL012 config.type: sign.keyless must be a boolean (true or false), got string (hint: write it as keyless = true)`}},
		// [fleet] dir stays a folder of the repository's own.
		{"fleet dir ok", valid + "[fleet]\ndir = \"ops/fleet/\"\n", nil},
		{"fleet dir leaves the repository", valid + "[fleet]\ndir = \"../fleet\"\n", []string{
			f + `:38:7: PL014 config.bad-value: fleet.dir "../fleet" leaves the repository (hint: a folder relative to the repository root, with '/' between its parts, e.g. dir = "fleet")`}},
		{"fleet dir absolute", valid + "[fleet]\ndir = \"/srv/fleet\"\n", []string{
			f + `:38:7: PL014 config.bad-value: fleet.dir "/srv/fleet" is not relative to the repository root (hint: a folder relative to the repository root, with '/' between its parts, e.g. dir = "fleet")`}},
		{"fleet dir backslash", valid + "[fleet]\ndir = 'ops\\fleet'\n", []string{
			f + `:38:7: PL014 config.bad-value: fleet.dir "ops\\fleet" uses '\' (hint: did you mean "ops/fleet"?)`}},
		{"fleet dir ./", valid + "[fleet]\ndir = \"./fleet\"\n", []string{
			f + `:38:7: PL014 config.bad-value: fleet.dir "./fleet" starts with ./ (hint: did you mean "fleet"?)`}},
		{"fleet dir in .git", valid + "[fleet]\ndir = \".git/fleet\"\n", []string{
			f + `:38:7: PL014 config.bad-value: fleet.dir ".git/fleet" is inside .git/, which holds other files (hint: a folder relative to the repository root, with '/' between its parts, e.g. dir = "fleet")`}},
		{"fleet dir empty part", valid + "[fleet]\ndir = \"ops//fleet\"\n", []string{
			f + `:38:7: PL014 config.bad-value: fleet.dir "ops//fleet" has an empty part (hint: a folder relative to the repository root, with '/' between its parts, e.g. dir = "fleet")`}},
		{"fleet dir empty", valid + "[fleet]\ndir = \"\"\n", []string{
			f + `:38:7: PL014 config.bad-value: fleet.dir is empty (hint: remove the key to use the default, or write dir = "fleet")`}},
		// [advisory] names the product by a package URL without a version.
		{"advisory ok", valid + "[advisory]\npurl = \"pkg:generic/acme/inventory?download_url=https://acme.example/dl\"\npublisher = \"ACME Corp\"\nnamespace = \"https://acme.example\"\n", nil},
		{"advisory purl not a purl", valid + "[advisory]\npurl = \"acme/inventory\"\n", []string{
			f + `:38:8: PL014 config.bad-value: advisory.purl "acme/inventory" is not a package URL: scheme is not "pkg": "acme/inventory" (hint: a package URL without a version, pkg:<type>/<namespace>/<name>, e.g. purl = "pkg:generic/acme/inventory")`}},
		{"advisory purl with a version", valid + "[advisory]\npurl = \"pkg:generic/acme/inventory@v2026.3.1\"\n", []string{
			f + `:38:8: PL014 config.bad-value: advisory.purl "pkg:generic/acme/inventory@v2026.3.1" names a version (@v2026.3.1): drop it, each advisory adds the version of every release it lists (hint: a package URL without a version, pkg:<type>/<namespace>/<name>, e.g. purl = "pkg:generic/acme/inventory")`}},
		{"advisory purl with a subpath", valid + "[advisory]\npurl = \"pkg:golang/example.com/inventory#cmd/inventory\"\n", []string{
			f + `:38:8: PL014 config.bad-value: advisory.purl "pkg:golang/example.com/inventory#cmd/inventory" has a subpath (#cmd/inventory): name the whole product (hint: a package URL without a version, pkg:<type>/<namespace>/<name>, e.g. purl = "pkg:generic/acme/inventory")`}},
		{"advisory namespace not a URL", valid + "[advisory]\nnamespace = \"acme.example\"\n", []string{
			f + `:38:13: PL014 config.bad-value: advisory.namespace "acme.example" is not an http(s) URL (hint: the publisher's web address, e.g. namespace = "https://acme.example")`}},
		{"advisory publisher control", valid + "[advisory]\npublisher = \"ACME\\u001b[2J\"\n", []string{
			f + `:38:13: PL014 config.bad-value: advisory.publisher has a control character (U+001B) at character 5 (hint: write the name as plain text, e.g. publisher = "ACME Corp")`}},
		{"advisory purl empty", valid + "[advisory]\npurl = \"\"\n", []string{
			f + `:38:8: PL014 config.bad-value: advisory.purl is empty (hint: remove the key to use the default, or write purl = "pkg:generic/acme/inventory")`}},
		// Several at once, in file order.
		{"all of them", "[project]\nname = 1\ncolour = \"red\"\n[build]\nbuilder = \"make\"\n", []string{
			f + `:2:8: PL012 config.type: project.name must be a string, got integer (hint: write it as name = "inventory")`,
			f + `:3:1: PL011 config.unknown-key: unknown key "colour" in [project] (hint: known keys: name, github)`,
			f + `:5:11: PL014 config.bad-value: build.builder must be one of go, goreleaser, command (hint: e.g. builder = "go")`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Decode(file, []byte(tt.src))
			var got []string
			var de *DecodeError
			switch {
			case errors.As(err, &de):
				for _, p := range de.Problems {
					got = append(got, p.String())
				}
				if c != nil {
					t.Errorf("Decode returned a config with its error")
				}
			case err != nil:
				t.Fatalf("Decode error %T, want *DecodeError: %v", err, err)
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
	_, err := Decode(file, data)
	want := file + ":1:1: PL017 config.too-large: the config is over 1048576 bytes (hint: a .patchline.toml is a few dozen lines; is this the right file?)"
	if err == nil || err.Error() != want {
		t.Errorf("Decode(%d bytes) = %v\nwant %s", len(data), err, want)
	}
}

func TestDecodeErrorString(t *testing.T) {
	t.Parallel()
	_, err := Decode("x/.patchline.toml", []byte("[qa]\napprovals = 0\nbogus = 1\n"))
	want := "x/.patchline.toml:2:13: PL014 config.bad-value: qa.approvals must be at least 1, got 0 (hint: the gate turns green on QA approval; write approvals = 1 or more)\n" +
		"x/.patchline.toml:3:1: PL011 config.unknown-key: unknown key \"bogus\" in [qa] (hint: known keys: reviewers, approvals)"
	if err == nil || err.Error() != want {
		t.Errorf("Error() =\n%v\nwant\n%s", err, want)
	}
}

func TestMethods(t *testing.T) {
	t.Parallel()
	c := validConfig()
	tags := []struct {
		tag              string
		release, quarter bool
		line             string
		lineOK           bool
	}{
		{"v2026.3.0", true, true, "v2026.3", true},
		{"v2026.3.12", true, false, "v2026.3", true},
		{"v2026.3", false, false, "", false},
		{"v2026.3.0-rc1", false, false, "", false},
		{"release-1", false, false, "", false},
	}
	for _, tt := range tags {
		if got := c.IsReleaseTag(tt.tag); got != tt.release {
			t.Errorf("IsReleaseTag(%q) = %v, want %v", tt.tag, got, tt.release)
		}
		if got := c.IsQuarterlyTag(tt.tag); got != tt.quarter {
			t.Errorf("IsQuarterlyTag(%q) = %v, want %v", tt.tag, got, tt.quarter)
		}
		if got, ok := c.LineOf(tt.tag); got != tt.line || ok != tt.lineOK {
			t.Errorf("LineOf(%q) = %q, %v; want %q, %v", tt.tag, got, ok, tt.line, tt.lineOK)
		}
	}
	if got, want := c.MaintenanceBranchFor("v2026.3"), "release/v2026.3"; got != want {
		t.Errorf("MaintenanceBranchFor = %q, want %q", got, want)
	}
	if got, want := c.PatchBranchFor("PL-2026-0007"), "patch/PL-2026-0007"; got != want {
		t.Errorf("PatchBranchFor = %q, want %q", got, want)
	}

	c.Modules["all-data"] = []string{"**/*.csv"}
	paths := []struct {
		path string
		want []string
	}{
		{"importer/importer.go", []string{"importer"}},
		{"importer/sub/dir/x.go", []string{"importer"}},
		{"./main.go", []string{"cli"}},
		{"data/stock.csv", []string{"all-data", "docs"}},
		{"other/file.txt", nil},
	}
	for _, tt := range paths {
		if got := c.ModulesFor(tt.path); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ModulesFor(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}

	slas := []struct {
		severity string
		want     time.Duration
		ok       bool
	}{
		{"critical", 48 * time.Hour, true},
		{"important", 7 * 24 * time.Hour, true},
		{"low", 14 * 24 * time.Hour, true},
		{"severe", 0, false},
	}
	for _, tt := range slas {
		if got, ok := c.SLAFor(tt.severity); got != tt.want || ok != tt.ok {
			t.Errorf("SLAFor(%q) = %v, %v; want %v, %v", tt.severity, got, ok, tt.want, tt.ok)
		}
	}
}

func TestMethodsOnLiteralConfig(t *testing.T) {
	t.Parallel()
	// A config built in code, not decoded: the patterns compile on use.
	c := &Config{Release: Release{Tags: `^r\d+\.\d+$`}}
	if !c.IsReleaseTag("r1.2") || c.IsReleaseTag("v1.2.3") {
		t.Errorf("IsReleaseTag ignores Release.Tags")
	}
	if line, ok := c.LineOf("r1.2"); line != "r1" || !ok {
		t.Errorf("LineOf(r1.2) = %q, %v", line, ok)
	}
	c.Release.Tags = "(" // invalid: nothing is a release tag
	if c.IsReleaseTag("r1.2") {
		t.Errorf("an invalid pattern matched")
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"48h", 48 * time.Hour, true},
		{"5d", 5 * 24 * time.Hour, true},
		{"2w", 14 * 24 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"1.5d", 36 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"1w1d1h30m", (8*24+1)*time.Hour + 30*time.Minute, true},
		{"0", 0, true},
		{"", 0, false},
		{"5", 0, false},
		{"d", 0, false},
		{"-5d", 0, false},
		{"5 d", 0, false},
		{"5y", 0, false},
		{"1.2.3d", 0, false},
		{"999999999w", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := Load(dir); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "run `patchline init`") {
		t.Errorf("Load(empty dir) = %v; want ErrNotFound with a hint", err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(valid), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(dir)
	if err != nil || !equal(c, validConfig()) {
		t.Errorf("Load = %+v, %v", c, err)
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, FileName), []byte("[qa]\napprovals = -1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var de *DecodeError
	if _, err := Load(bad); !errors.As(err, &de) || de.Problems[0].File != filepath.Join(bad, FileName) {
		t.Errorf("Load(bad) = %v; want a *DecodeError naming the file", err)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	t.Parallel()
	odd := validConfig()
	odd.Modules["with.dot"] = []string{"a b/**", `it's\here`}
	odd.Build = Build{Builder: BuilderCommand, Command: "make dist OUT=\"$OUT\"", Artifacts: []string{"dist/**"},
		Packages: []string{"./cmd/a", "./cmd/b"}, Platforms: []string{"linux/amd64", "windows/arm64"}}
	odd.Release.Tags = `^release-\d+\.\d+\.\d+$`
	odd.Release.Quarterly = `^release-\d+\.\d+\.0$`
	odd.Release.Lines = nil
	odd.Release.TagKeys = ""
	odd.Sign.Key = ""
	odd.SLA = nil
	odd.Advisory = Advisory{PURL: "pkg:generic/acme/inventory", Publisher: "ACME \"Corp\"", Namespace: "https://acme.example/security"}
	for name, c := range map[string]*Config{"default": Default("inventory", "acme/inventory"), "valid": validConfig(), "odd": odd} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data := c.Encode()
			got, err := Decode(file, data)
			if err != nil {
				t.Fatalf("Decode(Encode(c)): %v\nin:\n%s", err, data)
			}
			if !equal(got, c) {
				t.Errorf("Decode(Encode(c)):\ngot  %+v\nwant %+v\nfrom:\n%s", got, c, data)
			}
			if again := got.Encode(); !bytes.Equal(again, data) {
				t.Errorf("Encode is not stable:\n%s\nthen:\n%s", data, again)
			}
		})
	}
}

func TestEncode(t *testing.T) {
	t.Parallel()
	golden(t, Default("inventory", "acme/inventory").Encode())
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

func TestRollupTests(t *testing.T) {
	t.Parallel()
	c, err := Decode(".patchline.toml", []byte("[project]\nname = \"x\"\n[rollup]\ntests = [\"**/*_spec.rb\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.TestGlobs(); len(got) != 1 || got[0] != "**/*_spec.rb" {
		t.Errorf("TestGlobs() = %q", got)
	}
	if got := Default("x", "").TestGlobs(); len(got) != 2 {
		t.Errorf("default TestGlobs() = %q, want the Go defaults", got)
	}
	if _, err := Decode(".patchline.toml", []byte("[project]\nname = \"x\"\n[rollup]\ntests = [\"[\"]\n")); err == nil {
		t.Error("a glob that does not parse was accepted")
	}
}

func TestDecodeInstallRollout(t *testing.T) {
	t.Parallel()
	src := valid + `[install]
check = "./bin/inventory selftest --quick"
check_timeout = "2m"
check_retries = 0
services = ["inventory.service", "inventory-worker@1.service"]

[rollout]
require_test = true
freeze = ["Fri 18:00-Mon 06:00", "2026-12-20..2027-01-04"]
`
	c, err := Decode(file, []byte(src))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	want := Install{Check: "./bin/inventory selftest --quick", CheckTimeout: "2m", CheckRetries: 0,
		Services: []string{"inventory.service", "inventory-worker@1.service"}}
	if !reflect.DeepEqual(c.Install, want) || !c.Rollout.RequireTest {
		t.Errorf("Decode = %+v, %+v", c.Install, c.Rollout)
	}
	if got := c.CheckTimeout(); got != 2*time.Minute {
		t.Errorf("CheckTimeout() = %v, want 2m", got)
	}
	if got := c.CheckRetries(); got != 0 {
		t.Errorf("CheckRetries() = %d, want 0 (set to zero, not left out)", got)
	}
	var windows []string
	for _, w := range c.FreezeWindows() {
		windows = append(windows, w.String())
	}
	if want := []string{"Fri 18:00-Mon 06:00", "2026-12-20..2027-01-04"}; !reflect.DeepEqual(windows, want) {
		t.Errorf("FreezeWindows() = %q, want %q", windows, want)
	}

	// Left out: the defaults.
	c, err = Decode(file, []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	if c.CheckTimeout() != time.Minute || c.CheckRetries() != 3 || c.FreezeWindows() != nil || c.Rollout.RequireTest || c.Install.Check != "" {
		t.Errorf("defaults: CheckTimeout %v, CheckRetries %d, FreezeWindows %v, %+v", c.CheckTimeout(), c.CheckRetries(), c.FreezeWindows(), c.Rollout)
	}
	if d := Default("x", ""); d.CheckTimeout() != time.Minute || d.CheckRetries() != 3 {
		t.Errorf("Default: CheckTimeout %v, CheckRetries %d", d.CheckTimeout(), d.CheckRetries())
	}
	literal := &Config{Install: Install{CheckTimeout: "forever", CheckRetries: 99}, Rollout: Rollout{Freeze: []string{"Sat", "bad"}}}
	if literal.CheckTimeout() != time.Minute || literal.CheckRetries() != 3 || len(literal.FreezeWindows()) != 1 {
		t.Errorf("literal: CheckTimeout %v, CheckRetries %d, FreezeWindows %v", literal.CheckTimeout(), literal.CheckRetries(), literal.FreezeWindows())
	}
}

func TestDecodeInstallRolloutProblems(t *testing.T) {
	t.Parallel()
	const f = file
	// valid has 36 lines: the table header is line 37, its first key line 38.
	install := func(lines string) string { return valid + "[install]\n" + lines + "\n" }
	rollout := func(lines string) string { return valid + "[rollout]\n" + lines + "\n" }
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"empty check", install(`check = " "`), []string{
			f + `:38:9: PL014 config.bad-value: install.check is empty (hint: remove the key to use the default, or write check = "./bin/inventory selftest")`}},
		{"check with a control character", install(`check = "selftest\u001b[2J"`), []string{
			f + `:38:9: PL014 config.bad-value: install.check has a control character (U+001B) at character 9 (hint: write the command as plain text, e.g. check = "./bin/inventory selftest")`}},
		{"check too long", install(`check = "` + strings.Repeat("x", MaxCheckLen+1) + `"`), []string{
			f + `:38:9: PL014 config.bad-value: install.check is over 4096 bytes (hint: put a longer check in a script in the product and run that, e.g. check = "./bin/inventory selftest")`}},
		{"multi-line check", install("check = '''\n./bin/inventory selftest\n./bin/inventory ping\n'''"), nil},
		{"check not a string", install(`check = ["./bin/inventory", "selftest"]`), []string{
			f + `:38:9: PL012 config.type: install.check must be a string, got array (hint: write it as check = "./bin/inventory selftest")`}},
		{"timeout without a unit", install(`check_timeout = "60"`), []string{
			f + `:38:17: PL014 config.bad-value: install.check_timeout: invalid duration "60": missing unit: use h, d or w, e.g. "48h" (hint: write a number and a unit, e.g. check_timeout = "60s" or "5m")`}},
		{"timeout too short", install(`check_timeout = "500ms"`), []string{
			f + `:38:17: PL014 config.bad-value: install.check_timeout "500ms" is not between 1s and 1h (hint: the time one run of the check may take, e.g. check_timeout = "60s")`}},
		{"timeout too long", install(`check_timeout = "2h"`), []string{
			f + `:38:17: PL014 config.bad-value: install.check_timeout "2h" is not between 1s and 1h (hint: the time one run of the check may take, e.g. check_timeout = "60s")`}},
		{"timeout as a number", install(`check_timeout = 60`), []string{
			f + `:38:17: PL012 config.type: install.check_timeout must be a string, got integer (hint: write it as check_timeout = "60s")`}},
		{"negative retries", install(`check_retries = -1`), []string{
			f + `:38:17: PL014 config.bad-value: install.check_retries must be between 0 and 10, got -1 (hint: how often a failed check runs again before the patch is rolled back, e.g. check_retries = 3)`}},
		{"too many retries", install(`check_retries = 11`), []string{
			f + `:38:17: PL014 config.bad-value: install.check_retries must be between 0 and 10, got 11 (hint: how often a failed check runs again before the patch is rolled back, e.g. check_retries = 3)`}},
		{"retries as a string", install(`check_retries = "3"`), []string{
			f + `:38:17: PL012 config.type: install.check_retries must be an integer, got string (hint: write it as check_retries = 3)`}},
		{"unknown install key", install(`timeout = "60s"`), []string{
			f + `:38:1: PL011 config.unknown-key: unknown key "timeout" in [install] (hint: known keys: check, check_timeout, check_retries, services)`}},
		{"bad services", install(`services = ["inventory.service", "rm -rf /", "inventory.service"]`), []string{
			f + `:38:34: PL014 config.bad-value: "rm -rf /" in install.services is not a service name (hint: write the name a service manager knows it by, letters, digits and @ . _ : + - only, e.g. services = ["inventory.service"])`,
			f + `:38:46: PL014 config.bad-value: install.services lists "inventory.service" twice (hint: remove the repeated entry)`}},
		{"require_test as a string", rollout(`require_test = "yes"`), []string{
			f + `:38:16: PL012 config.type: rollout.require_test must be a boolean (true or false), got string (hint: write it as require_test = true)`}},
		{"freeze as a string", rollout(`freeze = "Sat-Sun"`), []string{
			f + `:38:10: PL012 config.type: rollout.freeze must be an array of strings, got string (hint: write it as freeze = ["Fri 18:00-Mon 06:00", "2026-12-20..2027-01-04"])`}},
		{"bad windows", rollout(`freeze = ["Fri 18:00-Mon 6", "Sat", "Sat", "", "2027-01-04..2026-12-20", "Fr-Sun"]`), []string{
			f + `:38:11: PL014 config.bad-value: rollout.freeze: "Fri 18:00-Mon 6": time "6" is not HH:MM (hint: 24-hour clock, two digits each, e.g. "06:00")`,
			f + `:38:37: PL014 config.bad-value: rollout.freeze lists "Sat" twice (hint: remove the repeated entry)`,
			f + `:38:44: PL014 config.bad-value: rollout.freeze[3] is empty (hint: remove the empty entry)`,
			f + `:38:48: PL014 config.bad-value: rollout.freeze: "2027-01-04..2026-12-20": ends before it starts (hint: write the earlier date first: "2026-12-20..2027-01-04")`,
			f + `:38:74: PL014 config.bad-value: rollout.freeze: "Fr-Sun": "Fr" is not a day of the week (hint: did you mean "Fri"?)`}},
		{"whole week", rollout(`freeze = ["Mon-Sun"]`), []string{
			f + `:38:11: PL014 config.bad-value: rollout.freeze: "Mon-Sun": covers the whole week (hint: a freeze that never ends blocks every apply; list the days that are frozen)`}},
		{"too many windows", rollout(`freeze = [` + strings.Repeat(`"Sat", `, 101) + `]`), []string{
			f + `:38:10: PL014 config.bad-value: rollout.freeze lists 101 windows, at most 100 (hint: merge adjacent windows)`}},
		{"unknown rollout key", rollout(`freez = ["Sat"]`), []string{
			f + `:38:1: PL011 config.unknown-key: unknown key "freez" in [rollout] (hint: did you mean "freeze"?)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode(file, []byte(tt.src))
			var got []string
			var de *DecodeError
			switch {
			case errors.As(err, &de):
				for _, p := range de.Problems {
					got = append(got, p.String())
				}
			case err != nil:
				t.Fatalf("Decode error %T, want *DecodeError: %v", err, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode problems:\ngot:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestEncodeInstallRollout(t *testing.T) {
	t.Parallel()
	c := validConfig()
	c.Install = Install{Check: "./bin/inventory selftest --db \"$DB\"\n./bin/inventory ping", CheckTimeout: "90s", CheckRetries: 0}
	c.Rollout = Rollout{RequireTest: true, Freeze: []string{"Fri 18:00-Mon 06:00", "2026-12-24"}}
	data := c.Encode()
	got, err := Decode(file, data)
	if err != nil {
		t.Fatalf("Decode(Encode(c)): %v\n%s", err, data)
	}
	if !equal(got, c) {
		t.Errorf("Decode(Encode(c)):\ngot  %+v %+v\nwant %+v %+v", got.Install, got.Rollout, c.Install, c.Rollout)
	}
	if again := got.Encode(); !bytes.Equal(again, data) {
		t.Errorf("Encode is not stable:\n%s\nthen:\n%s", data, again)
	}
}

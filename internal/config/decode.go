package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/patchline/patchline/internal/lazyre"
	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/manifest/stricttoml"
	"github.com/patchline/patchline/internal/rollout"
	"github.com/patchline/patchline/internal/textsafe"
)

// Codes and rules of the problems Decode reports. They mirror the
// manifest's PL100-PL107 ten places lower, clear of validate's PL1xx rules.
const (
	CodeSyntax       = "PL010"
	CodeUnknownKey   = "PL011"
	CodeType         = "PL012"
	CodeMissingField = "PL013"
	CodeBadValue     = "PL014"
	CodeTooLarge     = "PL017"

	RuleSyntax       = "config.syntax"
	RuleUnknownKey   = "config.unknown-key"
	RuleType         = "config.type"
	RuleMissingField = "config.missing-field"
	RuleBadValue     = "config.bad-value"
	RuleTooLarge     = "config.too-large"
)

var examples = map[string]string{
	"project":                    "[project] with name and github",
	"project.name":               `name = "inventory"`,
	"project.github":             `github = "acme/inventory"`,
	"release":                    "[release] with tags, quarterly, lines",
	"release.tags":               `tags = '^v\d+\.\d+\.\d+$'`,
	"release.quarterly":          `quarterly = '^v\d+\.\d+\.0$'`,
	"release.lines":              `lines = ["v2026.3", "v2026.2"]`,
	"release.signed_tags":        "signed_tags = true",
	"release.tag_keys":           `tag_keys = "keys/release-signers.asc"`,
	"release.patch_branch":       `patch_branch = "patch/"`,
	"release.maintenance_branch": `maintenance_branch = "release/"`,
	"release.main_branch":        `main_branch = "main"`,
	"ids":                        `[ids] with prefix = "PL"`,
	"ids.prefix":                 `prefix = "PL"`,
	"modules":                    `[modules] with importer = ["internal/importer/**"]`,
	"modules.*":                  `importer = ["internal/importer/**"]`,
	"build":                      `[build] with builder = "go"`,
	"build.builder":              `builder = "go"`,
	"build.packages":             `packages = ["./cmd/inventory"]`,
	"build.platforms":            `platforms = ["linux/amd64", "darwin/arm64"]`,
	"build.command":              `command = "make dist"`,
	"build.artifacts":            `artifacts = ["dist/**"]`,
	"qa":                         `[qa] with reviewers = ["acme/qa"]`,
	"qa.reviewers":               `reviewers = ["acme/qa", "octocat"]`,
	"qa.approvals":               "approvals = 1",
	"sla":                        `[sla] with critical = "48h"`,
	"sla.*":                      `critical = "48h"`,
	"sign":                       `[sign] with key = "cosign.key"`,
	"sign.key":                   `key = "cosign.key"`,
	"sign.keyless":               "keyless = true",
	"rollup":                     `[rollup] with tests = ["**/*_test.go", "**/testdata/**"]`,
	"rollup.tests":               `tests = ["**/*_test.go", "**/testdata/**"]`,
	"install":                    `[install] with check = "./bin/inventory selftest"`,
	"install.check":              `check = "./bin/inventory selftest"`,
	"install.check_timeout":      `check_timeout = "60s"`,
	"install.check_retries":      "check_retries = 3",
	"install.services":           `services = ["inventory.service"]`,
	"rollout":                    `[rollout] with freeze = ["Fri 18:00-Mon 06:00"]`,
	"rollout.require_test":       "require_test = true",
	"rollout.freeze":             `freeze = ["Fri 18:00-Mon 06:00", "2026-12-20..2027-01-04"]`,
	"fleet":                      `[fleet] with dir = "fleet"`,
	"fleet.dir":                  `dir = "fleet"`,
	"advisory":                   `[advisory] with purl = "pkg:generic/acme/inventory"`,
	"advisory.purl":              `purl = "pkg:generic/acme/inventory"`,
	"advisory.publisher":         `publisher = "ACME Corp"`,
	"advisory.namespace":         `namespace = "https://acme.example"`,
}

var (
	githubRE   = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$`)
	githubURL  = lazyre.New(`^(?:https?://|git@)?github\.com[/:]([A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+?)(?:\.git)?/?$`)
	prefixRE   = lazyre.New(`^[A-Z][A-Z0-9]*$`)
	reviewerRE = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$`)
)

// platforms is `go tool dist list`: what the go builder can target.
var platforms = strings.Fields(`aix/ppc64 android/386 android/amd64 android/arm android/arm64 darwin/amd64
darwin/arm64 dragonfly/amd64 freebsd/386 freebsd/amd64 freebsd/arm freebsd/arm64
illumos/amd64 ios/amd64 ios/arm64 js/wasm linux/386 linux/amd64 linux/arm
linux/arm64 linux/loong64 linux/mips linux/mips64 linux/mips64le linux/mipsle
linux/ppc64 linux/ppc64le linux/riscv64 linux/s390x netbsd/386 netbsd/amd64
netbsd/arm netbsd/arm64 openbsd/386 openbsd/amd64 openbsd/arm openbsd/arm64
openbsd/ppc64 openbsd/riscv64 plan9/386 plan9/amd64 plan9/arm solaris/amd64
wasip1/wasm windows/386 windows/amd64 windows/arm64`)

// Other names for operating systems and architectures.
var platformWords = map[string]string{
	"macos": "darwin", "osx": "darwin", "mac": "darwin", "win": "windows", "win32": "windows", "win64": "windows",
	"x86_64": "amd64", "x64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "armv8": "arm64",
	"i386": "386", "i686": "386", "x86": "386",
}

// Decode reads a config strictly. On any problem it returns a *DecodeError
// holding all of them, in file order; otherwise the config with the defaults
// filled in for keys the file leaves out. Decode never panics.
func Decode(file string, data []byte) (*Config, error) {
	if len(data) > MaxSize {
		return nil, &DecodeError{Problems: []manifest.Problem{{File: file, Line: 1, Col: 1, Code: CodeTooLarge, Rule: RuleTooLarge,
			Message: fmt.Sprintf("the config is over %d bytes", MaxSize),
			Hint:    "a .patchline.toml is a few dozen lines; is this the right file?"}}}
	}
	var c Config
	doc, findings := stricttoml.Decode(data, &c, stricttoml.Options{Examples: examples})
	k := &checker{file: file, doc: doc, skip: map[string]bool{}}
	for _, f := range findings {
		k.finding(f)
	}
	if doc != nil {
		k.check(&c)
	}
	if len(k.problems) > 0 {
		manifest.SortProblems(k.problems)
		return nil, &DecodeError{Problems: k.problems}
	}
	if !doc.Has("install", "check_retries") {
		c.Install.CheckRetries = DefaultCheckRetries // 0 is a value: no retries
	}
	c.defaults()
	c.compile()
	return &c, nil
}

// defaults fills in what the file leaves out.
func (c *Config) defaults() {
	set := func(s *string, def string) {
		if *s == "" {
			*s = def
		}
	}
	set(&c.Release.Tags, DefaultTags)
	set(&c.Release.Quarterly, DefaultQuarterly)
	set(&c.Release.PatchBranch, DefaultPatchBranch)
	set(&c.Release.MaintenanceBranch, DefaultMaintenanceBranch)
	set(&c.Release.MainBranch, DefaultMainBranch)
	set(&c.IDs.Prefix, DefaultPrefix)
	set(&c.Build.Builder, DefaultBuilder)
	if len(c.Build.Packages) == 0 {
		c.Build.Packages = []string{"."}
	}
	if len(c.Build.Platforms) == 0 {
		c.Build.Platforms = []string{DefaultPlatform}
	}
	if c.QA.Approvals == 0 {
		c.QA.Approvals = DefaultApprovals
	}
	set(&c.Install.CheckTimeout, DefaultCheckTimeout)
}

type checker struct {
	file     string
	doc      *stricttoml.Doc
	skip     map[string]bool // paths already reported as the wrong type
	problems []manifest.Problem
}

func (k *checker) finding(f stricttoml.Finding) {
	code, rule := CodeSyntax, RuleSyntax
	switch f.Kind {
	case stricttoml.UnknownKey:
		code, rule = CodeUnknownKey, RuleUnknownKey
	case stricttoml.WrongType:
		code, rule = CodeType, RuleType
		k.skip[f.Path] = true
	}
	k.problems = append(k.problems, manifest.Problem{File: k.file, Line: f.Pos.Line, Col: f.Pos.Col,
		Code: code, Rule: rule, Message: f.Message, Hint: f.Hint})
}

func (k *checker) add(pos stricttoml.Pos, code, rule, msg, hint string) {
	k.problems = append(k.problems, manifest.Problem{File: k.file, Line: pos.Line, Col: pos.Col,
		Code: code, Rule: rule, Message: msg, Hint: hint})
}

func (k *checker) bad(pos stricttoml.Pos, msg, hint string) {
	k.add(pos, CodeBadValue, RuleBadValue, msg, hint)
}

// set reports whether the file sets path with the right type.
func (k *checker) set(path ...any) bool {
	return k.doc.Has(path...) && !k.skip[stricttoml.FormatPath(path...)]
}

// str checks a string key the file sets is not blank.
func (k *checker) str(val string, path ...any) bool {
	if !k.set(path...) {
		return false
	}
	if strings.TrimSpace(val) == "" {
		name := stricttoml.FormatPath(path...)
		hint := "remove the key to use the default, or write " + examples[name]
		k.bad(k.doc.ValuePos(path...), name+" is empty", hint)
		return false
	}
	return true
}

// list checks the entries of an array the file sets: none blank, none
// repeated; each then sees the others. A set but empty array is reported
// when required.
func (k *checker) list(vals []string, required bool, each func(pos stricttoml.Pos, name, s string), path ...any) {
	if !k.set(path...) {
		return
	}
	name := stricttoml.FormatPath(path...)
	if required && len(vals) == 0 {
		k.bad(k.doc.ValuePos(path...), name+" is empty", "remove the key to use the default, or write "+examples[name])
	}
	seen := map[string]bool{}
	for i, s := range vals {
		p := append(path[:len(path):len(path)], i)
		pos := k.doc.ValuePos(p...)
		switch {
		case k.skip[stricttoml.FormatPath(p...)]:
			continue
		case strings.TrimSpace(s) == "":
			k.bad(pos, stricttoml.FormatPath(p...)+" is empty", "remove the empty entry")
		case seen[s]:
			k.bad(pos, fmt.Sprintf("%s lists %q twice", name, s), "remove the repeated entry")
		case each != nil:
			each(pos, name, s)
		}
		seen[s] = true
	}
}

func (k *checker) check(c *Config) {
	k.str(c.Project.Name, "project", "name")
	if k.str(c.Project.GitHub, "project", "github") && !githubRE.MatchString(c.Project.GitHub) {
		hint := "write the repository as owner/repo, e.g. " + examples["project.github"]
		if m := githubURL.FindStringSubmatch(c.Project.GitHub); m != nil {
			hint = fmt.Sprintf("did you mean %q?", m[1])
		}
		k.bad(k.doc.ValuePos("project", "github"), fmt.Sprintf("project.github %q is not owner/repo", c.Project.GitHub), hint)
	}

	k.regexp(c.Release.Tags, "tags")
	k.regexp(c.Release.Quarterly, "quarterly")
	k.list(c.Release.Lines, false, func(pos stricttoml.Pos, name, s string) {
		if c.regexp(nil, c.Release.Tags, DefaultTags) == nil || !c.IsReleaseTag(s) {
			return
		}
		hint := "a line is a quarterly tag without its last number"
		if l, ok := lineOf(s); ok {
			hint = fmt.Sprintf("did you mean %q?", l)
		}
		k.bad(pos, fmt.Sprintf("%s lists %q, a release tag, not a release line", name, s), hint)
	}, "release", "lines")
	k.str(c.Release.TagKeys, "release", "tag_keys")
	k.branch(c.Release.PatchBranch, "patch_branch")
	k.maintenanceBranch(c.Release.MaintenanceBranch)
	k.branch(c.Release.MainBranch, "main_branch")

	if k.str(c.IDs.Prefix, "ids", "prefix") && !prefixRE.MatchString(c.IDs.Prefix) {
		hint := "a prefix is capital letters and digits, starting with a letter, e.g. " + examples["ids.prefix"]
		if up := strings.ToUpper(c.IDs.Prefix); prefixRE.MatchString(up) {
			hint = fmt.Sprintf("did you mean %q?", up)
		}
		k.bad(k.doc.ValuePos("ids", "prefix"), fmt.Sprintf("ids.prefix %q cannot start a patch id", c.IDs.Prefix), hint)
	}

	k.modules(c)

	if k.str(c.Build.Builder, "build", "builder") && !slices.Contains(Builders, c.Build.Builder) {
		hint := "e.g. " + examples["build.builder"]
		if s := stricttoml.Suggest(c.Build.Builder, Builders, nil); s != "" {
			hint = fmt.Sprintf("did you mean %q?", s)
		}
		k.bad(k.doc.ValuePos("build", "builder"), "build.builder must be one of "+strings.Join(Builders, ", "), hint)
	}
	k.list(c.Build.Packages, true, nil, "build", "packages")
	k.list(c.Build.Platforms, true, func(pos stricttoml.Pos, name, s string) {
		if slices.Contains(platforms, s) {
			return
		}
		hint := "platforms are os/arch as `go tool dist list` prints them, e.g. linux/amd64"
		if near := nearestPlatform(s); near != "" {
			hint = fmt.Sprintf("did you mean %q?", near)
		}
		k.bad(pos, fmt.Sprintf("%s: %q is not a known os/arch", name, s), hint)
	}, "build", "platforms")
	if k.set("build", "command") {
		k.str(c.Build.Command, "build", "command")
	}
	if c.Build.Builder == BuilderCommand && strings.TrimSpace(c.Build.Command) == "" && !k.doc.Has("build", "command") {
		k.add(k.doc.ValuePos("build", "builder"), CodeMissingField, RuleMissingField,
			`build.builder "command" needs build.command, the command that builds`, "add "+examples["build.command"]+" under [build]")
	}
	k.list(c.Build.Artifacts, false, k.glob, "build", "artifacts")

	k.list(c.QA.Reviewers, false, func(pos stricttoml.Pos, name, s string) {
		if reviewerRE.MatchString(s) {
			return
		}
		hint := "a reviewer is a GitHub login or an org/team slug, e.g. " + examples["qa.reviewers"]
		if t := strings.TrimPrefix(s, "@"); t != s && reviewerRE.MatchString(t) {
			hint = fmt.Sprintf("did you mean %q?", t)
		}
		k.bad(pos, fmt.Sprintf("%s: %q is not a GitHub user or org/team", name, s), hint)
	}, "qa", "reviewers")
	if k.set("qa", "approvals") && c.QA.Approvals < 1 {
		k.bad(k.doc.ValuePos("qa", "approvals"), fmt.Sprintf("qa.approvals must be at least 1, got %d", c.QA.Approvals),
			"the gate turns green on QA approval; write "+examples["qa.approvals"]+" or more")
	}

	k.sla(c)
	k.sign(c) // keyless.go
	k.list(c.Rollup.Tests, false, k.glob, "rollup", "tests")
	k.install(c)
	k.freeze(c)
	k.fleet(c)
	k.advisory(c)
}

// fleet checks [fleet] dir: a folder of the repository's own, so a slash
// path relative to its root that stays inside it and is not git's or
// patchline's.
func (k *checker) fleet(c *Config) {
	if !k.str(c.Fleet.Dir, "fleet", "dir") {
		return
	}
	if why, hint := badFleetDir(c.Fleet.Dir); why != "" {
		k.bad(k.doc.ValuePos("fleet", "dir"), fmt.Sprintf("fleet.dir %q %s", c.Fleet.Dir, why), hint)
	}
}

// badFleetDir says why dir cannot hold the fleet records, with a hint, or
// returns "".
func badFleetDir(dir string) (why, hint string) {
	hint = `a folder relative to the repository root, with '/' between its parts, e.g. ` + examples["fleet.dir"]
	d := strings.TrimSuffix(dir, "/")
	if at, r, ok := textsafe.FindControl(dir, false); ok {
		return fmt.Sprintf("has a control character (%U) at character %d", r, at), hint
	}
	switch {
	case strings.Contains(dir, `\`):
		return `uses '\'`, fmt.Sprintf("did you mean %q?", strings.ReplaceAll(dir, `\`, "/"))
	case strings.HasPrefix(dir, "/"), len(dir) > 1 && dir[1] == ':':
		return "is not relative to the repository root", hint
	case strings.HasPrefix(dir, "./"):
		return "starts with ./", fmt.Sprintf("did you mean %q?", strings.TrimPrefix(d, "./"))
	case len(dir) > 256:
		return "is over 256 bytes", hint
	}
	for _, part := range strings.Split(d, "/") {
		switch {
		case part == "..":
			return "leaves the repository", hint
		case part == "" || part == ".":
			return "has an empty part", hint
		}
	}
	switch first, _, _ := strings.Cut(d, "/"); first {
	case ".git", ".patchline", "patches", "templates", ".github":
		return "is inside " + first + "/, which holds other files", hint
	}
	return "", ""
}

func (k *checker) install(c *Config) {
	if k.str(c.Install.Check, "install", "check") {
		pos := k.doc.ValuePos("install", "check")
		if len(c.Install.Check) > MaxCheckLen {
			k.bad(pos, fmt.Sprintf("install.check is over %d bytes", MaxCheckLen), "put a longer check in a script in the product and run that, e.g. "+examples["install.check"])
		} else if at, r, ok := textsafe.FindControl(c.Install.Check, true); ok {
			k.bad(pos, fmt.Sprintf("install.check has a control character (%U) at character %d", r, at), "write the command as plain text, e.g. "+examples["install.check"])
		}
	}
	if k.str(c.Install.CheckTimeout, "install", "check_timeout") {
		pos := k.doc.ValuePos("install", "check_timeout")
		d, err := ParseDuration(c.Install.CheckTimeout)
		switch {
		case err != nil:
			k.bad(pos, fmt.Sprintf("install.check_timeout: %v", err), `write a number and a unit, e.g. check_timeout = "60s" or "5m"`)
		case d < time.Second || d > MaxCheckTimeout:
			k.bad(pos, fmt.Sprintf("install.check_timeout %q is not between 1s and 1h", c.Install.CheckTimeout), // MaxCheckTimeout
				"the time one run of the check may take, e.g. "+examples["install.check_timeout"])
		}
	}
	k.list(c.Install.Services, false, func(pos stricttoml.Pos, name, s string) {
		if !manifest.IsServiceName(s) {
			k.bad(pos, fmt.Sprintf("%q in %s is not a service name", s, name),
				"write the name a service manager knows it by, letters, digits and @ . _ : + - only, e.g. "+examples[name])
		}
	}, "install", "services")
	if k.set("install", "check_retries") && (c.Install.CheckRetries < 0 || c.Install.CheckRetries > MaxCheckRetries) {
		k.bad(k.doc.ValuePos("install", "check_retries"), fmt.Sprintf("install.check_retries must be between 0 and %d, got %d", MaxCheckRetries, c.Install.CheckRetries),
			"how often a failed check runs again before the patch is rolled back, e.g. "+examples["install.check_retries"])
	}
}

func (k *checker) freeze(c *Config) {
	if k.set("rollout", "freeze") && len(c.Rollout.Freeze) > rollout.MaxWindows {
		k.bad(k.doc.ValuePos("rollout", "freeze"), fmt.Sprintf("rollout.freeze lists %d windows, at most %d", len(c.Rollout.Freeze), rollout.MaxWindows),
			"merge adjacent windows")
		return
	}
	k.list(c.Rollout.Freeze, false, func(pos stricttoml.Pos, name, s string) {
		_, err := rollout.ParseWindow(s)
		var we *rollout.WindowError
		switch {
		case errors.As(err, &we):
			k.bad(pos, fmt.Sprintf("%s: %q: %s", name, we.Window, we.Msg), we.Hint)
		case err != nil:
			k.bad(pos, fmt.Sprintf("%s: %v", name, err), "write "+rollout.WindowSyntax)
		}
	}, "rollout", "freeze")
}

func (k *checker) regexp(expr, key string) {
	if !k.str(expr, "release", key) {
		return
	}
	if _, err := regexp.Compile(expr); err != nil {
		k.bad(k.doc.ValuePos("release", key), fmt.Sprintf("release.%s is not a valid regular expression: %v", key, strings.TrimPrefix(err.Error(), "error parsing regexp: ")),
			"Go (RE2) syntax in 'single quotes', e.g. "+examples["release."+key])
	}
}

func (k *checker) branch(val, key string) {
	if !k.str(val, "release", key) {
		return
	}
	if why := badRef(val); why != "" {
		k.bad(k.doc.ValuePos("release", key), fmt.Sprintf("release.%s %q cannot be part of a git branch name: %s", key, val, why),
			"use letters, digits, '-', '_', '.' and '/', e.g. "+examples["release."+key])
	}
}

// maintenanceBranch checks [release] maintenance_branch: a prefix, as
// branch checks it, or a template whose placeholders name one branch per line.
func (k *checker) maintenanceBranch(val string) {
	if !strings.ContainsAny(val, "{}") {
		k.branch(val, "maintenance_branch")
		return
	}
	if !k.str(val, "release", "maintenance_branch") {
		return
	}
	pos := k.doc.ValuePos("release", "maintenance_branch")
	problem, example := checkBranchTemplate(val)
	if problem != "" {
		k.bad(pos, fmt.Sprintf("release.maintenance_branch %q: %s", val, problem),
			"a prefix (the branch is prefix + line) or a template with "+strings.Join(Placeholders, ", ")+`, e.g. maintenance_branch = "release-{major}.{minor}"`)
		return
	}
	if why := badRef(example); why != "" {
		k.bad(pos, fmt.Sprintf("release.maintenance_branch %q names %q for the line v2026.3, not a git branch name: %s", val, example, why),
			`use letters, digits, '-', '_', '.' and '/' around the placeholders, e.g. maintenance_branch = "release-{major}.{minor}"`)
	}
}

// badRef says why s cannot be (part of) a branch name, as git check-ref-format
// would, or returns "".
func badRef(s string) string {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(" ~^:?*[\\", r) {
			return fmt.Sprintf("it contains %q", r)
		}
	}
	switch {
	case strings.Contains(s, ".."):
		return `it contains ".."`
	case strings.Contains(s, "@{"):
		return `it contains "@{"`
	case strings.Contains(s, "//"):
		return `it contains "//"`
	case strings.HasPrefix(s, "/"), strings.HasPrefix(s, "-"), strings.HasPrefix(s, "."):
		return "it starts with " + s[:1]
	}
	return ""
}

func (k *checker) modules(c *Config) {
	names := make([]string, 0, len(c.Modules))
	for name := range c.Modules {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		path := []any{"modules", name}
		if k.skip[stricttoml.FormatPath(path...)] {
			continue
		}
		if strings.TrimSpace(name) == "" || strings.ContainsAny(name, " \t\r\n,") {
			k.bad(k.doc.KeyPos(path...), fmt.Sprintf("module name %q is not a name", name),
				"a module name is one word, as manifests list it, e.g. "+examples["modules.*"])
			continue
		}
		if len(c.Modules[name]) == 0 {
			k.bad(k.doc.ValuePos(path...), fmt.Sprintf("module %s has no paths", name), "list its path globs, e.g. "+examples["modules.*"])
		}
		k.list(c.Modules[name], false, k.glob, path...)
	}
}

// glob checks a path glob: doublestar syntax, relative to the repository root.
func (k *checker) glob(pos stricttoml.Pos, name, g string) {
	hint := `globs are relative to the repository root, in doublestar syntax: "internal/importer/**"`
	switch {
	case !doublestar.ValidatePattern(g):
		k.bad(pos, fmt.Sprintf("%s: %q is not a valid glob", name, g), hint)
	case strings.HasPrefix(g, "/"), strings.HasPrefix(g, "./"):
		k.bad(pos, fmt.Sprintf("%s: %q is not relative to the repository root", name, g),
			fmt.Sprintf("did you mean %q?", strings.TrimLeft(strings.TrimPrefix(g, "./"), "/")))
	case g == ".." || strings.HasPrefix(g, "../") || strings.Contains(g, "/../") || strings.HasSuffix(g, "/.."):
		k.bad(pos, fmt.Sprintf("%s: %q leaves the repository", name, g), hint)
	}
}

func (k *checker) sla(c *Config) {
	keys := make([]string, 0, len(c.SLA))
	for s := range c.SLA {
		keys = append(keys, s)
	}
	slices.Sort(keys)
	for _, sev := range keys {
		path := []any{"sla", sev}
		if !slices.Contains(manifest.Severities, sev) {
			hint := "[sla] keys are severities: " + strings.Join(manifest.Severities, ", ")
			if s := stricttoml.Suggest(sev, manifest.Severities, nil); s != "" {
				hint = fmt.Sprintf("did you mean %q?", s)
			}
			k.bad(k.doc.KeyPos(path...), fmt.Sprintf("sla.%s: %q is not a severity", stricttoml.Key(sev), sev), hint)
			continue
		}
		if k.skip[stricttoml.FormatPath(path...)] {
			continue
		}
		d, err := ParseDuration(c.SLA[sev])
		switch {
		case err != nil:
			k.bad(k.doc.ValuePos(path...), fmt.Sprintf("sla.%s: %v", sev, err), `write a number and a unit (h, d or w), e.g. critical = "48h"`)
		case d <= 0:
			k.bad(k.doc.ValuePos(path...), fmt.Sprintf("sla.%s must be longer than zero", sev), `e.g. critical = "48h"`)
		}
	}
}

func nearestPlatform(s string) string {
	osName, arch, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "/")
	if !ok {
		osName, arch, ok = strings.Cut(strings.ToLower(strings.TrimSpace(s)), "-")
	}
	if !ok {
		return ""
	}
	if w, ok := platformWords[osName]; ok {
		osName = w
	}
	if w, ok := platformWords[arch]; ok {
		arch = w
	}
	if p := osName + "/" + arch; slices.Contains(platforms, p) {
		return p
	}
	return stricttoml.Suggest(s, platforms, nil)
}

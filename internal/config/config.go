// Package config reads and writes .patchline.toml, the repository's patchline
// configuration, as strictly as the manifest: every problem with its file,
// line, column and a hint.
package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/rollout"
)

// FileName is the config's name at the repository root.
const FileName = ".patchline.toml"

// MaxSize is the largest config Decode accepts, in bytes.
const MaxSize = 1 << 20

// Defaults filled in for keys the file leaves out.
const (
	DefaultTags              = `^v\d+\.\d+\.\d+$`
	DefaultQuarterly         = `^v\d+\.\d+\.0$`
	DefaultPatchBranch       = "patch/"
	DefaultMaintenanceBranch = "release/"
	DefaultMainBranch        = "main"
	DefaultPrefix            = "PL"
	DefaultBuilder           = BuilderGo
	DefaultPlatform          = "linux/amd64"
	DefaultApprovals         = 1
	DefaultFleetDir          = "fleet"
)

// The builders [build] builder may name.
const (
	BuilderGo         = "go"
	BuilderGoreleaser = "goreleaser"
	BuilderCommand    = "command"
)

// Builders lists the allowed values of [build] builder.
var Builders = []string{BuilderGo, BuilderGoreleaser, BuilderCommand}

// ErrNotFound is wrapped by Load when the repository has no .patchline.toml.
var ErrNotFound = errors.New("no patchline config")

// Config is .patchline.toml.
type Config struct {
	Project Project             `toml:"project"`
	Release Release             `toml:"release"`
	IDs     IDs                 `toml:"ids"`
	Modules map[string][]string `toml:"modules"` // module -> path globs (doublestar)
	Build   Build               `toml:"build"`
	QA      QA                  `toml:"qa"`
	SLA     map[string]string   `toml:"sla"` // severity -> duration: "48h", "5d", "2w"
	Sign    Sign                `toml:"sign"`
	Rollup  Rollup              `toml:"rollup"`
	Install Install             `toml:"install"`
	Rollout Rollout             `toml:"rollout"`
	Fleet   Fleet               `toml:"fleet"`
	// Advisory is how `patchline advisory` names the product and its publisher.
	Advisory Advisory `toml:"advisory"`

	// Compiled by Decode; recompiled on use when the strings change.
	tags, quarterly *regexp.Regexp
}

// Project is [project].
type Project struct {
	Name   string `toml:"name"`
	GitHub string `toml:"github"` // owner/repo
}

// Release is [release].
type Release struct {
	Tags              string   `toml:"tags"`      // regexp of release tags
	Quarterly         string   `toml:"quarterly"` // regexp of quarterly release tags
	Lines             []string `toml:"lines"`     // supported release lines, e.g. "v2026.3"; empty: every line a release tag opens
	SignedTags        bool     `toml:"signed_tags"`
	TagKeys           string   `toml:"tag_keys"` // repository file with the keys that sign release tags
	PatchBranch       string   `toml:"patch_branch"`
	MaintenanceBranch string   `toml:"maintenance_branch"` // prefix + line, or a template: "release-{major}.{minor}"
	MainBranch        string   `toml:"main_branch"`
}

// IDs is [ids].
type IDs struct {
	Prefix string `toml:"prefix"`
}

// Build is [build].
type Build struct {
	Builder   string   `toml:"builder"`   // go | goreleaser | command
	Packages  []string `toml:"packages"`  // for go: the packages to build
	Platforms []string `toml:"platforms"` // os/arch
	Command   string   `toml:"command"`   // for command: what builds
	Artifacts []string `toml:"artifacts"` // globs of what a build produces
}

// QA is [qa].
type QA struct {
	Reviewers []string `toml:"reviewers"` // GitHub users or org/team
	Approvals int      `toml:"approvals"`
}

// Rollup is [rollup].
type Rollup struct {
	// Tests are globs of test files: a backport whose only differences
	// are in them is adapted, not missing. Empty: DefaultTestGlobs.
	Tests []string `toml:"tests"`
}

// DefaultTestGlobs are the test files of a Go product.
var DefaultTestGlobs = []string{"**/*_test.go", "**/testdata/**"}

// TestGlobs are [rollup] tests, or the defaults.
func (c *Config) TestGlobs() []string {
	if len(c.Rollup.Tests) == 0 {
		return DefaultTestGlobs
	}
	return c.Rollup.Tests
}

// Install is [install]: the product's health check, carried in the signed
// bundle and run in the install root after a patch is swapped in.
type Install struct {
	Check        string `toml:"check"`         // a shell command; empty: no check
	CheckTimeout string `toml:"check_timeout"` // a duration ("60s", "2m"); Decode fills in DefaultCheckTimeout
	CheckRetries int    `toml:"check_retries"` // attempts after the first; Decode fills in DefaultCheckRetries
	// Services are the product's services the installation guide stops
	// before every patch and starts after it, with those a manifest names.
	Services []string `toml:"services"`
}

// Defaults and bounds of [install].
const (
	DefaultCheckTimeout = "60s"
	DefaultCheckRetries = 3
	MaxCheckTimeout     = time.Hour
	MaxCheckRetries     = 10
	MaxCheckLen         = 4096
)

// CheckTimeout is how long one run of the health check may take:
// [install] check_timeout, or 60s when it is unset or invalid.
func (c *Config) CheckTimeout() time.Duration {
	d, err := ParseDuration(c.Install.CheckTimeout)
	if err != nil || d < time.Second || d > MaxCheckTimeout {
		d, _ = ParseDuration(DefaultCheckTimeout)
	}
	return d
}

// CheckRetries is how often a failed health check is run again before
// the patch is rolled back: [install] check_retries as Decode and Default
// fill it in (3 when the file leaves it out), or 3 when it is out of range.
func (c *Config) CheckRetries() int {
	if r := c.Install.CheckRetries; r >= 0 && r <= MaxCheckRetries {
		return r
	}
	return DefaultCheckRetries
}

// Rollout is [rollout].
type Rollout struct {
	// RequireTest: `apply --env production` needs --evidence, a record of
	// a healthy test install of the same bundle.
	RequireTest bool `toml:"require_test"`
	// Freeze are freeze windows, weekly or dates, in the site's time zone
	// (rollout.ParseWindow).
	Freeze []string `toml:"freeze"`
}

// FreezeWindows are [rollout] freeze, parsed; Decode has refused any that
// do not parse, and a config built in code loses them here.
func (c *Config) FreezeWindows() []rollout.Window {
	var ws []rollout.Window
	for _, s := range c.Rollout.Freeze {
		if w, err := rollout.ParseWindow(s); err == nil {
			ws = append(ws, w)
		}
	}
	return ws
}

// Fleet is [fleet]: where delivery records are filed.
type Fleet struct {
	// Dir is a slash path relative to the repository root; records are
	// <dir>/<site>/<env>.json. Empty: DefaultFleetDir (see FleetDir).
	Dir string `toml:"dir"`
}

// FleetDir is [fleet] dir without a trailing slash, or the default.
func (c *Config) FleetDir() string {
	if d := strings.TrimRight(c.Fleet.Dir, "/"); d != "" {
		return d
	}
	return DefaultFleetDir
}

// Advisory is [advisory]: how security advisories (OSV, CSAF, OpenVEX)
// name the product and who publishes them.
type Advisory struct {
	// PURL is the product's package URL without a version, for a product
	// that is not a Go module (pkg:generic/acme/inventory). Empty: each
	// release is pkg:golang/<module>, the module path of its go.mod.
	PURL string `toml:"purl"`
	// Publisher is the name advisories are published under; empty: the
	// owner in [project] github, else [project] name.
	Publisher string `toml:"publisher"`
	// Namespace is the publisher's URL (CSAF's publisher namespace, the
	// base of an OpenVEX document's @id); empty: https://github.com/<owner>.
	Namespace string `toml:"namespace"`
}

// Sign is [sign].
type Sign struct {
	Key string `toml:"key"` // cosign key reference: a file or env://VAR (no KMS)
	// Keyless makes the workflow init writes sign with GitHub's OIDC token
	// (cosign sign-blob: a Fulcio certificate naming the workflow, a Rekor
	// entry) instead of a key secret; see KeylessIdentity.
	Keyless bool `toml:"keyless"`
}

// Default is the config `patchline init` writes for a project.
func Default(name, github string) *Config {
	c := &Config{
		Project: Project{Name: name, GitHub: github},
		Release: Release{
			Tags: DefaultTags, Quarterly: DefaultQuarterly,
			PatchBranch: DefaultPatchBranch, MaintenanceBranch: DefaultMaintenanceBranch, MainBranch: DefaultMainBranch,
		},
		IDs:     IDs{Prefix: DefaultPrefix},
		Modules: map[string][]string{"core": {"**"}},
		Build:   Build{Builder: DefaultBuilder, Packages: []string{"."}, Platforms: []string{DefaultPlatform}},
		QA:      QA{Approvals: DefaultApprovals},
		Install: Install{CheckTimeout: DefaultCheckTimeout, CheckRetries: DefaultCheckRetries},
		Fleet:   Fleet{Dir: DefaultFleetDir},
		SLA: map[string]string{
			manifest.SeverityCritical:  "48h",
			manifest.SeverityImportant: "7d",
			manifest.SeverityModerate:  "30d",
			manifest.SeverityLow:       "90d",
		},
	}
	c.compile()
	return c
}

// Load reads dir/.patchline.toml.
func Load(dir string) (*Config, error) {
	file := filepath.Join(dir, FileName)
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w (hint: run `patchline init`)", file, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Decode(file, data)
}

// DecodeError is every problem Decode found.
type DecodeError struct {
	Problems []manifest.Problem
}

// Error is every problem, one a line.
func (e *DecodeError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// IsReleaseTag reports whether name matches [release] tags.
func (c *Config) IsReleaseTag(name string) bool {
	re := c.regexp(c.tags, c.Release.Tags, DefaultTags)
	return re != nil && re.MatchString(name)
}

// ReleaseTagPattern is the regexp of release tags, [release] tags or the
// default.
func (c *Config) ReleaseTagPattern() string {
	if c.Release.Tags == "" {
		return DefaultTags
	}
	return c.Release.Tags
}

// IsQuarterlyTag reports whether name is a release tag matching [release]
// quarterly.
func (c *Config) IsQuarterlyTag(name string) bool {
	re := c.regexp(c.quarterly, c.Release.Quarterly, DefaultQuarterly)
	return re != nil && re.MatchString(name) && c.IsReleaseTag(name)
}

func (c *Config) regexp(compiled *regexp.Regexp, expr, def string) *regexp.Regexp {
	if expr == "" {
		expr = def
	}
	if compiled != nil && compiled.String() == expr {
		return compiled
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil
	}
	return re
}

func (c *Config) compile() {
	c.tags = c.regexp(nil, c.Release.Tags, DefaultTags)
	c.quarterly = c.regexp(nil, c.Release.Quarterly, DefaultQuarterly)
}

// LineOf is the release line of a release tag: the tag without its last
// number and the separator before it (v2026.3.1 -> v2026.3).
func (c *Config) LineOf(tag string) (string, bool) {
	if !c.IsReleaseTag(tag) {
		return "", false
	}
	return lineOf(tag)
}

func lineOf(tag string) (string, bool) {
	j := len(tag)
	for j > 0 && tag[j-1] >= '0' && tag[j-1] <= '9' {
		j--
	}
	if j == len(tag) || j < 2 || !strings.ContainsRune(".-_+", rune(tag[j-1])) {
		return "", false
	}
	return tag[:j-1], true
}

// PatchBranchFor is the branch of a patch.
func (c *Config) PatchBranchFor(id string) string {
	return c.Release.PatchBranch + id
}

// ModulesFor names, sorted, every module with a glob matching path (a
// slash-separated path relative to the repository root).
func (c *Config) ModulesFor(path string) []string {
	path = strings.TrimPrefix(filepath.ToSlash(path), "./")
	var mods []string
	for name, globs := range c.Modules {
		for _, g := range globs {
			if ok, _ := doublestar.Match(g, path); ok {
				mods = append(mods, name)
				break
			}
		}
	}
	sort.Strings(mods)
	return mods
}

// SLAFor is the longest time from reported to a signed bundle for a
// severity; false when [sla] sets none (or an invalid one).
func (c *Config) SLAFor(severity string) (time.Duration, bool) {
	s, ok := c.SLA[severity]
	if !ok {
		return 0, false
	}
	d, err := ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, false
	}
	return d, true
}

package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode/utf8"

	"github.com/patchline/patchline"
	"github.com/patchline/patchline/internal/bundle"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/lazyre"
	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/textsafe"
)

// GuideTemplate is the built-in installation guide, which the product
// repository's templates/install-guide.md.tmpl replaces.
const GuideTemplate = "install-guide.md.tmpl"

// ErrGuideTemplate is wrapped by the errors of an installation guide
// template that does not parse or does not run.
var ErrGuideTemplate = errors.New("bad installation guide template")

// Guide is the data the installation guide template gets: what the patch
// fixes, what it applies to, and each step as a command for the platform.
// Every text from the repository is escaped (textsafe), as notes do.
type Guide struct {
	Product  string
	Patch    string
	Title    string
	Kind     string
	Severity string
	Urgency  string
	Risk     string
	Summary  string   // Markdown, as the manifest has it
	Cases    []string // customer cases
	CVEs     []string

	Platform, OS, Arch string
	Base               string // the installed release the bundle applies to
	BaseCommit         string // its commit, 12 hex digits
	Target             string // the release after the apply
	Bundle             string // the bundle's file name
	Built              string // the bundle's creation time, "2006-01-02 15:04 UTC"
	Created            time.Time

	// Cumulative is set for a bundle built with --from; Includes are then
	// the patches it brings, this one among them.
	Cumulative    bool
	Includes      []string
	Prerequisites []Prerequisite
	Services      []string // from the manifest
	Stop, Start   []string // the commands that stop the services, and start them again (in reverse order)

	HealthCheck string   // the health check apply runs after the swap, when the bundle carries one
	RequireTest bool     // a production apply needs evidence of a healthy test install
	Freeze      []string // the freeze windows the bundle carries

	Rollback    string // the manifest's rollback plan
	KnownIssues string // the manifest's known issues and workarounds

	Shell      string // the code blocks' language: sh or powershell
	InstallDir string // the production install the commands name
	TestDir    string // the test install the commands name
	Key        string // the public key file the commands name; "" when signed keylessly
	Evidence   string // the evidence file the test install exports
	Commands   GuideCommands

	// Identity and Issuer are who signs keylessly (the workflow's URL and
	// GitHub's OIDC issuer) and TrustedRoot the trusted root file the
	// commands name, when the product signs keylessly (guidekeyless.go).
	Identity, Issuer, TrustedRoot string
}

// Prerequisite is one patch that must be installed before this one, and
// how the install has it.
type Prerequisite struct {
	ID     string
	Status string // in-base, included or install-first
}

// The statuses of a prerequisite.
const (
	PrereqInBase       = "in-base"       // the release the bundle applies to holds it
	PrereqIncluded     = "included"      // this cumulative bundle brings it
	PrereqInstallFirst = "install-first" // install its bundle before this one
)

// GuideCommands are the guide's steps as commands, in the order they run.
type GuideCommands struct {
	Verify          string // patchline verify BUNDLE --key …
	Installed       string // patchline installed --to DIR
	DryRunTest      string // apply --dry-run on the test install
	ApplyTest       string // apply --env test
	CheckTest       string // patchline check on the test install
	Export          string // the test install's evidence for production
	DryRun          string // apply --dry-run on the production install
	ApplyProduction string // apply --env production --evidence FILE
	Check           string // patchline check on the production install
	Confirm         string // patchline confirm ID --to DIR --by NAME
	Rollback        string // patchline rollback ID --to DIR
	Recover         string // apply --recover, after an interrupted apply
}

// patchInfo is what a build says about the patch in each of its bundles.
type patchInfo struct {
	requires      []string // the prerequisites the base release does not hold
	includes      []string // a cumulative bundle's patches
	prerequisites []Prerequisite
	template      string // the installation guide template
}

// patchInfo works out the prerequisites and inclusions of the bundles and
// reads the guide template, once for every platform.
func (s *State) patchInfo() (*patchInfo, error) {
	m := s.Patch.Manifest
	info := &patchInfo{}
	inFrom, err := s.patchFolders(s.FromTag.Commit)
	if err != nil {
		return nil, err
	}
	if s.FromTag.Commit != s.BaseTag.Commit {
		// Cumulative: the patches the line merged between the two releases,
		// and this one.
		inBase, err := s.patchFolders(s.BaseTag.Commit)
		if err != nil {
			return nil, err
		}
		for id := range inBase {
			if !inFrom[id] && bundle.PatchID.MatchString(id) {
				info.includes = append(info.includes, id)
			}
		}
		if !slices.Contains(info.includes, s.Patch.ID) {
			info.includes = append(info.includes, s.Patch.ID)
		}
		slices.Sort(info.includes)
	}
	for _, id := range m.Requires {
		status := PrereqInstallFirst
		switch {
		case inFrom[id]:
			// Applying the bundle needs its base release installed, which
			// holds the prerequisite: apply need not look for a receipt
			// (a fresh install of that release has none).
			status = PrereqInBase
		case slices.Contains(info.includes, id):
			status = PrereqIncluded
		}
		if status != PrereqInBase {
			info.requires = append(info.requires, id)
		}
		info.prerequisites = append(info.prerequisites, Prerequisite{ID: id, Status: status})
	}
	if info.template, err = s.guideTemplate(); err != nil {
		return nil, err
	}
	return info, nil
}

// patchFolders lists the patches/<ID>/ folders of a commit.
func (s *State) patchFolders(commit gitrepo.Hash) (map[string]bool, error) {
	t, err := s.Repo.Tree(commit)
	if err != nil {
		return nil, err
	}
	names, err := gitrepo.ListDir(t, registry.Dir)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for name, isDir := range names {
		if isDir {
			out[name] = true
		}
	}
	return out, nil
}

// guideTemplate reads templates/install-guide.md.tmpl as committed on the
// main line (the product's policy, as its config is), else as committed on
// the patch branch, else the built-in one. A committed file, never the work
// tree, so the same commits give the same bundle.
func (s *State) guideTemplate() (string, error) {
	name := path.Join("templates", GuideTemplate)
	var commits []gitrepo.Hash
	main, ok, err := s.Repo.Branch(s.Config.Release.MainBranch)
	if err != nil {
		return "", err
	}
	if ok {
		commits = append(commits, main.Commit)
	}
	for _, c := range append(commits, s.Source) {
		data, ok, err := s.Repo.ReadFile(c, name)
		if err != nil {
			return "", err
		}
		if ok {
			if len(data) > bundle.MaxGuideSize {
				return "", fmt.Errorf("%w: %s is %d bytes, at most %d", ErrGuideTemplate, name, len(data), bundle.MaxGuideSize)
			}
			return string(data), nil
		}
	}
	return patchline.Template("", GuideTemplate)
}

// guide renders the installation guide of one bundle.
func (s *State) guide(meta *bundle.Meta, info *patchInfo) (string, error) {
	g := NewGuide(meta, s.Patch.Manifest, info.prerequisites)
	g.setServices(append(slices.Clone(s.Patch.Manifest.Services), s.Config.Install.Services...))
	s.setKeyless(g) // guidekeyless.go
	return RenderGuide(info.template, g)
}

// NewGuide fills a guide from a bundle's metadata and the patch's manifest,
// with the commands for the bundle's platform.
func NewGuide(meta *bundle.Meta, m *manifest.Manifest, prereqs []Prerequisite) *Guide {
	goos, goarch, _ := strings.Cut(meta.Platform, "/")
	product := meta.Product
	if !safeName.MatchString(product) {
		product = "product"
	}
	g := &Guide{
		Product: textsafe.Line(meta.Product), Patch: meta.Patch, Title: textsafe.Line(m.Title),
		Kind: textsafe.Line(m.Kind), Severity: textsafe.Line(m.Severity), Urgency: textsafe.Line(m.Urgency), Risk: textsafe.Line(m.Risk),
		Summary: textsafe.Text(m.Summary), Cases: lines(m.Cases), CVEs: lines(m.CVEs),
		Rollback: textsafe.Text(m.Rollback), KnownIssues: textsafe.Text(m.KnownIssues),
		Platform: meta.Platform, OS: goos, Arch: goarch,
		Base: meta.Base.Tag, BaseCommit: short(meta.Base.Commit), Target: meta.Target.Tag,
		Bundle:  bundle.FileName(meta.Patch, meta.Base.Tag, meta.Platform),
		Created: meta.Created.UTC(), Built: meta.Created.UTC().Format("2006-01-02 15:04 UTC"),
		Cumulative: len(meta.Includes) > 0, Includes: meta.Includes, Prerequisites: prereqs,
		Shell: "sh", InstallDir: "/opt/" + product, TestDir: "/opt/" + product + "-test",
		Key: "cosign.pub", Evidence: meta.Patch + "-test-evidence.json",
	}
	if goos == "windows" {
		g.Shell, g.InstallDir, g.TestDir = "powershell", `C:\`+product, `C:\`+product+"-test"
	}
	if hc := meta.HealthCheck; hc != nil {
		g.HealthCheck = textsafe.Line(hc.Command)
	}
	if r := meta.Rollout; r != nil {
		g.RequireTest, g.Freeze = r.RequireTest, lines(r.Freeze)
	}
	g.setServices(m.Services)
	apply := "patchline apply " + g.Bundle + " --to "
	key := " --key " + g.Key
	g.Commands = GuideCommands{
		Verify:          "patchline verify " + g.Bundle + key,
		Installed:       "patchline installed --to " + g.InstallDir,
		DryRunTest:      apply + g.TestDir + " --dry-run" + key,
		ApplyTest:       apply + g.TestDir + " --env test" + key,
		CheckTest:       "patchline check --to " + g.TestDir,
		Export:          "patchline installed --to " + g.TestDir + " --export " + g.Evidence,
		DryRun:          apply + g.InstallDir + " --dry-run" + key,
		ApplyProduction: apply + g.InstallDir + " --env production --evidence " + g.Evidence + key,
		Check:           "patchline check --to " + g.InstallDir,
		Confirm:         "patchline confirm " + g.Patch + " --to " + g.InstallDir + ` --by "<customer contact>"`,
		Rollback:        "patchline rollback " + g.Patch + " --to " + g.InstallDir,
		Recover:         "patchline apply --recover --to " + g.InstallDir,
	}
	return g
}

// safeName is a product name the commands may use in a path unquoted.
var safeName = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// setServices sets the services and the commands that stop them (in the
// manifest's order) and start them again (in reverse), for the platform's
// service manager.
func (g *Guide) setServices(services []string) {
	g.Services = nil
	for _, s := range lines(services) {
		if !slices.Contains(g.Services, s) {
			g.Services = append(g.Services, s)
		}
	}
	stop, start := "sudo service %s stop", "sudo service %s start"
	switch g.OS {
	case "linux":
		stop, start = "sudo systemctl stop %s", "sudo systemctl start %s"
	case "darwin":
		stop, start = "sudo launchctl stop %s", "sudo launchctl start %s"
	case "windows":
		stop, start = "Stop-Service -Name %s", "Start-Service -Name %s"
	}
	g.Stop, g.Start = nil, nil
	for i := range g.Services {
		g.Stop = append(g.Stop, fmt.Sprintf(stop, g.Services[i]))
		g.Start = append(g.Start, fmt.Sprintf(start, g.Services[len(g.Services)-1-i]))
	}
}

var guideFuncs = map[string]any{
	"join": func(sep string, s []string) string { return strings.Join(s, sep) },
	"date": func(t time.Time) string { return t.UTC().Format("2006-01-02") },
}

// RenderGuide runs an installation guide template (Markdown) on a guide.
// It reads no clock: the guide's times are the bundle's.
func RenderGuide(text string, g *Guide) (string, error) {
	t, err := texttemplate.New(GuideTemplate).Funcs(guideFuncs).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrGuideTemplate, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, g); err != nil {
		return "", fmt.Errorf("%w: %w", ErrGuideTemplate, err)
	}
	out := b.String()
	if !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	if !utf8.ValidString(out) {
		return "", fmt.Errorf("%w: the installation guide is not valid UTF-8", ErrGuideTemplate)
	}
	if len(out) > bundle.MaxGuideSize {
		return "", fmt.Errorf("%w: the installation guide renders to %d bytes, at most %d", ErrGuideTemplate, len(out), bundle.MaxGuideSize)
	}
	return out, nil
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// lines escapes each string, keeping nil and empty apart.
func lines(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = textsafe.Line(s)
	}
	return out
}

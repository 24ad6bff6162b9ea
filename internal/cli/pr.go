package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/forge"
	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/qa"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/review"
	"github.com/patchline/patchline/internal/validate"
)

// QAContext is the commit status `patchline gate` sets.
const QAContext = review.QAContext

// PROptions are the flags of `patchline pr`.
type PROptions struct {
	IO   *IOStreams
	Repo RepoFlags
	JSONFlag
	Getenv  func(string) string
	Now     func() time.Time
	ID      string
	DryRun  bool
	Merged  bool
	Bundles string
}

// NewCmdPR builds `patchline pr`.
func NewCmdPR(f *Factory, runF func(*PROptions) error) *cobra.Command {
	opts := &PROptions{IO: f.IO, Getenv: f.Getenv, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "pr [ID] [--merged] [--dry-run]",
		Short: "Open or update the patch's QA pull request; record its approval when merged",
		Long: `Opens the pull request from the patch branch into its release line's
maintenance branch (creating that branch from the line's quarterly tag when
GitHub does not have it yet), or updates the one already open from the
branch, so a rerun never opens a second one. The title comes from the
manifest, the body from templates/pr-body.md.tmpl (the product repository's
own, else the built-in one), the labels are patch, severity:<s> and kind:<k>,
and [qa] reviewers (users and org/team) are asked to review.

With --merged, run on the maintenance branch after the pull request merged:
records the QA approvals in git without writing to the branch, which branch
protection refuses: a git note on the merge commit under
refs/notes/patchline (docs/approvals.md), and an annotated tag naming the
merge commit as the line's next patch-level release, whose message carries
Patch-Id: and Approved-by: trailers. Read the note with
  git fetch origin refs/notes/patchline:refs/notes/patchline
  git notes --ref=patchline show <merge commit>

GitHub is reached at GITHUB_API_URL (default https://api.github.com) with
GITHUB_TOKEN; the repository is [project] github, else GITHUB_REPOSITORY.
--dry-run prints the requests that change something instead of sending
them; without a token it works offline, as if GitHub had nothing yet.`,
		Example: `  patchline pr                       # on the patch branch, in CI
  patchline pr PL-2026-0007 --bundles dist/
  patchline pr --dry-run             # print the requests, change nothing
  patchline pr PL-2026-0007 --merged # after the merge: approvals into a git note, tag v2026.3.1`,
		Args: argsUsage(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.ID = args[0]
			}
			if opts.Merged && opts.Bundles != "" {
				return usageError("--bundles describes the pull request; it has no use with --merged")
			}
			if runF != nil {
				return runF(opts)
			}
			return runPR(cmd.Context(), opts)
		},
	}
	opts.Repo.AddFlags(cmd)
	opts.JSONFlag.AddFlags(cmd)
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print the requests that would change something, send none")
	cmd.Flags().BoolVar(&opts.Merged, "merged", false, "the pull request merged: record its approvals in git and tag the release")
	cmd.Flags().StringVar(&opts.Bundles, "bundles", "", "directory of built bundles whose digests go into the body")
	return cmd
}

// prTarget is a patch and where its pull request goes.
type prTarget struct {
	reg      *registry.Registry
	patch    *registry.Patch
	m        *manifest.Manifest
	line     string
	head     string // patch/<ID>
	base     string // the line's maintenance branch, e.g. release/v2026.3
	policy   qa.Policy
	client   *forge.Client
	progress io.Writer
	review   *review.Target
}

// loadPRTarget finds the patch (an id, its branch name, or the branch
// checked out or being built) and opens the GitHub client.
func loadPRTarget(repo RepoFlags, streams *IOStreams, getenv func(string) string, id string, dryRun bool) (*prTarget, error) {
	reg, err := repo.Registry()
	if err != nil {
		return nil, err
	}
	prefix := reg.Config.Release.PatchBranch
	id = strings.TrimPrefix(strings.TrimPrefix(id, "refs/heads/"), prefix)
	if id == "" {
		// In a workflow the checkout may be detached: GitHub names the branch.
		for _, v := range []string{getenv("GITHUB_HEAD_REF"), getenv("GITHUB_REF_NAME")} {
			if rest, ok := strings.CutPrefix(v, prefix); ok && rest != "" {
				id = rest
				break
			}
		}
	}
	if id == "" {
		if id, err = currentID(reg); err != nil {
			return nil, err
		}
	}
	p, err := reg.Load(id)
	if err != nil {
		return nil, err
	}
	if p.Manifest == nil || len(p.Problems) > 0 {
		lines := make([]string, len(p.Problems))
		for i, pr := range p.Problems {
			lines[i] = pr.String()
		}
		return nil, usageError("%s: the manifest does not decode; run `patchline validate %s`:\n%s", id, id, strings.Join(lines, "\n"))
	}
	line, err := reg.Config.SupportedLineOf(p.Manifest.Base)
	if err != nil {
		return nil, usageError("%s: base %w", p.ManifestPath, err)
	}
	base, ok := reg.Config.MaintenanceBranch(line)
	if !ok {
		return nil, usageError("[release] maintenance_branch %q names no branch for the line %s: use {line} for lines without a minor number", reg.Config.Release.MaintenanceBranch, line)
	}
	gh := reg.Config.Project.GitHub
	if gh == "" {
		gh = getenv("GITHUB_REPOSITORY")
	}
	if gh == "" {
		return nil, usageError("no GitHub repository: set [project] github = \"owner/repo\" in .patchline.toml (or GITHUB_REPOSITORY)")
	}
	o := forge.FromEnv(getenv)
	o.Repo = gh
	if dryRun {
		o.DryRun = streams.Out
	}
	c, err := forge.New(o)
	if err != nil {
		return nil, err
	}
	t := &prTarget{
		reg: reg, patch: p, m: p.Manifest, line: line,
		head: reg.Config.PatchBranchFor(id), base: base,
		policy: qa.Policy{Reviewers: reg.Config.QA.Reviewers, Approvals: reg.Config.QA.Approvals},
		client: c, progress: streams.ErrOut,
	}
	t.review = &review.Target{
		Manifest: t.m, Line: t.line, Head: t.head, Base: t.base, Policy: t.policy,
		Config: reg.Config, ReleaseTags: func() ([]review.Tag, error) { return releaseTags(reg) },
		Forge: c, Owner: c.Owner, Progress: t.progress,
	}
	return t, nil
}

// releaseTags are the repository's release tags, oldest first.
func releaseTags(reg *registry.Registry) ([]review.Tag, error) {
	tags, err := reg.LoadTags()
	if err != nil {
		return nil, err
	}
	var out []review.Tag
	for _, name := range tags.Release() {
		tag, _ := tags.Get(name)
		out = append(out, review.Tag{Name: name, Commit: tag.Commit.String()})
	}
	return out, nil
}

func (t *prTarget) say(format string, args ...any) {
	fmt.Fprintf(t.progress, format+"\n", args...)
}

func runPR(ctx context.Context, opts *PROptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	t, err := loadPRTarget(opts.Repo, opts.IO, opts.Getenv, opts.ID, opts.DryRun)
	if err != nil {
		return err
	}
	if opts.DryRun && t.client.Offline() {
		t.say("dry run, offline (no GITHUB_TOKEN): as if %s had no pull request and no %s yet", t.client.Repo(), t.base)
	}
	if opts.Merged {
		return runMerged(ctx, t, opts)
	}
	res, err := t.review.Open(ctx, func() (string, error) { return t.renderBody(opts.Now(), opts.Bundles) })
	if err != nil {
		return err
	}
	res.DryRun = opts.DryRun
	if opts.JSON {
		return writeJSON(opts.IO, res)
	}
	if !opts.DryRun {
		fmt.Fprintln(opts.IO.Out, res.URL)
	}
	return nil
}

// prBody is what templates/pr-body.md.tmpl is rendered from.
type prBody struct {
	ID         string
	Manifest   *manifest.Manifest
	Line       string
	Branch     string
	Base       string
	Validation prValidation
	Bundles    []prBundle
	QA         struct {
		Reviewers []string
		Approvals int
	}
}

type prValidation struct {
	Ran      bool
	OK       bool
	Errors   int
	Warnings int
	Findings []validate.Finding
	Error    string
}

type prBundle struct {
	Name   string
	SHA256 string
	Size   int64
}

func (t *prTarget) renderBody(now time.Time, bundles string) (string, error) {
	data := prBody{ID: t.m.ID, Manifest: t.m, Line: t.line, Branch: t.head, Base: t.base}
	data.QA.Reviewers, data.QA.Approvals = t.policy.Reviewers, t.policy.Required()
	rep, err := validatePatch(t.reg, t.patch, now)
	if err != nil {
		data.Validation.Error = err.Error()
	} else {
		data.Validation = summarizeReport(rep)
	}
	if bundles != "" {
		if data.Bundles, err = prBundleDigests(bundles, t.m.ID); err != nil {
			return "", err
		}
	}
	out, err := renderTemplate(t.reg.Repo.Root(), "pr-body.md.tmpl", data)
	if err != nil {
		return "", err
	}
	return strings.TrimLeft(string(out), "\n"), nil
}

func summarizeReport(rep *validate.Report) prValidation {
	v := prValidation{Ran: true, OK: !rep.Failed(), Findings: rep.Findings}
	for _, p := range rep.Patches {
		v.Errors += p.Errors
		v.Warnings += p.Warnings
	}
	return v
}

// validatePatch runs every validate rule on one patch.
func validatePatch(reg *registry.Registry, p *registry.Patch, now time.Time) (*validate.Report, error) {
	v, err := validate.New(reg, now)
	if err != nil {
		return nil, err
	}
	if key := reg.Config.Release.TagKeys; key != "" {
		if v.KeyRing, err = readRepoFile(reg.Repo.Root(), key); err != nil {
			return nil, usageError("[release] tag_keys: %w", err)
		}
	}
	return v.Run([]*registry.Patch{p}, nil)
}

// bundleDigests lists dir/<ID>_*.plb with their SHA-256.
func prBundleDigests(dir, id string) ([]prBundle, error) {
	names, err := filepath.Glob(filepath.Join(dir, id+"_*.plb"))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, usageError("--bundles: %w", err)
	}
	sort.Strings(names)
	var out []prBundle
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		n, err := io.Copy(h, f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		out = append(out, prBundle{Name: filepath.Base(name), SHA256: hex.EncodeToString(h.Sum(nil)), Size: n})
	}
	return out, nil
}

func runMerged(ctx context.Context, t *prTarget, opts *PROptions) error {
	res, err := t.review.RecordMerged(ctx)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(opts.IO, res)
	}
	if !opts.DryRun {
		fmt.Fprintln(opts.IO.Out, res.Tag)
	}
	return nil
}

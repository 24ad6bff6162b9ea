package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/forge"
	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/qa"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/release"
	"github.com/patchline/patchline/internal/validate"
)

// QAContext is the commit status `patchline gate` sets.
const QAContext = "patchline/qa"

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
	return &prTarget{
		reg: reg, patch: p, m: p.Manifest, line: line,
		head: reg.Config.PatchBranchFor(id), base: base,
		policy: qa.Policy{Reviewers: reg.Config.QA.Reviewers, Approvals: reg.Config.QA.Approvals},
		client: c, progress: streams.ErrOut,
	}, nil
}

func (t *prTarget) say(format string, args ...any) {
	fmt.Fprintf(t.progress, format+"\n", args...)
}

// ErrHeadBranchMissing is returned when the patch branch is not on GitHub.
var ErrHeadBranchMissing = errors.New("the patch branch is not on GitHub")

// PRResult is what `patchline pr` reports.
type PRResult struct {
	Number     int      `json:"number"`
	URL        string   `json:"url"`
	Created    bool     `json:"created"`
	Updated    []string `json:"updated,omitempty"`
	Labels     []string `json:"labels_added,omitempty"`
	Reviewers  []string `json:"reviewers_requested,omitempty"`
	BaseBranch string   `json:"base"`
	BaseMade   bool     `json:"base_created,omitempty"`
	Merged     bool     `json:"merged,omitempty"`
	DryRun     bool     `json:"dry_run,omitempty"`
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
	res, err := t.openOrUpdate(ctx, opts)
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

func (t *prTarget) openOrUpdate(ctx context.Context, opts *PROptions) (*PRResult, error) {
	c := t.client
	res := &PRResult{BaseBranch: t.base}
	// The pull requests first: on a repository that is not there (or that
	// the token cannot see) this is a 404, where a missing branch is not.
	prs, err := c.FindPulls(ctx, t.head, "all")
	if err != nil {
		return nil, err
	}
	if _, found, err := c.GetRef(ctx, "heads/"+t.head); err != nil {
		return nil, err
	} else if !found && !c.Offline() {
		return nil, &exitError{code: ExitPrecondition, err: fmt.Errorf("%w: %s has no branch %s; push it first: git push -u origin %s",
			ErrHeadBranchMissing, c.Repo(), t.head, t.head)}
	}
	made, err := t.ensureBase(ctx)
	if err != nil {
		return nil, err
	}
	res.BaseMade = made

	title := t.m.ID + ": " + t.m.Title
	body, err := t.renderBody(opts.Now(), opts.Bundles)
	if err != nil {
		return nil, err
	}
	pr := forge.OpenPull(prs)
	if pr == nil {
		for _, p := range prs {
			if p.Merged && p.BaseRef == t.base {
				t.say("%s already merged into %s as #%d; after a merge run `patchline pr %s --merged`", t.head, t.base, p.Number, t.m.ID)
				return &PRResult{Number: p.Number, URL: p.URL, BaseBranch: t.base, Merged: true}, nil
			}
		}
		created, err := c.CreatePull(ctx, forge.NewPull{Title: title, Head: t.head, Base: t.base, Body: body})
		switch {
		case err == nil:
			res.Created = true
			pr = &created
			if !c.DryRun() {
				t.say("opened #%d %s", pr.Number, pr.URL)
			}
		case errors.Is(err, forge.ErrUnavailable), errors.Is(err, forge.ErrRejected):
			// GitHub may have opened it before its answer was lost, or a
			// concurrent run did: look again rather than open a second one.
			again, ferr := c.FindPulls(ctx, t.head, "open")
			if ferr != nil || len(again) == 0 {
				if errors.Is(err, forge.ErrUnavailable) {
					return nil, fmt.Errorf("%w; no pull request from %s is open, so rerunning `patchline pr` is safe", err, t.head)
				}
				return nil, err
			}
			pr = &again[0]
			t.say("found #%d from %s (opened by an earlier try); updating it", pr.Number, t.head)
		default:
			return nil, err
		}
	}
	res.Number, res.URL = pr.Number, pr.URL
	if !res.Created {
		var edit forge.PullEdit
		if pr.Title != title {
			edit.Title = &title
			res.Updated = append(res.Updated, "title")
		}
		if pr.Body != body {
			edit.Body = &body
			res.Updated = append(res.Updated, "body")
		}
		if pr.BaseRef != t.base {
			edit.Base = &t.base
			res.Updated = append(res.Updated, "base")
		}
		if len(res.Updated) > 0 {
			if err := c.EditPull(ctx, pr.Number, edit); err != nil {
				return nil, err
			}
			t.say("updated #%d: %s", pr.Number, strings.Join(res.Updated, ", "))
		} else {
			t.say("#%d is up to date", pr.Number)
		}
	}
	want := []string{"patch", "severity:" + t.m.Severity, "kind:" + t.m.Kind}
	for _, l := range want {
		if !slices.Contains(pr.Labels, l) {
			res.Labels = append(res.Labels, l)
		}
	}
	if len(res.Labels) > 0 {
		if err := c.AddLabels(ctx, pr.Number, res.Labels); err != nil {
			return nil, err
		}
	}
	users, teams, err := t.reviewersToAsk(ctx, pr, res.Created)
	if err != nil {
		return nil, err
	}
	if len(users)+len(teams) > 0 {
		if err := c.RequestReviewers(ctx, pr.Number, users, teams); err != nil {
			if !errors.Is(err, forge.ErrRejected) {
				return nil, err
			}
			// A reviewer GitHub will not ask (not a collaborator, no such
			// team) must not stop the pull request: the gate still waits
			// for the approvals.
			t.say("warning: %v; check [qa] reviewers in .patchline.toml", err)
			return res, nil
		}
		for _, tm := range teams {
			res.Reviewers = append(res.Reviewers, c.Owner+"/"+tm)
		}
		res.Reviewers = append(users, res.Reviewers...)
		if !c.DryRun() {
			t.say("asked %s to review", strings.Join(res.Reviewers, ", "))
		}
	}
	return res, nil
}

// ensureBase creates the maintenance branch at the line's quarterly tag
// when GitHub does not have it.
func (t *prTarget) ensureBase(ctx context.Context) (bool, error) {
	c := t.client
	if _, found, err := c.GetRef(ctx, "heads/"+t.base); err != nil || found {
		return false, err
	}
	tags, err := t.reg.LoadTags()
	if err != nil {
		return false, err
	}
	var quarterly string
	for _, name := range tags.Release() {
		if l, ok := t.reg.Config.LineOf(name); ok && l == t.line && t.reg.Config.IsQuarterlyTag(name) {
			quarterly = name
		}
	}
	if quarterly == "" {
		return false, usageError("release line %s has no quarterly tag (matching [release] quarterly %s) to start %s from",
			t.line, t.reg.Config.Release.Quarterly, t.base)
	}
	tag, _ := tags.Get(quarterly)
	err = c.CreateRef(ctx, "refs/heads/"+t.base, tag.Commit.String())
	if err != nil {
		// Another run may have made it, or GitHub did before the answer was lost.
		if _, found, rerr := c.GetRef(ctx, "heads/"+t.base); rerr == nil && found {
			return false, nil
		}
		if errors.Is(err, forge.ErrRejected) {
			return false, fmt.Errorf("%w (is %s pushed? git push origin %s)", err, quarterly, quarterly)
		}
		return false, err
	}
	if !c.DryRun() {
		t.say("created %s at %s (%s)", t.base, quarterly, tag.Commit.String()[:7])
	}
	return true, nil
}

// reviewersToAsk is [qa] reviewers not yet asked and not yet reviewing:
// users, and teams of the repository owner's organization.
func (t *prTarget) reviewersToAsk(ctx context.Context, pr *forge.PullRequest, created bool) (users, teams []string, err error) {
	reviewed := map[string]bool{}
	if !created && len(t.policy.Reviewers) > 0 {
		reviews, err := t.client.Reviews(ctx, pr.Number)
		if err != nil {
			return nil, nil, err
		}
		for _, r := range reviews {
			reviewed[strings.ToLower(r.User)] = true
		}
	}
	has := func(list []string, s string) bool {
		return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
	}
	for _, u := range t.policy.Users() {
		if strings.EqualFold(u, pr.Author) || reviewed[strings.ToLower(u)] || has(pr.RequestedUsers, u) || has(users, u) {
			continue
		}
		users = append(users, u)
	}
	for _, team := range t.policy.Teams() {
		org, slug, _ := strings.Cut(team, "/")
		if !strings.EqualFold(org, t.client.Owner) {
			t.say("warning: [qa] reviewer %s: GitHub only asks teams of %s's organization to review; ask them by hand", team, t.client.Owner)
			continue
		}
		if has(pr.RequestedTeams, slug) || has(teams, slug) {
			continue
		}
		teams = append(teams, slug)
	}
	return users, teams, nil
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

// qaMember answers whether a login may approve for [qa], asking GitHub
// about team membership once per login.
func (t *prTarget) qaMember(ctx context.Context) func(string) (bool, error) {
	cache := map[string]bool{}
	return func(login string) (bool, error) {
		key := strings.ToLower(login)
		if v, ok := cache[key]; ok {
			return v, nil
		}
		member := slices.ContainsFunc(t.policy.Users(), func(u string) bool { return strings.EqualFold(u, login) })
		for _, team := range t.policy.Teams() {
			if member {
				break
			}
			org, slug, _ := strings.Cut(team, "/")
			ok, err := t.client.TeamMember(ctx, org, slug, login)
			if err != nil {
				return false, err
			}
			member = ok
		}
		cache[key] = member
		return member, nil
	}
}

// decide reads a pull request's reviews against [qa].
func (t *prTarget) decide(ctx context.Context, pr forge.PullRequest) (qa.Decision, error) {
	reviews, err := t.client.Reviews(ctx, pr.Number)
	if err != nil {
		return qa.Decision{}, err
	}
	authors, err := t.client.CommitAuthors(ctx, pr.Number)
	if err != nil {
		return qa.Decision{}, err
	}
	in := qa.Input{Head: pr.HeadSHA, Authors: append([]string{pr.Author}, authors...), IsQA: t.qaMember(ctx)}
	for _, r := range reviews {
		in.Reviews = append(in.Reviews, qa.Review{ID: r.ID, User: r.User, State: r.State, CommitID: r.CommitID, At: r.SubmittedAt, URL: r.URL})
	}
	return qa.Decide(t.policy, in)
}

// MergedResult is what `patchline pr --merged` reports.
type MergedResult struct {
	Number      int           `json:"number"`
	MergeCommit string        `json:"merge_commit"`
	Approvals   []qa.Approval `json:"approvals"`
	NotesRef    string        `json:"notes_ref"`             // where the note on the merge commit is
	Recorded    string        `json:"recorded_in,omitempty"` // the notes commit that added them; "" when already there
	Tag         string        `json:"tag"`
	DryRun      bool          `json:"dry_run,omitempty"`
}

func runMerged(ctx context.Context, t *prTarget, opts *PROptions) error {
	c := t.client
	prs, err := c.FindPulls(ctx, t.head, "all")
	if err != nil {
		return err
	}
	var pr *forge.PullRequest
	for i := range prs {
		if prs[i].Merged && prs[i].BaseRef == t.base {
			pr = &prs[i]
			break
		}
	}
	if pr == nil {
		if p := forge.OpenPull(prs); p != nil {
			return &exitError{code: ExitFindings, err: fmt.Errorf("#%d from %s is still open: --merged records the approval after it merges", p.Number, t.head)}
		}
		if c.Offline() {
			pr = &forge.PullRequest{HeadSHA: "{head_sha}", MergeCommitSHA: "{merge_commit_sha}"}
		} else {
			return &exitError{code: ExitFindings, err: fmt.Errorf("no merged pull request from %s into %s on %s", t.head, t.base, c.Repo())}
		}
	}
	res := &MergedResult{Number: pr.Number, MergeCommit: pr.MergeCommitSHA, NotesRef: history.NotesRef, DryRun: opts.DryRun}
	d, err := t.decide(ctx, *pr)
	if err != nil {
		return err
	}
	res.Approvals = d.Approvals
	if d.State != qa.Success && !c.Offline() {
		t.say("warning: #%d merged without the QA approval [qa] asks for (%s); recording what there is", pr.Number, d.Description)
	}
	approvals := t.approvals(d.Approvals)
	if res.Recorded, err = t.recordNote(ctx, *pr, approvals); err != nil {
		return err
	}
	if res.Tag, err = t.tagRelease(ctx, pr.MergeCommitSHA, approvals); err != nil {
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

// approvals are the QA approvals of a merged pull request as git records
// them.
func (t *prTarget) approvals(approvals []qa.Approval) []history.Approval {
	out := make([]history.Approval, len(approvals))
	for i, a := range approvals {
		out[i] = history.Approval{Role: "qa", By: a.User, At: a.At.UTC(), Ref: a.URL}
	}
	return out
}

// trailers are the lines that record the approval chain in a commit or a
// tag message: every approval with its role, login, time and review.
func (t *prTarget) trailers(approvals []history.Approval) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Patch-Id: %s\n", t.m.ID)
	for _, a := range approvals {
		b.WriteString(history.ApprovalTrailer(a) + "\n")
	}
	return b.String()
}

// recordNote keeps the approvals in a git note on the merge commit under
// refs/notes/patchline, written through GitHub's git data API: a notes ref
// is not a branch, so branch protection does not refuse it, and nothing is
// committed to the maintenance branch. A rerun finds the approvals in the
// note and writes nothing; a write whose answer was lost, or that lost a
// race with another run, is read back before it is tried again.
func (t *prTarget) recordNote(ctx context.Context, pr forge.PullRequest, approvals []history.Approval) (string, error) {
	c := t.client
	if len(approvals) == 0 {
		return "", nil
	}
	merge := pr.MergeCommitSHA
	for try := 1; ; try++ {
		n, err := c.ReadNote(ctx, history.NotesRef, merge)
		if err != nil {
			return "", err
		}
		note := &history.ApprovalNote{}
		if n.Found() {
			if note, err = history.DecodeApprovalNote(n.Content); err != nil {
				return "", usageError("%s on %s: the note on the merge commit %s does not decode (%v); patchline will not overwrite it: "+
					"look at it with `git notes --ref=patchline show %s` after a fetch, and remove or fix it", history.NotesRef, c.Repo(), shortSHA(merge), err, merge)
			}
		}
		if !note.Add(t.m.ID, pr.URL, approvals) {
			t.say("approvals already recorded in %s on %s", history.NotesRef, shortSHA(merge))
			return "", nil
		}
		msg := fmt.Sprintf("%s: record QA approval of %s\n\n%s", t.m.ID, shortSHA(merge), t.trailers(approvals))
		commit, err := c.WriteNote(ctx, n, note.Encode(), msg)
		if c.DryRun() && err == nil {
			fmt.Fprintf(t.progress, "the note on %s in %s:\n%s", merge, history.NotesRef, note.Encode())
		}
		if err == nil {
			if !c.DryRun() {
				t.say("recorded %d approval(s) in %s on %s (%s)", len(approvals), history.NotesRef, shortSHA(merge), shortSHA(commit))
			}
			return commit, nil
		}
		// Another run moved the notes ref (not a fast-forward), or the
		// answer was lost: read it again; the approvals may be there.
		if try >= 3 || !(errors.Is(err, forge.ErrRejected) || errors.Is(err, forge.ErrUnavailable)) {
			return "", err
		}
	}
}

// tagRelease tags the merge commit as the line's next patch-level release,
// unless a release tag of the line already names it.
func (t *prTarget) tagRelease(ctx context.Context, merge string, approvals []history.Approval) (string, error) {
	c := t.client
	for try := 1; ; try++ {
		refs, err := c.MatchingRefs(ctx, "tags/"+t.line)
		if err != nil {
			return "", err
		}
		var newest string
		for _, r := range refs {
			name := strings.TrimPrefix(r.Ref, "refs/tags/")
			if l, ok := t.reg.Config.LineOf(name); !ok || l != t.line {
				continue
			}
			target := r.SHA
			if r.Type == "tag" {
				if target, _, err = c.TagTarget(ctx, r.SHA); err != nil {
					return "", err
				}
			}
			if target == merge {
				t.say("%s already tags the merge commit %s", name, shortSHA(merge))
				return name, nil
			}
			if newest == "" || release.CompareTags(name, newest) > 0 {
				newest = name
			}
		}
		if newest == "" {
			newest = t.m.Base
			if !c.Offline() {
				return "", fmt.Errorf("%s has no release tag of line %s: push the tags (git push origin --tags)", c.Repo(), t.line)
			}
		}
		next, ok := release.Next(newest)
		if !ok || !t.reg.Config.IsReleaseTag(next) {
			return "", fmt.Errorf("cannot name the release after %s: %q does not match [release] tags %s", newest, next, t.reg.Config.Release.Tags)
		}
		msg := fmt.Sprintf("%s: %s %s\n\n%s", next, t.m.ID, t.m.Title, t.trailers(approvals))
		obj, err := c.CreateTagObject(ctx, next, msg, merge)
		if err != nil {
			return "", err
		}
		err = c.CreateRef(ctx, "refs/tags/"+next, obj)
		if err == nil {
			if !c.DryRun() {
				t.say("tagged %s as %s", shortSHA(merge), next)
			}
			return next, nil
		}
		// Another merge took the name, or the answer was lost: look again.
		if try >= 3 || !(errors.Is(err, forge.ErrRejected) || errors.Is(err, forge.ErrUnavailable)) {
			return "", err
		}
	}
}

func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// Package review is a patch's QA review on GitHub: its pull request opened
// or updated (the maintenance branch made when missing, labels, reviewers),
// its reviews decided against [qa], and, once it merged, its approvals
// recorded in git (a note on the merge commit) and the merge commit tagged
// as the line's next release. GitHub sits behind the Forge interface, the
// repository's tags behind a function, so a test can swap both.
package review

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/forge"
	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/qa"
	"github.com/patchline/patchline/internal/release"
)

// Errors callers map to exit codes; their text is the cause's.
var (
	// ErrHeadBranchMissing: the patch branch is not on GitHub.
	ErrHeadBranchMissing = errors.New("the patch branch is not on GitHub")
	// ErrBadInput: the repository's config or data cannot be used as it
	// is (no quarterly tag to start a branch from, a note that does not
	// decode); the user fixes it.
	ErrBadInput = errors.New("bad input")
	// ErrNotMerged: --merged found no merged pull request to record.
	ErrNotMerged = errors.New("the pull request has not merged")
	// ErrNotOpen: there is no open pull request to gate.
	ErrNotOpen = errors.New("no open pull request")
)

// marked is an error whose text is err's that also is mark.
type marked struct{ err, mark error }

func (e *marked) Error() string   { return e.err.Error() }
func (e *marked) Unwrap() []error { return []error{e.err, e.mark} }

func mark(sentinel error, format string, args ...any) error {
	return &marked{err: fmt.Errorf(format, args...), mark: sentinel}
}

// Forge is what a review needs of GitHub; *forge.Client has it.
type Forge interface {
	Repo() string
	Offline() bool
	DryRun() bool
	FindPulls(ctx context.Context, head, state string) ([]forge.PullRequest, error)
	GetRef(ctx context.Context, ref string) (forge.Ref, bool, error)
	CreateRef(ctx context.Context, ref, sha string) error
	MatchingRefs(ctx context.Context, prefix string) ([]forge.Ref, error)
	TagTarget(ctx context.Context, sha string) (target, kind string, err error)
	CreateTagObject(ctx context.Context, name, message, commit string) (string, error)
	CreatePull(ctx context.Context, p forge.NewPull) (forge.PullRequest, error)
	EditPull(ctx context.Context, number int, e forge.PullEdit) error
	AddLabels(ctx context.Context, number int, labels []string) error
	RequestReviewers(ctx context.Context, number int, users, teams []string) error
	Reviews(ctx context.Context, number int) ([]forge.Review, error)
	CommitAuthors(ctx context.Context, number int) ([]string, error)
	TeamMember(ctx context.Context, org, slug, user string) (bool, error)
	SetStatus(ctx context.Context, sha string, s forge.Status) error
	ReadNote(ctx context.Context, ref, object string) (forge.Note, error)
	WriteNote(ctx context.Context, prev forge.Note, content []byte, message string) (string, error)
}

// Tag is a release tag of the repository and the commit it names.
type Tag struct {
	Name   string
	Commit string
}

// Target is a patch and where its pull request goes.
type Target struct {
	Manifest *manifest.Manifest
	Line     string // the patch's release line, e.g. v2026.3
	Head     string // patch/<ID>
	Base     string // the line's maintenance branch, e.g. release/v2026.3
	Policy   qa.Policy
	// Config names release tags, quarterly tags and lines.
	Config *config.Config
	// ReleaseTags lists the repository's release tags, oldest first; it is
	// read only when the maintenance branch has to be made.
	ReleaseTags func() ([]Tag, error)
	Forge       Forge
	// Owner is the GitHub owner of the repository, whose teams may review.
	Owner    string
	Progress io.Writer
}

func (t *Target) say(format string, args ...any) {
	fmt.Fprintf(t.Progress, format+"\n", args...)
}

// Opened is what Open did.
type Opened struct {
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

// Open opens the pull request from Head into Base, or updates the one open
// from Head, so a rerun never opens a second one: the title from the
// manifest, the body from body (called once the branches are checked),
// the labels, and [qa] reviewers not yet asked.
func (t *Target) Open(ctx context.Context, body func() (string, error)) (*Opened, error) {
	c := t.Forge
	res := &Opened{BaseBranch: t.Base}
	// The pull requests first: on a repository that is not there (or that
	// the token cannot see) this is a 404, where a missing branch is not.
	prs, err := c.FindPulls(ctx, t.Head, "all")
	if err != nil {
		return nil, err
	}
	if _, found, err := c.GetRef(ctx, "heads/"+t.Head); err != nil {
		return nil, err
	} else if !found && !c.Offline() {
		return nil, fmt.Errorf("%w: %s has no branch %s; push it first: git push -u origin %s",
			ErrHeadBranchMissing, c.Repo(), t.Head, t.Head)
	}
	made, err := t.ensureBase(ctx)
	if err != nil {
		return nil, err
	}
	res.BaseMade = made

	title := t.Manifest.ID + ": " + t.Manifest.Title
	text, err := body()
	if err != nil {
		return nil, err
	}
	pr := forge.OpenPull(prs)
	if pr == nil {
		for _, p := range prs {
			if p.Merged && p.BaseRef == t.Base {
				t.say("%s already merged into %s as #%d; after a merge run `patchline pr %s --merged`", t.Head, t.Base, p.Number, t.Manifest.ID)
				return &Opened{Number: p.Number, URL: p.URL, BaseBranch: t.Base, Merged: true}, nil
			}
		}
		created, err := c.CreatePull(ctx, forge.NewPull{Title: title, Head: t.Head, Base: t.Base, Body: text})
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
			again, ferr := c.FindPulls(ctx, t.Head, "open")
			if ferr != nil || len(again) == 0 {
				if errors.Is(err, forge.ErrUnavailable) {
					return nil, fmt.Errorf("%w; no pull request from %s is open, so rerunning `patchline pr` is safe", err, t.Head)
				}
				return nil, err
			}
			pr = &again[0]
			t.say("found #%d from %s (opened by an earlier try); updating it", pr.Number, t.Head)
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
		if pr.Body != text {
			edit.Body = &text
			res.Updated = append(res.Updated, "body")
		}
		if pr.BaseRef != t.Base {
			base := t.Base
			edit.Base = &base
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
	for _, l := range Labels(t.Manifest) {
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
			res.Reviewers = append(res.Reviewers, t.Owner+"/"+tm)
		}
		res.Reviewers = append(users, res.Reviewers...)
		if !c.DryRun() {
			t.say("asked %s to review", strings.Join(res.Reviewers, ", "))
		}
	}
	return res, nil
}

// Labels are the labels a patch's pull request carries.
func Labels(m *manifest.Manifest) []string {
	return []string{"patch", "severity:" + m.Severity, "kind:" + m.Kind}
}

// ensureBase creates the maintenance branch at the line's quarterly tag
// when GitHub does not have it.
func (t *Target) ensureBase(ctx context.Context) (bool, error) {
	c := t.Forge
	if _, found, err := c.GetRef(ctx, "heads/"+t.Base); err != nil || found {
		return false, err
	}
	tags, err := t.ReleaseTags()
	if err != nil {
		return false, err
	}
	var quarterly Tag
	for _, tag := range tags {
		if l, ok := t.Config.LineOf(tag.Name); ok && l == t.Line && t.Config.IsQuarterlyTag(tag.Name) {
			quarterly = tag
		}
	}
	if quarterly.Name == "" {
		return false, mark(ErrBadInput, "release line %s has no quarterly tag (matching [release] quarterly %s) to start %s from",
			t.Line, t.Config.Release.Quarterly, t.Base)
	}
	err = c.CreateRef(ctx, "refs/heads/"+t.Base, quarterly.Commit)
	if err != nil {
		// Another run may have made it, or GitHub did before the answer was lost.
		if _, found, rerr := c.GetRef(ctx, "heads/"+t.Base); rerr == nil && found {
			return false, nil
		}
		if errors.Is(err, forge.ErrRejected) {
			return false, fmt.Errorf("%w (is %s pushed? git push origin %s)", err, quarterly.Name, quarterly.Name)
		}
		return false, err
	}
	if !c.DryRun() {
		t.say("created %s at %s (%s)", t.Base, quarterly.Name, ShortSHA(quarterly.Commit))
	}
	return true, nil
}

// reviewersToAsk is [qa] reviewers not yet asked and not yet reviewing:
// users, and teams of the repository owner's organization.
func (t *Target) reviewersToAsk(ctx context.Context, pr *forge.PullRequest, created bool) (users, teams []string, err error) {
	reviewed := map[string]bool{}
	if !created && len(t.Policy.Reviewers) > 0 {
		reviews, err := t.Forge.Reviews(ctx, pr.Number)
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
	for _, u := range t.Policy.Users() {
		if strings.EqualFold(u, pr.Author) || reviewed[strings.ToLower(u)] || has(pr.RequestedUsers, u) || has(users, u) {
			continue
		}
		users = append(users, u)
	}
	for _, team := range t.Policy.Teams() {
		org, slug, _ := strings.Cut(team, "/")
		if !strings.EqualFold(org, t.Owner) {
			t.say("warning: [qa] reviewer %s: GitHub only asks teams of %s's organization to review; ask them by hand", team, t.Owner)
			continue
		}
		if has(pr.RequestedTeams, slug) || has(teams, slug) {
			continue
		}
		teams = append(teams, slug)
	}
	return users, teams, nil
}

// qaMember answers whether a login may approve for [qa], asking GitHub
// about team membership once per login.
func (t *Target) qaMember(ctx context.Context) func(string) (bool, error) {
	cache := map[string]bool{}
	return func(login string) (bool, error) {
		key := strings.ToLower(login)
		if v, ok := cache[key]; ok {
			return v, nil
		}
		member := slices.ContainsFunc(t.Policy.Users(), func(u string) bool { return strings.EqualFold(u, login) })
		for _, team := range t.Policy.Teams() {
			if member {
				break
			}
			org, slug, _ := strings.Cut(team, "/")
			ok, err := t.Forge.TeamMember(ctx, org, slug, login)
			if err != nil {
				return false, err
			}
			member = ok
		}
		cache[key] = member
		return member, nil
	}
}

// Decide reads a pull request's reviews against [qa].
func (t *Target) Decide(ctx context.Context, pr forge.PullRequest) (qa.Decision, error) {
	reviews, err := t.Forge.Reviews(ctx, pr.Number)
	if err != nil {
		return qa.Decision{}, err
	}
	authors, err := t.Forge.CommitAuthors(ctx, pr.Number)
	if err != nil {
		return qa.Decision{}, err
	}
	in := qa.Input{Head: pr.HeadSHA, Authors: append([]string{pr.Author}, authors...), IsQA: t.qaMember(ctx)}
	for _, r := range reviews {
		in.Reviews = append(in.Reviews, qa.Review{ID: r.ID, User: r.User, State: r.State, CommitID: r.CommitID, At: r.SubmittedAt, URL: r.URL})
	}
	return qa.Decide(t.Policy, in)
}

// Merged is what RecordMerged did.
type Merged struct {
	Number      int           `json:"number"`
	MergeCommit string        `json:"merge_commit"`
	Approvals   []qa.Approval `json:"approvals"`
	NotesRef    string        `json:"notes_ref"`             // where the note on the merge commit is
	Recorded    string        `json:"recorded_in,omitempty"` // the notes commit that added them; "" when already there
	Tag         string        `json:"tag"`
	DryRun      bool          `json:"dry_run,omitempty"`
}

// RecordMerged records the approvals of the pull request merged from Head
// into Base in a git note on its merge commit, and tags the merge commit as
// the line's next patch-level release. Reruns change nothing.
func (t *Target) RecordMerged(ctx context.Context) (*Merged, error) {
	c := t.Forge
	prs, err := c.FindPulls(ctx, t.Head, "all")
	if err != nil {
		return nil, err
	}
	var pr *forge.PullRequest
	for i := range prs {
		if prs[i].Merged && prs[i].BaseRef == t.Base {
			pr = &prs[i]
			break
		}
	}
	if pr == nil {
		if p := forge.OpenPull(prs); p != nil {
			return nil, mark(ErrNotMerged, "#%d from %s is still open: --merged records the approval after it merges", p.Number, t.Head)
		}
		if !c.Offline() {
			return nil, mark(ErrNotMerged, "no merged pull request from %s into %s on %s", t.Head, t.Base, c.Repo())
		}
		pr = &forge.PullRequest{HeadSHA: "{head_sha}", MergeCommitSHA: "{merge_commit_sha}"}
	}
	res := &Merged{Number: pr.Number, MergeCommit: pr.MergeCommitSHA, NotesRef: history.NotesRef, DryRun: c.DryRun()}
	d, err := t.Decide(ctx, *pr)
	if err != nil {
		return nil, err
	}
	res.Approvals = d.Approvals
	if d.State != qa.Success && !c.Offline() {
		t.say("warning: #%d merged without the QA approval [qa] asks for (%s); recording what there is", pr.Number, d.Description)
	}
	approvals := Approvals(d.Approvals)
	if res.Recorded, err = t.recordNote(ctx, *pr, approvals); err != nil {
		return nil, err
	}
	if res.Tag, err = t.tagRelease(ctx, pr.MergeCommitSHA, approvals); err != nil {
		return nil, err
	}
	return res, nil
}

// Approvals are the QA approvals of a merged pull request as git records
// them.
func Approvals(approvals []qa.Approval) []history.Approval {
	out := make([]history.Approval, len(approvals))
	for i, a := range approvals {
		out[i] = history.Approval{Role: "qa", By: a.User, At: a.At.UTC(), Ref: a.URL}
	}
	return out
}

// Trailers are the lines that record the approval chain in a commit or a
// tag message: the patch, then every approval with its role, login, time
// and review.
func Trailers(id string, approvals []history.Approval) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Patch-Id: %s\n", id)
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
func (t *Target) recordNote(ctx context.Context, pr forge.PullRequest, approvals []history.Approval) (string, error) {
	c := t.Forge
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
				return "", mark(ErrBadInput, "%s on %s: the note on the merge commit %s does not decode (%v); patchline will not overwrite it: "+
					"look at it with `git notes --ref=patchline show %s` after a fetch, and remove or fix it", history.NotesRef, c.Repo(), ShortSHA(merge), err, merge)
			}
		}
		if !note.Add(t.Manifest.ID, pr.URL, approvals) {
			t.say("approvals already recorded in %s on %s", history.NotesRef, ShortSHA(merge))
			return "", nil
		}
		msg := fmt.Sprintf("%s: record QA approval of %s\n\n%s", t.Manifest.ID, ShortSHA(merge), Trailers(t.Manifest.ID, approvals))
		commit, err := c.WriteNote(ctx, n, note.Encode(), msg)
		if c.DryRun() && err == nil {
			fmt.Fprintf(t.Progress, "the note on %s in %s:\n%s", merge, history.NotesRef, note.Encode())
		}
		if err == nil {
			if !c.DryRun() {
				t.say("recorded %d approval(s) in %s on %s (%s)", len(approvals), history.NotesRef, ShortSHA(merge), ShortSHA(commit))
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
func (t *Target) tagRelease(ctx context.Context, merge string, approvals []history.Approval) (string, error) {
	c := t.Forge
	for try := 1; ; try++ {
		refs, err := c.MatchingRefs(ctx, "tags/"+t.Line)
		if err != nil {
			return "", err
		}
		var newest string
		for _, r := range refs {
			name := strings.TrimPrefix(r.Ref, "refs/tags/")
			if l, ok := t.Config.LineOf(name); !ok || l != t.Line {
				continue
			}
			target := r.SHA
			if r.Type == "tag" {
				if target, _, err = c.TagTarget(ctx, r.SHA); err != nil {
					return "", err
				}
			}
			if target == merge {
				t.say("%s already tags the merge commit %s", name, ShortSHA(merge))
				return name, nil
			}
			if newest == "" || release.CompareTags(name, newest) > 0 {
				newest = name
			}
		}
		if newest == "" {
			newest = t.Manifest.Base
			if !c.Offline() {
				return "", fmt.Errorf("%s has no release tag of line %s: push the tags (git push origin --tags)", c.Repo(), t.Line)
			}
		}
		next, ok := release.Next(newest)
		if !ok || !t.Config.IsReleaseTag(next) {
			return "", fmt.Errorf("cannot name the release after %s: %q does not match [release] tags %s", newest, next, t.Config.Release.Tags)
		}
		msg := fmt.Sprintf("%s: %s %s\n\n%s", next, t.Manifest.ID, t.Manifest.Title, Trailers(t.Manifest.ID, approvals))
		obj, err := c.CreateTagObject(ctx, next, msg, merge)
		if err != nil {
			return "", err
		}
		err = c.CreateRef(ctx, "refs/tags/"+next, obj)
		if err == nil {
			if !c.DryRun() {
				t.say("tagged %s as %s", ShortSHA(merge), next)
			}
			return next, nil
		}
		// Another merge took the name, or the answer was lost: look again.
		if try >= 3 || !(errors.Is(err, forge.ErrRejected) || errors.Is(err, forge.ErrUnavailable)) {
			return "", err
		}
	}
}

// ShortSHA is the first 7 hex digits of a commit id.
func ShortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

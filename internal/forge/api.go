package forge

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// PullRequest is what patchline needs of a pull request.
type PullRequest struct {
	Number         int
	URL            string // html_url
	State          string // open or closed
	Title, Body    string
	Author         string
	HeadRef        string
	HeadSHA        string
	BaseRef        string
	Merged         bool
	MergedAt       time.Time
	MergeCommitSHA string
	Labels         []string
	RequestedUsers []string
	RequestedTeams []string // team slugs
}

// OpenPull returns the first open pull request of prs, or nil: GitHub lets
// a head branch have at most one open into the same base.
func OpenPull(prs []PullRequest) *PullRequest {
	for i := range prs {
		if prs[i].State == "open" {
			return &prs[i]
		}
	}
	return nil
}

// Review is one submitted review.
type Review struct {
	ID          int64
	User        string
	State       string // APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING
	CommitID    string // the head commit the review was given on
	SubmittedAt time.Time
	URL         string
}

// Ref is a git reference on GitHub.
type Ref struct {
	Ref  string // refs/heads/…, refs/tags/…
	SHA  string
	Type string // commit or tag
}

// Status is a commit status.
type Status struct {
	State       string // pending, success, failure, error
	Context     string
	Description string
	TargetURL   string
}

// File is a file's content on a branch.
type File struct {
	Content []byte
	SHA     string // the blob, which an update names
}

// NewPull is a pull request to open.
type NewPull struct {
	Title string `json:"title"`
	Head  string `json:"head"`
	Base  string `json:"base"`
	Body  string `json:"body"`
}

// PullEdit changes a pull request; nil fields stay as they are.
type PullEdit struct {
	Title *string `json:"title,omitempty"`
	Body  *string `json:"body,omitempty"`
	Base  *string `json:"base,omitempty"`
}

const (
	perPage = 100 // the most GitHub lists on one page
	// maxPages bounds one listing at 10,000 items, far past any pull
	// request's reviews or commits: a server that always names a next page
	// must not keep patchline asking.
	maxPages = 100
)

// listAll lists every page of a paginated call, page 1 first, following
// each answer's NextPage. page is the options list reads the page from.
// Each page is one call, tried again as any read is; add sees each item of
// the pages that came back whole.
func listAll[T any](ctx context.Context, c *Client, op string, page *github.ListOptions, list func(gh *github.Client) ([]T, *github.Response, error), add func(T)) error {
	page.PerPage = perPage
	for n := 1; ; n++ {
		var items []T
		next := 0
		err := c.call(ctx, op, true, false, func(gh *github.Client) (*github.Response, error) {
			got, resp, err := list(gh)
			if err == nil {
				items, next = got, resp.NextPage
			}
			return resp, err
		})
		if err != nil {
			return err
		}
		for _, it := range items {
			add(it)
		}
		if next == 0 {
			return nil
		}
		if n == maxPages {
			return c.scrub(&APIError{Op: op, Message: fmt.Sprintf("GitHub still named a next page after %d pages of %d", maxPages, perPage),
				Kind: ErrRejected, Hint: "the answer never ends; rerun later, and report it if it keeps happening"})
		}
		page.Page = next
	}
}

// pullPath is pulls/<n>, with a placeholder for the pull request a dry run
// only pretended to open.
func pullPath(prefix string, n int, suffix string) string {
	num := strconv.Itoa(n)
	if n == 0 {
		num = "{pull_number}"
	}
	return prefix + num + suffix
}

// GetRef reads a reference such as heads/release/v2026.3; found is false
// when it does not exist.
func (c *Client) GetRef(ctx context.Context, ref string) (r Ref, found bool, err error) {
	if c.offline {
		return Ref{}, false, nil
	}
	var got *github.Reference
	err = c.call(ctx, "read "+ref, true, false, func(gh *github.Client) (*github.Response, error) {
		var resp *github.Response
		var err error
		got, resp, err = gh.Git.GetRef(ctx, c.Owner, c.Name, ref)
		return resp, err
	})
	if errors.Is(err, ErrNotFound) {
		return Ref{}, false, nil
	}
	if err != nil {
		return Ref{}, false, err
	}
	return toRef(got), true, nil
}

func toRef(r *github.Reference) Ref {
	return Ref{Ref: r.GetRef(), SHA: r.GetObject().GetSHA(), Type: r.GetObject().GetType()}
}

// CreateRef creates a reference (refs/heads/…, refs/tags/…) at sha. It is
// not repeated on a dropped connection: the caller reads the ref back.
func (c *Client) CreateRef(ctx context.Context, ref, sha string) error {
	w := write{"POST", "git/refs", map[string]string{"ref": ref, "sha": sha}}
	if c.dryRun != nil {
		return c.printWrite(w)
	}
	return c.call(ctx, "create "+ref, false, true, func(gh *github.Client) (*github.Response, error) {
		_, resp, err := gh.Git.CreateRef(ctx, c.Owner, c.Name, &github.Reference{Ref: &ref, Object: &github.GitObject{SHA: &sha}})
		return resp, err
	})
}

// MatchingRefs lists the references whose names start with prefix, such as
// tags/v2026.3.
func (c *Client) MatchingRefs(ctx context.Context, prefix string) ([]Ref, error) {
	if c.offline {
		return nil, nil
	}
	var out []Ref
	err := c.call(ctx, "list "+prefix+"*", true, false, func(gh *github.Client) (*github.Response, error) {
		refs, resp, err := gh.Git.ListMatchingRefs(ctx, c.Owner, c.Name, &github.ReferenceListOptions{Ref: prefix})
		out = out[:0]
		for _, r := range refs {
			out = append(out, toRef(r))
		}
		return resp, err
	})
	return out, err
}

// TagTarget reads an annotated tag object and returns what it points at.
func (c *Client) TagTarget(ctx context.Context, sha string) (target, kind string, err error) {
	err = c.call(ctx, "read tag object "+sha, true, false, func(gh *github.Client) (*github.Response, error) {
		t, resp, err := gh.Git.GetTag(ctx, c.Owner, c.Name, sha)
		target, kind = t.GetObject().GetSHA(), t.GetObject().GetType()
		return resp, err
	})
	return target, kind, err
}

// CreateTagObject makes an annotated tag object for a commit; the tag is
// only visible once CreateRef points refs/tags/<name> at it.
func (c *Client) CreateTagObject(ctx context.Context, name, message, commit string) (string, error) {
	w := write{"POST", "git/tags", map[string]string{"tag": name, "message": message, "object": commit, "type": "commit"}}
	if c.dryRun != nil {
		return "{tag_object_sha}", c.printWrite(w)
	}
	var sha string
	// A repeat makes one more unreferenced tag object, which is harmless.
	err := c.call(ctx, "create tag object "+name, true, true, func(gh *github.Client) (*github.Response, error) {
		t, resp, err := gh.Git.CreateTag(ctx, c.Owner, c.Name, &github.Tag{
			Tag: &name, Message: &message, Object: &github.GitObject{SHA: &commit, Type: github.String("commit")},
		})
		sha = t.GetSHA()
		return resp, err
	})
	return sha, err
}

// FindPulls lists the pull requests from a branch of this repository, newest
// first; state is open, closed or all.
func (c *Client) FindPulls(ctx context.Context, head, state string) ([]PullRequest, error) {
	if c.offline {
		return nil, nil
	}
	var out []PullRequest
	opts := &github.PullRequestListOptions{State: state, Head: c.Owner + ":" + head}
	err := listAll(ctx, c, "find pull requests from "+head, &opts.ListOptions, func(gh *github.Client) ([]*github.PullRequest, *github.Response, error) {
		return gh.PullRequests.List(ctx, c.Owner, c.Name, opts)
	}, func(pr *github.PullRequest) {
		out = append(out, toPull(pr))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Pull reads one pull request.
func (c *Client) Pull(ctx context.Context, number int) (PullRequest, error) {
	var out PullRequest
	err := c.call(ctx, "read pull request #"+strconv.Itoa(number), true, false, func(gh *github.Client) (*github.Response, error) {
		pr, resp, err := gh.PullRequests.Get(ctx, c.Owner, c.Name, number)
		if err == nil {
			out = toPull(pr)
		}
		return resp, err
	})
	return out, err
}

// CreatePull opens a pull request. It is never repeated on its own: after
// a dropped connection or a server error GitHub may have opened it, and the
// caller looks for it by its head branch before trying again.
func (c *Client) CreatePull(ctx context.Context, p NewPull) (PullRequest, error) {
	if c.dryRun != nil {
		return PullRequest{Title: p.Title, Body: p.Body, HeadRef: p.Head, BaseRef: p.Base, State: "open"},
			c.printWrite(write{"POST", "pulls", p})
	}
	var out PullRequest
	err := c.call(ctx, "open pull request from "+p.Head, false, true, func(gh *github.Client) (*github.Response, error) {
		pr, resp, err := gh.PullRequests.Create(ctx, c.Owner, c.Name, &github.NewPullRequest{
			Title: &p.Title, Head: &p.Head, Base: &p.Base, Body: &p.Body,
		})
		if err == nil {
			out = toPull(pr)
		}
		return resp, err
	})
	return out, err
}

// EditPull changes a pull request's title, body or base.
func (c *Client) EditPull(ctx context.Context, number int, e PullEdit) error {
	if c.dryRun != nil {
		return c.printWrite(write{"PATCH", pullPath("pulls/", number, ""), e})
	}
	return c.call(ctx, "update pull request #"+strconv.Itoa(number), true, true, func(gh *github.Client) (*github.Response, error) {
		pr := &github.PullRequest{Title: e.Title, Body: e.Body}
		if e.Base != nil {
			pr.Base = &github.PullRequestBranch{Ref: e.Base}
		}
		_, resp, err := gh.PullRequests.Edit(ctx, c.Owner, c.Name, number, pr)
		return resp, err
	})
}

// AddLabels adds labels to a pull request, creating labels the repository
// does not have yet.
func (c *Client) AddLabels(ctx context.Context, number int, labels []string) error {
	if c.dryRun != nil {
		return c.printWrite(write{"POST", pullPath("issues/", number, "/labels"), map[string][]string{"labels": labels}})
	}
	return c.call(ctx, "label pull request #"+strconv.Itoa(number), true, true, func(gh *github.Client) (*github.Response, error) {
		// go-github sends a bare array, which GitHub takes but its OpenAPI
		// description does not allow; send the documented object.
		req, err := gh.NewRequest("POST", "repos/"+c.Owner+"/"+c.Name+"/issues/"+strconv.Itoa(number)+"/labels", map[string][]string{"labels": labels})
		if err != nil {
			return nil, err
		}
		return gh.Do(ctx, req, nil)
	})
}

// RequestReviewers asks users and teams (slugs of the repository owner's
// organization) to review.
func (c *Client) RequestReviewers(ctx context.Context, number int, users, teams []string) error {
	req := github.ReviewersRequest{Reviewers: users, TeamReviewers: teams}
	if c.dryRun != nil {
		return c.printWrite(write{"POST", pullPath("pulls/", number, "/requested_reviewers"), req})
	}
	return c.call(ctx, "request reviewers on #"+strconv.Itoa(number), true, true, func(gh *github.Client) (*github.Response, error) {
		_, resp, err := gh.PullRequests.RequestReviewers(ctx, c.Owner, c.Name, number, req)
		return resp, err
	})
}

// Reviews lists a pull request's submitted reviews, oldest first.
func (c *Client) Reviews(ctx context.Context, number int) ([]Review, error) {
	if c.offline {
		return nil, nil
	}
	var out []Review
	opts := &github.ListOptions{}
	err := listAll(ctx, c, "list reviews of #"+strconv.Itoa(number), opts, func(gh *github.Client) ([]*github.PullRequestReview, *github.Response, error) {
		return gh.PullRequests.ListReviews(ctx, c.Owner, c.Name, number, opts)
	}, func(r *github.PullRequestReview) {
		out = append(out, Review{
			ID: r.GetID(), User: r.GetUser().GetLogin(), State: r.GetState(), CommitID: r.GetCommitID(),
			SubmittedAt: r.GetSubmittedAt().Time, URL: r.GetHTMLURL(),
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CommitAuthors lists the GitHub logins that authored or committed the pull
// request's commits (those GitHub could match to an account).
func (c *Client) CommitAuthors(ctx context.Context, number int) ([]string, error) {
	if c.offline {
		return nil, nil
	}
	seen := map[string]bool{}
	var out []string
	opts := &github.ListOptions{}
	err := listAll(ctx, c, "list commits of #"+strconv.Itoa(number), opts, func(gh *github.Client) ([]*github.RepositoryCommit, *github.Response, error) {
		return gh.PullRequests.ListCommits(ctx, c.Owner, c.Name, number, opts)
	}, func(rc *github.RepositoryCommit) {
		for _, login := range []string{rc.GetAuthor().GetLogin(), rc.GetCommitter().GetLogin()} {
			if login != "" && !seen[login] && login != "web-flow" {
				seen[login] = true
				out = append(out, login)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// MaxDescription is the longest commit status description GitHub takes.
const MaxDescription = 140

// SetStatus sets a commit status. The description is cut to what GitHub
// accepts, so the status is never refused half-way for its length.
func (c *Client) SetStatus(ctx context.Context, sha string, s Status) error {
	if r := []rune(s.Description); len(r) > MaxDescription {
		s.Description = string(r[:MaxDescription-1]) + "…"
	}
	body := map[string]string{"state": s.State, "context": s.Context, "description": s.Description}
	if s.TargetURL != "" {
		body["target_url"] = s.TargetURL
	}
	if c.dryRun != nil {
		return c.printWrite(write{"POST", "statuses/" + sha, body})
	}
	return c.call(ctx, "set status "+s.Context+" on "+short(sha), true, true, func(gh *github.Client) (*github.Response, error) {
		st := &github.RepoStatus{State: &s.State, Context: &s.Context, Description: &s.Description}
		if s.TargetURL != "" {
			st.TargetURL = &s.TargetURL
		}
		_, resp, err := gh.Repositories.CreateStatus(ctx, c.Owner, c.Name, sha, st)
		return resp, err
	})
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// GetFile reads a file on a branch; found is false when it is not there.
func (c *Client) GetFile(ctx context.Context, path, ref string) (f File, found bool, err error) {
	if c.offline {
		return File{}, false, nil
	}
	err = c.call(ctx, "read "+path+" on "+ref, true, false, func(gh *github.Client) (*github.Response, error) {
		fc, _, resp, err := gh.Repositories.GetContents(ctx, c.Owner, c.Name, path, &github.RepositoryContentGetOptions{Ref: ref})
		if err == nil {
			if fc == nil {
				return resp, &APIError{Op: "read " + path, Message: "is a directory", Kind: ErrRejected}
			}
			text, derr := fc.GetContent()
			if derr != nil {
				return resp, derr
			}
			f = File{Content: []byte(text), SHA: fc.GetSHA()}
		}
		return resp, err
	})
	if errors.Is(err, ErrNotFound) {
		return File{}, false, nil
	}
	return f, err == nil, err
}

// UpdateFile commits new content for an existing file (blob sha) on a
// branch and returns the new commit. GitHub refuses it (409) when the file
// changed meanwhile, so it is not repeated on its own.
func (c *Client) UpdateFile(ctx context.Context, path, branch, message string, content []byte, sha string) (string, error) {
	if c.dryRun != nil {
		return "", c.printWrite(write{"PUT", "contents/" + path, map[string]string{
			"message": message, "branch": branch, "sha": sha, "content": "(base64 of the file below)",
		}})
	}
	var commit string
	err := c.call(ctx, "commit "+path+" on "+branch, false, true, func(gh *github.Client) (*github.Response, error) {
		r, resp, err := gh.Repositories.UpdateFile(ctx, c.Owner, c.Name, path, &github.RepositoryContentFileOptions{
			Message: &message, Content: content, SHA: &sha, Branch: &branch,
		})
		if err == nil {
			commit = r.Commit.GetSHA()
		}
		return resp, err
	})
	return commit, err
}

// TeamMember reports whether a user is an active member of org/team.
func (c *Client) TeamMember(ctx context.Context, org, slug, user string) (bool, error) {
	if c.offline {
		return false, nil
	}
	var active bool
	err := c.call(ctx, "read membership of "+user+" in "+org+"/"+slug, true, false, func(gh *github.Client) (*github.Response, error) {
		m, resp, err := gh.Teams.GetTeamMembershipBySlug(ctx, org, slug, user)
		active = m.GetState() == "active"
		return resp, err
	})
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return active, err
}

func toPull(pr *github.PullRequest) PullRequest {
	out := PullRequest{
		Number: pr.GetNumber(), URL: pr.GetHTMLURL(), State: pr.GetState(), Title: pr.GetTitle(), Body: pr.GetBody(),
		Author: pr.GetUser().GetLogin(), HeadRef: pr.GetHead().GetRef(), HeadSHA: pr.GetHead().GetSHA(),
		BaseRef: pr.GetBase().GetRef(), Merged: pr.GetMerged() || pr.MergedAt != nil, MergeCommitSHA: pr.GetMergeCommitSHA(),
	}
	if pr.MergedAt != nil {
		out.MergedAt = pr.MergedAt.Time
	}
	for _, l := range pr.Labels {
		out.Labels = append(out.Labels, l.GetName())
	}
	for _, u := range pr.RequestedReviewers {
		out.RequestedUsers = append(out.RequestedUsers, u.GetLogin())
	}
	for _, t := range pr.RequestedTeams {
		out.RequestedTeams = append(out.RequestedTeams, t.GetSlug())
	}
	return out
}

// escapeRef is a reference as a path, each segment escaped.
func escapeRef(ref string) string {
	parts := strings.Split(ref, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

package forge

import (
	"context"
	"strconv"

	"github.com/google/go-github/v60/github"
)

// IssueRef names an issue: a customer case written as `#123` (the
// configured repository) or `owner/repo#123`.
type IssueRef struct {
	Owner, Repo string
	Number      int
}

func (r IssueRef) String() string { return r.Owner + "/" + r.Repo + "#" + strconv.Itoa(r.Number) }

func (r IssueRef) path(suffix string) string {
	return "/repos/" + r.Owner + "/" + r.Repo + "/issues/" + strconv.Itoa(r.Number) + suffix
}

// Issue is what patchline needs of an issue.
type Issue struct {
	Number int
	State  string // open or closed
	Title  string
	URL    string // html_url
}

// IssueComment is one comment on an issue.
type IssueComment struct {
	ID   int64
	Body string
	URL  string
}

// Issue reads an issue, in any repository the token can read.
func (c *Client) Issue(ctx context.Context, ref IssueRef) (Issue, error) {
	if c.offline {
		return Issue{Number: ref.Number, State: "open"}, nil
	}
	var out Issue
	err := c.call(ctx, "read issue "+ref.String(), true, false, func(gh *github.Client) (*github.Response, error) {
		is, resp, err := gh.Issues.Get(ctx, ref.Owner, ref.Repo, ref.Number)
		if err == nil {
			out = Issue{Number: is.GetNumber(), State: is.GetState(), Title: is.GetTitle(), URL: is.GetHTMLURL()}
		}
		return resp, err
	})
	return out, err
}

// IssueComments lists an issue's comments, oldest first.
func (c *Client) IssueComments(ctx context.Context, ref IssueRef) ([]IssueComment, error) {
	if c.offline {
		return nil, nil
	}
	var out []IssueComment
	opts := &github.IssueListCommentsOptions{}
	err := listAll(ctx, c, "list the comments of "+ref.String(), &opts.ListOptions, func(gh *github.Client) ([]*github.IssueComment, *github.Response, error) {
		return gh.Issues.ListComments(ctx, ref.Owner, ref.Repo, ref.Number, opts)
	}, func(cm *github.IssueComment) {
		out = append(out, IssueComment{ID: cm.GetID(), Body: cm.GetBody(), URL: cm.GetHTMLURL()})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CommentIssue adds a comment to an issue. It is never repeated on its
// own: after a dropped connection or a server error GitHub may have made
// it, and the caller looks for it among the comments before trying again.
func (c *Client) CommentIssue(ctx context.Context, ref IssueRef, body string) (IssueComment, error) {
	if c.dryRun != nil {
		return IssueComment{Body: body}, c.printWrite(write{"POST", ref.path("/comments"), map[string]string{"body": body}})
	}
	var out IssueComment
	err := c.call(ctx, "comment on "+ref.String(), false, true, func(gh *github.Client) (*github.Response, error) {
		cm, resp, err := gh.Issues.CreateComment(ctx, ref.Owner, ref.Repo, ref.Number, &github.IssueComment{Body: &body})
		if err == nil {
			out = IssueComment{ID: cm.GetID(), Body: cm.GetBody(), URL: cm.GetHTMLURL()}
		}
		return resp, err
	})
	return out, err
}

// CloseIssue closes an issue as completed; closing a closed issue again
// changes nothing, so it is repeated after a server error.
func (c *Client) CloseIssue(ctx context.Context, ref IssueRef) error {
	body := map[string]string{"state": "closed", "state_reason": "completed"}
	if c.dryRun != nil {
		return c.printWrite(write{"PATCH", ref.path(""), body})
	}
	return c.call(ctx, "close "+ref.String(), true, true, func(gh *github.Client) (*github.Response, error) {
		_, resp, err := gh.Issues.Edit(ctx, ref.Owner, ref.Repo, ref.Number, &github.IssueRequest{
			State: github.String("closed"), StateReason: github.String("completed"),
		})
		return resp, err
	})
}

package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/patchline/patchline/internal/forge"
	"github.com/patchline/patchline/internal/textsafe"
)

// Event is the JSON body of one webhook delivery.
type Event struct {
	Schema   int    `json:"schema"`
	Event    string `json:"event"` // EventName
	Delivery string `json:"delivery"`
	Project  string `json:"project"`
	// Previous is the status last delivered, "" for a case never sent.
	Previous string `json:"previous_status,omitempty"`
	Case     Case   `json:"case"`
}

// Issues is what posting needs of GitHub (forge.Client).
type Issues interface {
	Issue(ctx context.Context, ref forge.IssueRef) (forge.Issue, error)
	IssueComments(ctx context.Context, ref forge.IssueRef) ([]forge.IssueComment, error)
	CommentIssue(ctx context.Context, ref forge.IssueRef, body string) (forge.IssueComment, error)
	CloseIssue(ctx context.Context, ref forge.IssueRef) error
}

// Poster delivers the cases whose status changed: GitHub issues through
// Issues, every other case to Webhook. After each delivery it records it
// in Posted and calls Save, so a run that stops sends only the rest next
// time.
type Poster struct {
	Project string
	Webhook *Webhook
	Issues  Issues // nil: a pending GitHub issue is an error
	Posted  *Posted
	Save    func(*Posted) error
	Now     func() time.Time
	Log     io.Writer // progress
}

// Sent is one delivery made.
type Sent struct {
	Case     string `json:"case"`
	Status   string `json:"status"`
	Previous string `json:"previous_status,omitempty"`
	To       string `json:"to"` // webhook or github
	Delivery string `json:"delivery"`
	Tries    int    `json:"tries,omitempty"`
	Comment  string `json:"comment,omitempty"` // the issue comment's URL
	Closed   bool   `json:"closed_issue,omitempty"`
}

// Result is what a run delivered.
type Result struct {
	Sent      []Sent `json:"sent"`
	Unchanged int    `json:"unchanged"`
	Left      int    `json:"left"` // pending cases not sent, after an error
}

// ErrNoIssueClient: a GitHub issue case is pending and there is no token.
var ErrNoIssueClient = errors.New("no GitHub client for the cases that are GitHub issues")

// Run delivers every pending case, in order of case id, and stops at the
// first that fails: the ones before it are recorded, the rest are left
// for the next run.
func (p *Poster) Run(ctx context.Context, r *Report) (*Result, error) {
	pending := Pending(r, p.Posted)
	res := &Result{Sent: []Sent{}, Unchanged: len(r.Cases) - len(pending)}
	for i, c := range pending {
		s, err := p.deliver(ctx, c)
		if err != nil {
			res.Left = len(pending) - i
			return res, fmt.Errorf("case %s: %w", textsafe.Line(c.ID), err)
		}
		p.Posted.Cases[c.ID] = PostedCase{Status: c.Status, Delivery: s.Delivery, To: s.To, At: p.Now().UTC().Truncate(time.Second)}
		if err := p.Save(p.Posted); err != nil {
			res.Left = len(pending) - i
			return res, fmt.Errorf("case %s was delivered, but recording it failed (the next run sends it again, with the same delivery id): %w", textsafe.Line(c.ID), err)
		}
		res.Sent = append(res.Sent, s)
		if p.Log != nil {
			how := "to the webhook"
			if s.To == ToGitHub {
				how = "as a comment on the issue"
				if s.Closed {
					how += ", closed it"
				}
			}
			from := s.Previous
			if from == "" {
				from = "new"
			}
			fmt.Fprintf(p.Log, "sent %s: %s -> %s, %s (delivery %s)\n", textsafe.Line(c.ID), from, c.Status, how, s.Delivery[:12])
		}
	}
	return res, nil
}

func (p *Poster) deliver(ctx context.Context, c Case) (Sent, error) {
	s := Sent{Case: c.ID, Status: c.Status, Previous: p.Posted.Cases[c.ID].Status, Delivery: DeliveryID(c)}
	if c.Issue != "" {
		s.To = ToGitHub
		if p.Issues == nil {
			return s, ErrNoIssueClient
		}
		return p.comment(ctx, c, s)
	}
	s.To = ToWebhook
	if p.Webhook == nil {
		return s, errors.New("no webhook to send it to")
	}
	body, err := json.Marshal(Event{Schema: Schema, Event: EventName, Delivery: s.Delivery, Project: p.Project, Previous: s.Previous, Case: c})
	if err != nil {
		return s, err
	}
	s.Tries, err = p.Webhook.Send(ctx, s.Delivery, body)
	return s, err
}

// deliveryMarker ends every comment patchline writes, so a rerun after
// a lost answer finds the comment it made instead of making another.
func deliveryMarker(id string) string { return "<!-- patchline-delivery: " + id + " -->" }

// comment writes the evidence on the issue, once per delivery id, and
// closes the issue when the case is closed.
func (p *Poster) comment(ctx context.Context, c Case, s Sent) (Sent, error) {
	ref, err := issueRef(c.Issue)
	if err != nil {
		return s, err
	}
	existing, err := p.Issues.IssueComments(ctx, ref)
	if err != nil {
		return s, err
	}
	marker := deliveryMarker(s.Delivery)
	found := false
	for _, cm := range existing {
		if strings.Contains(cm.Body, marker) {
			found, s.Comment = true, cm.URL
			break
		}
	}
	if !found {
		cm, err := p.Issues.CommentIssue(ctx, ref, IssueComment(p.Project, c)+"\n"+marker+"\n")
		if err != nil {
			return s, err
		}
		s.Comment = cm.URL
	}
	if c.Status != Closed {
		return s, nil
	}
	is, err := p.Issues.Issue(ctx, ref)
	if err != nil {
		return s, err
	}
	if is.State != "closed" {
		if err := p.Issues.CloseIssue(ctx, ref); err != nil {
			return s, err
		}
		s.Closed = true
	}
	return s, nil
}

func issueRef(issue string) (forge.IssueRef, error) {
	owner, name, n, ok := IssueOf(issue, "")
	if !ok {
		return forge.IssueRef{}, fmt.Errorf("%q is not owner/repo#number", issue)
	}
	return forge.IssueRef{Owner: owner, Repo: name, Number: n}, nil
}

// IssueComment is the evidence of a case as a Markdown comment.
func IssueComment(project string, c Case) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**patchline: %s**", c.Status)
	if project != "" {
		fmt.Fprintf(&b, " (%s)", md(project))
	}
	b.WriteString("\n\n")
	for _, p := range c.Patches {
		fmt.Fprintf(&b, "### %s: %s\n\n", p.ID, md(p.Title))
		fmt.Fprintf(&b, "- Status: %s\n", p.Status)
		if len(p.Releases) == 0 {
			b.WriteString("- Release: not released yet\n")
		}
		for _, rel := range p.Releases {
			fmt.Fprintf(&b, "- Release: `%s`", rel.Tag)
			if !rel.At.IsZero() {
				fmt.Fprintf(&b, ", %s", stamp(rel.At))
			}
			b.WriteString("\n")
		}
		if p.Pull != "" {
			fmt.Fprintf(&b, "- Pull request: %s\n", p.Pull)
		}
		if len(p.Approvals) > 0 {
			fmt.Fprintf(&b, "- QA: %s\n", md(qaNotes(p.Approvals)))
		}
		if len(p.Installs) > 0 {
			b.WriteString("\n| install | applied | confirmed |\n|---|---|---|\n")
		}
		for _, d := range p.Installs {
			applied := stamp(d.AppliedAt)
			if d.RolledBackAt != nil {
				applied += ", rolled back " + stamp(*d.RolledBackAt)
			}
			confirmed := "not yet"
			if conf, ok := d.LastConfirmation(); ok {
				confirmed = md(conf.By) + ", " + stamp(conf.At)
				if conf.Note != "" {
					confirmed += ": " + md(conf.Note)
				}
			}
			fmt.Fprintf(&b, "| %s/%s (`%s`) | %s | %s |\n", d.Site, d.Env, d.Release, applied, confirmed)
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

// md puts text from manifests and records into a comment on one line,
// with Markdown's and HTML's active characters escaped, so a note cannot
// mention people, close other issues or hide the marker.
func md(s string) string {
	s = textsafe.Line(strings.Join(strings.Fields(s), " "))
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '#', '@', '!', '~':
			b.WriteString(`\`)
		}
		b.WriteRune(r)
	}
	return b.String()
}

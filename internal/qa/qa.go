// Package qa decides whether a patch's pull request has the QA approval
// [qa] asks for, from its reviews, the way GitHub's branch protection reads
// them: each reviewer's latest decisive review counts, an approval counts
// only for the commit it was given on, and a later "changes requested" or a
// dismissal cancels it.
package qa

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// The states of a review, as GitHub names them.
const (
	Approved         = "APPROVED"
	ChangesRequested = "CHANGES_REQUESTED"
	Dismissed        = "DISMISSED"
	Commented        = "COMMENTED"
)

// The states of the commit status. Error is for a gate that could not
// decide: it is never a verdict on the reviews.
const (
	Success = "success"
	Pending = "pending"
	Failure = "failure"
	Error   = "error"
)

// Review is one submitted review.
type Review struct {
	ID       int64
	User     string
	State    string
	CommitID string
	At       time.Time
	URL      string
}

// Policy is [qa]: who may approve (logins and org/team) and how many must.
type Policy struct {
	Reviewers []string
	Approvals int
}

// Users and Teams split the reviewers into logins and org/team names.
func (p Policy) Users() []string { return p.split(false) }

// Teams is the org/team entries of the reviewers.
func (p Policy) Teams() []string { return p.split(true) }

func (p Policy) split(teams bool) []string {
	var out []string
	for _, r := range p.Reviewers {
		if strings.Contains(r, "/") == teams {
			out = append(out, r)
		}
	}
	return out
}

// Required is how many approvals are needed: at least one.
func (p Policy) Required() int { return max(p.Approvals, 1) }

// Input is what the decision is made from.
type Input struct {
	Head    string   // the pull request's head commit
	Authors []string // logins whose approval never counts: the PR's and its commits' authors
	Reviews []Review
	// IsQA says whether a login may approve for [qa]: one of its users, or
	// a member of one of its teams. Nil, or an empty policy, lets anyone.
	IsQA func(login string) (bool, error)
}

// Approval is an approval that counts.
type Approval struct {
	User string
	At   time.Time
	URL  string
}

// Decision is the gate's answer.
type Decision struct {
	State       string // success, pending or failure
	Head        string
	Required    int
	Approvals   []Approval // counted, in the order given
	Stale       []Review   // approvals of an older commit
	Changes     []Review   // outstanding "changes requested" from QA reviewers
	Dismissed   []Review   // reviewers whose latest approval or change request was dismissed
	NotQA       []string   // approvers outside [qa] reviewers
	ByAuthor    []string   // authors who approved their own patch
	Description string     // one line for the commit status
}

// Missing is how many more approvals are needed.
func (d Decision) Missing() int { return max(d.Required-len(d.Approvals), 0) }

// Decide reads the reviews against the policy.
func Decide(p Policy, in Input) (Decision, error) {
	d := Decision{Head: in.Head, Required: p.Required()}
	latest := latestDecisive(in.Reviews)
	isAuthor := func(u string) bool {
		return slices.ContainsFunc(in.Authors, func(a string) bool { return strings.EqualFold(a, u) })
	}
	for _, r := range latest {
		qa := true
		if in.IsQA != nil && len(p.Reviewers) > 0 {
			var err error
			if qa, err = in.IsQA(r.User); err != nil {
				return Decision{}, err
			}
		}
		switch r.State {
		case Approved:
			switch {
			case isAuthor(r.User):
				d.ByAuthor = append(d.ByAuthor, r.User)
			case !qa:
				d.NotQA = append(d.NotQA, r.User)
			case r.CommitID != in.Head:
				d.Stale = append(d.Stale, r)
			default:
				d.Approvals = append(d.Approvals, Approval{User: r.User, At: r.At, URL: r.URL})
			}
		case ChangesRequested:
			if qa && !isAuthor(r.User) {
				d.Changes = append(d.Changes, r)
			}
		case Dismissed:
			if qa && !isAuthor(r.User) {
				d.Dismissed = append(d.Dismissed, r)
			}
		}
	}
	switch {
	case len(d.Changes) > 0:
		d.State = Failure
	case len(d.Approvals) >= d.Required:
		d.State = Success
	default:
		d.State = Pending
	}
	d.Description = d.describe()
	return d, nil
}

// latestDecisive is each reviewer's last approval, change request or
// dismissal, in the order the reviewers first reviewed. Comments do not
// change a reviewer's state, as on GitHub.
func latestDecisive(reviews []Review) []Review {
	sorted := slices.Clone(reviews)
	sort.SliceStable(sorted, func(i, j int) bool {
		if !sorted[i].At.Equal(sorted[j].At) {
			return sorted[i].At.Before(sorted[j].At)
		}
		return sorted[i].ID < sorted[j].ID
	})
	var order []string
	last := map[string]Review{}
	for _, r := range sorted {
		key := strings.ToLower(r.User)
		if r.User == "" {
			continue // a deleted account ("ghost")
		}
		switch r.State {
		case Approved, ChangesRequested, Dismissed:
		default:
			continue
		}
		if _, seen := last[key]; !seen {
			order = append(order, key)
		}
		last[key] = r
	}
	out := make([]Review, 0, len(order))
	for _, k := range order {
		out = append(out, last[k])
	}
	return out
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

func users[T any](items []T, user func(T) string) string {
	names := make([]string, len(items))
	for i, it := range items {
		names[i] = user(it)
	}
	return strings.Join(names, ", ")
}

func (d Decision) describe() string {
	approvers := users(d.Approvals, func(a Approval) string { return a.User })
	switch d.State {
	case Failure:
		return fmt.Sprintf("changes requested by %s", users(d.Changes, func(r Review) string { return r.User }))
	case Success:
		return fmt.Sprintf("approved by %s on %s", approvers, short(d.Head))
	}
	s := fmt.Sprintf("%d of %d QA approvals on %s", len(d.Approvals), d.Required, short(d.Head))
	if approvers != "" {
		s += " (" + approvers + ")"
	}
	if len(d.Stale) > 0 {
		s += "; " + users(d.Stale, func(r Review) string { return r.User }) + " approved an older commit"
	}
	return s
}

// Explain is the decision for people, one line each: what counted, what
// did not and why, and what is missing.
func (d Decision) Explain(p Policy) []string {
	var out []string
	for _, a := range d.Approvals {
		out = append(out, fmt.Sprintf("approved: %s on %s", a.User, short(d.Head)))
	}
	for _, r := range d.Stale {
		out = append(out, fmt.Sprintf("not counted: %s approved %s, an older commit than the head %s; they must review again", r.User, short(r.CommitID), short(d.Head)))
	}
	for _, r := range d.Dismissed {
		out = append(out, fmt.Sprintf("not counted: %s's review was dismissed; they must review again", r.User))
	}
	for _, u := range d.ByAuthor {
		out = append(out, fmt.Sprintf("not counted: %s authored this patch and cannot approve it", u))
	}
	for _, u := range d.NotQA {
		out = append(out, fmt.Sprintf("not counted: %s is not a QA reviewer ([qa] reviewers: %s)", u, strings.Join(p.Reviewers, ", ")))
	}
	for _, r := range d.Changes {
		out = append(out, fmt.Sprintf("blocking: %s requested changes on %s; they must approve, or the review be dismissed", r.User, short(r.CommitID)))
	}
	if m := d.Missing(); m > 0 {
		who := "a QA reviewer"
		if len(p.Reviewers) > 0 {
			who = strings.Join(p.Reviewers, ", ")
		}
		out = append(out, fmt.Sprintf("missing: %d more approval(s) of the head commit %s from %s", m, short(d.Head), who))
	}
	return out
}

package forge_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/patchline/patchline/internal/forge"
	"github.com/patchline/patchline/internal/forge/forgetest"
)

// TestPages: every listing follows GitHub's pages to the end, each page
// tried again like any read, and what the fake answers is still checked
// against the OpenAPI description.
func TestPages(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.srv.MaxPerPage = 2
	ctx := context.Background()

	var authors []string
	for i := range 5 {
		a := fmt.Sprintf("dev-%d", i)
		authors = append(authors, a)
		f.srv.Push("patch/PL-2026-0001", a, "step "+a, map[string]string{"f": a})
	}
	pr, err := f.c.CreatePull(ctx, forge.NewPull{Title: "PL-2026-0001", Head: "patch/PL-2026-0001", Base: "main"})
	if err != nil {
		t.Fatal(err)
	}
	var reviewers []string
	for i := range 5 {
		r := fmt.Sprintf("qa-%d", i)
		reviewers = append(reviewers, r)
		f.srv.Review(pr.Number, r, "COMMENTED")
	}
	issue := forge.IssueRef{Owner: "acme", Repo: "inventory", Number: f.srv.AddIssue("", "five comments")}
	var bodies []string
	for i := range 5 {
		b := fmt.Sprintf("comment %d", i)
		bodies = append(bodies, b)
		if _, err := f.c.CommentIssue(ctx, issue, b); err != nil {
			t.Fatal(err)
		}
	}
	// The first page of reviews fails once: it is asked for again, and
	// nothing is listed twice.
	reviewsPath := fmt.Sprintf("/repos/acme/inventory/pulls/%d/reviews", pr.Number)
	f.srv.Inject(forgetest.Fault{Method: "GET", Path: reviewsPath, Status: http.StatusBadGateway})
	f.srv.ResetCalls()

	reviews, err := f.c.Reviews(ctx, pr.Number)
	if got := pluck(reviews, func(r forge.Review) string { return r.User }); err != nil || !slices.Equal(got, reviewers) {
		t.Errorf("Reviews users = %v, %v; want %v", got, err, reviewers)
	}
	if got := countPrefix(f.srv.Calls(), "GET "+reviewsPath); got != 4 {
		t.Errorf("review list requests = %d, want 4 (3 pages, one retried): %v", got, f.srv.Calls())
	}
	if got, err := f.c.CommitAuthors(ctx, pr.Number); err != nil || !slices.Equal(got, authors) {
		t.Errorf("CommitAuthors = %v, %v; want %v", got, err, authors)
	}
	comments, err := f.c.IssueComments(ctx, issue)
	if got := pluck(comments, func(c forge.IssueComment) string { return c.Body }); err != nil || !slices.Equal(got, bodies) {
		t.Errorf("IssueComments bodies = %v, %v; want %v", got, err, bodies)
	}
	if prs, err := f.c.FindPulls(ctx, "patch/PL-2026-0001", "all"); err != nil || len(prs) != 1 {
		t.Errorf("FindPulls = %+v, %v; want the one pull request", prs, err)
	}
}

// pluck is one field of each item.
func pluck[T any](items []T, field func(T) string) []string {
	var out []string
	for _, it := range items {
		out = append(out, field(it))
	}
	return out
}

func countPrefix(calls []string, prefix string) int {
	n := 0
	for _, c := range calls {
		if strings.HasPrefix(c, prefix+"?") || c == prefix {
			n++
		}
	}
	return n
}

// TestPagesBounded: a server that always names a next page is asked a
// bounded number of times, and the listing fails saying so.
func TestPagesBounded(t *testing.T) {
	t.Parallel()
	var requests atomic.Int64
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		w.Header().Set("Link", fmt.Sprintf(`<%s%s?page=%d>; rel="next"`, srv.URL, r.URL.Path, n+1))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, "[]")
	}))
	t.Cleanup(srv.Close)
	c, err := forge.New(forge.Options{BaseURL: srv.URL, Token: "t0ken", Repo: "acme/inventory"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Reviews(context.Background(), 1)
	if !errors.Is(err, forge.ErrRejected) || !strings.Contains(err.Error(), "next page after 100 pages") {
		t.Errorf("Reviews = %v, want ErrRejected after 100 pages", err)
	}
	if got := requests.Load(); got != 100 {
		t.Errorf("requests = %d, want 100", got)
	}
}

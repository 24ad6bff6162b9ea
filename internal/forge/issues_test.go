package forge_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/patchline/patchline/internal/forge"
	"github.com/patchline/patchline/internal/forge/forgetest"
)

// TestIssueRoundTrips comments on and closes issues in the configured
// repository and in another one, against the fake, which checks each
// request and answer against GitHub's OpenAPI description.
func TestIssueRoundTrips(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	own := f.srv.AddIssue("", "CSV import drops quoted commas")
	other := f.srv.AddIssue("acme/support", "Customer 42: import broken")
	refs := []forge.IssueRef{{Owner: "acme", Repo: "inventory", Number: own}, {Owner: "acme", Repo: "support", Number: other}}

	for _, ref := range refs {
		is, err := f.c.Issue(ctx, ref)
		if err != nil || is.State != "open" || is.Number != ref.Number {
			t.Fatalf("Issue(%s) = %+v, %v; want it open", ref, is, err)
		}
		cm, err := f.c.CommentIssue(ctx, ref, "evidence\n<!-- patchline-delivery: abc -->")
		if err != nil || cm.ID == 0 || !strings.Contains(cm.URL, "#issuecomment-") {
			t.Fatalf("CommentIssue(%s) = %+v, %v", ref, cm, err)
		}
		list, err := f.c.IssueComments(ctx, ref)
		if err != nil || len(list) != 1 || list[0].Body != "evidence\n<!-- patchline-delivery: abc -->" {
			t.Fatalf("IssueComments(%s) = %+v, %v; want the one comment", ref, list, err)
		}
		if err := f.c.CloseIssue(ctx, ref); err != nil {
			t.Fatalf("CloseIssue(%s): %v", ref, err)
		}
		// Closing again changes nothing.
		if err := f.c.CloseIssue(ctx, ref); err != nil {
			t.Fatalf("CloseIssue(%s) again: %v", ref, err)
		}
		if is, err := f.c.Issue(ctx, ref); err != nil || is.State != "closed" {
			t.Fatalf("Issue(%s) after close = %+v, %v; want closed", ref, is, err)
		}
	}
	for _, is := range f.srv.Issues() {
		if is.State != "closed" || is.StateReason != "completed" || len(is.Comments) != 1 {
			t.Errorf("%s#%d: state %s (%s), %d comments; want closed (completed), 1 comment", is.Repo, is.Number, is.State, is.StateReason, len(is.Comments))
		}
	}

	if _, err := f.c.Issue(ctx, forge.IssueRef{Owner: "acme", Repo: "inventory", Number: 999}); !errors.Is(err, forge.ErrNotFound) {
		t.Errorf("Issue(#999) = %v, want ErrNotFound", err)
	}
}

// TestCommentIssueNotRepeated: a comment is not sent twice on its own after
// a server error, since GitHub may have made it; closing is.
func TestCommentIssueNotRepeated(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	n := f.srv.AddIssue("", "case")
	ref := forge.IssueRef{Owner: "acme", Repo: "inventory", Number: n}
	path := "/repos/acme/inventory/issues/" + strconv.Itoa(n)
	f.srv.Inject(forgetest.Fault{Method: "POST", Path: path + "/comments", Status: 502, After: true})
	if _, err := f.c.CommentIssue(ctx, ref, "evidence"); !errors.Is(err, forge.ErrUnavailable) {
		t.Fatalf("CommentIssue after a 502 = %v, want ErrUnavailable without a retry", err)
	}
	if got := len(f.srv.Issues()[0].Comments); got != 1 {
		t.Fatalf("%d comments, want the 1 GitHub made before the answer was lost", got)
	}
	f.srv.Inject(forgetest.Fault{Method: "PATCH", Path: path, Status: 503})
	if err := f.c.CloseIssue(ctx, ref); err != nil {
		t.Fatalf("CloseIssue after a 503: %v, want it retried", err)
	}
	if got := f.clock.Sleeps(); len(got) != 1 {
		t.Errorf("slept %v, want one backoff", got)
	}
}

// TestIssueDryRun prints the writes and sends nothing.
func TestIssueDryRun(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	c, err := forge.New(forge.Options{Repo: "acme/inventory", DryRun: &out})
	if err != nil {
		t.Fatal(err)
	}
	ref := forge.IssueRef{Owner: "acme", Repo: "support", Number: 7}
	if _, err := c.CommentIssue(context.Background(), ref, "evidence"); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseIssue(context.Background(), ref); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"POST /repos/acme/support/issues/7/comments", `"body": "evidence"`, "PATCH /repos/acme/support/issues/7", `"state": "closed"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry run printed\n%s\nwant %q", out.String(), want)
		}
	}
}

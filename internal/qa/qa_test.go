package qa

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	const head, old = "bbbbbbbbbb", "aaaaaaaaaa"
	team := map[string]bool{"qa-carol": true}
	isQA := func(u string) (bool, error) {
		u = strings.ToLower(u)
		return u == "qa-alice" || u == "qa-bob" || team[u], nil
	}
	policy := Policy{Reviewers: []string{"qa-alice", "qa-bob", "acme/qa"}, Approvals: 2}
	tests := []struct {
		name      string
		policy    Policy
		reviews   []Review
		wantState string
		wantBy    []string
		wantDesc  string
		wantLines []string
	}{
		{
			name:      "no reviews",
			policy:    policy,
			wantState: Pending, wantDesc: "0 of 2 QA approvals on bbbbbbb",
			wantLines: []string{"missing: 2 more approval(s) of the head commit bbbbbbb from qa-alice, qa-bob, acme/qa"},
		},
		{
			name:   "two distinct reviewers approve the head",
			policy: policy,
			reviews: []Review{
				{ID: 1, User: "qa-alice", State: Approved, CommitID: head, At: at(1)},
				{ID: 2, User: "qa-carol", State: Approved, CommitID: head, At: at(2)},
			},
			wantState: Success, wantBy: []string{"qa-alice", "qa-carol"}, wantDesc: "approved by qa-alice, qa-carol on bbbbbbb",
		},
		{
			name:   "one reviewer approving twice is one approval",
			policy: policy,
			reviews: []Review{
				{ID: 1, User: "qa-alice", State: Approved, CommitID: head, At: at(1)},
				{ID: 2, User: "QA-Alice", State: Approved, CommitID: head, At: at(2)},
			},
			wantState: Pending, wantBy: []string{"QA-Alice"},
		},
		{
			name:   "an approval of an older commit does not count",
			policy: policy,
			reviews: []Review{
				{ID: 1, User: "qa-alice", State: Approved, CommitID: old, At: at(1)},
				{ID: 2, User: "qa-bob", State: Approved, CommitID: head, At: at(2)},
			},
			wantState: Pending, wantBy: []string{"qa-bob"},
			wantDesc: "1 of 2 QA approvals on bbbbbbb (qa-bob); qa-alice approved an older commit",
			wantLines: []string{"approved: qa-bob on bbbbbbb", "not counted: qa-alice approved aaaaaaa, an older commit than the head bbbbbbb; they must review again",
				"missing: 1 more approval(s) of the head commit bbbbbbb from qa-alice, qa-bob, acme/qa"},
		},
		{
			name:   "a later change request cancels the approval and blocks",
			policy: policy,
			reviews: []Review{
				{ID: 1, User: "qa-alice", State: Approved, CommitID: head, At: at(1)},
				{ID: 2, User: "qa-bob", State: Approved, CommitID: head, At: at(2)},
				{ID: 3, User: "qa-alice", State: ChangesRequested, CommitID: head, At: at(3)},
			},
			wantState: Failure, wantBy: []string{"qa-bob"}, wantDesc: "changes requested by qa-alice",
		},
		{
			name:   "approving after requesting changes clears it",
			policy: Policy{Reviewers: policy.Reviewers, Approvals: 1},
			reviews: []Review{
				{ID: 1, User: "qa-alice", State: ChangesRequested, CommitID: old, At: at(1)},
				{ID: 2, User: "qa-alice", State: Commented, CommitID: head, At: at(2)},
				{ID: 3, User: "qa-alice", State: Approved, CommitID: head, At: at(3)},
			},
			wantState: Success, wantBy: []string{"qa-alice"},
		},
		{
			name:   "a comment does not cancel an approval",
			policy: Policy{Approvals: 1},
			reviews: []Review{
				{ID: 1, User: "qa-alice", State: Approved, CommitID: head, At: at(1)},
				{ID: 2, User: "qa-alice", State: Commented, CommitID: head, At: at(2)},
			},
			wantState: Success, wantBy: []string{"qa-alice"},
		},
		{
			name:   "a dismissed approval does not count",
			policy: Policy{Approvals: 1},
			reviews: []Review{
				{ID: 1, User: "qa-alice", State: Approved, CommitID: head, At: at(1)},
				{ID: 2, User: "qa-alice", State: Dismissed, CommitID: head, At: at(2)},
			},
			wantState: Pending,
			wantLines: []string{"not counted: qa-alice's review was dismissed; they must review again",
				"missing: 1 more approval(s) of the head commit bbbbbbb from a QA reviewer"},
		},
		{
			// GitHub turns a dismissed review's own state into DISMISSED.
			name:   "a dismissed change request no longer blocks",
			policy: Policy{Approvals: 1},
			reviews: []Review{
				{ID: 1, User: "qa-bob", State: Approved, CommitID: head, At: at(1)},
				{ID: 2, User: "qa-alice", State: Dismissed, CommitID: old, At: at(2)},
			},
			wantState: Success, wantBy: []string{"qa-bob"},
		},
		{
			name:   "the author's approval and outsiders' never count",
			policy: policy,
			reviews: []Review{
				{ID: 1, User: "dana", State: Approved, CommitID: head, At: at(1)},
				{ID: 2, User: "mallory", State: Approved, CommitID: head, At: at(2)},
				{ID: 3, User: "qa-alice", State: Approved, CommitID: head, At: at(3)},
			},
			wantState: Pending, wantBy: []string{"qa-alice"},
			wantLines: []string{"approved: qa-alice on bbbbbbb", "not counted: dana authored this patch and cannot approve it",
				"not counted: mallory is not a QA reviewer ([qa] reviewers: qa-alice, qa-bob, acme/qa)",
				"missing: 1 more approval(s) of the head commit bbbbbbb from qa-alice, qa-bob, acme/qa"},
		},
		{
			name:   "without [qa] reviewers anyone but the author counts",
			policy: Policy{},
			reviews: []Review{
				{ID: 1, User: "mallory", State: Approved, CommitID: head, At: at(1)},
			},
			wantState: Success, wantBy: []string{"mallory"},
		},
		{
			name:   "order is by time, not by the order GitHub lists them",
			policy: Policy{Approvals: 1},
			reviews: []Review{
				{ID: 9, User: "qa-alice", State: Approved, CommitID: head, At: at(5)},
				{ID: 3, User: "qa-alice", State: ChangesRequested, CommitID: head, At: at(1)},
			},
			wantState: Success, wantBy: []string{"qa-alice"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := Decide(tt.policy, Input{Head: head, Authors: []string{"dana", "github-actions[bot]"}, Reviews: tt.reviews, IsQA: isQA})
			if err != nil {
				t.Fatal(err)
			}
			if d.State != tt.wantState {
				t.Errorf("state = %s, want %s (%s)", d.State, tt.wantState, d.Description)
			}
			var by []string
			for _, a := range d.Approvals {
				by = append(by, a.User)
			}
			if !slices.Equal(by, tt.wantBy) {
				t.Errorf("counted %v, want %v", by, tt.wantBy)
			}
			if tt.wantDesc != "" && d.Description != tt.wantDesc {
				t.Errorf("description = %q, want %q", d.Description, tt.wantDesc)
			}
			if tt.wantLines != nil {
				if got := d.Explain(tt.policy); !slices.Equal(got, tt.wantLines) {
					t.Errorf("explain =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.wantLines, "\n"))
				}
			}
		})
	}
}

func TestDecideMembershipError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	_, err := Decide(Policy{Reviewers: []string{"acme/qa"}}, Input{Head: "h", Reviews: []Review{{User: "x", State: Approved, CommitID: "h"}},
		IsQA: func(string) (bool, error) { return false, boom }})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want the membership error", err)
	}
}

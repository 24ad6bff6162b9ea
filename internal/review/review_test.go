package review

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/forge"
	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/qa"
	"github.com/patchline/patchline/internal/validate"
)

// fakeForge is GitHub as a review sees it: pull requests, refs, reviews
// and notes in memory, and every call that changes something recorded.
type fakeForge struct {
	offline bool
	prs     []forge.PullRequest
	refs    map[string]forge.Ref // "heads/x", "tags/v…"
	reviews []forge.Review
	notes   map[string][]byte
	calls   []string
	// rejectCreatePull, once, answers CreatePull with forge.ErrRejected
	// after opening the pull request, as GitHub does when an answer is lost.
	rejectCreatePull bool
	statusErr        error
}

func (f *fakeForge) Repo() string  { return "acme/inventory" }
func (f *fakeForge) Offline() bool { return f.offline }
func (f *fakeForge) DryRun() bool  { return false }
func (f *fakeForge) call(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeForge) FindPulls(_ context.Context, head, state string) ([]forge.PullRequest, error) {
	var out []forge.PullRequest
	for _, p := range f.prs {
		if p.HeadRef == head && (state == "all" || p.State == state) {
			out = append(out, p)
		}
	}
	return out, nil
}

func (f *fakeForge) GetRef(_ context.Context, ref string) (forge.Ref, bool, error) {
	r, ok := f.refs[ref]
	return r, ok, nil
}

func (f *fakeForge) CreateRef(_ context.Context, ref, sha string) error {
	f.call("CreateRef %s %s", ref, sha)
	name := strings.TrimPrefix(ref, "refs/")
	if _, ok := f.refs[name]; ok {
		return fmt.Errorf("%w: reference already exists", forge.ErrRejected)
	}
	kind := "commit"
	if strings.HasPrefix(sha, "tagobj-") {
		kind = "tag"
	}
	f.refs[name] = forge.Ref{Ref: ref, SHA: sha, Type: kind}
	return nil
}

func (f *fakeForge) MatchingRefs(_ context.Context, prefix string) ([]forge.Ref, error) {
	var out []forge.Ref
	for name, r := range f.refs {
		if strings.HasPrefix(name, prefix) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b forge.Ref) int { return strings.Compare(a.Ref, b.Ref) })
	return out, nil
}

func (f *fakeForge) TagTarget(_ context.Context, sha string) (string, string, error) {
	return strings.TrimPrefix(sha, "tagobj-"), "commit", nil
}

func (f *fakeForge) CreateTagObject(_ context.Context, name, message, commit string) (string, error) {
	f.call("CreateTagObject %s %s %q", name, commit, message)
	return "tagobj-" + commit, nil
}

func (f *fakeForge) CreatePull(_ context.Context, p forge.NewPull) (forge.PullRequest, error) {
	f.call("CreatePull %s -> %s %q", p.Head, p.Base, p.Title)
	pr := forge.PullRequest{Number: len(f.prs) + 1, URL: fmt.Sprintf("https://github.com/acme/inventory/pull/%d", len(f.prs)+1),
		State: "open", Title: p.Title, Body: p.Body, HeadRef: p.Head, BaseRef: p.Base, Author: "ci-bot"}
	f.prs = append(f.prs, pr)
	if f.rejectCreatePull {
		f.rejectCreatePull = false
		return forge.PullRequest{}, fmt.Errorf("%w: a pull request already exists", forge.ErrRejected)
	}
	return pr, nil
}

func (f *fakeForge) EditPull(_ context.Context, number int, e forge.PullEdit) error {
	var what []string
	if e.Title != nil {
		what = append(what, "title")
	}
	if e.Body != nil {
		what = append(what, "body")
	}
	if e.Base != nil {
		what = append(what, "base")
	}
	f.call("EditPull #%d %s", number, strings.Join(what, ","))
	return nil
}

func (f *fakeForge) AddLabels(_ context.Context, number int, labels []string) error {
	f.call("AddLabels #%d %s", number, strings.Join(labels, ","))
	return nil
}

func (f *fakeForge) RequestReviewers(_ context.Context, number int, users, teams []string) error {
	f.call("RequestReviewers #%d users=%s teams=%s", number, strings.Join(users, ","), strings.Join(teams, ","))
	return nil
}

func (f *fakeForge) Reviews(context.Context, int) ([]forge.Review, error) { return f.reviews, nil }
func (f *fakeForge) CommitAuthors(context.Context, int) ([]string, error) {
	return []string{"dana"}, nil
}

func (f *fakeForge) TeamMember(_ context.Context, org, slug, user string) (bool, error) {
	return org == "acme" && slug == "qa" && user == "quinn", nil
}

func (f *fakeForge) SetStatus(_ context.Context, sha string, s forge.Status) error {
	f.call("SetStatus %s %s %s %q", sha, s.Context, s.State, s.Description)
	return f.statusErr
}

func (f *fakeForge) ReadNote(_ context.Context, ref, object string) (forge.Note, error) {
	n := forge.Note{Ref: ref, Object: object}
	if c, ok := f.notes[object]; ok {
		n.Path, n.Content = object, c
	}
	return n, nil
}

func (f *fakeForge) WriteNote(_ context.Context, prev forge.Note, content []byte, message string) (string, error) {
	f.call("WriteNote %s", prev.Object)
	f.notes[prev.Object] = content
	return "notecommit", nil
}

func newTarget(t *testing.T, f *fakeForge, reviewers ...string) (*Target, *bytes.Buffer) {
	t.Helper()
	cfg := config.Default("inventory", "acme/inventory")
	var progress bytes.Buffer
	return &Target{
		Manifest: &manifest.Manifest{ID: "PL-2026-0007", Title: "CSV importer drops quoted commas", Base: "v2026.3.0", Severity: "important", Kind: "fix"},
		Line:     "v2026.3", Head: "patch/PL-2026-0007", Base: "release/v2026.3",
		Policy: qa.Policy{Reviewers: reviewers, Approvals: 1},
		Config: cfg,
		ReleaseTags: func() ([]Tag, error) {
			return []Tag{{Name: "v2026.2.0", Commit: "c0"}, {Name: "v2026.3.0", Commit: "c1"}, {Name: "v2026.3.1", Commit: "c2"}}, nil
		},
		Forge: f, Owner: "acme", Progress: &progress,
	}, &progress
}

func body() (string, error) { return "the body", nil }

func TestOpen(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		forge     *fakeForge
		reviewers []string
		want      []string // calls that change something, in order
		says      string   // on the progress stream
		created   bool
		err       error
	}{
		{
			name:      "new pull request, base branch made at the quarterly tag",
			forge:     &fakeForge{refs: map[string]forge.Ref{"heads/patch/PL-2026-0007": {}}},
			reviewers: []string{"quinn", "acme/qa", "other/qa"},
			want: []string{
				"CreateRef refs/heads/release/v2026.3 c1",
				`CreatePull patch/PL-2026-0007 -> release/v2026.3 "PL-2026-0007: CSV importer drops quoted commas"`,
				"AddLabels #1 patch,severity:important,kind:fix",
				"RequestReviewers #1 users=quinn teams=qa",
			},
			says:    "GitHub only asks teams of acme's organization",
			created: true,
		},
		{
			name: "open pull request updated, nothing asked twice",
			forge: &fakeForge{
				refs: map[string]forge.Ref{"heads/patch/PL-2026-0007": {}, "heads/release/v2026.3": {}},
				prs: []forge.PullRequest{{Number: 4, State: "open", HeadRef: "patch/PL-2026-0007", BaseRef: "release/v2026.3",
					Title: "old", Body: "the body", Labels: []string{"patch", "severity:important", "kind:fix"}, RequestedUsers: []string{"Quinn"}}},
			},
			reviewers: []string{"quinn"},
			want:      []string{"EditPull #4 title"},
			says:      "updated #4: title",
		},
		{
			name: "an answer lost: the pull request opened is found, not opened twice",
			forge: &fakeForge{rejectCreatePull: true,
				refs: map[string]forge.Ref{"heads/patch/PL-2026-0007": {}, "heads/release/v2026.3": {}}},
			want: []string{
				`CreatePull patch/PL-2026-0007 -> release/v2026.3 "PL-2026-0007: CSV importer drops quoted commas"`,
				"AddLabels #1 patch,severity:important,kind:fix",
			},
			says: "found #1 from patch/PL-2026-0007 (opened by an earlier try)",
		},
		{
			name:  "patch branch not pushed",
			forge: &fakeForge{refs: map[string]forge.Ref{}},
			err:   ErrHeadBranchMissing,
		},
		{
			name:  "offline, nothing there: as if GitHub had nothing yet",
			forge: &fakeForge{offline: true, refs: map[string]forge.Ref{}},
			want: []string{
				"CreateRef refs/heads/release/v2026.3 c1",
				`CreatePull patch/PL-2026-0007 -> release/v2026.3 "PL-2026-0007: CSV importer drops quoted commas"`,
				"AddLabels #1 patch,severity:important,kind:fix",
			},
			created: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			target, progress := newTarget(t, tc.forge, tc.reviewers...)
			got, err := target.Open(context.Background(), body)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("got %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Created != tc.created {
				t.Errorf("created = %v, want %v", got.Created, tc.created)
			}
			if !slices.Equal(tc.forge.calls, tc.want) {
				t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(tc.forge.calls, "\n"), strings.Join(tc.want, "\n"))
			}
			if !strings.Contains(progress.String(), tc.says) {
				t.Errorf("progress %q, want it to say %q", progress.String(), tc.says)
			}
		})
	}
}

func TestOpenNoQuarterlyTag(t *testing.T) {
	t.Parallel()
	f := &fakeForge{refs: map[string]forge.Ref{"heads/patch/PL-2026-0007": {}}}
	target, _ := newTarget(t, f)
	target.ReleaseTags = func() ([]Tag, error) { return []Tag{{Name: "v2026.3.1", Commit: "c2"}}, nil }
	_, err := target.Open(context.Background(), body)
	if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "release line v2026.3 has no quarterly tag") {
		t.Errorf("got %v, want ErrBadInput naming the line", err)
	}
	if len(f.calls) != 0 {
		t.Errorf("changed %v, want nothing", f.calls)
	}
}

func TestRecordMerged(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC)
	merged := forge.PullRequest{Number: 4, State: "closed", Merged: true, HeadRef: "patch/PL-2026-0007", BaseRef: "release/v2026.3",
		HeadSHA: "head1", MergeCommitSHA: "merge1", Author: "dana", URL: "https://github.com/acme/inventory/pull/4"}
	approved := []forge.Review{{ID: 1, User: "quinn", State: "APPROVED", CommitID: "head1", SubmittedAt: at, URL: "https://github.com/acme/inventory/pull/4#r1"}}

	t.Run("still open", func(t *testing.T) {
		t.Parallel()
		open := merged
		open.Merged, open.State = false, "open"
		f := &fakeForge{prs: []forge.PullRequest{open}, refs: map[string]forge.Ref{}}
		target, _ := newTarget(t, f, "acme/qa")
		_, err := target.RecordMerged(context.Background())
		if !errors.Is(err, ErrNotMerged) || !strings.Contains(err.Error(), "#4 from patch/PL-2026-0007 is still open") {
			t.Errorf("got %v, want ErrNotMerged", err)
		}
	})

	t.Run("note and next tag, then a rerun changes nothing", func(t *testing.T) {
		t.Parallel()
		f := &fakeForge{prs: []forge.PullRequest{merged}, reviews: approved, notes: map[string][]byte{},
			refs: map[string]forge.Ref{
				"tags/v2026.3.0": {Ref: "refs/tags/v2026.3.0", SHA: "c1", Type: "commit"},
				"tags/v2026.3.1": {Ref: "refs/tags/v2026.3.1", SHA: "tagobj-c2", Type: "tag"},
			}}
		target, _ := newTarget(t, f, "acme/qa")
		got, err := target.RecordMerged(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got.Tag != "v2026.3.2" || got.Recorded != "notecommit" || len(got.Approvals) != 1 || got.Approvals[0].User != "quinn" || got.NotesRef != history.NotesRef {
			t.Errorf("got %+v, want v2026.3.2 tagged and quinn's approval recorded", got)
		}
		trailers := Trailers("PL-2026-0007", Approvals(got.Approvals))
		want := []string{
			"WriteNote merge1",
			fmt.Sprintf("CreateTagObject v2026.3.2 merge1 %q", "v2026.3.2: PL-2026-0007 CSV importer drops quoted commas\n\n"+trailers),
			"CreateRef refs/tags/v2026.3.2 tagobj-merge1",
		}
		if !slices.Equal(f.calls, want) {
			t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(f.calls, "\n"), strings.Join(want, "\n"))
		}
		if !strings.HasPrefix(trailers, "Patch-Id: PL-2026-0007\n") || !strings.Contains(trailers, "quinn") {
			t.Errorf("trailers %q, want the patch and quinn", trailers)
		}

		f.calls = nil
		again, err := target.RecordMerged(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if again.Tag != "v2026.3.2" || again.Recorded != "" || len(f.calls) != 0 {
			t.Errorf("a rerun: %+v, calls %v; want the same tag and nothing written", again, f.calls)
		}
	})

	t.Run("a note that does not decode is not overwritten", func(t *testing.T) {
		t.Parallel()
		f := &fakeForge{prs: []forge.PullRequest{merged}, reviews: approved, notes: map[string][]byte{"merge1": []byte("\x00garbage")}, refs: map[string]forge.Ref{}}
		target, _ := newTarget(t, f, "acme/qa")
		_, err := target.RecordMerged(context.Background())
		if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "does not decode") {
			t.Errorf("got %v, want ErrBadInput: the note does not decode", err)
		}
		if len(f.calls) != 0 {
			t.Errorf("changed %v, want nothing", f.calls)
		}
	})
}

func TestShortSHA(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"0123456789abcdef": "0123456", "abc": "abc", "": ""} {
		if got := ShortSHA(in); got != want {
			t.Errorf("ShortSHA(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGate(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC)
	open := forge.PullRequest{Number: 4, State: "open", HeadRef: "patch/PL-2026-0007", BaseRef: "release/v2026.3",
		HeadSHA: "head1", Author: "dana", URL: "https://github.com/acme/inventory/pull/4"}
	approved := []forge.Review{{ID: 1, User: "quinn", State: "APPROVED", CommitID: "head1", SubmittedAt: at, URL: "https://github.com/acme/inventory/pull/4#r1"}}
	clean := func() (*validate.Report, error) { return &validate.Report{}, nil }
	for _, tc := range []struct {
		name      string
		forge     *fakeForge
		commit    string
		check     func() (*validate.Report, error)
		want      string // the status set last
		err       error
		nothing   bool // nothing to gate
		validated bool
	}{
		{
			name:   "approved and validated on the head",
			forge:  &fakeForge{prs: []forge.PullRequest{open}, reviews: approved},
			commit: "head1", check: clean, want: "SetStatus head1 patchline/qa success", validated: true,
		},
		{
			name:   "no approval yet",
			forge:  &fakeForge{prs: []forge.PullRequest{open}},
			commit: "head1", check: clean, want: "SetStatus head1 patchline/qa pending", validated: true,
		},
		{
			name:   "validated another commit than the head",
			forge:  &fakeForge{prs: []forge.PullRequest{open}, reviews: approved},
			commit: "older", check: clean, want: "SetStatus head1 patchline/qa failure",
		},
		{
			name:   "validate cannot run: error set, the cause returned",
			forge:  &fakeForge{prs: []forge.PullRequest{open}, reviews: approved},
			commit: "head1", check: func() (*validate.Report, error) { return nil, errors.New("boom") },
			want: "SetStatus head1 patchline/qa error", err: errors.New("boom"),
		},
		{
			name:  "merged: nothing left to gate",
			forge: &fakeForge{prs: []forge.PullRequest{{Number: 4, State: "closed", Merged: true, HeadRef: "patch/PL-2026-0007", BaseRef: "release/v2026.3"}}},
			check: clean, nothing: true,
		},
		{
			name:  "no pull request",
			forge: &fakeForge{},
			check: clean, err: ErrNotOpen,
		},
		{
			name:  "closed when its branch was deleted",
			forge: &fakeForge{prs: []forge.PullRequest{{Number: 4, State: "closed", HeadRef: "patch/PL-2026-0007"}}, refs: map[string]forge.Ref{}},
			check: clean, err: ErrHeadBranchMissing,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			target, _ := newTarget(t, tc.forge, "acme/qa")
			got, err := target.Gate(context.Background(), tc.commit, tc.check)
			switch {
			case tc.err != nil:
				if err == nil || !(errors.Is(err, tc.err) || err.Error() == tc.err.Error()) {
					t.Fatalf("got %v, want %v", err, tc.err)
				}
			case err != nil:
				t.Fatal(err)
			case tc.nothing:
				if got != nil {
					t.Errorf("gated %+v, want nothing to gate", got)
				}
			case got.Validated != tc.validated:
				t.Errorf("validated = %v, want %v", got.Validated, tc.validated)
			}
			last := ""
			if n := len(tc.forge.calls); n > 0 {
				last = tc.forge.calls[n-1]
			}
			if !strings.HasPrefix(last, tc.want) {
				t.Errorf("last call %q, want %q", last, tc.want)
			}
		})
	}
}

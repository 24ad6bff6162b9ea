package forge_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchline/patchline/internal/forge"
	"github.com/patchline/patchline/internal/forge/forgetest"
)

// clock is a fake clock whose Sleep only records and moves time on.
type clock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *clock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps)
}

type fixture struct {
	srv   *forgetest.Server
	clock *clock
	c     *forge.Client
	main  string
}

func setup(t *testing.T) *fixture {
	t.Helper()
	srv := forgetest.New(t, "acme", "inventory")
	srv.Token = "t0ken"
	main := srv.Push("main", "dana", "inventory v2026.3.0", map[string]string{"README.md": "inventory\n"})
	srv.Tag("v2026.3.0", main)
	clk := newClock()
	c, err := forge.New(forge.Options{BaseURL: srv.URL, Token: "t0ken", Repo: "acme/inventory", Now: clk.Now, Sleep: clk.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{srv: srv, clock: clk, c: c, main: main}
}

// TestRoundTrips drives every call against the fake, which checks each
// request and answer against GitHub's OpenAPI description.
func TestRoundTrips(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()

	if _, found, err := f.c.GetRef(ctx, "heads/release/v2026.3"); err != nil || found {
		t.Fatalf("GetRef(missing) = found %v, %v; want not found", found, err)
	}
	if err := f.c.CreateRef(ctx, "refs/heads/release/v2026.3", f.main); err != nil {
		t.Fatal(err)
	}
	ref, found, err := f.c.GetRef(ctx, "heads/release/v2026.3")
	if err != nil || !found || ref.SHA != f.main {
		t.Fatalf("GetRef = %+v, %v, %v; want %s", ref, found, err, f.main)
	}
	head := f.srv.Push("patch/PL-2026-0001", "dana", "fix", map[string]string{"patches/PL-2026-0001/patch.toml": "id = 1\n"})

	pr, err := f.c.CreatePull(ctx, forge.NewPull{Title: "PL-2026-0001: fix", Head: "patch/PL-2026-0001", Base: "release/v2026.3", Body: "body"})
	if err != nil {
		t.Fatal(err)
	}
	if pr.Number != 1 || pr.HeadSHA != head || pr.BaseRef != "release/v2026.3" || pr.URL == "" {
		t.Errorf("CreatePull = %+v", pr)
	}
	prs, err := f.c.FindPulls(ctx, "patch/PL-2026-0001", "open")
	if err != nil || len(prs) != 1 || prs[0].Number != 1 {
		t.Fatalf("FindPulls = %+v, %v", prs, err)
	}
	title := "PL-2026-0001: better title"
	if err := f.c.EditPull(ctx, 1, forge.PullEdit{Title: &title}); err != nil {
		t.Fatal(err)
	}
	if err := f.c.AddLabels(ctx, 1, []string{"patch", "severity:critical"}); err != nil {
		t.Fatal(err)
	}
	f.srv.Team("acme/qa", "qa-alice")
	if err := f.c.RequestReviewers(ctx, 1, []string{"qa-bob"}, []string{"qa"}); err != nil {
		t.Fatal(err)
	}
	got, err := f.c.Pull(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != title || !slices.Equal(got.Labels, []string{"patch", "severity:critical"}) ||
		!slices.Equal(got.RequestedUsers, []string{"qa-bob"}) || !slices.Equal(got.RequestedTeams, []string{"qa"}) {
		t.Errorf("Pull = %+v", got)
	}
	f.srv.Review(1, "qa-alice", "APPROVED")
	reviews, err := f.c.Reviews(ctx, 1)
	if err != nil || len(reviews) != 1 || reviews[0].User != "qa-alice" || reviews[0].State != "APPROVED" || reviews[0].CommitID != head || reviews[0].SubmittedAt.IsZero() {
		t.Fatalf("Reviews = %+v, %v", reviews, err)
	}
	authors, err := f.c.CommitAuthors(ctx, 1)
	if err != nil || !slices.Equal(authors, []string{"dana"}) {
		t.Fatalf("CommitAuthors = %v, %v", authors, err)
	}
	if ok, err := f.c.TeamMember(ctx, "acme", "qa", "qa-alice"); err != nil || !ok {
		t.Errorf("TeamMember(qa-alice) = %v, %v", ok, err)
	}
	if ok, err := f.c.TeamMember(ctx, "acme", "qa", "mallory"); err != nil || ok {
		t.Errorf("TeamMember(mallory) = %v, %v", ok, err)
	}
	long := strings.Repeat("x", 200)
	if err := f.c.SetStatus(ctx, head, forge.Status{State: "success", Context: "patchline/qa", Description: long, TargetURL: pr.URL}); err != nil {
		t.Fatal(err)
	}
	if st := f.srv.Statuses(head); len(st) != 1 || len([]rune(st[0].Description)) != forge.MaxDescription {
		t.Errorf("statuses = %+v", st)
	}

	merge := f.srv.Merge(1)
	file, found, err := f.c.GetFile(ctx, "patches/PL-2026-0001/patch.toml", "release/v2026.3")
	if err != nil || !found || string(file.Content) != "id = 1\n" {
		t.Fatalf("GetFile = %q, %v, %v", file.Content, found, err)
	}
	commit, err := f.c.UpdateFile(ctx, "patches/PL-2026-0001/patch.toml", "release/v2026.3", "record", []byte("id = 2\n"), file.SHA)
	if err != nil || commit == "" {
		t.Fatalf("UpdateFile = %q, %v", commit, err)
	}
	if c, _ := f.srv.Commit(commit); !slices.Equal(c.Parents, []string{merge}) {
		t.Errorf("follow-up commit parents = %v, want [%s]", c.Parents, merge)
	}
	tagSHA, err := f.c.CreateTagObject(ctx, "v2026.3.1", "v2026.3.1\n\nPatch-Id: PL-2026-0001\n", merge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.c.CreateRef(ctx, "refs/tags/v2026.3.1", tagSHA); err != nil {
		t.Fatal(err)
	}
	refs, err := f.c.MatchingRefs(ctx, "tags/v2026.3")
	if err != nil || len(refs) != 2 || refs[1].Type != "tag" {
		t.Fatalf("MatchingRefs = %+v, %v", refs, err)
	}
	target, kind, err := f.c.TagTarget(ctx, refs[1].SHA)
	if err != nil || target != merge || kind != "commit" {
		t.Fatalf("TagTarget = %s %s %v; want %s", target, kind, err, merge)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name    string
		arrange func(f *fixture) *forge.Client
		act     func(c *forge.Client) error
		want    error
		wantMsg string
	}{
		{
			name:    "bad token",
			arrange: func(f *fixture) *forge.Client { return f.with(t, forge.Options{Token: "wrong"}) },
			act:     func(c *forge.Client) error { _, err := c.FindPulls(ctx, "patch/x", "open"); return err },
			want:    forge.ErrUnauthorized, wantMsg: "401 Bad credentials",
		},
		{
			name:    "token without rights",
			arrange: func(f *fixture) *forge.Client { f.srv.SetReadOnly(true); return f.c },
			act:     func(c *forge.Client) error { return c.CreateRef(ctx, "refs/heads/release/v2026.3", "abc") },
			want:    forge.ErrForbidden, wantMsg: "403 Resource not accessible by integration (the token lacks a permission",
		},
		{
			name:    "no such repository",
			arrange: func(f *fixture) *forge.Client { return f.with(t, forge.Options{Repo: "acme/nope"}) },
			act:     func(c *forge.Client) error { _, err := c.FindPulls(ctx, "patch/x", "open"); return err },
			want:    forge.ErrNotFound, wantMsg: "find pull requests from patch/x: 404 Not Found",
		},
		{
			name:    "validation failed",
			arrange: func(f *fixture) *forge.Client { return f.c },
			act: func(c *forge.Client) error {
				_, err := c.CreatePull(ctx, forge.NewPull{Title: "x", Head: "patch/gone", Base: "main"})
				return err
			},
			want: forge.ErrRejected, wantMsg: "422 Validation Failed: PullRequest head invalid",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			err := tt.act(tt.arrange(f))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %q, want it to say %q", err, tt.wantMsg)
			}
			if s := f.clock.Sleeps(); len(s) != 0 {
				t.Errorf("slept %v, want no retry", s)
			}
		})
	}
}

func (f *fixture) with(t *testing.T, o forge.Options) *forge.Client {
	t.Helper()
	if o.BaseURL == "" {
		o.BaseURL = f.srv.URL
	}
	if o.Token == "" {
		o.Token = "t0ken"
	}
	if o.Repo == "" {
		o.Repo = "acme/inventory"
	}
	o.Now, o.Sleep = f.clock.Now, f.clock.Sleep
	c, err := forge.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNoToken(t *testing.T) {
	t.Parallel()
	_, err := forge.New(forge.Options{Repo: "acme/inventory"})
	if !errors.Is(err, forge.ErrNoToken) || !strings.Contains(err.Error(), "set GITHUB_TOKEN") {
		t.Fatalf("err = %v, want ErrNoToken saying to set GITHUB_TOKEN", err)
	}
	for _, repo := range []string{"", "acme", "acme/", "/x", "a/b/c"} {
		if _, err := forge.New(forge.Options{Repo: repo, Token: "x"}); err == nil || !strings.Contains(err.Error(), "want owner/repo") {
			t.Errorf("New(repo %q) = %v, want an owner/repo error", repo, err)
		}
	}
	if _, err := forge.New(forge.Options{Repo: "a/b", Token: "x", BaseURL: "ftp://x"}); err == nil || !strings.Contains(err.Error(), "GITHUB_API_URL") {
		t.Errorf("New(ftp base) = %v, want a GITHUB_API_URL error", err)
	}
}

func TestFromEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{"GITHUB_API_URL": "https://ghe.example.com/api/v3", "GITHUB_TOKEN": "s3cret"}
	o := forge.FromEnv(func(k string) string { return env[k] })
	if o.BaseURL != env["GITHUB_API_URL"] || o.Token != "s3cret" {
		t.Errorf("FromEnv = %+v", o)
	}
	o = forge.FromEnv(func(string) string { return "" })
	if o.BaseURL != "" {
		t.Errorf("FromEnv(empty).BaseURL = %q, want \"\" (the public API)", o.BaseURL)
	}
}

// TestEnterpriseBaseURL checks that a GITHUB_API_URL with a path, as GitHub
// Enterprise Server's https://HOST/api/v3 has, is where every call goes.
func TestEnterpriseBaseURL(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		if r.URL.Path != "/api/v3/repos/acme/inventory/pulls" {
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("[]"))
	}))
	defer srv.Close()
	env := map[string]string{"GITHUB_API_URL": srv.URL + "/api/v3", "GITHUB_TOKEN": "s3cret"}
	o := forge.FromEnv(func(k string) string { return env[k] })
	o.Repo = "acme/inventory"
	c, err := forge.New(o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.FindPulls(context.Background(), "patch/PL-2026-0001", "open"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"GET /api/v3/repos/acme/inventory/pulls Bearer s3cret"}; !slices.Equal(got, want) {
		t.Errorf("requests = %q, want %q", got, want)
	}
}

// TestRetries checks which failures are tried again, after how long, and
// when patchline gives up; the fake clock makes every wait instant.
func TestRetries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const pulls = "/repos/acme/inventory/pulls"
	find := func(c *forge.Client) error { _, err := c.FindPulls(ctx, "patch/x", "open"); return err }
	create := func(c *forge.Client) error {
		_, err := c.CreatePull(ctx, forge.NewPull{Title: "x", Head: "main", Base: "main"})
		return err
	}
	reset := func(f *fixture, in time.Duration) string {
		return strconv.FormatInt(f.clock.Now().Add(in).Unix(), 10)
	}
	tests := []struct {
		name       string
		faults     func(f *fixture) []forgetest.Fault
		act        func(c *forge.Client) error
		want       error // nil: succeeds in the end
		wantSleeps []time.Duration
		wantCalls  int
		wantMsg    string
	}{
		{
			name: "server errors back off and succeed",
			faults: func(*fixture) []forgetest.Fault {
				return []forgetest.Fault{{Method: "GET", Path: pulls, Status: 502, Times: 2}}
			},
			act: find, wantSleeps: []time.Duration{time.Second, 2 * time.Second}, wantCalls: 3,
		},
		{
			name: "dropped connection on a read is retried",
			faults: func(*fixture) []forgetest.Fault {
				return []forgetest.Fault{{Method: "GET", Path: pulls, Drop: true}}
			},
			act: find, wantSleeps: []time.Duration{time.Second}, wantCalls: 2,
		},
		{
			name: "gives up after the attempts",
			faults: func(*fixture) []forgetest.Fault {
				return []forgetest.Fault{{Method: "GET", Path: pulls, Status: 503, Times: 5}}
			},
			act: find, want: forge.ErrUnavailable, wantCalls: 5, wantMsg: "gave up after 5 tries",
			wantSleeps: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second},
		},
		{
			name: "primary rate limit waits for the reset",
			faults: func(f *fixture) []forgetest.Fault {
				return []forgetest.Fault{{Method: "GET", Path: pulls, Status: 403,
					Header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Limit": "5000", "X-RateLimit-Reset": reset(f, 30*time.Second)}}}
			},
			act: find, wantSleeps: []time.Duration{31 * time.Second}, wantCalls: 2,
		},
		{
			name: "secondary rate limit honours Retry-After",
			faults: func(*fixture) []forgetest.Fault {
				return []forgetest.Fault{{Method: "POST", Path: pulls, Status: 403, Header: map[string]string{"Retry-After": "7"},
					Body: `{"message":"You have exceeded a secondary rate limit.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`}}
			},
			// A rate-limited write did nothing, so even a create is repeated.
			act: create, wantSleeps: []time.Duration{7 * time.Second}, wantCalls: 2,
		},
		{
			name: "429 with Retry-After",
			faults: func(*fixture) []forgetest.Fault {
				return []forgetest.Fault{{Method: "GET", Path: pulls, Status: 429, Header: map[string]string{"Retry-After": "3"}}}
			},
			act: find, wantSleeps: []time.Duration{3 * time.Second}, wantCalls: 2,
		},
		{
			name: "rate limited past the allowed wait",
			faults: func(f *fixture) []forgetest.Fault {
				return []forgetest.Fault{{Method: "GET", Path: pulls, Status: 403,
					Header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset(f, time.Hour)}}}
			},
			act: find, want: forge.ErrRateLimited, wantCalls: 1,
			wantMsg: "GitHub asks to wait 1h0m1s, more than the 2m0s patchline waits; rerun after 2026-11-20T13:00:01Z",
		},
		{
			name: "a create that failed on the server is not repeated",
			faults: func(*fixture) []forgetest.Fault {
				return []forgetest.Fault{{Method: "POST", Path: pulls, Status: 502, After: true}}
			},
			act: create, want: forge.ErrUnavailable, wantCalls: 1, wantMsg: "open pull request from main: 502",
		},
		{
			name: "a create whose answer was lost is not repeated",
			faults: func(*fixture) []forgetest.Fault {
				return []forgetest.Fault{{Method: "POST", Path: pulls, Drop: true, After: true}}
			},
			act: create, want: forge.ErrUnavailable, wantCalls: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.srv.Push("feature", "dana", "x", nil)
			for _, fault := range tt.faults(f) {
				f.srv.Inject(fault)
			}
			f.srv.ResetCalls()
			err := tt.act(f.c)
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("err = %v, want success", err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Fatalf("err = %v, want %v", err, tt.want)
			case tt.wantMsg != "" && !strings.Contains(err.Error(), tt.wantMsg):
				t.Errorf("err = %q, want it to say %q", err, tt.wantMsg)
			}
			if got := f.clock.Sleeps(); !slices.Equal(got, tt.wantSleeps) {
				t.Errorf("sleeps = %v, want %v", got, tt.wantSleeps)
			}
			if got := len(f.srv.Calls()); got != tt.wantCalls {
				t.Errorf("%d calls %v, want %d", got, f.srv.Calls(), tt.wantCalls)
			}
		})
	}
}

// TestMaxWait: the total of the waits of one call is bounded too.
func TestMaxWait(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.with(t, forge.Options{MaxWait: 10 * time.Second})
	f.srv.Inject(forgetest.Fault{Method: "GET", Path: "/repos/acme/inventory/pulls", Status: 429, Header: map[string]string{"Retry-After": "6"}, Times: 2})
	_, err := c.FindPulls(context.Background(), "patch/x", "open")
	if !errors.Is(err, forge.ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
	if got := f.clock.Sleeps(); !slices.Equal(got, []time.Duration{6 * time.Second}) {
		t.Errorf("sleeps = %v, want one of 6s", got)
	}
}

// countingTransport records the most writes ever in flight at once.
type countingTransport struct {
	inFlight, most atomic.Int32
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodGet {
		n := c.inFlight.Add(1)
		defer c.inFlight.Add(-1)
		for {
			m := c.most.Load()
			if n <= m || c.most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond) // long enough for a second write to overlap
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestWritesOneAtATime(t *testing.T) {
	t.Parallel()
	f := setup(t)
	tr := &countingTransport{}
	c := f.with(t, forge.Options{HTTPClient: &http.Client{Transport: tr}})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.SetStatus(context.Background(), f.main, forge.Status{State: "pending", Context: "ctx" + strconv.Itoa(i)}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := tr.most.Load(); got != 1 {
		t.Errorf("%d writes were in flight at once, want 1", got)
	}
	if got := len(f.srv.Statuses(f.main)); got != 8 {
		t.Errorf("%d statuses, want 8", got)
	}
}

func TestDryRunOffline(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	c, err := forge.New(forge.Options{Repo: "acme/inventory", DryRun: &out})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Offline() {
		t.Fatal("a dry run without a token should be offline")
	}
	ctx := context.Background()
	if prs, err := c.FindPulls(ctx, "patch/x", "open"); err != nil || len(prs) != 0 {
		t.Fatalf("FindPulls offline = %v, %v", prs, err)
	}
	pr, err := c.CreatePull(ctx, forge.NewPull{Title: "t", Head: "patch/x", Base: "release/v1.0", Body: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddLabels(ctx, pr.Number, []string{"patch"}); err != nil {
		t.Fatal(err)
	}
	want := `POST /repos/acme/inventory/pulls
  {
    "title": "t",
    "head": "patch/x",
    "base": "release/v1.0",
    "body": "b"
  }
POST /repos/acme/inventory/issues/{pull_number}/labels
  {
    "labels": [
      "patch"
    ]
  }
`
	if out.String() != want {
		t.Errorf("dry run printed\n%s\nwant\n%s", out.String(), want)
	}
}

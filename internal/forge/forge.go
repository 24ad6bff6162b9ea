// Package forge is patchline's GitHub client: the few REST calls that open
// and update a patch's pull request, read its reviews, set the QA status and
// record a merge, through go-github, with bounded retries on server errors
// and rate limits, and with every write sent one at a time. The token goes
// to the API's scheme, host and port only, and never into an error or output.
package forge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
)

// DefaultBaseURL is GitHub's public API.
const DefaultBaseURL = "https://api.github.com/"

// Defaults for the retry budget.
const (
	DefaultMaxAttempts = 5
	DefaultMaxWait     = 2 * time.Minute
	DefaultTimeout     = 30 * time.Second
)

// Errors a caller can test with errors.Is; every *APIError wraps one.
var (
	ErrNoToken      = errors.New("no GitHub token")
	ErrUnauthorized = errors.New("the GitHub token was refused")
	ErrForbidden    = errors.New("the GitHub token lacks the rights")
	ErrNotFound     = errors.New("not found on GitHub")
	ErrRejected     = errors.New("GitHub rejected the request")
	ErrRateLimited  = errors.New("rate limited by GitHub")
	ErrUnavailable  = errors.New("GitHub did not answer")
	// ErrRedirect is a redirect from the API to another scheme, host or
	// port, which patchline refuses rather than send the token there.
	ErrRedirect = errors.New("GitHub redirected to another host")
)

// APIError is a call that failed, with what GitHub said.
type APIError struct {
	Op      string // what patchline was doing, e.g. "create pull request"
	Status  int    // HTTP status, 0 when no response came
	Message string // GitHub's message, or the transport error
	Kind    error  // one of the Err* values above
	Hint    string // what to do about it
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	if e.Status != 0 {
		fmt.Fprintf(&b, "%d ", e.Status)
	}
	b.WriteString(e.Message)
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

func (e *APIError) Unwrap() error { return e.Kind }

// Options configure a Client.
type Options struct {
	BaseURL    string // the API root; "" is DefaultBaseURL
	Token      string
	Repo       string       // owner/repo
	HTTPClient *http.Client // copied; the copy adds the token for BaseURL's host only

	// Now and Sleep are the clock; tests replace them so no test sleeps.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	MaxAttempts int           // tries of one call, first included
	MaxWait     time.Duration // longest total wait between tries of one call

	// DryRun, when set, receives every write instead of GitHub. Reads still
	// go to GitHub when there is a token; without one they find nothing.
	DryRun io.Writer
}

// FromEnv fills the options GitHub Actions provides: GITHUB_API_URL (set by
// Actions, and needed for GitHub Enterprise Server) and GITHUB_TOKEN.
func FromEnv(getenv func(string) string) Options {
	return Options{BaseURL: getenv("GITHUB_API_URL"), Token: getenv("GITHUB_TOKEN")}
}

// Client calls GitHub for one repository.
type Client struct {
	Owner, Name string

	base    *url.URL
	token   string
	http    *http.Client
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error
	tries   int
	maxWait time.Duration
	dryRun  io.Writer
	offline bool

	writes sync.Mutex // one write at a time, as GitHub asks of integrations
}

// New makes a client. Without a token it fails with ErrNoToken, unless it
// is a dry run, which then works offline.
func New(o Options) (*Client, error) {
	owner, name, ok := strings.Cut(o.Repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("GitHub repository %q: want owner/repo (set [project] github in .patchline.toml, or GITHUB_REPOSITORY)", o.Repo)
	}
	c := &Client{Owner: owner, Name: name, token: o.Token, http: o.HTTPClient, now: o.Now, sleep: o.Sleep,
		tries: o.MaxAttempts, maxWait: o.MaxWait, dryRun: o.DryRun}
	if c.token == "" {
		if o.DryRun == nil {
			return nil, fmt.Errorf("%w: set GITHUB_TOKEN (in a workflow: `env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}`), or use --dry-run", ErrNoToken)
		}
		c.offline = true
	}
	base := o.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("GITHUB_API_URL %q: want an http(s) URL such as https://api.github.com", o.BaseURL)
	}
	c.base = u
	c.http = httpClient(o.HTTPClient, u, c.token)
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = sleepContext
	}
	if c.tries <= 0 {
		c.tries = DefaultMaxAttempts
	}
	if c.maxWait <= 0 {
		c.maxWait = DefaultMaxWait
	}
	return c, nil
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Offline reports whether this is a dry run without a token: reads find
// nothing and writes are only printed.
func (c *Client) Offline() bool { return c.offline }

// DryRun reports whether writes are printed instead of sent.
func (c *Client) DryRun() bool { return c.dryRun != nil }

// Repo is owner/name.
func (c *Client) Repo() string { return c.Owner + "/" + c.Name }

// api builds a go-github client for one try. A fresh one each time keeps
// go-github from refusing a retry on its own, by the wall clock, after a
// rate-limit answer: the waiting is this package's, on its own clock. The
// token is not go-github's to send: c.http adds it for the API's host only.
func (c *Client) api() *github.Client {
	gh := github.NewClient(c.http)
	gh.BaseURL = c.base
	gh.UserAgent = "patchline"
	return gh
}

// write is one request that changes something, as a dry run prints it.
type write struct {
	Method string
	Path   string // relative to the repository, e.g. "pulls/7"; absolute when it starts with "/"
	Body   any
}

func (c *Client) path(p string) string {
	if strings.HasPrefix(p, "/") {
		return p
	}
	return "/repos/" + c.Owner + "/" + c.Name + "/" + p
}

// printWrite writes a dry run's request.
func (c *Client) printWrite(w write) error {
	var body strings.Builder
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	enc.SetIndent("  ", "  ")
	if err := enc.Encode(w.Body); err != nil {
		return err
	}
	line := fmt.Sprintf("%s %s\n  %s", w.Method, strings.TrimSuffix(c.base.Path, "/")+c.path(w.Path), body.String())
	_, err := io.WriteString(c.dryRun, redact(line, c.token))
	return err
}

package forge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/patchline/patchline/internal/forge"
)

const secret = "ghs_s3cretT0ken"

// recorder is an httptest server that keeps every request it is sent,
// with its Authorization header, and answers with handle.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func newRecorder(t *testing.T, handle http.HandlerFunc) *recorder {
	t.Helper()
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.seen = append(r.seen, req.Method+" "+req.URL.RequestURI()+" auth="+req.Header.Get("Authorization"))
		r.mu.Unlock()
		if handle == nil {
			t.Errorf("unexpected request %s %s", req.Method, req.URL)
			http.NotFound(w, req)
			return
		}
		handle(w, req)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen)
}

func newClient(t *testing.T, base string, o forge.Options) (*forge.Client, *clock) {
	t.Helper()
	clk := newClock()
	o.BaseURL, o.Token, o.Repo, o.Now, o.Sleep = base, secret, "acme/inventory", clk.Now, clk.Sleep
	c, err := forge.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c, clk
}

func findPulls(c *forge.Client) error {
	_, err := c.FindPulls(context.Background(), "patch/x", "open")
	return err
}

// TestRedirectToAnotherHostRefused: a redirect away from the API's scheme,
// host and port is refused before it is followed, so the other host never
// sees the token, and the error says so (and is not retried).
func TestRedirectToAnotherHostRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// location is where the API sends its first answer; api is the
		// API's base URL, other the second server's.
		location func(api, other string) string
		// apiCalls is how many requests the API itself gets.
		apiCalls int
	}{
		{name: "other port", location: func(api, other string) string { return other + "/repos/acme/inventory/pulls" }, apiCalls: 1},
		{name: "other host name, same port", location: func(api, other string) string {
			return strings.Replace(api, "127.0.0.1", "localhost", 1) + "/repos/acme/inventory/pulls"
		}, apiCalls: 1},
		{name: "other scheme", location: func(api, other string) string {
			return strings.Replace(api, "http://", "https://", 1) + "/repos/acme/inventory/pulls"
		}, apiCalls: 1},
		{name: "same host first, then another", location: func(api, other string) string { return "/hop" }, apiCalls: 2},
		{name: "token in the new location", location: func(api, other string) string {
			return other + "/steal?token=" + secret
		}, apiCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			other := newRecorder(t, nil) // any request to it fails the test
			var api *recorder
			api = newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				loc := tt.location(api.URL, other.URL)
				if r.URL.Path == "/hop" {
					loc = other.URL + "/repos/acme/inventory/pulls"
				}
				http.Redirect(w, r, loc, http.StatusTemporaryRedirect)
			})
			c, clk := newClient(t, api.URL, forge.Options{})
			err := findPulls(c)
			if !errors.Is(err, forge.ErrRedirect) {
				t.Fatalf("err = %v, want ErrRedirect", err)
			}
			u, _ := url.Parse(tt.location(api.URL, other.URL))
			if !u.IsAbs() {
				u, _ = url.Parse(other.URL)
			}
			want := "307 GitHub API at " + api.URL + " redirected to another host " + u.Scheme + "://" + u.Host +
				"; patchline sends its token only to " + api.URL + ": refusing"
			if !strings.Contains(err.Error(), want) {
				t.Errorf("err = %q\nwant it to say %q", err, want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("err = %q shows the token", err)
			}
			if got := other.requests(); len(got) != 0 {
				t.Errorf("the other host was sent %q", got)
			}
			got := api.requests()
			if len(got) != tt.apiCalls {
				t.Errorf("the API got %q, want %d requests", got, tt.apiCalls)
			}
			for _, r := range got {
				if !strings.HasSuffix(r, " auth=Bearer "+secret) {
					t.Errorf("the API got %q, want the token on it", r)
				}
			}
			if s := clk.Sleeps(); len(s) != 0 {
				t.Errorf("slept %v, want no retry of a refused redirect", s)
			}
		})
	}
}

// TestSameHostRedirectKeepsToken: a redirect within the API's origin (as
// GitHub answers for a renamed repository) is followed, with the token.
func TestSameHostRedirectKeepsToken(t *testing.T) {
	t.Parallel()
	api := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/repos/acme/inventory/pulls" {
			http.Redirect(w, r, "/repositories/42/pulls?"+r.URL.RawQuery, http.StatusMovedPermanently)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("[]"))
	})
	c, _ := newClient(t, api.URL, forge.Options{})
	if err := findPulls(c); err != nil {
		t.Fatal(err)
	}
	got := api.requests()
	want := []string{
		"GET /repos/acme/inventory/pulls?head=acme%3Apatch%2Fx&per_page=100&state=open auth=Bearer " + secret,
		"GET /repositories/42/pulls?head=acme%3Apatch%2Fx&per_page=100&state=open auth=Bearer " + secret,
	}
	if !slices.Equal(got, want) {
		t.Errorf("requests = %q\nwant %q", got, want)
	}
}

// TestDefaultPortIsTheSameHost: https://h and https://h:443 are one origin.
func TestDefaultPortIsTheSameHost(t *testing.T) {
	t.Parallel()
	var seen []string
	tr := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		seen = append(seen, r.URL.String()+" auth="+r.Header.Get("Authorization"))
		if r.URL.Host == "ghe.example.com" {
			return &http.Response{StatusCode: http.StatusFound, Header: http.Header{"Location": {"https://GHE.example.com:443/api/v3/moved"}},
				Body: http.NoBody, Request: r}, nil
		}
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader("[]")), Request: r}, nil
	})
	c, _ := newClient(t, "https://ghe.example.com/api/v3", forge.Options{HTTPClient: &http.Client{Transport: tr}})
	if err := findPulls(c); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || !strings.HasSuffix(seen[1], "auth=Bearer "+secret) {
		t.Errorf("requests = %q, want the redirect followed with the token", seen)
	}
}

// TestCallerClientUntouched: the caller's *http.Client keeps its own
// transport and redirect policy; the token is added to a copy.
func TestCallerClientUntouched(t *testing.T) {
	t.Parallel()
	tr := roundTripFunc(func(r *http.Request) (*http.Response, error) { return nil, errors.New("unused") })
	hc := &http.Client{Transport: tr}
	newClient(t, "https://api.github.com", forge.Options{HTTPClient: hc})
	if hc.CheckRedirect != nil {
		t.Error("New set the caller's CheckRedirect")
	}
	if _, ok := hc.Transport.(roundTripFunc); !ok {
		t.Errorf("New replaced the caller's transport with %T", hc.Transport)
	}
}

// TestTokenRedacted: whatever the API echoes of the token, in an error
// message, its details, a header or a body, patchline never shows it.
func TestTokenRedacted(t *testing.T) {
	t.Parallel()
	echo := func(status int, body func(auth string) any) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(body(r.Header.Get("Authorization")))
		}
	}
	tests := []struct {
		name   string
		handle http.HandlerFunc
		act    func(c *forge.Client) (string, error)
	}{
		{
			name:   "401 message",
			handle: echo(401, func(auth string) any { return map[string]any{"message": "Bad credentials: " + auth} }),
			act:    func(c *forge.Client) (string, error) { return "", findPulls(c) },
		},
		{
			name: "422 details",
			handle: echo(422, func(auth string) any {
				return map[string]any{"message": "Validation Failed " + auth, "errors": []any{map[string]any{"message": "token " + auth + " is odd"}}}
			}),
			act: func(c *forge.Client) (string, error) {
				_, err := c.CreatePull(context.Background(), forge.NewPull{Title: "t", Head: "patch/x", Base: "main"})
				return "", err
			},
		},
		{
			name:   "5xx retried, then given up",
			handle: echo(502, func(auth string) any { return map[string]any{"message": "upstream said " + auth} }),
			act:    func(c *forge.Client) (string, error) { return "", findPulls(c) },
		},
		{
			name: "success body",
			handle: echo(200, func(auth string) any {
				return []any{map[string]any{"number": 1, "state": "open", "title": auth, "html_url": "https://github.com/acme/inventory/pull/1?" + auth}}
			}),
			act: func(c *forge.Client) (string, error) {
				prs, err := c.FindPulls(context.Background(), "patch/x", "open")
				if len(prs) != 1 {
					return "", err
				}
				return prs[0].Title + " " + prs[0].URL, err
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newRecorder(t, tt.handle)
			c, _ := newClient(t, api.URL, forge.Options{MaxAttempts: 2})
			shown, err := tt.act(c)
			if err != nil {
				shown += " " + err.Error()
			}
			if strings.Contains(shown, secret) {
				t.Errorf("shown %q: the token is in it", shown)
			}
			if !strings.Contains(shown, "Bearer "+forge.Redacted) {
				t.Errorf("shown %q, want the echo with the token as %q", shown, forge.Redacted)
			}
			if got := api.requests(); len(got) == 0 || !strings.HasSuffix(got[0], "auth=Bearer "+secret) {
				t.Errorf("requests = %q, want the token sent to the API", got)
			}
		})
	}
}

// TestDryRunRedacted: a dry run prints its writes without the token, even
// when what it writes carries it.
func TestDryRunRedacted(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	c, _ := newClient(t, "https://api.github.com", forge.Options{DryRun: &out,
		HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			t.Errorf("a dry-run write sent %s %s", r.Method, r.URL)
			return nil, errors.New("no")
		})}})
	body := "leaked " + secret
	if err := c.EditPull(context.Background(), 7, forge.PullEdit{Body: &body}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), secret) || !strings.Contains(out.String(), "leaked "+forge.Redacted) {
		t.Errorf("dry run printed %q, want the token as %q", out.String(), forge.Redacted)
	}
}

// TestOfflineSendsNothing: a dry run without a token never reaches the
// network, whatever it is asked.
func TestOfflineSendsNothing(t *testing.T) {
	t.Parallel()
	c, err := forge.New(forge.Options{Repo: "acme/inventory", DryRun: &bytes.Buffer{},
		HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			t.Errorf("an offline client sent %s %s", r.Method, r.URL)
			return nil, errors.New("no")
		})}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Pull(ctx, 1); !errors.Is(err, forge.ErrUnavailable) {
		t.Errorf("Pull offline = %v, want ErrUnavailable", err)
	}
	if _, _, err := c.TagTarget(ctx, "abc"); !errors.Is(err, forge.ErrUnavailable) {
		t.Errorf("TagTarget offline = %v, want ErrUnavailable", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

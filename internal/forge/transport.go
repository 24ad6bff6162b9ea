package forge

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// The token goes to one place: the configured API's scheme, host and port.
// The transport adds it only to requests for that origin, a redirect to
// any other origin is refused before it is followed, and whatever the API
// answers has the token blotted out, so that a server echoing it back
// (in an error message, a Location, a body) never gets it printed.

// Redacted is what stands in for the token in errors and output.
const Redacted = "***"

// maxRedirects is net/http's own limit, which a CheckRedirect replaces.
const maxRedirects = 10

// origin is the scheme, host and port a URL addresses, with the scheme's
// default port written out, so that https://h and https://h:443 compare equal.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// site is scheme://host[:port] as written, for messages.
func site(u *url.URL) string {
	return u.Scheme + "://" + u.Host
}

// redirectError is a redirect away from the API's origin, refused.
type redirectError struct {
	status   int
	from, to string
}

func (e *redirectError) Error() string {
	return fmt.Sprintf("GitHub API at %s redirected to another host %s; patchline sends its token only to %s: refusing", e.from, e.to, e.from)
}

func (e *redirectError) Unwrap() error { return ErrRedirect }

// httpClient is o's HTTP client (or a default one), copied so the caller's
// is left as it was, with the token and redirect policy of this package.
func httpClient(hc *http.Client, base *url.URL, token string) *http.Client {
	c := http.Client{Timeout: DefaultTimeout}
	if hc != nil {
		c = *hc
	}
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c.Transport = &tokenTransport{next: next, origin: origin(base), token: token}
	prev := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if origin(req.URL) != origin(base) {
			e := &redirectError{from: site(base), to: site(req.URL)}
			if req.Response != nil {
				e.status = req.Response.StatusCode
			}
			return e
		}
		if prev != nil {
			return prev(req, via)
		}
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		return nil
	}
	return &c
}

// tokenTransport sends the token to the API's origin and to nothing else,
// and takes it out of every answer.
type tokenTransport struct {
	next   http.RoundTripper
	origin string
	token  string
}

func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context()) // a RoundTripper leaves the caller's request alone
	if t.token != "" && origin(req.URL) == t.origin {
		req.Header.Set("Authorization", "Bearer "+t.token)
	} else {
		req.Header.Del("Authorization")
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil || t.token == "" {
		return resp, err
	}
	for _, vs := range resp.Header {
		for i, v := range vs {
			vs[i] = redact(v, t.token)
		}
	}
	if resp.Body != nil && resp.Body != http.NoBody {
		resp.Body = redactBody(resp.Body, t.token)
		resp.ContentLength = -1
		resp.Header.Del("Content-Length")
	}
	return resp, nil
}

// redactBody reads a body whole and gives it back with the token replaced;
// a read that fails part way gives what came and then the failure.
func redactBody(body io.ReadCloser, token string) io.ReadCloser {
	data, err := io.ReadAll(body)
	body.Close()
	data = bytes.ReplaceAll(data, []byte(token), []byte(Redacted))
	var r io.Reader = bytes.NewReader(data)
	if err != nil {
		r = io.MultiReader(r, errReader{err})
	}
	return io.NopCloser(r)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// redact replaces the token in s.
func redact(s, token string) string {
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, Redacted)
}

// scrub takes the token out of everything an *APIError says.
func (c *Client) scrub(e *APIError) *APIError {
	e.Op = redact(e.Op, c.token)
	e.Message = redact(e.Message, c.token)
	e.Hint = redact(e.Hint, c.token)
	return e
}

// asRedirect is the refused redirect inside a failed call, if any.
func asRedirect(err error) (*redirectError, bool) {
	var re *redirectError
	return re, errors.As(err, &re)
}

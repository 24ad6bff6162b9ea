package forge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// Retries: a call is tried again after a server error (5xx) or a dropped
// connection when repeating it is harmless, and after a primary or secondary
// rate limit always (GitHub did nothing). The wait is what GitHub asks for
// (Retry-After, else X-RateLimit-Reset), else an exponential backoff; a call
// gives up after MaxAttempts tries or when the next wait would take its
// total past MaxWait, saying how long GitHub wanted.

const (
	firstBackoff = time.Second
	maxBackoff   = 30 * time.Second
	// secondaryWait is GitHub's advice for a secondary rate limit that names
	// no time: wait at least a minute.
	secondaryWait = time.Minute
)

// call runs one API call with retries. idempotent says whether repeating it
// after GitHub may already have done it is harmless. A write holds the
// client's write lock for all its tries.
func (c *Client) call(ctx context.Context, op string, idempotent, isWrite bool, fn func(gh *github.Client) (*github.Response, error)) error {
	apiErr := c.try(ctx, op, idempotent, isWrite, fn)
	if apiErr == nil {
		return nil
	}
	return c.scrub(apiErr)
}

// try is call before the token is taken out of its error.
func (c *Client) try(ctx context.Context, op string, idempotent, isWrite bool, fn func(gh *github.Client) (*github.Response, error)) *APIError {
	if c.offline {
		// An offline client never sends: its callers answer without GitHub.
		return &APIError{Op: op, Message: "offline dry run: nothing was sent to GitHub", Kind: ErrUnavailable}
	}
	if isWrite {
		c.writes.Lock()
		defer c.writes.Unlock()
	}
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		resp, err := fn(c.api())
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return &APIError{Op: op, Message: ctx.Err().Error(), Kind: ErrUnavailable}
		}
		apiErr, wait, retry := c.classify(op, resp, err, idempotent, attempt)
		if !retry {
			return apiErr
		}
		if attempt >= c.tries {
			apiErr.Hint = fmt.Sprintf("gave up after %d tries; rerun later", attempt)
			return apiErr
		}
		if waited+wait > c.maxWait {
			apiErr.Hint = fmt.Sprintf("GitHub asks to wait %s, more than the %s patchline waits; rerun after %s",
				roundWait(wait), roundWait(c.maxWait), c.now().Add(wait).UTC().Format(time.RFC3339))
			return apiErr
		}
		if err := c.sleep(ctx, wait); err != nil {
			return &APIError{Op: op, Message: err.Error(), Kind: ErrUnavailable}
		}
		waited += wait
	}
}

func roundWait(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(time.Second)
	}
	return d
}

// classify turns a failed try into an *APIError and says whether, and after
// how long, to try again.
func (c *Client) classify(op string, resp *github.Response, err error, idempotent bool, attempt int) (*APIError, time.Duration, bool) {
	var hr *http.Response
	if resp != nil {
		hr = resp.Response
	}
	var ger *github.ErrorResponse
	var rle *github.RateLimitError
	var are *github.AbuseRateLimitError
	switch {
	case errors.As(err, &rle):
		hr = rle.Response
	case errors.As(err, &are):
		hr = are.Response
	case errors.As(err, &ger):
		hr = ger.Response
	}
	if re, ok := asRedirect(err); ok {
		return &APIError{Op: op, Status: re.status, Message: re.Error(), Kind: ErrRedirect,
			Hint: "set GITHUB_API_URL to the API's own address, e.g. https://HOST/api/v3 for GitHub Enterprise Server"}, 0, false
	}
	e := &APIError{Op: op, Message: message(err)}
	if hr == nil {
		// No answer: a dropped connection or a timeout. GitHub may have
		// done the work; only a harmless repeat is tried again.
		e.Kind = ErrUnavailable
		return e, backoff(attempt), idempotent
	}
	e.Status = hr.StatusCode
	if wait, limited := c.rateLimitWait(hr, rle != nil || are != nil); limited {
		e.Kind = ErrRateLimited
		if e.Message == "" {
			e.Message = "rate limit exceeded"
		}
		return e, wait, true
	}
	switch s := hr.StatusCode; {
	case s >= 500:
		e.Kind = ErrUnavailable
		return e, backoff(attempt), idempotent
	case s == http.StatusUnauthorized:
		e.Kind = ErrUnauthorized
		e.Hint = "GITHUB_TOKEN is not a valid token"
	case s == http.StatusForbidden:
		e.Kind = ErrForbidden
		e.Hint = "the token lacks a permission: in the workflow give it `permissions:` contents: write, pull-requests: write, statuses: write"
	case s == http.StatusNotFound:
		e.Kind = ErrNotFound
		e.Hint = fmt.Sprintf("is %s/%s the repository ([project] github, GITHUB_REPOSITORY), and can the token read it?", c.Owner, c.Name)
	default:
		e.Kind = ErrRejected
	}
	return e, 0, false
}

// rateLimitWait reads how long GitHub asks to wait: Retry-After (seconds),
// else X-RateLimit-Reset (epoch seconds) when the limit is used up. A
// secondary limit that names no time waits a minute.
func (c *Client) rateLimitWait(hr *http.Response, known bool) (time.Duration, bool) {
	s := hr.StatusCode
	if s != http.StatusForbidden && s != http.StatusTooManyRequests {
		return 0, false
	}
	if v := hr.Header.Get("Retry-After"); v != "" {
		if secs, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && secs >= 0 {
			return time.Duration(secs) * time.Second, true
		}
	}
	if hr.Header.Get("X-RateLimit-Remaining") == "0" {
		if v := hr.Header.Get("X-RateLimit-Reset"); v != "" {
			if epoch, err := strconv.ParseInt(v, 10, 64); err == nil {
				// A second past the reset, so the window has surely turned.
				wait := time.Unix(epoch, 0).Sub(c.now()) + time.Second
				return max(wait, time.Second), true
			}
		}
		return secondaryWait, true
	}
	if known || s == http.StatusTooManyRequests {
		return secondaryWait, true
	}
	return 0, false
}

func backoff(attempt int) time.Duration {
	d := firstBackoff << (attempt - 1)
	if d > maxBackoff || d <= 0 {
		d = maxBackoff
	}
	return d
}

// message is what GitHub said, without go-github's request dump.
func message(err error) string {
	var ger *github.ErrorResponse
	var rle *github.RateLimitError
	var are *github.AbuseRateLimitError
	switch {
	case errors.As(err, &rle):
		return rle.Message
	case errors.As(err, &are):
		return are.Message
	case errors.As(err, &ger):
		msg := ger.Message
		var details []string
		for _, e := range ger.Errors {
			switch {
			case e.Message != "":
				details = append(details, e.Message)
			case e.Code != "":
				details = append(details, strings.TrimSpace(e.Resource+" "+e.Field+" "+e.Code))
			}
		}
		if len(details) > 0 {
			msg += ": " + strings.Join(details, "; ")
		}
		if msg == "" && ger.Response != nil {
			msg = http.StatusText(ger.Response.StatusCode)
		}
		return msg
	}
	return err.Error()
}

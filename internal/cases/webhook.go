package cases

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The webhook's headers.
const (
	HeaderSignature = "X-Patchline-Signature" // sha256=<hex HMAC-SHA256 of the body>
	HeaderDelivery  = "X-Patchline-Delivery"  // DeliveryID: the same for a repeat of the same change
	HeaderEvent     = "X-Patchline-Event"     // EventName
	EventName       = "case.status"
)

// The retry policy, as internal/forge's for GitHub: a failed try is
// repeated after a server error (5xx), a 429, a timeout or a dropped
// connection, waiting what Retry-After asks, else 1 s doubling up to
// 30 s; it gives up after MaxAttempts tries or when the next wait would
// take the total past MaxWait. A repeat is harmless: the delivery id
// tells the receiver it already has it.
const (
	DefaultMaxAttempts = 5
	DefaultMaxWait     = 2 * time.Minute
	DefaultTimeout     = 30 * time.Second
	firstBackoff       = time.Second
	maxBackoff         = 30 * time.Second
	maxAnswer          = 64 << 10 // what is read of an answer, for its error message
)

// ErrDelivery is wrapped by every error Send returns.
var ErrDelivery = errors.New("webhook delivery failed")

// Sign is the signature header's value: "sha256=" and the hex HMAC-SHA256
// of body under secret, as GitHub signs its webhooks.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header in constant time, as a receiver does.
func Verify(secret, body []byte, header string) bool {
	return hmac.Equal([]byte(header), []byte(Sign(secret, body)))
}

// Webhook sends signed deliveries to one URL.
type Webhook struct {
	URL       string
	Secret    []byte
	Client    *http.Client // its Timeout bounds each try; nil: one with DefaultTimeout
	UserAgent string

	MaxAttempts int           // 0: DefaultMaxAttempts
	MaxWait     time.Duration // 0: DefaultMaxWait
	// Sleep waits between tries; tests replace it so no test sleeps.
	Sleep func(ctx context.Context, d time.Duration) error
	Log   io.Writer // a line per retry; nil: none
}

// Send posts body with its signature and delivery id, trying again as
// the retry policy says. It reports how many tries it took.
func (w *Webhook) Send(ctx context.Context, delivery string, body []byte) (int, error) {
	client := w.Client
	if client == nil {
		client = &http.Client{Timeout: DefaultTimeout}
	}
	// A redirect would turn the POST into a GET, or send the case
	// somewhere the user did not name: report it instead.
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	tries := w.MaxAttempts
	if tries <= 0 {
		tries = DefaultMaxAttempts
	}
	maxWait := w.MaxWait
	if maxWait <= 0 {
		maxWait = DefaultMaxWait
	}
	sleep := w.Sleep
	if sleep == nil {
		sleep = sleepContext
	}
	sig := Sign(w.Secret, body)
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		wait, retry, err := w.try(ctx, &c, delivery, sig, body, attempt)
		if err == nil {
			return attempt, nil
		}
		if ctx.Err() != nil {
			return attempt, fmt.Errorf("%w: %v", ErrDelivery, ctx.Err())
		}
		if !retry {
			return attempt, err
		}
		if attempt >= tries {
			return attempt, fmt.Errorf("%w (gave up after %d tries; rerun later: nothing is lost)", err, attempt)
		}
		if waited+wait > maxWait {
			return attempt, fmt.Errorf("%w (the receiver asks to wait %s, more than the %s patchline waits; rerun later)", err, wait, maxWait)
		}
		if w.Log != nil {
			fmt.Fprintf(w.Log, "%v; trying again in %s\n", err, wait)
		}
		if err := sleep(ctx, wait); err != nil {
			return attempt, fmt.Errorf("%w: %v", ErrDelivery, err)
		}
		waited += wait
	}
}

// try makes one request; it says whether, and after how long, to try again.
func (w *Webhook) try(ctx context.Context, c *http.Client, delivery, sig string, body []byte, attempt int) (time.Duration, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return 0, false, fmt.Errorf("%w: %v", ErrDelivery, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderSignature, sig)
	req.Header.Set(HeaderDelivery, delivery)
	req.Header.Set(HeaderEvent, EventName)
	if w.UserAgent != "" {
		req.Header.Set("User-Agent", w.UserAgent)
	}
	resp, err := c.Do(req)
	if err != nil {
		// No answer: a timeout, a refused or dropped connection.
		return backoff(attempt), true, fmt.Errorf("%w: %s: no answer: %v", ErrDelivery, redactURL(w.URL), unwrapURLError(err))
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	s := resp.StatusCode
	if s >= 200 && s < 300 {
		return 0, false, nil
	}
	e := fmt.Errorf("%w: %s answered %s%s", ErrDelivery, redactURL(w.URL), resp.Status, quoteAnswer(answer))
	switch {
	case s == http.StatusTooManyRequests || s >= 500:
		wait := backoff(attempt)
		if v := resp.Header.Get("Retry-After"); v != "" {
			if secs, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && secs >= 0 {
				wait = time.Duration(secs) * time.Second
			}
		}
		return wait, true, e
	case s >= 300 && s < 400:
		return 0, false, fmt.Errorf("%w (a redirect to %q: give the URL it names)", e, resp.Header.Get("Location"))
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return 0, false, fmt.Errorf("%w (is PATCHLINE_WEBHOOK_SECRET the receiver's secret?)", e)
	}
	return 0, false, e
}

func backoff(attempt int) time.Duration {
	d := firstBackoff << (attempt - 1)
	if d > maxBackoff || d <= 0 {
		d = maxBackoff
	}
	return d
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

// quoteAnswer is the start of the receiver's answer, on one line.
func quoteAnswer(b []byte) string {
	s := strings.Join(strings.Fields(string(bytes.ToValidUTF8(b, []byte("?")))), " ")
	if s == "" {
		return ""
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return ": " + strconv.Quote(s)
}

// redactURL leaves out a URL's user info and query, which may hold a
// token, from what is printed.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the webhook"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// unwrapURLError drops net/http's "Post URL:" prefix, which repeats the
// URL with its query.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return errors.New("timed out")
		}
		return ue.Err
	}
	return err
}

// CheckURL refuses a webhook URL that is not an absolute http(s) URL.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("--post %q: want the receiver's http(s) URL, e.g. https://crm.example.com/hooks/patchline", raw)
	}
	return nil
}

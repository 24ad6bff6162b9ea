package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchline/patchline/internal/forge"
	"github.com/patchline/patchline/internal/forge/forgetest"
	"github.com/patchline/patchline/internal/rollout"
)

var secret = []byte("s3cret")

// receiver is a webhook receiver that checks every delivery's signature
// and headers, keeps each one it accepted, and misbehaves as told.
type receiver struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	requests int
	faults   map[int]string // request number (from 1) -> 500, 503, hang, lost (processed, then no answer in time)
	accepted []Event        // in order, repeats included
	release  chan struct{}
}

func newReceiver(t *testing.T, faults map[int]string) *receiver {
	r := &receiver{t: t, faults: faults, release: make(chan struct{})}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(func() {
		close(r.release)
		r.srv.Close()
	})
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.requests++
	fault := r.faults[r.requests]
	r.mu.Unlock()
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" || req.Header.Get(HeaderEvent) != EventName {
		r.t.Errorf("request %s %s, Content-Type %q, event %q", req.Method, req.URL, req.Header.Get("Content-Type"), req.Header.Get(HeaderEvent))
	}
	if !Verify(secret, body, req.Header.Get(HeaderSignature)) {
		r.t.Errorf("bad signature %q", req.Header.Get(HeaderSignature))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var ev Event
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		r.t.Errorf("body does not decode: %v", err)
	}
	if ev.Delivery != req.Header.Get(HeaderDelivery) || ev.Delivery != DeliveryID(ev.Case) {
		r.t.Errorf("delivery header %q, body %q, id of the case %q", req.Header.Get(HeaderDelivery), ev.Delivery, DeliveryID(ev.Case))
	}
	switch fault {
	case "500":
		http.Error(w, "boom", http.StatusInternalServerError)
		return
	case "503":
		w.Header().Set("Retry-After", "3")
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	case "hang":
		select {
		case <-req.Context().Done():
		case <-r.release:
		}
		return
	}
	r.mu.Lock()
	r.accepted = append(r.accepted, ev)
	r.mu.Unlock()
	if fault == "lost" {
		select {
		case <-req.Context().Done():
		case <-r.release:
		}
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

// byCase is what the receiver has after dropping repeats by delivery id.
func (r *receiver) byCase() (unique map[string][]string, repeats int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	unique = map[string][]string{}
	seen := map[string]bool{}
	for _, ev := range r.accepted {
		if seen[ev.Delivery] {
			repeats++
			continue
		}
		seen[ev.Delivery] = true
		unique[ev.Case.ID] = append(unique[ev.Case.ID], ev.Case.Status)
	}
	return unique, repeats
}

type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return nil
}

// store is the record of what was sent as the repository keeps it: bytes
// written after every delivery.
type store struct {
	data  []byte
	saves int
}

func (s *store) save(p *Posted) error {
	data, err := p.Encode()
	s.data, s.saves = data, s.saves+1
	return err
}

func (s *store) load(t *testing.T) *Posted {
	if s.data == nil {
		return NewPosted()
	}
	p, err := DecodePosted(s.data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func poster(t *testing.T, url string, st *store, sl *sleeps) *Poster {
	return &Poster{
		Project: "inventory",
		Webhook: &Webhook{URL: url, Secret: secret, Client: &http.Client{Timeout: 200 * time.Millisecond}, Sleep: sl.sleep},
		Posted:  st.load(t),
		Save:    st.save,
		Now:     func() time.Time { return ts("2026-03-08T10:00:00Z") },
	}
}

// webhookReport is the fixture without its GitHub issue case.
func webhookReport() *Report {
	r := fixture()
	r.Cases = slices.DeleteFunc(r.Cases, func(c Case) bool { return c.Issue != "" })
	return r
}

// TestPostRetriesAndDropsNothing: 5xx answers, a receiver that never
// answers, and one that took the case but whose answer was lost; every
// case arrives, none twice once repeats are dropped by delivery id, and a
// second run sends nothing.
func TestPostRetriesAndDropsNothing(t *testing.T) {
	t.Parallel()
	// CRM-1 meets a 500 and a hang; CRM-9 a 503 (Retry-After: 3) and a
	// lost answer.
	rcv := newReceiver(t, map[int]string{1: "500", 2: "hang", 4: "503", 5: "lost"})
	st, sl := &store{}, &sleeps{}
	res, err := poster(t, rcv.srv.URL, st, sl).Run(context.Background(), webhookReport())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(res.Sent) != 2 || res.Sent[0].Tries != 3 || res.Sent[1].Tries != 3 {
		t.Fatalf("sent %+v, want CRM-1 and CRM-9 after 3 tries each", res.Sent)
	}
	if want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 2 * time.Second}; !slices.Equal(sl.d, want) {
		t.Errorf("waited %v, want %v (backoff, and Retry-After)", sl.d, want)
	}
	unique, repeats := rcv.byCase()
	if want := map[string][]string{"CRM-1": {Open}, "CRM-9": {Delivered}}; fmt.Sprint(unique) != fmt.Sprint(want) {
		t.Errorf("received %v, want %v", unique, want)
	}
	if repeats != 1 {
		t.Errorf("%d repeats, want 1 (the lost answer), with the same delivery id", repeats)
	}
	if st.saves != 2 {
		t.Errorf("saved %d times, want after each of 2 deliveries", st.saves)
	}

	// Nothing changed: nothing is sent.
	before := rcv.count()
	res, err = poster(t, rcv.srv.URL, st, sl).Run(context.Background(), webhookReport())
	if err != nil || len(res.Sent) != 0 || res.Unchanged != 2 || rcv.count() != before {
		t.Fatalf("second run: sent %d (unchanged %d), %d requests, %v; want nothing sent", len(res.Sent), res.Unchanged, rcv.count()-before, err)
	}

	// A confirmation arrives at globex: CRM-1's first patch is closed,
	// its second still open; the case's status stays open, so nothing is
	// sent. CRM-9 gets applied: awaiting confirmation, sent once.
	r := webhookReport()
	r.Cases[1].Patches[0].Installs = []Delivery{applied("2026-03-09T10:00:00Z")}
	r.Cases[1].Patches[0].Status = PatchStatus(true, r.Cases[1].Patches[0].Installs)
	r.Cases[1].Status = CaseStatus(r.Cases[1].Patches)
	res, err = poster(t, rcv.srv.URL, st, sl).Run(context.Background(), r)
	if err != nil || len(res.Sent) != 1 || res.Sent[0].Case != "CRM-9" || res.Sent[0].Status != Awaiting || res.Sent[0].Previous != Delivered {
		t.Fatalf("third run: %+v, %v; want CRM-9 delivered -> awaiting confirmation", res.Sent, err)
	}
}

// TestPostGivesUp: a receiver that keeps failing is tried a bounded
// number of times; nothing is recorded, so the next run sends it.
func TestPostGivesUp(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, map[int]string{1: "500", 2: "500", 3: "500"})
	st, sl := &store{}, &sleeps{}
	p := poster(t, rcv.srv.URL, st, sl)
	p.Webhook.MaxAttempts = 3
	res, err := p.Run(context.Background(), webhookReport())
	if !errors.Is(err, ErrDelivery) || !strings.Contains(err.Error(), "gave up after 3 tries") || !strings.Contains(err.Error(), "500") {
		t.Fatalf("Run = %v, want ErrDelivery after 3 tries naming the 500", err)
	}
	if len(res.Sent) != 0 || res.Left != 2 || st.saves != 0 {
		t.Fatalf("sent %d, left %d, saved %d; want nothing sent or saved, 2 left", len(res.Sent), res.Left, st.saves)
	}
	res, err = poster(t, rcv.srv.URL, st, sl).Run(context.Background(), webhookReport())
	if err != nil || len(res.Sent) != 2 {
		t.Fatalf("rerun: %+v, %v; want both sent", res, err)
	}
	if unique, repeats := rcv.byCase(); len(unique) != 2 || repeats != 0 {
		t.Errorf("received %v with %d repeats", unique, repeats)
	}
}

// TestPostStopsOnRefusal: a 4xx other than 429 is not retried.
func TestPostStopsOnRefusal(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"unknown case"}`, http.StatusUnprocessableEntity)
	}))
	defer srv.Close()
	st, sl := &store{}, &sleeps{}
	_, err := poster(t, srv.URL+"/hook?token=abc", st, sl).Run(context.Background(), webhookReport())
	if err == nil || !strings.Contains(err.Error(), "422") || !strings.Contains(err.Error(), "unknown case") || len(sl.d) != 0 {
		t.Fatalf("Run = %v after %v; want the 422 at once", err, sl.d)
	}
	if strings.Contains(err.Error(), "token=abc") {
		t.Errorf("the error shows the URL's query: %v", err)
	}
}

// TestPostCrashLosesNothing: a run killed between two deliveries leaves
// the record of the first; the next run sends only the rest.
func TestPostCrashLosesNothing(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, nil)
	st, sl := &store{}, &sleeps{}
	ctx, cancel := context.WithCancel(context.Background())
	p := poster(t, rcv.srv.URL, st, sl)
	p.Save = func(posted *Posted) error {
		err := st.save(posted)
		cancel() // killed right after the first record was written
		return err
	}
	res, err := p.Run(ctx, webhookReport())
	if err == nil || len(res.Sent) != 1 || res.Left != 1 {
		t.Fatalf("killed run: %+v, %v; want 1 sent, 1 left", res, err)
	}
	res, err = poster(t, rcv.srv.URL, st, sl).Run(context.Background(), webhookReport())
	if err != nil || len(res.Sent) != 1 || res.Sent[0].Case != "CRM-9" {
		t.Fatalf("next run: %+v, %v; want only CRM-9", res, err)
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.accepted) != 2 {
		t.Errorf("the receiver took %d deliveries, want 2", len(rcv.accepted))
	}
}

// TestPostIssues: a case that is a GitHub issue gets a comment with the
// evidence, and is closed when the case is; a lost answer to the comment
// does not make a second one.
func TestPostIssues(t *testing.T) {
	t.Parallel()
	gh := forgetest.New(t, "acme", "inventory")
	gh.Token = "t0ken"
	for range 4 {
		gh.AddIssue("", "earlier issue")
	}
	if n := gh.AddIssue("", "Login fails"); n != 5 {
		t.Fatalf("issue #%d, want #5", n)
	}
	sl := &sleeps{}
	client, err := forge.New(forge.Options{BaseURL: gh.URL, Token: "t0ken", Repo: "acme/inventory", Sleep: sl.sleep})
	if err != nil {
		t.Fatal(err)
	}
	r := fixture()
	r.Cases = r.Cases[2:] // acme/inventory#5, closed
	st := &store{}
	newPoster := func() *Poster {
		p := poster(t, "http://127.0.0.1:1/unused", st, sl)
		p.Issues = client
		return p
	}

	// GitHub made the comment, and the answer was lost.
	gh.Inject(forgetest.Fault{Method: "POST", Path: "/repos/acme/inventory/issues/5/comments", Status: 502, After: true})
	if _, err := newPoster().Run(context.Background(), r); !errors.Is(err, forge.ErrUnavailable) {
		t.Fatalf("Run = %v, want the 502", err)
	}
	res, err := newPoster().Run(context.Background(), r)
	if err != nil || len(res.Sent) != 1 || !res.Sent[0].Closed || res.Sent[0].To != ToGitHub {
		t.Fatalf("rerun: %+v, %v; want the issue closed", res, err)
	}
	is := gh.Issues()[4]
	if is.State != "closed" || is.StateReason != "completed" || len(is.Comments) != 1 {
		t.Fatalf("#5: %s (%s), %d comments; want closed (completed) with 1 comment", is.State, is.StateReason, len(is.Comments))
	}
	body := is.Comments[0].Body
	for _, want := range []string{"**patchline: closed**", "### PL-2026-0003: Login", "- Release: `v2026.3.2`", "| acme/production (`v2026.3.2`) |", "Max Kunde", "<!-- patchline-delivery: " + DeliveryID(r.Cases[0]) + " -->"} {
		if !strings.Contains(body, want) {
			t.Errorf("comment lacks %q:\n%s", want, body)
		}
	}
	// A note cannot mention people or close other issues.
	if strings.Contains(body, "Thanks, \"team\"!") && strings.Contains(body, "\n\"team") {
		t.Errorf("a note's line break reached the comment:\n%s", body)
	}

	gh.ResetCalls()
	res, err = newPoster().Run(context.Background(), r)
	if err != nil || len(res.Sent) != 0 || len(gh.Writes()) != 0 {
		t.Fatalf("third run: %+v, %v, writes %v; want nothing", res, err, gh.Writes())
	}
}

func TestIssueCommentEscapes(t *testing.T) {
	t.Parallel()
	c := Case{ID: "#1", Status: Awaiting, Patches: []CasePatch{{ID: "PL-2026-0001", Title: "fix @all <!-- x --> closes #2", Installs: []Delivery{{
		Site: "s", Env: "test", Release: "v1.0.1", AppliedAt: ts("2026-03-04T10:00:00Z"),
		Confirmations: []rollout.Confirmation{{By: "Max | admin", At: ts("2026-03-05T10:00:00Z"), Note: "ok\n\n# heading"}},
	}}}}}
	got := IssueComment("inventory", c)
	for _, bad := range []string{" @all", "<!--", "closes #2", "Max | admin", "\n# heading"} {
		if strings.Contains(got, bad) {
			t.Errorf("comment holds %q unescaped:\n%s", bad, got)
		}
	}
}

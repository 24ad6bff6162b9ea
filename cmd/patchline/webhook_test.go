package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/patchline/patchline/internal/cases"
)

type webhookKey struct{}

// receiver is a webhook receiver for `cases --post`: it checks each
// delivery's signature with the secret it was started with, keeps what
// it took, and fails requests as a script tells it.
type receiver struct {
	srv    *httptest.Server
	secret []byte

	mu       sync.Mutex
	faults   []string // for the next requests: a status, "hang" (no answer) or "lost" (taken, no answer)
	requests int
	log      []string
	release  chan struct{}
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.requests++
	fault := ""
	if len(r.faults) > 0 {
		fault, r.faults = r.faults[0], r.faults[1:]
	}
	r.mu.Unlock()
	var ev cases.Event
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	err := dec.Decode(&ev)
	var line string
	switch {
	case !cases.Verify(r.secret, body, req.Header.Get(cases.HeaderSignature)):
		line = "bad signature " + req.Header.Get(cases.HeaderSignature)
	case err != nil:
		line = "bad body: " + err.Error()
	case ev.Delivery != req.Header.Get(cases.HeaderDelivery):
		line = "delivery header " + req.Header.Get(cases.HeaderDelivery) + " is not the body's " + ev.Delivery
	}
	if line != "" {
		r.mu.Lock()
		r.log = append(r.log, line)
		r.mu.Unlock()
		http.Error(w, line, http.StatusUnauthorized)
		return
	}
	switch fault {
	case "", "lost":
	case "hang":
		<-r.release
		return
	default:
		status, _ := strconv.Atoi(fault)
		w.Header().Set("Retry-After", "0")
		http.Error(w, "injected", status)
		return
	}
	r.mu.Lock()
	repeat := ""
	for _, l := range r.log {
		if strings.Contains(l, ev.Delivery[:12]) {
			repeat = " repeat"
		}
	}
	r.log = append(r.log, fmt.Sprintf("%s %q -> %q %s%s", ev.Case.ID, ev.Previous, ev.Case.Status, ev.Delivery[:12], repeat))
	r.mu.Unlock()
	if fault == "lost" {
		<-r.release
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// cmdWebhook drives webhook receivers from a script:
//
//	webhook start NAME              start one; sets $NAME_URL. It checks the signature of
//	                                every delivery with $PATCHLINE_WEBHOOK_SECRET as set now
//	webhook fault NAME WHAT...      fail the next requests, one WHAT each: a status such
//	                                as 503, hang (never answer), lost (take it, never answer)
//	webhook deliveries NAME         print what it took: CASE "PREVIOUS" -> "STATUS" DELIVERY
//	                                (12 hex digits, "repeat" when the id came before), and
//	                                each request it refused, and why
//	webhook requests NAME           print how many requests came
func cmdWebhook(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: webhook start|fault|deliveries|requests NAME ...")
	}
	all := ts.Value(webhookKey{}).(map[string]*receiver)
	name := args[1]
	r := all[name]
	if args[0] != "start" && r == nil {
		ts.Fatalf("webhook %s: no receiver %s; run `webhook start %s` first", args[0], name, name)
	}
	switch args[0] {
	case "start":
		if r != nil {
			ts.Fatalf("webhook start: %s is already running", name)
		}
		r = &receiver{secret: []byte(ts.Getenv("PATCHLINE_WEBHOOK_SECRET")), release: make(chan struct{})}
		r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
		all[name] = r
		ts.Setenv(strings.ToUpper(name)+"_URL", r.srv.URL+"/hooks/patchline")
	case "fault":
		r.mu.Lock()
		r.faults = append(r.faults, args[2:]...)
		r.mu.Unlock()
	case "deliveries":
		r.mu.Lock()
		defer r.mu.Unlock()
		out := ts.Stdout()
		for _, l := range r.log {
			fmt.Fprintln(out, l)
		}
	case "requests":
		r.mu.Lock()
		defer r.mu.Unlock()
		fmt.Fprintln(ts.Stdout(), r.requests)
	default:
		ts.Fatalf("webhook: unknown subcommand %q", args[0])
	}
}

// setupWebhooks gives a script its receivers and stops them at its end.
func setupWebhooks(env *testscript.Env) {
	all := map[string]*receiver{}
	env.Values[webhookKey{}] = all
	env.Defer(func() {
		for _, r := range all {
			close(r.release)
			r.srv.Close()
		}
	})
}

// Package forgetest is a fake GitHub for tests: an httptest server that
// keeps a repository's state (branches, tags, notes, pull requests, reviews,
// statuses, files, branch protection, issues and their comments), answers
// the REST calls patchline makes, and checks every request and every
// answer against GitHub's published OpenAPI description. A request the
// description does not allow, one no handler serves, or a fault that was
// registered and never hit is a problem the test reports. What the git
// data API makes is kept as real git objects, served read-only at GitURL
// for a git fetch.
package forgetest

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Commit is a commit the fake knows, with the files tests care about.
type Commit struct {
	SHA     string
	Parents []string
	Author  string // GitHub login of the author, "" when GitHub matched none
	Message string
	Files   map[string]string

	madeUp bool // an id the fake invented, which no git repository has
}

// Review is a submitted review.
type Review struct {
	ID       int64
	User     string
	State    string
	CommitID string
	At       time.Time
}

// Pull is a pull request.
type Pull struct {
	Number         int
	Title, Body    string
	Head, Base     string
	HeadSHA        string
	BaseSHA        string
	State          string
	Author         string
	Merged         bool
	MergedAt       time.Time
	MergeCommit    string
	Labels         []string
	RequestedUsers []string
	RequestedTeams []string
	Reviews        []Review
	Created        time.Time
}

// Status is a commit status as set.
type Status struct {
	State, Context, Description, TargetURL string
}

// Fault makes the fake fail a request the way GitHub or the network can.
type Fault struct {
	Method, Path string // the request to fail; Path without the query
	Status       int    // the answer's status
	Header       map[string]string
	Body         string // JSON; a GitHub error message when empty
	// After serves the request first and then fails it, as when GitHub did
	// the work and the answer was lost.
	After bool
	// Drop closes the connection without an answer.
	Drop  bool
	Times int // how many requests it fails; 0 is 1
	hits  int
}

type tagObject struct {
	sha, name, message, target string
	date                       time.Time
}

// Server is the fake GitHub.
type Server struct {
	URL         string
	Owner, Name string
	Token       string // when set, requests must carry it; set before the first request
	ReadOnly    bool   // writes are refused with 403, as for a token without rights; see SetReadOnly
	Bot         string // the login the token acts as; set before the first request
	// GitURL is the repository as a git remote (read-only, git's dumb HTTP
	// protocol): `git fetch GitURL 'refs/notes/*:refs/notes/*'` brings back
	// what the API wrote.
	GitURL string
	// MaxPerPage is the most items one page of a list holds, whatever
	// per_page asks: GitHub's 100 when 0. A test sets it lower to see a
	// listing take several pages.
	MaxPerPage int

	spec *Spec
	srv  *httptest.Server

	mu        sync.Mutex
	refs      map[string]string // refs/heads/…, refs/tags/…, refs/notes/… -> sha
	tags      map[string]*tagObject
	commits   map[string]*Commit
	objects   map[string]*object     // git objects in git's encoding, by id
	protected map[string]*Protection // branch -> its protection rule
	pulls     []*Pull
	teams     map[string][]string // org/slug -> logins
	statuses  map[string][]Status
	faults    []*Fault
	calls     []string
	problems  []string
	issueSeq  int
	issues    map[string]*Issue // owner/name#N -> issue
	issueSeqs map[string]int    // another repository's issue numbers
	idSeq     int64
	clock     time.Time
}

// NewServer starts a fake GitHub holding the repository owner/name. Close
// it, and read Problems, when done; New does both for a test.
func NewServer(owner, name string) (*Server, error) {
	spec, err := LoadSpec()
	if err != nil {
		return nil, err
	}
	s := &Server{
		Owner: owner, Name: name, Bot: "github-actions[bot]", spec: spec,
		refs: map[string]string{}, tags: map[string]*tagObject{}, commits: map[string]*Commit{},
		teams: map[string][]string{}, statuses: map[string][]Status{},
		objects: map[string]*object{}, protected: map[string]*Protection{},
		clock: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC),
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + "/"
	s.GitURL = s.URL + "git/" + owner + "/" + name + ".git"
	return s, nil
}

// New starts a fake GitHub for a test; at the end of the test it fails the
// test with every problem the fake saw.
func New(t testing.TB, owner, name string) *Server {
	t.Helper()
	s, err := NewServer(owner, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		for _, p := range s.Problems() {
			t.Errorf("fake GitHub: %s", p)
		}
	})
	return s
}

// SetReadOnly makes writes fail with 403, as for a token without rights.
func (s *Server) SetReadOnly(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ReadOnly = on
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Spec is the OpenAPI description the server checks against.
func (s *Server) Spec() *Spec { return s.spec }

// Problems lists what went wrong: requests the description does not allow
// or no handler serves, answers that do not match the description, and
// faults registered but never hit.
func (s *Server) Problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.problems)
	for _, f := range s.faults {
		if want := max(f.Times, 1); f.hits < want {
			out = append(out, fmt.Sprintf("fault for %s %s registered for %d requests, hit %d", f.Method, f.Path, want, f.hits))
		}
	}
	return out
}

// Calls lists every request served, "METHOD /path?query".
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// ResetCalls forgets the calls so far.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// Writes lists the calls that were not GETs.
func (s *Server) Writes() []string {
	var out []string
	for _, c := range s.Calls() {
		if !strings.HasPrefix(c, "GET ") {
			out = append(out, c)
		}
	}
	return out
}

// Inject registers a fault.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// AddCommit records a commit; an empty SHA is made from its contents.
// Files not given are inherited from the first parent.
func (s *Server) AddCommit(c Commit) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addCommit(c)
}

func (s *Server) addCommit(c Commit) string {
	files := map[string]string{}
	if len(c.Parents) > 0 {
		if p, ok := s.commits[c.Parents[0]]; ok {
			for k, v := range p.Files {
				files[k] = v
			}
		}
	}
	for k, v := range c.Files {
		files[k] = v
	}
	c.Files = files
	if c.SHA == "" {
		c.madeUp = true
		s.idSeq++
		h := sha1.New()
		fmt.Fprintf(h, "%d\x00%v\x00%s\x00%s", s.idSeq, c.Parents, c.Author, c.Message)
		c.SHA = hex.EncodeToString(h.Sum(nil))
	}
	s.commits[c.SHA] = &c
	return c.SHA
}

// SetBranch points a branch at a commit, as a push does; open pull requests
// from the branch follow it.
func (s *Server) SetBranch(name, sha string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refs["refs/heads/"+name] = sha
	for _, p := range s.pulls {
		if p.State == "open" && p.Head == name {
			p.HeadSHA = sha
		}
	}
}

// Push adds a commit on a branch (creating the branch when new) and returns it.
func (s *Server) Push(branch, author, message string, files map[string]string) string {
	s.mu.Lock()
	var parents []string
	if tip, ok := s.refs["refs/heads/"+branch]; ok {
		parents = []string{tip}
	}
	sha := s.addCommit(Commit{Parents: parents, Author: author, Message: message, Files: files})
	s.mu.Unlock()
	s.SetBranch(branch, sha)
	return sha
}

// DeleteBranch removes a branch; as on GitHub, the open pull requests
// from it close.
func (s *Server) DeleteBranch(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.refs, "refs/heads/"+name)
	for _, p := range s.pulls {
		if p.State == "open" && p.Head == name {
			p.State = "closed"
		}
	}
}

// Branch returns a branch's commit.
func (s *Server) Branch(name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sha, ok := s.refs["refs/heads/"+name]
	return sha, ok
}

// Commit returns a recorded commit.
func (s *Server) Commit(sha string) (Commit, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.commits[sha]
	if !ok {
		return Commit{}, false
	}
	return *c, true
}

// Tag creates a lightweight tag.
func (s *Server) Tag(name, sha string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refs["refs/tags/"+name] = sha
}

// TagCommit returns the commit a tag names, through an annotated tag, and
// the annotated tag's message.
func (s *Server) TagCommit(name string) (commit, message string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sha, ok := s.refs["refs/tags/"+name]
	if !ok {
		return "", "", false
	}
	if t, ok := s.tags[sha]; ok {
		return t.target, t.message, true
	}
	return sha, "", true
}

// Refs lists every reference, sorted.
func (s *Server) Refs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for r := range s.refs {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// Team makes an organization team with members.
func (s *Server) Team(orgSlash string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.teams[orgSlash] = members
}

// Pulls returns copies of every pull request, by number.
func (s *Server) Pulls() []Pull {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Pull, len(s.pulls))
	for i, p := range s.pulls {
		out[i] = *p
		out[i].Labels = slices.Clone(p.Labels)
		out[i].Reviews = slices.Clone(p.Reviews)
	}
	return out
}

// OpenPull opens a pull request directly, as a person would in the web UI.
func (s *Server) OpenPull(head, base, author, title string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.newPull(head, base, author, title, "")
	return p.Number
}

func (s *Server) newPull(head, base, author, title, body string) *Pull {
	s.issueSeq++
	s.clock = s.clock.Add(time.Minute)
	p := &Pull{Number: s.issueSeq, Title: title, Body: body, Head: head, Base: base,
		HeadSHA: s.refs["refs/heads/"+head], BaseSHA: s.refs["refs/heads/"+base],
		State: "open", Author: author, Created: s.clock}
	s.pulls = append(s.pulls, p)
	return p
}

// Review submits a review on the pull request's current head commit.
func (s *Server) Review(number int, user, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pull(number)
	s.addReview(p, user, state, p.HeadSHA)
}

// ReviewOn submits a review on a given commit.
func (s *Server) ReviewOn(number int, user, state, commit string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addReview(s.pull(number), user, state, commit)
}

// Dismiss dismisses the user's latest approval or change request, as a
// maintainer does on the pull request: GitHub turns that review's state
// into DISMISSED and adds none.
func (s *Server) Dismiss(number int, user string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pull(number)
	for i := len(p.Reviews) - 1; i >= 0; i-- {
		if r := &p.Reviews[i]; r.User == user && (r.State == "APPROVED" || r.State == "CHANGES_REQUESTED") {
			r.State = "DISMISSED"
			return true
		}
	}
	return false
}

// HeadSHA is a pull request's head commit.
func (s *Server) HeadSHA(number int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pull(number).HeadSHA
}

func (s *Server) addReview(p *Pull, user, state, commit string) {
	s.idSeq++
	s.clock = s.clock.Add(time.Minute)
	p.Reviews = append(p.Reviews, Review{ID: 1000 + s.idSeq, User: user, State: state, CommitID: commit, At: s.clock})
	p.RequestedUsers = slices.DeleteFunc(p.RequestedUsers, func(u string) bool { return u == user })
}

func (s *Server) pull(number int) *Pull {
	for _, p := range s.pulls {
		if p.Number == number {
			return p
		}
	}
	panic(fmt.Sprintf("forgetest: no pull request #%d", number))
}

// Merge merges an open pull request with a merge commit, as the merge
// button does, and returns the merge commit. It panics where TryMerge
// returns an error.
func (s *Server) Merge(number int) string {
	sha, err := s.TryMerge(number, "")
	if err != nil {
		panic("forgetest: " + err.Error())
	}
	return sha
}

// TryMerge merges an open pull request with a merge commit, as the merge
// button does, and returns the merge commit; it refuses as GitHub does when
// the base branch's protection is not satisfied. tree, when not "", is the
// merged tree (a test computes it with `git merge-tree --write-tree`, as
// GitHub does on its side): the merge commit is then a real commit object
// that a fetch from GitURL brings back. Without it the merge commit is an
// id of the fake's own.
func (s *Server) TryMerge(number int, tree string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pull(number)
	if p.State != "open" {
		return "", fmt.Errorf("#%d is %s, not open", number, p.State)
	}
	if why := s.mergeRefusal(p); why != "" {
		return "", fmt.Errorf("#%d cannot merge into %s: merging is blocked: %s", number, p.Base, why)
	}
	base := s.refs["refs/heads/"+p.Base]
	head := s.commits[p.HeadSHA]
	files := map[string]string{}
	if head != nil {
		files = head.Files
	}
	s.clock = s.clock.Add(time.Minute)
	msg := fmt.Sprintf("Merge pull request #%d from %s/%s", number, s.Owner, p.Head)
	c := Commit{Parents: []string{base, p.HeadSHA}, Message: msg, Files: files}
	if tree != "" {
		sig := signature("GitHub", "noreply@github.com", s.clock)
		c.Message += "\n"
		c.SHA = s.store("commit", []byte(fmt.Sprintf("tree %s\nparent %s\nparent %s\nauthor %s\ncommitter %s\n\n%s", tree, base, p.HeadSHA, sig, sig, c.Message)))
	}
	sha := s.addCommit(c)
	s.refs["refs/heads/"+p.Base] = sha
	p.State, p.Merged, p.MergedAt, p.MergeCommit = "closed", true, s.clock, sha
	return sha, nil
}

// Statuses lists the statuses set on a commit, oldest first.
func (s *Server) Statuses(sha string) []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.statuses[sha])
}

// File returns a file at a branch.
func (s *Server) File(branch, path string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.commits[s.refs["refs/heads/"+branch]]
	if !ok {
		return "", false
	}
	f, ok := c.Files[path]
	return f, ok
}

// answer is a handler's reply.
type answer struct {
	status int
	body   any
}

func (s *Server) problem(format string, args ...any) {
	s.problems = append(s.problems, fmt.Sprintf(format, args...))
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if rest, ok := strings.CutPrefix(r.URL.Path, "/git/"+s.Owner+"/"+s.Name+".git/"); ok && r.Method == http.MethodGet {
		// git's own protocol, not the REST API: no description to check,
		// and not a call the tests count.
		s.serveGit(w, rest)
		return
	}
	call := r.Method + " " + r.URL.EscapedPath()
	if q := r.URL.Query(); len(q) > 0 {
		call += "?" + q.Encode()
	}
	s.calls = append(s.calls, call)

	path := r.URL.Path
	op, params, ok := s.spec.Match(r.Method, path)
	if !ok {
		s.problem("%s: no operation in the OpenAPI description matches", call)
		writeJSON(w, http.StatusNotFound, errorBody("Not Found"))
		return
	}
	for _, p := range s.spec.CheckRequest(op, params, r.URL.Query(), body) {
		s.problem("%s (%s): %s", call, op, p)
	}
	if s.Token != "" && r.Header.Get("Authorization") != "Bearer "+s.Token {
		writeJSON(w, http.StatusUnauthorized, errorBody("Bad credentials"))
		return
	}
	fault := s.fault(r.Method, path)
	if fault != nil && fault.Drop && !fault.After {
		drop(w)
		return
	}
	if fault != nil && !fault.After {
		s.writeFault(w, fault)
		return
	}
	// A repository that does not exist, or that the token cannot see, is a
	// 404 on every operation, documented or not.
	if owner, repo := params["owner"], params["repo"]; owner != "" && (owner != s.Owner || repo != s.Name) && !s.knowsIssues(owner, repo, op) {
		writeJSON(w, http.StatusNotFound, errorBody("Not Found"))
		return
	}
	if s.ReadOnly && r.Method != http.MethodGet {
		writeJSON(w, http.StatusForbidden, errorBody("Resource not accessible by integration"))
		return
	}
	var v any
	if len(bytes.TrimSpace(body)) > 0 {
		_ = json.Unmarshal(body, &v)
	}
	in, _ := v.(map[string]any)
	a := s.handle(op, params, r.URL.Query(), in, v)
	if fault != nil {
		if fault.Drop {
			drop(w)
			return
		}
		s.writeFault(w, fault)
		return
	}
	s.reply(w, op, call, s.paginate(w, r.URL, op, a))
}

// paginate cuts a list answer to the page asked for, as GitHub does:
// per_page items (30 unless asked), and a Link header naming the next and
// last pages after it and the first and previous before it.
func (s *Server) paginate(w http.ResponseWriter, u *url.URL, op *Operation, a answer) answer {
	items, ok := a.body.([]any)
	if !ok || a.status != http.StatusOK || !op.Paginated() {
		return a
	}
	q := u.Query()
	size := 30
	if n, err := strconv.Atoi(q.Get("per_page")); err == nil && n > 0 {
		size = n
	}
	maxSize := s.MaxPerPage
	if maxSize <= 0 {
		maxSize = 100
	}
	size = min(size, maxSize)
	page := 1
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 {
		page = n
	}
	last := max(1, (len(items)+size-1)/size)
	var links []string
	link := func(n int, rel string) {
		q.Set("page", strconv.Itoa(n))
		links = append(links, fmt.Sprintf(`<%s?%s>; rel="%s"`, s.apiURL(strings.TrimPrefix(u.Path, "/")), q.Encode(), rel))
	}
	if page < last {
		link(page+1, "next")
		link(last, "last")
	}
	if page > 1 {
		link(1, "first")
		link(page-1, "prev")
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	lo := min((page-1)*size, len(items))
	return answer{a.status, items[lo:min(lo+size, len(items))]}
}

func (s *Server) reply(w http.ResponseWriter, op *Operation, call string, a answer) {
	data, err := json.Marshal(a.body)
	if err != nil {
		s.problem("%s: encode answer: %v", call, err)
	}
	if a.body == nil {
		data = nil
	}
	for _, p := range s.spec.CheckResponse(op, a.status, data) {
		s.problem("%s (%s) answer: %s", call, op, p)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(a.status)
	w.Write(data)
}

func (s *Server) fault(method, path string) *Fault {
	for _, f := range s.faults {
		if f.Method == method && f.Path == path && f.hits < max(f.Times, 1) {
			f.hits++
			return f
		}
	}
	return nil
}

func (s *Server) writeFault(w http.ResponseWriter, f *Fault) {
	for k, v := range f.Header {
		w.Header().Set(k, v)
	}
	body := f.Body
	if body == "" {
		msg := http.StatusText(f.Status)
		if f.Status == http.StatusForbidden || f.Status == http.StatusTooManyRequests {
			msg = "API rate limit exceeded"
		}
		data, _ := json.Marshal(errorBody(msg))
		body = string(data)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(f.Status)
	io.WriteString(w, body)
}

func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("forgetest: cannot drop the connection")
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		conn.Close()
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func errorBody(msg string) map[string]any {
	return map[string]any{"message": msg, "documentation_url": "https://docs.github.com/rest", "status": "0"}
}

func validationFailed(msg string, errs ...map[string]any) answer {
	body := map[string]any{"message": msg, "documentation_url": "https://docs.github.com/rest"}
	if len(errs) > 0 {
		list := make([]any, len(errs))
		for i, e := range errs {
			list[i] = e
		}
		body["errors"] = list
	}
	return answer{http.StatusUnprocessableEntity, body}
}

func (s *Server) handle(op *Operation, p map[string]string, q url.Values, in map[string]any, raw any) answer {
	str := func(k string) string { v, _ := in[k].(string); return v }
	if a, ok := s.handleIssue(op, p, in); ok {
		return a
	}
	switch op.String() {
	case "GET /repos/{owner}/{repo}/git/ref/{ref}":
		sha, ok := s.refs["refs/"+p["ref"]]
		if !ok {
			return answer{http.StatusNotFound, errorBody("Not Found")}
		}
		return answer{http.StatusOK, s.refJSON("refs/"+p["ref"], sha)}

	case "POST /repos/{owner}/{repo}/git/refs":
		ref, sha := str("ref"), str("sha")
		if !strings.HasPrefix(ref, "refs/") || strings.Count(ref, "/") < 2 {
			return validationFailed("Reference name is invalid")
		}
		if _, ok := s.refs[ref]; ok {
			return validationFailed("Reference already exists")
		}
		if _, ok := s.commits[sha]; !ok {
			if _, ok := s.tags[sha]; !ok {
				return validationFailed("Object does not exist")
			}
		}
		s.refs[ref] = sha
		return answer{http.StatusCreated, s.refJSON(ref, sha)}

	case "GET /repos/{owner}/{repo}/git/matching-refs/{ref}":
		var names []string
		for r := range s.refs {
			if strings.HasPrefix(r, "refs/"+p["ref"]) {
				names = append(names, r)
			}
		}
		sort.Strings(names)
		out := []any{}
		for _, r := range names {
			out = append(out, s.refJSON(r, s.refs[r]))
		}
		return answer{http.StatusOK, out}

	case "GET /repos/{owner}/{repo}/git/tags/{tag_sha}":
		t, ok := s.tags[p["tag_sha"]]
		if !ok {
			return answer{http.StatusNotFound, errorBody("Not Found")}
		}
		return answer{http.StatusOK, s.tagJSON(t)}

	case "POST /repos/{owner}/{repo}/git/tags":
		if _, ok := s.commits[str("object")]; !ok {
			return validationFailed("Object does not exist")
		}
		// A real tag object, tagged by the token's bot now, as GitHub makes
		// it when the request names no tagger.
		s.clock = s.clock.Add(time.Minute)
		t := &tagObject{name: str("tag"), message: str("message"), target: str("object"), date: s.clock}
		t.sha = s.store("tag", []byte(fmt.Sprintf("object %s\ntype commit\ntag %s\ntagger %s\n\n%s",
			t.target, t.name, signature(s.Bot, s.botEmail(), t.date), t.message)))
		s.tags[t.sha] = t
		return answer{http.StatusCreated, s.tagJSON(t)}

	case "PATCH /repos/{owner}/{repo}/git/refs/{ref}":
		ref, sha := "refs/"+p["ref"], str("sha")
		old, ok := s.refs[ref]
		if !ok {
			return validationFailed("Reference does not exist")
		}
		if branch, isBranch := strings.CutPrefix(ref, "refs/heads/"); isBranch {
			if why := s.directRefusal(branch, sha); why != "" {
				// What a push gets as GH006, in the API's validation error.
				return answer{http.StatusUnprocessableEntity, map[string]any{
					"message":           "Protected branch update failed for " + ref + ". " + why,
					"documentation_url": protectedDocs,
				}}
			}
		}
		if _, ok := s.commits[sha]; !ok {
			if _, ok := s.tags[sha]; !ok {
				return validationFailed("Object does not exist")
			}
		}
		if force, _ := in["force"].(bool); !force && old != sha && !s.descends(sha, old) {
			return validationFailed("Update is not a fast forward")
		}
		s.refs[ref] = sha
		if branch, isBranch := strings.CutPrefix(ref, "refs/heads/"); isBranch {
			for _, pr := range s.pulls {
				if pr.State == "open" && pr.Head == branch {
					pr.HeadSHA = sha
				}
			}
		}
		return answer{http.StatusOK, s.refJSON(ref, sha)}

	case "POST /repos/{owner}/{repo}/git/blobs":
		content := []byte(str("content"))
		switch enc := str("encoding"); enc {
		case "", "utf-8":
		case "base64":
			data, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(str("content"), "\n", ""))
			if err != nil {
				return validationFailed("content is not valid Base64")
			}
			content = data
		default:
			return validationFailed("encoding must be utf-8 or base64, not " + enc)
		}
		sha := s.store("blob", content)
		return answer{http.StatusCreated, map[string]any{"sha": sha, "url": s.apiURL("repos/" + s.Owner + "/" + s.Name + "/git/blobs/" + sha)}}

	case "GET /repos/{owner}/{repo}/git/blobs/{file_sha}":
		data, ok := s.object(p["file_sha"], "blob")
		if !ok {
			return answer{http.StatusNotFound, errorBody("Not Found")}
		}
		return answer{http.StatusOK, s.blobJSON(p["file_sha"], data)}

	case "POST /repos/{owner}/{repo}/git/trees":
		base := str("base_tree")
		if base != "" {
			if _, ok := s.object(base, "tree"); !ok {
				return validationFailed("base_tree is not a valid tree oid")
			}
		}
		items, _ := in["tree"].([]any)
		tree := base
		if tree == "" {
			tree = s.store("tree", nil)
		}
		for _, it := range items {
			e, _ := it.(map[string]any)
			path, _ := e["path"].(string)
			mode, _ := e["mode"].(string)
			sha, _ := e["sha"].(string)
			if content, ok := e["content"].(string); ok {
				if sha != "" {
					return validationFailed("Must supply either tree.sha or tree.content, not both")
				}
				sha = s.store("blob", []byte(content))
			}
			parts := strings.Split(path, "/")
			if path == "" || slices.Contains(parts, "") || slices.Contains(parts, ".") || slices.Contains(parts, "..") {
				return validationFailed("tree.path contains a malformed path component")
			}
			entry := treeEntry{mode: strings.TrimPrefix(mode, "0"), sha: sha}
			if sha != "" {
				if _, ok := s.objects[sha]; !ok && entry.kind() != "commit" {
					return validationFailed("tree.sha " + sha + " is not a valid " + entry.kind())
				}
			}
			var err error
			if tree, err = s.editTree(tree, parts, entry); err != nil {
				return validationFailed(err.Error())
			}
		}
		return answer{http.StatusCreated, s.treeJSON(tree, false)}

	case "GET /repos/{owner}/{repo}/git/trees/{tree_sha}":
		id := p["tree_sha"]
		if data, ok := s.object(id, "commit"); ok {
			id = parseCommit(data).tree
		}
		if _, ok := s.object(id, "tree"); !ok {
			return answer{http.StatusNotFound, errorBody("Not Found")}
		}
		return answer{http.StatusOK, s.treeJSON(id, q.Get("recursive") != "")}

	case "POST /repos/{owner}/{repo}/git/commits":
		tree := str("tree")
		if _, ok := s.object(tree, "tree"); !ok {
			return validationFailed("Tree SHA does not exist")
		}
		var parents []string
		list, _ := in["parents"].([]any)
		for _, v := range list {
			sha, _ := v.(string)
			if _, ok := s.commits[sha]; !ok {
				return validationFailed("Parent SHA does not exist or is not a commit object")
			}
			parents = append(parents, sha)
		}
		s.clock = s.clock.Add(time.Minute)
		sig := func(key string) string {
			who, _ := in[key].(map[string]any)
			name, _ := who["name"].(string)
			email, _ := who["email"].(string)
			if name == "" {
				return signature(s.Bot, s.botEmail(), s.clock)
			}
			when := s.clock
			if d, ok := who["date"].(string); ok {
				if t, err := time.Parse(time.RFC3339, d); err == nil {
					when = t
				}
			}
			return signature(name, email, when)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "tree %s\n", tree)
		for _, p := range parents {
			fmt.Fprintf(&b, "parent %s\n", p)
		}
		author := sig("author")
		committer := author
		if _, ok := in["committer"]; ok {
			committer = sig("committer")
		}
		fmt.Fprintf(&b, "author %s\ncommitter %s\n\n%s", author, committer, str("message"))
		sha := s.store("commit", []byte(b.String()))
		s.addCommit(Commit{SHA: sha, Parents: parents, Author: s.Bot, Message: str("message")})
		return answer{http.StatusCreated, s.gitCommitObjectJSON(sha)}

	case "GET /repos/{owner}/{repo}/git/commits/{commit_sha}":
		sha := p["commit_sha"]
		if _, ok := s.object(sha, "commit"); !ok {
			if _, known := s.commits[sha]; known {
				s.problem("GET git/commits/%s: the fake holds no git object for this commit (pushed, or merged without a tree)", sha)
			}
			return answer{http.StatusNotFound, errorBody("Not Found")}
		}
		return answer{http.StatusOK, s.gitCommitObjectJSON(sha)}

	case "GET /repos/{owner}/{repo}/pulls":
		state := q.Get("state")
		if state == "" {
			state = "open"
		}
		out := []any{}
		for i := len(s.pulls) - 1; i >= 0; i-- { // newest first, as GitHub sorts by default
			pr := s.pulls[i]
			if state != "all" && pr.State != state {
				continue
			}
			if h := q.Get("head"); h != "" && h != s.Owner+":"+pr.Head {
				continue
			}
			if b := q.Get("base"); b != "" && b != pr.Base {
				continue
			}
			out = append(out, s.pullJSON(pr, "pull-request-simple"))
		}
		return answer{http.StatusOK, out}

	case "POST /repos/{owner}/{repo}/pulls":
		head, base := str("head"), str("base")
		head = strings.TrimPrefix(head, s.Owner+":")
		var errs []map[string]any
		if _, ok := s.refs["refs/heads/"+head]; !ok {
			errs = append(errs, map[string]any{"resource": "PullRequest", "field": "head", "code": "invalid"})
		}
		if _, ok := s.refs["refs/heads/"+base]; !ok {
			errs = append(errs, map[string]any{"resource": "PullRequest", "field": "base", "code": "invalid"})
		}
		if len(errs) > 0 {
			return validationFailed("Validation Failed", errs...)
		}
		for _, pr := range s.pulls {
			if pr.State == "open" && pr.Head == head && pr.Base == base {
				return validationFailed("Validation Failed", map[string]any{"resource": "PullRequest", "code": "custom",
					"message": "A pull request already exists for " + s.Owner + ":" + head + "."})
			}
		}
		pr := s.newPull(head, base, s.Bot, str("title"), str("body"))
		return answer{http.StatusCreated, s.pullJSON(pr, "pull-request")}

	case "GET /repos/{owner}/{repo}/pulls/{pull_number}":
		pr := s.findPull(p["pull_number"])
		if pr == nil {
			return answer{http.StatusNotFound, errorBody("Not Found")}
		}
		return answer{http.StatusOK, s.pullJSON(pr, "pull-request")}

	case "PATCH /repos/{owner}/{repo}/pulls/{pull_number}":
		pr := s.findPull(p["pull_number"])
		if pr == nil {
			return answer{http.StatusNotFound, errorBody("Not Found")}
		}
		if b, ok := in["base"].(string); ok {
			if _, exists := s.refs["refs/heads/"+b]; !exists {
				return validationFailed("Validation Failed", map[string]any{"resource": "PullRequest", "field": "base", "code": "invalid"})
			}
			pr.Base = b
		}
		if t, ok := in["title"].(string); ok {
			pr.Title = t
		}
		if b, ok := in["body"].(string); ok {
			pr.Body = b
		}
		return answer{http.StatusOK, s.pullJSON(pr, "pull-request")}

	case "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews":
		pr := s.findPull(p["pull_number"])
		if pr == nil {
			return answer{http.StatusNotFound, errorBody("Not Found")}
		}
		out := []any{}
		for _, rv := range pr.Reviews {
			out = append(out, s.reviewJSON(pr, rv))
		}
		return answer{http.StatusOK, out}

	case "GET /repos/{owner}/{repo}/pulls/{pull_number}/commits":
		pr := s.findPull(p["pull_number"])
		if pr == nil {
			return answer{http.StatusNotFound, errorBody("Not Found")}
		}
		out := []any{}
		for _, c := range s.pullCommits(pr) {
			out = append(out, s.commitJSON(c))
		}
		return answer{http.StatusOK, out}

	case "POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers":
		pr := s.findPull(p["pull_number"])
		if pr == nil {
			return answer{http.StatusNotFound, errorBody("Not Found")}
		}
		users, _ := in["reviewers"].([]any)
		teams, _ := in["team_reviewers"].([]any)
		for _, u := range users {
			if u == pr.Author {
				return validationFailed("Review cannot be requested from pull request author.")
			}
		}
		for _, t := range teams {
			if _, ok := s.teams[s.Owner+"/"+fmt.Sprint(t)]; !ok {
				return validationFailed("Reviews may only be requested from collaborators. One or more of the teams you specified is not a collaborator of the " + s.Owner + "/" + s.Name + " repository.")
			}
		}
		for _, u := range users {
			if !slices.Contains(pr.RequestedUsers, fmt.Sprint(u)) {
				pr.RequestedUsers = append(pr.RequestedUsers, fmt.Sprint(u))
			}
		}
		for _, t := range teams {
			if !slices.Contains(pr.RequestedTeams, fmt.Sprint(t)) {
				pr.RequestedTeams = append(pr.RequestedTeams, fmt.Sprint(t))
			}
		}
		return answer{http.StatusCreated, s.pullJSON(pr, "pull-request-simple")}

	case "POST /repos/{owner}/{repo}/issues/{issue_number}/labels":
		pr := s.findPull(p["issue_number"])
		if pr == nil {
			return answer{http.StatusNotFound, errorBody("Not Found")}
		}
		var names []any
		switch v := raw.(type) {
		case []any:
			names = v
		case map[string]any:
			names, _ = v["labels"].([]any)
		}
		for _, n := range names {
			if !slices.Contains(pr.Labels, fmt.Sprint(n)) {
				pr.Labels = append(pr.Labels, fmt.Sprint(n))
			}
		}
		out := []any{}
		for _, l := range pr.Labels {
			out = append(out, s.labelJSON(l))
		}
		return answer{http.StatusOK, out}

	case "POST /repos/{owner}/{repo}/statuses/{sha}":
		sha := p["sha"]
		if _, ok := s.commits[sha]; !ok {
			return validationFailed("No commit found for SHA: " + sha)
		}
		st := Status{State: str("state"), Context: str("context"), Description: str("description"), TargetURL: str("target_url")}
		if st.Context == "" {
			st.Context = "default"
		}
		if len([]rune(st.Description)) > 140 {
			return validationFailed("Validation Failed", map[string]any{"resource": "Status", "field": "description", "code": "custom",
				"message": "description is too long (maximum is 140 characters)"})
		}
		s.statuses[sha] = append(s.statuses[sha], st)
		return answer{http.StatusCreated, s.statusJSON(sha, st)}

	case "GET /repos/{owner}/{repo}/contents/{path}":
		c := s.commitAt(q.Get("ref"))
		if c == nil {
			return answer{http.StatusNotFound, errorBody("No commit found for the ref " + q.Get("ref"))}
		}
		content, ok := c.Files[p["path"]]
		if !ok {
			return answer{http.StatusNotFound, errorBody("Not Found")}
		}
		return answer{http.StatusOK, s.contentJSON(p["path"], content)}

	case "PUT /repos/{owner}/{repo}/contents/{path}":
		branch := str("branch")
		tip, ok := s.refs["refs/heads/"+branch]
		if !ok {
			return answer{http.StatusNotFound, errorBody("Branch " + branch + " not found")}
		}
		data, err := base64.StdEncoding.DecodeString(str("content"))
		if err != nil {
			return validationFailed("content is not valid Base64")
		}
		old, exists := s.commits[tip].Files[p["path"]]
		if why := s.directRefusal(branch, ""); why != "" {
			verb := "create"
			if exists {
				verb = "update"
			}
			return answer{http.StatusConflict, map[string]any{"message": "Could not " + verb + " file: " + why, "documentation_url": protectedDocs}}
		}
		if exists && blobSHA(old) != str("sha") {
			return answer{http.StatusConflict, errorBody(p["path"] + " does not match " + str("sha"))}
		}
		if !exists && str("sha") != "" {
			return answer{http.StatusConflict, errorBody(p["path"] + " does not exist")}
		}
		sha := s.addCommit(Commit{Parents: []string{tip}, Author: s.Bot, Message: str("message"), Files: map[string]string{p["path"]: string(data)}})
		s.refs["refs/heads/"+branch] = sha
		out := map[string]any{"content": s.contentJSON(p["path"], string(data)), "commit": s.gitCommitJSON(sha)}
		return answer{http.StatusOK, out}

	case "GET /orgs/{org}/teams/{team_slug}/memberships/{username}":
		members, ok := s.teams[p["org"]+"/"+p["team_slug"]]
		if !ok || !slices.Contains(members, p["username"]) {
			return answer{http.StatusNotFound, nil}
		}
		m := s.spec.Instance("team-membership")
		m["state"], m["role"], m["url"] = "active", "member", s.apiURL("orgs/"+p["org"]+"/teams/"+p["team_slug"]+"/memberships/"+p["username"])
		return answer{http.StatusOK, m}
	}
	s.problem("%s: the fake has no handler for this operation", op)
	return answer{http.StatusNotFound, errorBody("Not Found")}
}

func (s *Server) findPull(num string) *Pull {
	n, _ := strconv.Atoi(num)
	for _, p := range s.pulls {
		if p.Number == n {
			return p
		}
	}
	return nil
}

// commitAt resolves a branch name or a commit id; "" is the main branch.
func (s *Server) commitAt(ref string) *Commit {
	if ref == "" {
		ref = "main"
	}
	if sha, ok := s.refs["refs/heads/"+ref]; ok {
		return s.commits[sha]
	}
	return s.commits[ref]
}

// pullCommits walks the head back to the first commit the base has.
func (s *Server) pullCommits(pr *Pull) []*Commit {
	onBase := map[string]bool{}
	for sha := pr.BaseSHA; sha != ""; {
		onBase[sha] = true
		c := s.commits[sha]
		if c == nil || len(c.Parents) == 0 {
			break
		}
		sha = c.Parents[0]
	}
	var out []*Commit
	for sha := pr.HeadSHA; sha != "" && !onBase[sha]; {
		c := s.commits[sha]
		if c == nil {
			break
		}
		out = append(out, c)
		if len(c.Parents) == 0 {
			break
		}
		sha = c.Parents[0]
	}
	slices.Reverse(out)
	return out
}

func blobSHA(content string) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00%s", len(content), content)
	return hex.EncodeToString(h.Sum(nil))
}

func (s *Server) apiURL(p string) string {
	return strings.TrimSuffix(s.URL, "/") + "/" + p
}

func (s *Server) htmlURL(p string) string {
	return "https://github.com/" + s.Owner + "/" + s.Name + "/" + p
}

func (s *Server) userJSON(login string) map[string]any {
	u := s.spec.Instance("simple-user")
	u["login"], u["type"] = login, "User"
	if strings.HasSuffix(login, "[bot]") {
		u["type"] = "Bot"
	}
	u["html_url"] = "https://github.com/" + login
	return u
}

func (s *Server) refJSON(ref, sha string) map[string]any {
	r := s.spec.Instance("git-ref")
	kind := "commit"
	if _, ok := s.tags[sha]; ok {
		kind = "tag"
	}
	r["ref"], r["url"] = ref, s.apiURL("repos/"+s.Owner+"/"+s.Name+"/git/"+ref)
	r["object"] = map[string]any{"type": kind, "sha": sha, "url": s.apiURL("repos/" + s.Owner + "/" + s.Name + "/git/" + kind + "s/" + sha)}
	return r
}

func (s *Server) tagJSON(t *tagObject) map[string]any {
	v := s.spec.Instance("git-tag")
	v["sha"], v["tag"], v["message"] = t.sha, t.name, t.message
	v["object"] = map[string]any{"type": "commit", "sha": t.target, "url": s.apiURL("repos/" + s.Owner + "/" + s.Name + "/git/commits/" + t.target)}
	v["tagger"] = map[string]any{"name": s.Bot, "email": s.botEmail(), "date": t.date.Format(time.RFC3339)}
	return v
}

func (s *Server) labelJSON(name string) map[string]any {
	l := s.spec.Instance("label")
	l["name"], l["color"], l["description"] = name, "ededed", ""
	l["url"] = s.apiURL("repos/" + s.Owner + "/" + s.Name + "/labels/" + url.PathEscape(name))
	return l
}

func (s *Server) pullJSON(pr *Pull, schema string) map[string]any {
	v := s.spec.Instance(schema)
	v["number"], v["id"] = pr.Number, pr.Number
	v["state"], v["title"], v["body"] = pr.State, pr.Title, pr.Body
	v["html_url"] = s.htmlURL("pull/" + strconv.Itoa(pr.Number))
	v["url"] = s.apiURL("repos/" + s.Owner + "/" + s.Name + "/pulls/" + strconv.Itoa(pr.Number))
	v["user"] = s.userJSON(pr.Author)
	v["created_at"], v["updated_at"] = pr.Created.Format(time.RFC3339), pr.Created.Format(time.RFC3339)
	for _, side := range []struct{ key, ref, sha string }{{"head", pr.Head, pr.HeadSHA}, {"base", pr.Base, pr.BaseSHA}} {
		b, _ := v[side.key].(map[string]any)
		b["ref"], b["sha"], b["label"] = side.ref, side.sha, s.Owner+":"+side.ref
		b["user"] = s.userJSON(s.Owner)
	}
	labels := []any{}
	for _, l := range pr.Labels {
		labels = append(labels, s.labelJSON(l))
	}
	v["labels"] = labels
	users := []any{}
	for _, u := range pr.RequestedUsers {
		users = append(users, s.userJSON(u))
	}
	v["requested_reviewers"] = users
	teams := []any{}
	for _, t := range pr.RequestedTeams {
		team := s.spec.Instance("team")
		team["slug"], team["name"] = t, t
		teams = append(teams, team)
	}
	v["requested_teams"] = teams
	if pr.Merged {
		v["merged_at"] = pr.MergedAt.Format(time.RFC3339)
		v["closed_at"] = pr.MergedAt.Format(time.RFC3339)
		v["merge_commit_sha"] = pr.MergeCommit
	}
	if schema == "pull-request" {
		v["merged"] = pr.Merged
	}
	return v
}

func (s *Server) reviewJSON(pr *Pull, rv Review) map[string]any {
	v := s.spec.Instance("pull-request-review")
	url := s.htmlURL("pull/" + strconv.Itoa(pr.Number) + "#pullrequestreview-" + strconv.FormatInt(rv.ID, 10))
	v["id"], v["user"], v["state"], v["commit_id"] = rv.ID, s.userJSON(rv.User), rv.State, rv.CommitID
	v["html_url"], v["submitted_at"] = url, rv.At.Format(time.RFC3339)
	v["author_association"] = "MEMBER"
	v["_links"] = map[string]any{"html": map[string]any{"href": url}, "pull_request": map[string]any{"href": s.htmlURL("pull/" + strconv.Itoa(pr.Number))}}
	return v
}

func (s *Server) commitJSON(c *Commit) map[string]any {
	v := s.spec.Instance("commit")
	v["sha"] = c.SHA
	if c.Author != "" {
		v["author"] = s.userJSON(c.Author)
	}
	if inner, ok := v["commit"].(map[string]any); ok {
		inner["message"] = c.Message
	}
	return v
}

func (s *Server) gitCommitJSON(sha string) map[string]any {
	// file-commit's commit object: every property is optional.
	return map[string]any{"sha": sha, "message": s.commits[sha].Message}
}

func (s *Server) contentJSON(path, content string) map[string]any {
	v := s.spec.Instance("content-file")
	name := path[strings.LastIndex(path, "/")+1:]
	v["type"], v["encoding"], v["name"], v["path"] = "file", "base64", name, path
	v["content"], v["sha"], v["size"] = base64.StdEncoding.EncodeToString([]byte(content)), blobSHA(content), len(content)
	api := s.apiURL("repos/" + s.Owner + "/" + s.Name + "/contents/" + path)
	git := s.apiURL("repos/" + s.Owner + "/" + s.Name + "/git/blobs/" + blobSHA(content))
	html := s.htmlURL("blob/main/" + path)
	v["url"], v["git_url"], v["html_url"], v["download_url"] = api, git, html, "https://raw.githubusercontent.com/"+s.Owner+"/"+s.Name+"/main/"+path
	v["_links"] = map[string]any{"self": api, "git": git, "html": html}
	return v
}

func (s *Server) statusJSON(sha string, st Status) map[string]any {
	v := s.spec.Instance("status")
	v["state"], v["context"] = st.State, st.Context
	v["description"] = st.Description
	if st.TargetURL != "" {
		v["target_url"] = st.TargetURL
	}
	v["creator"] = s.userJSON(s.Bot)
	v["created_at"], v["updated_at"] = s.clock.Format(time.RFC3339), s.clock.Format(time.RFC3339)
	return v
}

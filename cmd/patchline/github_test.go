package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/patchline/patchline/internal/forge/forgetest"
)

// TestGitHubScripts runs the scripts that talk to GitHub (pr_*, gate_*)
// against forgetest's fake, which checks every request and answer against
// GitHub's OpenAPI description, and those that attack patchline with a
// hostile or listening server (github_*, demo_offline). TestScripts skips
// them: they start with [!github] skip.
func TestGitHubScripts(t *testing.T) {
	t.Parallel()
	var files []string
	for _, pattern := range []string{"pr_*.txtar", "gate_*.txtar", "github_*.txtar", "demo_offline.txtar"} {
		m, err := filepath.Glob(filepath.Join("testdata", "script", pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no pr_* or gate_* scripts")
	}
	testscript.Run(t, testscript.Params{
		Files:               files,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			if err := setupScript(env); err != nil {
				return err
			}
			h := &fakeHolder{}
			env.Values[fakeKey{}] = h
			sniffers := map[string]*sniffer{}
			env.Values[snifferKey{}] = sniffers
			env.Defer(func() {
				for _, s := range sniffers {
					s.srv.Close()
				}
				if h.srv == nil {
					return
				}
				h.srv.Close()
				if p := h.srv.Problems(); len(p) > 0 {
					env.T().Fatal("fake GitHub:\n\t" + strings.Join(p, "\n\t"))
				}
			})
			return nil
		},
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"exits":  cmdExits,
			"github": cmdGitHub,
			"sniff":  cmdSniff,
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "github":
				return true, nil
			case "git":
				_, err := exec.LookPath("git")
				return err == nil, nil
			}
			return false, nil
		},
	})
}

type fakeKey struct{}

type fakeHolder struct {
	srv *forgetest.Server
}

const fakeToken = "ghs_fake"

// cmdGitHub drives the fake GitHub from a script:
//
//	github start OWNER/REPO          start it; sets GITHUB_API_URL, GITHUB_TOKEN, GITHUB_REPOSITORY
//	github push REF...               mirror local branches or tags (and patches/ at their tips)
//	github delete-branch BRANCH
//	github team ORG/SLUG LOGIN...
//	github readonly [off]            writes get 403, as for a token without rights
//	github fault METHOD PATH STATUS [after] [drop] [times=N] [Header=Value...]
//	github review N LOGIN approve|request-changes|comment [COMMIT]
//	github review N LOGIN dismiss    dismiss LOGIN's latest approval or change request
//	github head N                    sets $HEAD to the pull request's head commit
//	github merge N                   merge with a merge commit; sets $MERGE
//	github pulls | body N | statuses N | file BRANCH PATH | commit BRANCH | tag NAME | refs | writes | reset-calls
//	github check                     no problem so far
func cmdGitHub(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: github SUBCOMMAND [args...]")
	}
	h := ts.Value(fakeKey{}).(*fakeHolder)
	if args[0] != "start" && h.srv == nil {
		ts.Fatalf("github %s: run `github start OWNER/REPO` first", args[0])
	}
	s := h.srv
	out := ts.Stdout()
	switch args[0] {
	case "start":
		owner, name, ok := strings.Cut(argAt(ts, args, 1), "/")
		if !ok {
			ts.Fatalf("github start OWNER/REPO")
		}
		if h.srv != nil {
			h.srv.Close()
			if p := h.srv.Problems(); len(p) > 0 {
				ts.Fatalf("fake GitHub:\n\t%s", strings.Join(p, "\n\t"))
			}
		}
		srv, err := forgetest.NewServer(owner, name)
		ts.Check(err)
		srv.Token = fakeToken
		h.srv = srv
		ts.Setenv("GITHUB_API_URL", srv.URL)
		ts.Setenv("GITHUB_TOKEN", fakeToken)
		ts.Setenv("GITHUB_REPOSITORY", owner+"/"+name)
	case "push":
		for _, ref := range args[1:] {
			pushRef(ts, s, ref)
		}
	case "delete-branch":
		s.DeleteBranch(argAt(ts, args, 1))
	case "team":
		s.Team(argAt(ts, args, 1), args[2:]...)
	case "readonly":
		s.SetReadOnly(len(args) < 2 || args[1] != "off")
	case "fault":
		if len(args) < 4 {
			ts.Fatalf("github fault METHOD PATH STATUS [after] [drop] [times=N] [Header=Value...]")
		}
		status, err := strconv.Atoi(args[3])
		ts.Check(err)
		f := forgetest.Fault{Method: args[1], Path: args[2], Status: status, Header: map[string]string{}}
		for _, a := range args[4:] {
			switch {
			case a == "after":
				f.After = true
			case a == "drop":
				f.Drop = true
			case strings.HasPrefix(a, "times="):
				f.Times, err = strconv.Atoi(strings.TrimPrefix(a, "times="))
				ts.Check(err)
			default:
				k, v, ok := strings.Cut(a, "=")
				if !ok {
					ts.Fatalf("github fault: %q is not Header=Value", a)
				}
				f.Header[k] = v
			}
		}
		s.Inject(f)
	case "review":
		n, err := strconv.Atoi(argAt(ts, args, 1))
		ts.Check(err)
		if argAt(ts, args, 3) == "dismiss" {
			if !s.Dismiss(n, args[2]) {
				ts.Fatalf("github review: %s has no approval or change request on #%d to dismiss", args[2], n)
			}
			break
		}
		state := map[string]string{"approve": "APPROVED", "request-changes": "CHANGES_REQUESTED", "comment": "COMMENTED"}[argAt(ts, args, 3)]
		if state == "" {
			ts.Fatalf("github review: state %q: want approve, request-changes, comment or dismiss", args[3])
		}
		if len(args) > 4 {
			s.ReviewOn(n, args[2], state, args[4])
		} else {
			s.Review(n, args[2], state)
		}
	case "head":
		n, err := strconv.Atoi(argAt(ts, args, 1))
		ts.Check(err)
		ts.Setenv("HEAD", s.HeadSHA(n))
	case "merge":
		n, err := strconv.Atoi(argAt(ts, args, 1))
		ts.Check(err)
		ts.Setenv("MERGE", s.Merge(n))
	case "pulls":
		for _, p := range s.Pulls() {
			teams := make([]string, len(p.RequestedTeams))
			for i, t := range p.RequestedTeams {
				teams[i] = "team:" + t
			}
			fmt.Fprintf(out, "#%d %s %s -> %s merged=%v title=%q labels=%s reviewers=%s\n", p.Number, p.State, p.Head, p.Base, p.Merged, p.Title,
				strings.Join(p.Labels, ","), strings.Join(append(p.RequestedUsers, teams...), ","))
		}
	case "body":
		n, err := strconv.Atoi(argAt(ts, args, 1))
		ts.Check(err)
		for _, p := range s.Pulls() {
			if p.Number == n {
				fmt.Fprint(out, p.Body)
			}
		}
	case "statuses":
		n, err := strconv.Atoi(argAt(ts, args, 1))
		ts.Check(err)
		for _, p := range s.Pulls() {
			if p.Number == n {
				for _, st := range s.Statuses(p.HeadSHA) {
					fmt.Fprintf(out, "%s %s %s\n", st.Context, st.State, st.Description)
				}
			}
		}
	case "file":
		data, ok := s.File(argAt(ts, args, 1), argAt(ts, args, 2))
		if !ok {
			ts.Fatalf("github file: no %s on %s", args[2], args[1])
		}
		fmt.Fprint(out, data)
	case "tag":
		commit, msg, ok := s.TagCommit(argAt(ts, args, 1))
		if !ok {
			ts.Fatalf("github tag: no tag %s", args[1])
		}
		fmt.Fprintf(out, "%s\n%s", commit, msg)
	case "commit":
		sha, ok := s.Branch(argAt(ts, args, 1))
		if !ok {
			ts.Fatalf("github commit: no branch %s", args[1])
		}
		c, _ := s.Commit(sha)
		fmt.Fprintf(out, "%s parents=%s\n%s", c.SHA, strings.Join(c.Parents, ","), c.Message)
	case "refs":
		for _, r := range s.Refs() {
			fmt.Fprintln(out, r)
		}
	case "writes":
		for _, c := range s.Writes() {
			fmt.Fprintln(out, c)
		}
	case "reset-calls":
		s.ResetCalls()
	case "check":
		if p := s.Problems(); len(p) > 0 {
			ts.Fatalf("fake GitHub:\n\t%s", strings.Join(p, "\n\t"))
		}
	default:
		ts.Fatalf("github: unknown subcommand %q", args[0])
	}
}

func argAt(ts *testscript.TestScript, args []string, i int) string {
	if i >= len(args) {
		ts.Fatalf("github %s: missing argument %d", args[0], i)
	}
	return args[i]
}

// pushRef mirrors a local branch or tag into the fake: its history (so the
// fake can list a pull request's commits), and the patches/ files at its tip.
func pushRef(ts *testscript.TestScript, s *forgetest.Server, ref string) {
	git := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = ts.MkAbs(".")
		data, err := cmd.Output()
		if err != nil {
			ts.Fatalf("git %s: %v", strings.Join(args, " "), err)
		}
		return string(data)
	}
	tip := strings.TrimSpace(git("rev-parse", ref+"^{commit}"))
	lines := strings.Split(strings.TrimSpace(git("rev-list", "--parents", "--reverse", tip)), "\n")
	for _, l := range lines {
		f := strings.Fields(l)
		if _, ok := s.Commit(f[0]); ok {
			continue
		}
		author := "dana" // the scripts' GIT_AUTHOR is Dana Developer
		files := map[string]string{}
		if f[0] == tip {
			names := strings.Split(strings.TrimRight(git("ls-tree", "-r", "-z", "--name-only", tip, "--", "patches"), "\x00"), "\x00")
			sort.Strings(names)
			for _, n := range names {
				if n != "" {
					files[n] = git("show", tip+":"+n)
				}
			}
		}
		s.AddCommit(forgetest.Commit{SHA: f[0], Parents: f[1:], Author: author, Files: files})
	}
	if out := strings.TrimSpace(git("tag", "--list", ref)); out == ref {
		s.Tag(ref, tip)
		return
	}
	s.SetBranch(ref, tip)
}

type snifferKey struct{}

// sniffer is a server that is not GitHub: it records every request it is
// sent, with the Authorization header, and answers each with an error whose
// message and details repeat that header, as a careless or hostile server
// might.
type sniffer struct {
	srv    *httptest.Server
	status int

	mu   sync.Mutex
	seen []string
}

func (s *sniffer) serve(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	shown := auth
	if shown == "" {
		shown = "-"
	}
	s.mu.Lock()
	s.seen = append(s.seen, r.Method+" "+r.URL.RequestURI()+" authorization="+shown)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(s.status)
	json.NewEncoder(w).Encode(map[string]any{
		"message":           "Bad credentials for " + auth,
		"errors":            []any{map[string]any{"resource": "Token", "code": "invalid", "message": "token " + auth + " is not valid"}},
		"documentation_url": "https://docs.github.com/rest",
	})
}

// cmdSniff drives servers that are not GitHub from a script:
//
//	sniff start NAME [STATUS]   start one; sets $NAME_URL (NAME in capitals). It
//	                            answers every request with STATUS (404 unless
//	                            given) and an error echoing its Authorization header
//	sniff requests NAME         print each request it was sent:
//	                            METHOD PATH authorization=VALUE ("-" when none)
func cmdSniff(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: sniff start NAME [STATUS] | sniff requests NAME")
	}
	sniffers := ts.Value(snifferKey{}).(map[string]*sniffer)
	name := args[1]
	switch args[0] {
	case "start":
		if sniffers[name] != nil {
			ts.Fatalf("sniff start: %s is already running", name)
		}
		s := &sniffer{status: http.StatusNotFound}
		if len(args) > 2 {
			status, err := strconv.Atoi(args[2])
			ts.Check(err)
			s.status = status
		}
		s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
		sniffers[name] = s
		ts.Setenv(strings.ToUpper(name)+"_URL", s.srv.URL)
	case "requests":
		s := sniffers[name]
		if s == nil {
			ts.Fatalf("sniff requests: no server %s; run `sniff start %s` first", name, name)
		}
		out := ts.Stdout() // even when it prints nothing, so `! stdout .` checks this
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, r := range s.seen {
			fmt.Fprintln(out, r)
		}
	default:
		ts.Fatalf("sniff: unknown subcommand %q", args[0])
	}
}

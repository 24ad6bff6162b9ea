package main

import (
	"encoding/json"
	"fmt"
	"io"
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
	"github.com/patchline/patchline/internal/tooltest"
)

// TestGitHubScripts runs the scripts that talk to GitHub (pr_*, gate_*)
// against forgetest's fake, which checks every request and answer against
// GitHub's OpenAPI description, and those that attack patchline with a
// hostile or listening server (github_*, demo_offline). TestScripts skips
// them: they start with [!github] skip.
func TestGitHubScripts(t *testing.T) {
	t.Parallel()
	var files []string
	for _, pattern := range []string{"pr_*.txtar", "gate_*.txtar", "github_*.txtar", "demo_offline.txtar", "cases_github*.txtar"} {
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
			setupWebhooks(env)
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
			"exits":    cmdExits,
			"github":   cmdGitHub,
			"sniff":    cmdSniff,
			"webhook":  cmdWebhook,
			"mkbundle": cmdMkBundle,
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "github":
				return true, nil
			case "git":
				return tooltest.Have("git")
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
//	github start OWNER/REPO          start it; sets GITHUB_API_URL, GITHUB_TOKEN, GITHUB_REPOSITORY,
//	                                 and GITHUB_GIT_URL, the repository as a read-only git remote
//	github push REF...               mirror local branches or tags (and patches/ at their tips)
//	github delete-branch BRANCH
//	github team ORG/SLUG LOGIN...
//	github readonly [off]            writes get 403, as for a token without rights
//	github protect BRANCH [--required-check CONTEXT]... [--allow-direct]
//	                                 branch protection: no update of the branch but by a merged
//	                                 pull request (unless --allow-direct), whose head has the checks
//	github unprotect BRANCH
//	github fault METHOD PATH STATUS [after] [drop] [times=N] [Header=Value...]
//	github review N LOGIN approve|request-changes|comment [COMMIT]
//	github review N LOGIN dismiss    dismiss LOGIN's latest approval or change request
//	github head N                    sets $HEAD to the pull request's head commit
//	github merge N                   merge with a merge commit; sets $MERGE. The merge is a real
//	                                 commit (fetchable from GITHUB_GIT_URL) when the repository in
//	                                 the working directory has both sides; `! github merge N`
//	                                 expects the base's protection to refuse it, and prints why
//	github api METHOD PATH [JSON]    send a request as the token, as `gh api` does; prints the
//	                                 status, then the answer
//	github note REF OBJECT           the note OBJECT has on REF
//	github note-set REF OBJECT TEXT  make TEXT the note, as a push of the notes ref by hand would
//	github issue [OWNER/REPO] TITLE  open an issue (in the fake's repository, or another); sets $ISSUE
//	github issues                    print each issue: OWNER/REPO#N STATE [REASON] comments=N
//	github comments OWNER/REPO#N     print the issue's comments, each after a line "--- comment ID"
//	github pulls | body N | statuses N | file BRANCH PATH | commit BRANCH | tag NAME | refs | writes | reset-calls
//	github check                     no problem so far
func cmdGitHub(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 || (neg && args[0] != "merge") {
		ts.Fatalf("usage: github SUBCOMMAND [args...] (only `! github merge N` may be negated)")
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
		ts.Setenv("GITHUB_GIT_URL", srv.GitURL)
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
	case "protect":
		var p forgetest.Protection
		for i := 2; i < len(args); i++ {
			switch args[i] {
			case "--required-check":
				i++
				p.RequiredChecks = append(p.RequiredChecks, argAt(ts, args, i))
			case "--allow-direct":
				p.AllowDirect = true
			default:
				ts.Fatalf("github protect BRANCH [--required-check CONTEXT]... [--allow-direct]: unknown %q", args[i])
			}
		}
		s.Protect(argAt(ts, args, 1), p)
	case "unprotect":
		s.Unprotect(argAt(ts, args, 1))
	case "api":
		cmdGitHubAPI(ts, s, args)
	case "note":
		note, ok := s.Note(argAt(ts, args, 1), argAt(ts, args, 2))
		if !ok {
			ts.Fatalf("github note: %s has no note on %s", args[2], args[1])
		}
		fmt.Fprint(out, note)
	case "note-set":
		if err := s.SetNote(argAt(ts, args, 1), argAt(ts, args, 2), argAt(ts, args, 3)+"\n"); err != nil {
			ts.Fatalf("github note-set: %v", err)
		}
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
		sha, err := s.TryMerge(n, mergeTree(ts, s, n))
		switch {
		case err != nil && neg:
			fmt.Fprintln(out, err)
		case err != nil:
			ts.Fatalf("github merge: %v", err)
		case neg:
			ts.Fatalf("github merge: #%d merged, want it refused", n)
		default:
			ts.Setenv("MERGE", sha)
		}
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
	case "issue":
		repo, title := "", argAt(ts, args, 1)
		if len(args) > 2 {
			repo, title = args[1], args[2]
		}
		ts.Setenv("ISSUE", strconv.Itoa(s.AddIssue(repo, title)))
	case "issues":
		for _, is := range s.Issues() {
			state := is.State
			if is.StateReason != "" {
				state += " " + is.StateReason
			}
			fmt.Fprintf(out, "%s#%d %s comments=%d\n", is.Repo, is.Number, state, len(is.Comments))
		}
	case "comments":
		found := false
		for _, is := range s.Issues() {
			if fmt.Sprintf("%s#%d", is.Repo, is.Number) == argAt(ts, args, 1) {
				found = true
				for _, c := range is.Comments {
					fmt.Fprintf(out, "--- comment %d\n%s", c.ID, c.Body)
				}
			}
		}
		if !found {
			ts.Fatalf("github comments: no issue %s", args[1])
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

// mergeTree is the tree GitHub's merge of pull request n would have,
// computed by git in the working directory, or "" when that repository
// lacks one side (the merge is then an id of the fake's own).
func mergeTree(ts *testscript.TestScript, s *forgetest.Server, n int) string {
	for _, p := range s.Pulls() {
		if p.Number != n {
			continue
		}
		base, ok := s.Branch(p.Base)
		if !ok {
			return ""
		}
		cmd := exec.Command("git", "merge-tree", "--write-tree", base, p.HeadSHA)
		cmd.Dir = ts.MkAbs(".")
		data, err := cmd.Output()
		if err != nil {
			return ""
		}
		tree, _, _ := strings.Cut(string(data), "\n")
		return strings.TrimSpace(tree)
	}
	return ""
}

// cmdGitHubAPI sends one request to the fake as the token does, as `gh
// api` would, and prints the status and the answer.
func cmdGitHubAPI(ts *testscript.TestScript, s *forgetest.Server, args []string) {
	if len(args) < 3 || len(args) > 4 {
		ts.Fatalf("usage: github api METHOD PATH [JSON]")
	}
	var body io.Reader
	if len(args) == 4 {
		body = strings.NewReader(args[3])
	}
	req, err := http.NewRequest(args[1], strings.TrimSuffix(s.URL, "/")+args[2], body)
	ts.Check(err)
	req.Header.Set("Authorization", "Bearer "+fakeToken)
	req.Header.Set("Accept", "application/vnd.github+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	ts.Check(err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	ts.Check(err)
	fmt.Fprintf(ts.Stdout(), "%d\n%s\n", resp.StatusCode, strings.TrimSpace(string(data)))
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
		if strings.TrimSpace(git("cat-file", "-t", "refs/tags/"+ref)) == "tag" {
			// An annotated tag stays one, so a fetch back finds the same tag.
			if _, err := s.PushTag(ref, []byte(git("cat-file", "tag", "refs/tags/"+ref))); err != nil {
				ts.Fatalf("github push %s: %v", ref, err)
			}
			return
		}
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

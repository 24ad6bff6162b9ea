package forgetest

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/patchline/patchline/internal/tooltest"
)

// call sends one request to the fake as a client with the token would and
// returns the status and the decoded answer.
func call(t *testing.T, s *Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, strings.TrimSuffix(s.URL, "/")+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestProtectedBranch: a protected branch refuses every direct update, in
// GitHub's words and with its status codes, while its pull requests merge
// once the required check passed, and notes and tags stay writable.
func TestProtectedBranch(t *testing.T) {
	t.Parallel()
	s := New(t, "acme", "inventory")
	base := s.Push("release/v2026.3", "dana", "v2026.3.0", map[string]string{"patches/PL-2026-0001/patch.toml": "id = 1\n"})
	head := s.Push("patch/PL-2026-0001", "dana", "fix", nil)
	s.Protect("release/v2026.3", Protection{RequiredChecks: []string{"patchline/qa"}})

	// The contents API: 409, "Could not update file: …".
	status, body := call(t, s, "PUT", "/repos/acme/inventory/contents/patches/PL-2026-0001/patch.toml",
		`{"message":"approve","content":"aWQgPSAyCg==","branch":"release/v2026.3","sha":"`+blobSHA("id = 1\n")+`"}`)
	want := `Could not update file: Changes must be made through a pull request. Required status check "patchline/qa" is expected.`
	if status != http.StatusConflict || body["message"] != want {
		t.Errorf("PUT contents on a protected branch = %d %v, want 409 %q", status, body["message"], want)
	}
	// The git data API: 422, "Protected branch update failed for …".
	status, body = call(t, s, "PATCH", "/repos/acme/inventory/git/refs/heads/release/v2026.3", `{"sha":"`+head+`","force":true}`)
	want = `Protected branch update failed for refs/heads/release/v2026.3. Changes must be made through a pull request. Required status check "patchline/qa" is expected.`
	if status != http.StatusUnprocessableEntity || body["message"] != want {
		t.Errorf("PATCH a protected branch = %d %v, want 422 %q", status, body["message"], want)
	}
	if sha, _ := s.Branch("release/v2026.3"); sha != base {
		t.Fatalf("the protected branch moved to %s", sha)
	}

	// Tags and notes are not branches.
	status, body = call(t, s, "POST", "/repos/acme/inventory/git/blobs", `{"content":"{}\n"}`)
	if status != http.StatusCreated {
		t.Fatalf("POST blob = %d %v", status, body)
	}
	status, body = call(t, s, "POST", "/repos/acme/inventory/git/trees", `{"tree":[{"path":"`+base+`","mode":"100644","type":"blob","sha":"`+body["sha"].(string)+`"}]}`)
	if status != http.StatusCreated {
		t.Fatalf("POST tree = %d %v", status, body)
	}
	status, body = call(t, s, "POST", "/repos/acme/inventory/git/commits", `{"message":"notes","tree":"`+body["sha"].(string)+`"}`)
	if status != http.StatusCreated {
		t.Fatalf("POST commit = %d %v", status, body)
	}
	if status, body = call(t, s, "POST", "/repos/acme/inventory/git/refs", `{"ref":"refs/notes/patchline","sha":"`+body["sha"].(string)+`"}`); status != http.StatusCreated {
		t.Errorf("create refs/notes/patchline = %d %v", status, body)
	}
	if note, ok := s.Note("refs/notes/patchline", base); !ok || note != "{}\n" {
		t.Errorf("note = %q, %v", note, ok)
	}
	status, body = call(t, s, "POST", "/repos/acme/inventory/git/tags", `{"tag":"v2026.3.1","message":"v2026.3.1\n","object":"`+base+`","type":"commit"}`)
	if status != http.StatusCreated {
		t.Fatalf("POST tag = %d %v", status, body)
	}
	if status, _ = call(t, s, "POST", "/repos/acme/inventory/git/refs", `{"ref":"refs/tags/v2026.3.1","sha":"`+body["sha"].(string)+`"}`); status != http.StatusCreated {
		t.Errorf("create refs/tags/v2026.3.1 = %d", status)
	}

	// The pull request merges once its head passed the required check.
	n := s.OpenPull("patch/PL-2026-0001", "release/v2026.3", "dana", "fix")
	if _, err := s.TryMerge(n, ""); err == nil || !strings.Contains(err.Error(), `Required status check "patchline/qa" is expected.`) {
		t.Errorf("merge without the check = %v, want refused", err)
	}
	call(t, s, "POST", "/repos/acme/inventory/statuses/"+head, `{"state":"failure","context":"patchline/qa"}`)
	if _, err := s.TryMerge(n, ""); err == nil || !strings.Contains(err.Error(), "is failing") {
		t.Errorf("merge with the check failing = %v, want refused", err)
	}
	call(t, s, "POST", "/repos/acme/inventory/statuses/"+head, `{"state":"success","context":"patchline/qa"}`)
	merge, err := s.TryMerge(n, "")
	if err != nil {
		t.Fatalf("merge with the check passed: %v", err)
	}
	if sha, _ := s.Branch("release/v2026.3"); sha != merge {
		t.Errorf("after the merge the branch is at %s, want %s", sha, merge)
	}

	// With direct updates allowed, a commit that passed the check lands.
	s.Protect("release/v2026.3", Protection{RequiredChecks: []string{"patchline/qa"}, AllowDirect: true})
	next := s.AddCommit(Commit{Parents: []string{merge}, Message: "follow-up"})
	call(t, s, "POST", "/repos/acme/inventory/statuses/"+next, `{"state":"success","context":"patchline/qa"}`)
	if status, body := call(t, s, "PATCH", "/repos/acme/inventory/git/refs/heads/release/v2026.3", `{"sha":"`+next+`"}`); status != http.StatusOK {
		t.Errorf("PATCH with direct updates allowed = %d %v", status, body)
	}
}

// TestGitRemote fetches what the API wrote (a note, an annotated tag) with
// git from GitURL, and git reads it as it would from GitHub.
func TestGitRemote(t *testing.T) {
	t.Parallel()
	tooltest.Need(t, "git", "it fetches from GitURL")
	dir := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(cmd.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q", "-b", "main")
	git("commit", "-q", "--allow-empty", "-m", "v2026.3.0")
	commit := git("rev-parse", "HEAD")

	s := New(t, "acme", "inventory")
	s.AddCommit(Commit{SHA: commit, Message: "v2026.3.0"})
	s.SetBranch("main", commit)
	if err := s.SetNote("refs/notes/patchline", commit, "approved\n"); err != nil {
		t.Fatal(err)
	}
	status, body := call(t, s, "POST", "/repos/acme/inventory/git/tags", `{"tag":"v2026.3.1","message":"v2026.3.1\n\nPatch-Id: PL-2026-0001\n","object":"`+commit+`","type":"commit"}`)
	if status != http.StatusCreated {
		t.Fatalf("POST tag = %d %v", status, body)
	}
	call(t, s, "POST", "/repos/acme/inventory/git/refs", `{"ref":"refs/tags/v2026.3.1","sha":"`+body["sha"].(string)+`"}`)
	// A commit the fake made up is not offered: no repository has it.
	s.Push("patch/made-up", "dana", "made up", nil)

	git("fetch", "-q", s.GitURL, "refs/notes/*:refs/notes/*", "refs/tags/*:refs/tags/*", "+refs/heads/*:refs/remotes/origin/*")
	if got := git("notes", "--ref=patchline", "show", commit); got != "approved" {
		t.Errorf("git notes show = %q, want approved", got)
	}
	if got := git("cat-file", "-t", "v2026.3.1"); got != "tag" {
		t.Errorf("v2026.3.1 is a %s, want an annotated tag", got)
	}
	if got := git("rev-parse", "v2026.3.1^{commit}"); got != commit {
		t.Errorf("v2026.3.1 names %s, want %s", got, commit)
	}
	if got := git("cat-file", "tag", "v2026.3.1"); !strings.Contains(got, "\nPatch-Id: PL-2026-0001") {
		t.Errorf("tag message:\n%s", got)
	}
	if got := git("for-each-ref", "--format=%(refname)", "refs/remotes/origin/"); strings.Contains(got, "made-up") {
		t.Errorf("fetched a made-up commit's branch: %s", got)
	}
	git("fsck", "--no-progress")
}

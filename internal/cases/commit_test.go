package cases

import (
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/patchline/patchline/internal/repotest"
)

// TestCommitPosted: the record of what was sent is committed when the work
// tree's differs from the checked-out commit's, once, and not at all when
// there is none.
func TestCommitPosted(t *testing.T) {
	t.Parallel()
	r := repotest.New(t)
	r.Commit("start", map[string]string{"README.md": "product\n"})
	signer := r.Signer()
	rel := "fleet/" + PostedFile

	if c, err := CommitPosted(r.Repo, rel, 0, repotest.NoIdentity); c != "" || err != nil {
		t.Errorf("no record: %q, %v; want nothing committed", c, err)
	}

	// A run that wrote the record and stopped before its commit.
	r.Write(map[string]string{rel: `{"schema":1,"cases":{}}` + "\n"})
	c, err := CommitPosted(r.Repo, rel, 2, signer)
	if err != nil || c == "" {
		t.Fatalf("a written record: %q, %v; want a commit", c, err)
	}
	commit, err := r.Repo.Commit(plumbing.NewHash(c))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(commit.Message, "cases: record 2 delivered case change(s)\n") {
		t.Errorf("message %q", commit.Message)
	}
	if _, err := commit.File(rel); err != nil {
		t.Errorf("the commit lacks %s: %v", rel, err)
	}

	// Committed already: nothing more, and no identity needed.
	if c, err := CommitPosted(r.Repo, rel, 0, repotest.NoIdentity); c != "" || err != nil {
		t.Errorf("a committed record: %q, %v; want nothing committed", c, err)
	}
	// No identity when there is something to commit: a clear error.
	r.Write(map[string]string{rel: `{"schema":1,"cases":{"CRM-1":{}}}` + "\n"})
	if _, err := CommitPosted(r.Repo, rel, 1, repotest.NoIdentity); err == nil || !strings.Contains(err.Error(), "record what was sent") {
		t.Errorf("no identity: %v", err)
	}
}

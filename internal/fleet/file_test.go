package fleet

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/repotest"
)

// TestFile files records in a real repository: new and changed records are
// committed on main in one commit, a record filed already changes nothing,
// and on another branch nothing is written.
func TestFile(t *testing.T) {
	t.Parallel()
	r := repotest.New(t)
	r.Commit("start", map[string]string{"README.md": "product\n"})
	signer := r.Signer()
	enc := func(site, env, rel string) []byte {
		data, err := record(site, env, rel, nil).Encode()
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	in := []Incoming{{"a.json", enc("a", "test", "v2026.3.1")}, {"b.json", enc("b", "production", "v2026.3.0")}}

	res, err := File(r.Repo, "main", "fleet", in, AddOptions{Product: "inventory"}, signer)
	if err != nil {
		t.Fatal(err)
	}
	if res.Commit == "" || len(res.Filed) != 2 || res.Filed[0].Status != "added" || res.Filed[1].Path != "fleet/b/production.json" {
		t.Fatalf("first filing: %+v", res)
	}
	c, err := r.Repo.Commit(plumbing.NewHash(res.Commit))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"fleet/a/test.json", "fleet/b/production.json"} {
		if _, err := c.File(p); err != nil {
			t.Errorf("the commit lacks %s: %v", p, err)
		}
	}

	// The same records again: nothing to commit, and no identity asked for.
	res, err = File(r.Repo, "main", "fleet", in, AddOptions{}, repotest.NoIdentity)
	if err != nil || res.Commit != "" || res.Filed[0].Status != "unchanged" {
		t.Errorf("the same records: %+v, %v; want unchanged and no commit", res, err)
	}

	// On another branch: refused before anything is written.
	r.SwitchNew("patch/PL-2026-0001", r.Commit("more", map[string]string{"README.md": "product, more\n"}))
	newer := []Incoming{{"c.json", enc("c", "test", "v2026.3.1")}}
	_, err = File(r.Repo, "main", "fleet", newer, AddOptions{}, signer)
	var wb *gitrepo.WrongBranchError
	if !errors.As(err, &wb) || wb.Want != "main" || wb.Have != "patch/PL-2026-0001" {
		t.Errorf("on a patch branch: %v, want a WrongBranchError", err)
	}
	if _, err := os.Stat(filepath.Join(r.Dir, "fleet", "c")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused filing wrote fleet/c: %v", err)
	}
}

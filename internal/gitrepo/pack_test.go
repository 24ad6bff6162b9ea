package gitrepo

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/patchline/patchline/internal/tooltest"
)

// packedRepo makes a repository with the git CLI whose history gives deep
// delta chains (text edited over many commits, a binary file, an empty file),
// then repacks it into one pack, with the given `git -c` settings.
func packedRepo(t testing.TB, config ...string) string {
	t.Helper()
	tooltest.Need(t, "git", "it writes the pack files this test reads")
	dir := t.TempDir()
	git := gitIn(t, dir)
	git("init", "-q", "-b", "main")
	var text strings.Builder
	for i := 0; i < 400; i++ {
		fmt.Fprintf(&text, "line %d of a file that changes a little in every commit\n", i)
	}
	bin := make([]byte, 64<<10)
	for i := range bin {
		bin[i] = byte(i * 7 % 251)
	}
	for c := 0; c < 60; c++ {
		body := strings.Replace(text.String(), fmt.Sprintf("line %d ", c*5), fmt.Sprintf("LINE %d (commit %d) ", c*5, c), 1)
		text.Reset()
		text.WriteString(body)
		bin[c*997%len(bin)] ^= 0xff
		files := map[string][]byte{
			"src/main.go":                  []byte(body),
			fmt.Sprintf("docs/%d.md", c%7): []byte(body[:len(body)/3]),
			"assets/blob.bin":              bin,
			"empty":                        nil,
		}
		for p, data := range files {
			full := filepath.Join(dir, p)
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		git("add", "-A")
		git("commit", "-q", "-m", fmt.Sprintf("commit %d", c))
		if c%20 == 0 {
			git("tag", "-a", "-m", "release", fmt.Sprintf("v1.%d.0", c))
		}
	}
	var repack []string
	for _, c := range config {
		repack = append(repack, "-c", c)
	}
	git(append(repack, "repack", "-a", "-d", "-f", "-q", "--depth=50", "--window=50")...)
	return dir
}

// gitIn runs the git CLI in dir with a fixed identity and date and no
// user configuration, and returns what it printed, trimmed.
func gitIn(t testing.TB, dir string) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
			"GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.com",
			"GIT_AUTHOR_DATE=2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2026-01-01T00:00:00Z")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
}

// allObjects lists every object id in the repository, from git itself.
func allObjects(t *testing.T, dir string) []plumbing.Hash {
	t.Helper()
	out, err := exec.Command("git", "-C", dir, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)").Output()
	if err != nil {
		t.Fatalf("git cat-file: %v", err)
	}
	var ids []plumbing.Hash
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		ids = append(ids, plumbing.NewHash(sc.Text()))
	}
	return ids
}

func readAll(t *testing.T, obj plumbing.EncodedObject) []byte {
	t.Helper()
	rd, err := obj.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	data, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// openStores is a repository's go-git storage and the packStore in front of
// it, which must have taken its packs.
func openStores(t *testing.T, gitDir string) (*filesystem.Storage, *packStore) {
	t.Helper()
	plain := filesystem.NewStorage(osfs.New(gitDir), cache.NewObjectLRUDefault())
	ps, ok := newPackStore(plain, filepath.Join(gitDir, "objects")).(*packStore)
	if !ok {
		t.Fatal("newPackStore did not take the pack")
	}
	return plain, ps
}

// objectBytes is every object's content as go-git reads it.
func objectBytes(t *testing.T, st *filesystem.Storage, ids []plumbing.Hash) map[plumbing.Hash][]byte {
	t.Helper()
	want := map[plumbing.Hash][]byte{}
	for _, h := range ids {
		obj, err := st.EncodedObject(plumbing.AnyObject, h)
		if err != nil {
			t.Fatal(err)
		}
		want[h] = readAll(t, obj)
	}
	return want
}

// TestPackStoreMatchesGoGit reads every object of packed repositories
// through packStore and through go-git's own storage, and wants the same
// type and bytes, for offset deltas and for deltas that name their base by id.
func TestPackStoreMatchesGoGit(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		config []string
		delta  plumbing.ObjectType // the kind of delta the pack must hold
	}{
		{"offset deltas", nil, plumbing.OFSDeltaObject},
		{"ref deltas", []string{"repack.useDeltaBaseOffset=false"}, plumbing.REFDeltaObject},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := packedRepo(t, tt.config...)
			gitDir := filepath.Join(dir, ".git")
			plain, ps := openStores(t, gitDir)
			ids := allObjects(t, dir)
			if len(ids) < 100 {
				t.Fatalf("only %d objects: the fixture is too small to have delta chains", len(ids))
			}
			deltas := 0
			for _, h := range ids {
				off, _ := ps.packs[0].find(h)
				if typ, _, _, err := ps.packs[0].header(off); err == nil && typ == tt.delta {
					deltas++
				}
			}
			if deltas < 50 {
				t.Fatalf("the pack holds %d objects stored as %v, want at least 50", deltas, tt.delta)
			}
			for _, h := range ids {
				want, err := plain.EncodedObject(plumbing.AnyObject, h)
				if err != nil {
					t.Fatalf("go-git %s: %v", h, err)
				}
				got, err := ps.EncodedObject(plumbing.AnyObject, h)
				if err != nil {
					t.Fatalf("packStore %s: %v", h, err)
				}
				if _, isPacked := got.(*packedObject); !isPacked {
					t.Fatalf("%s came from go-git, not from the pack", h)
				}
				if got.Type() != want.Type() || got.Size() != want.Size() || got.Hash() != h {
					t.Fatalf("%s: got %v %d bytes %s, want %v %d bytes", h, got.Type(), got.Size(), got.Hash(), want.Type(), want.Size())
				}
				if !bytes.Equal(readAll(t, got), readAll(t, want)) {
					t.Fatalf("%s: contents differ from go-git's", h)
				}
				if ps.HasEncodedObject(h) != nil {
					t.Fatalf("HasEncodedObject(%s) failed", h)
				}
				// Asking for the wrong type is "not found", as in go-git.
				other := plumbing.BlobObject
				if want.Type() == plumbing.BlobObject {
					other = plumbing.TreeObject
				}
				if _, err := ps.EncodedObject(other, h); err != plumbing.ErrObjectNotFound {
					t.Fatalf("%s as %v: err = %v, want ErrObjectNotFound", h, other, err)
				}
			}
			// Through Open, as validate reads it.
			r, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := r.git.Storer.(*packStore); !ok {
				t.Fatalf("Open uses %T, want the pack store", r.git.Storer)
			}
			tags, err := r.Tags()
			if err != nil || len(tags) != 3 {
				t.Fatalf("Tags = %v, %v; want 3", tags, err)
			}
		})
	}
}

// TestPackStoreDamage flips bytes all over a pack: every read either gives
// an error or the object's type and bytes, never a panic and never a
// different object of the same type.
func TestPackStoreDamage(t *testing.T) {
	t.Parallel()
	dir := packedRepo(t)
	ids := allObjects(t, dir)
	gitDir := filepath.Join(dir, ".git")
	plain := filesystem.NewStorage(osfs.New(gitDir), cache.NewObjectLRUDefault())
	want := objectBytes(t, plain, ids)
	idxs, _ := filepath.Glob(filepath.Join(gitDir, "objects", "pack", "*.idx"))
	if len(idxs) != 1 {
		t.Fatalf("%d pack indexes, want 1", len(idxs))
	}
	idx, err := os.ReadFile(idxs[0])
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(strings.TrimSuffix(idxs[0], ".idx") + ".pack")
	if err != nil {
		t.Fatal(err)
	}
	damaged := 0
	for step := 0; step < 64; step++ {
		off := 12 + (len(data)-32)*step/64
		bad := bytes.Clone(data)
		bad[off] ^= 0x5a
		p, err := parsePack(idx, bad)
		if err != nil {
			t.Fatal(err)
		}
		s := newStore(nil, "", p)
		for _, h := range ids {
			o, ok := p.find(h)
			if !ok {
				t.Fatalf("%s is not in the index", h)
			}
			_, got, err := s.read(p, o, 0)
			if err != nil {
				damaged++
				continue
			}
			if !bytes.Equal(got, want[h]) {
				t.Errorf("byte %d flipped: %s read back with other bytes and no error", off, h)
			}
		}
	}
	if damaged == 0 {
		t.Error("no flipped byte was noticed")
	}

	// A damaged index or pack header is refused whole.
	for name, tc := range map[string]struct{ idx, pack []byte }{
		"empty index":     {nil, data},
		"version 1 index": {append([]byte{0xff, 't', 'O', 'c', 0, 0, 0, 1}, idx[8:]...), data},
		"truncated index": {idx[:len(idx)/2], data},
		"not a pack":      {idx, append([]byte("KCAP"), data[4:]...)},
		"count mismatch":  {idx, append(append([]byte{}, data[:8]...), append([]byte{0, 0, 0, 1}, data[12:]...)...)},
	} {
		if _, err := parsePack(tc.idx, tc.pack); err == nil {
			t.Errorf("%s: parsePack accepted it", name)
		}
	}
}

// commitNode inflates a prefix of each commit; an octopus merge whose parent
// lines alone outgrow it is read again whole, and every parent is found.
func TestCommitNodeLongHeaders(t *testing.T) {
	t.Parallel()
	tooltest.Need(t, "git", "it writes the pack this test reads")
	dir := t.TempDir()
	git := gitIn(t, dir)
	git("init", "-q", "-b", "main")
	tree := git("write-tree") // the empty tree
	base := git("commit-tree", tree, "-m", "base")
	octopus := []string{"commit-tree", tree, "-m", "octopus"}
	for i := range 24 {
		octopus = append(octopus, "-p", git("commit-tree", tree, "-p", base, "-m", fmt.Sprintf("side %d", i)))
	}
	tip := git(octopus...)
	git("update-ref", "refs/heads/main", tip)
	git("repack", "-a", "-d", "-q")

	_, ps := openStores(t, filepath.Join(dir, ".git"))
	n, ok := ps.commitNode(plumbing.NewHash(tip))
	if !ok || len(n.parents) != 24 || !n.when.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("got %d parents at %v (ok %v), want 24 at 2026-01-01", len(n.parents), n.when, ok)
	}
	if n, ok := ps.commitNode(plumbing.NewHash(base)); !ok || len(n.parents) != 0 {
		t.Fatalf("base: got %d parents (ok %v), want a root commit", len(n.parents), ok)
	}
}

// TestPackStoreLooseObjects: objects written after the last repack are
// read from their loose files with the bytes go-git reads; a loose file
// that is damaged, or holds another object than its name says, is not
// served from the file, and go-git has the last word on it.
func TestPackStoreLooseObjects(t *testing.T) {
	t.Parallel()
	dir := packedRepo(t)
	git := gitIn(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "unpacked.txt"), []byte("written after the repack\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", "unpacked.txt")
	git("commit", "-q", "-m", "after the repack")
	blob := git("rev-parse", "HEAD:unpacked.txt")
	loose := []string{git("rev-parse", "HEAD"), git("rev-parse", "HEAD^{tree}"), blob}
	gitDir := filepath.Join(dir, ".git")
	plain, ps := openStores(t, gitDir)
	path := func(id string) string { return filepath.Join(gitDir, "objects", id[:2], id[2:]) }
	for _, id := range loose {
		h := plumbing.NewHash(id)
		if _, err := os.Stat(path(id)); err != nil {
			t.Fatalf("%s is not loose: %v", id, err)
		}
		want, err := plain.EncodedObject(plumbing.AnyObject, h)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ps.EncodedObject(plumbing.AnyObject, h)
		if err != nil {
			t.Fatalf("packStore %s: %v", id, err)
		}
		if _, fromFile := got.(*packedObject); !fromFile {
			t.Errorf("%s came from go-git, not from its loose file", id)
		}
		if got.Type() != want.Type() || !bytes.Equal(readAll(t, got), readAll(t, want)) {
			t.Errorf("%s: got %v, want %v with go-git's bytes", id, got.Type(), want.Type())
		}
		if _, err := ps.EncodedObject(plumbing.BlobObject, h); want.Type() != plumbing.BlobObject && err != plumbing.ErrObjectNotFound {
			t.Errorf("%s asked as a blob: %v, want not found", id, err)
		}
	}
	// The commit's file replaced by the blob's: a file under another
	// object's name.
	commit := loose[0]
	data, err := os.ReadFile(path(blob))
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(path(commit), 0o644)
	if err := os.WriteFile(path(commit), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ps.loose(plumbing.NewHash(commit)); err == nil {
		t.Error("a loose file under another object's name was read as that object")
	}
	if got, err := ps.EncodedObject(plumbing.AnyObject, plumbing.NewHash(commit)); err == nil {
		if _, fromFile := got.(*packedObject); fromFile {
			t.Error("the misnamed loose file was served by packStore")
		}
	}
	// Truncated: damage.
	if err := os.WriteFile(path(commit), data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ps.loose(plumbing.NewHash(commit)); err == nil {
		t.Error("a truncated loose file was read")
	}
}

// TestPackStoreConcurrentReads reads every object of a packed repository
// from several goroutines at once, through the caches, the commit nodes
// and the shared zlib readers, and wants what one goroutine read alone.
// CI runs it under the race detector.
func TestPackStoreConcurrentReads(t *testing.T) {
	t.Parallel()
	dir := packedRepo(t)
	gitDir := filepath.Join(dir, ".git")
	plain, ps := openStores(t, gitDir)
	ids := allObjects(t, dir)
	want := objectBytes(t, plain, ids)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ids {
				h := ids[(i*7+g*len(ids)/4)%len(ids)] // each goroutine its own order
				obj, err := ps.EncodedObject(plumbing.AnyObject, h)
				if err != nil {
					errs <- fmt.Errorf("%s: %v", h, err)
					return
				}
				po := obj.(*packedObject)
				if !bytes.Equal(po.data, want[h]) {
					errs <- fmt.Errorf("%s: bytes differ from go-git's", h)
					return
				}
				if po.typ == plumbing.CommitObject {
					if _, ok := ps.commitNode(h); !ok {
						errs <- fmt.Errorf("%s: no commit node", h)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

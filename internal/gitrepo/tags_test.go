package gitrepo

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/patchline/patchline/internal/tooltest"
)

// TestTagsHeadsOnly lists the tags of repositories the git CLI made, loose
// and packed (tag objects stored whole and as deltas), and wants what git
// says of each: the commit it peels to, its tagger time, annotated or not;
// tags of trees and blobs are no releases, and a tag of a tag is peeled.
// Tag messages are long, as real release notes are, so reading only a tag's
// head is exercised across the prefix boundary.
func TestTagsHeadsOnly(t *testing.T) {
	t.Parallel()
	tooltest.Need(t, "git", "it writes the repository this test reads")
	dir := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
			"GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=A Tagger With A Long Name", "GIT_COMMITTER_EMAIL=t@example.com",
			"GIT_AUTHOR_DATE=2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2026-01-02T03:04:05+02:00")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q", "-b", "main")
	notes := strings.Repeat("- fixed a thing in the release notes of this version\n", 200) // ~10 KB
	for i := 0; i < 12; i++ {
		if err := os.WriteFile(dir+"/f", []byte(strconv.Itoa(i)), 0o644); err != nil {
			t.Fatal(err)
		}
		git("add", "-A")
		git("commit", "-q", "-m", "c"+strconv.Itoa(i))
		msg := "v1." + strconv.Itoa(i) + ".0\n\n" + notes
		if i%3 == 0 {
			msg = "short"
		}
		git("tag", "-a", "-m", msg, "v1."+strconv.Itoa(i)+".0")
	}
	git("tag", "light")
	git("tag", "-a", "-m", "a tag of a tag", "outer", "v1.3.0")
	git("tag", "-a", "-m", "a tag of a tree", "tree-tag", "HEAD^{tree}")
	git("tag", "-a", "-m", "a tag of a blob", "blob-tag", "HEAD:f")
	git("tag", "light-tree", "HEAD^{tree}")

	check := func(state string) {
		r, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		tags, err := r.Tags()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]Tag{}
		for _, tg := range tags {
			got[tg.Name] = tg
		}
		for _, name := range strings.Fields(git("tag", "-l")) {
			tg, listed := got[name]
			if name == "tree-tag" || name == "blob-tag" {
				if listed {
					t.Errorf("%s: %s is listed, but it peels to no commit", state, name)
				}
				continue
			}
			if !listed {
				t.Errorf("%s: %s is missing", state, name)
				continue
			}
			want := git("rev-parse", name+"^{}")
			annotated := git("cat-file", "-t", name) == "tag"
			if tg.Commit.String() != want || tg.Annotated != annotated {
				t.Errorf("%s: %s = %s annotated %v, want %s annotated %v", state, name, tg.Commit, tg.Annotated, want, annotated)
			}
			if annotated {
				secs, _ := strconv.ParseInt(git("for-each-ref", "--format=%(taggerdate:unix)", "refs/tags/"+name), 10, 64)
				if at, err := tg.Tagged(); err != nil || !at.Equal(time.Unix(secs, 0)) {
					t.Errorf("%s: %s tagged %v, %v, want %v", state, name, at, err, time.Unix(secs, 0).UTC())
				}
				if signed, err := tg.Signed(); signed || err != nil {
					t.Errorf("%s: %s Signed() = %v, %v", state, name, signed, err)
				}
				if m := tg.Message(); !strings.HasPrefix(m, "short") && !strings.HasPrefix(m, "moved") && !strings.HasSuffix(m, notes) && name != "outer" {
					t.Errorf("%s: %s message of %d bytes is not the whole message", state, name, len(m))
				}
			}
		}
	}
	check("loose")
	git("repack", "-a", "-d", "-f", "-q", "--depth=50", "--window=50")
	git("pack-refs", "--all")
	deltas := git("cat-file", "--batch-all-objects", "--batch-check=%(objecttype) %(deltabase)")
	deltified := 0
	for _, line := range strings.Split(deltas, "\n") {
		if typ, base, _ := strings.Cut(line, " "); typ == "tag" && strings.Trim(base, "0") != "" {
			deltified++
		}
	}
	if deltified == 0 {
		t.Fatalf("no tag object is stored as a delta:\n%s", deltas)
	}
	check("packed")
	if !fileContains(t, dir+"/.git/packed-refs", "fully-peeled") {
		t.Fatal("packed-refs records no peeled ids")
	}
	// A loose ref overrides its packed value, and the packed peeled id with it.
	git("tag", "-f", "-a", "-m", "moved", "v1.0.0", "HEAD~1")
	git("tag", "-f", "v1.1.0", "HEAD~2")
	check("packed, two tags moved")

	// Every object's prefix, at limits on both sides of instruction and
	// object boundaries, is the start of the object read whole.
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ps := r.git.Storer.(*packStore)
	for _, id := range strings.Fields(git("cat-file", "--batch-all-objects", "--batch-check=%(objectname)")) {
		h := plumbing.NewHash(id)
		for _, p := range ps.packs {
			off, ok := p.find(h)
			if !ok {
				continue
			}
			typ, whole, err := ps.read(p, off, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, limit := range []int64{0, 1, 40, tagHeadSize, int64(len(whole)) - 1, int64(len(whole)), 1 << 20} {
				ps.cache = newBaseCache(packCache) // no shortcut through whole objects
				ptyp, prefix, all, err := ps.readPrefix(p, off, max(limit, 0), 0)
				if err != nil {
					t.Fatalf("%s limit %d: %v", id, limit, err)
				}
				if ptyp != typ || int64(len(prefix)) < min(max(limit, 0), int64(len(whole))) || !bytes.HasPrefix(whole, prefix) || all != (len(prefix) == len(whole)) {
					t.Fatalf("%s limit %d: %s %d bytes (whole %v), want a prefix of %s %d bytes", id, limit, ptyp, len(prefix), all, typ, len(whole))
				}
			}
		}
	}
}

func TestParseTagHead(t *testing.T) {
	t.Parallel()
	const id = "0123456789abcdef0123456789abcdef01234567"
	good := "object " + id + "\ntype commit\ntag v1\ntagger T <t@example.com> 1767322800 +0200\n\nmessage"
	th, ok := parseTagHead([]byte(good))
	if !ok || th.target.String() != id || th.tagged.Unix() != 1767322800 {
		t.Fatalf("parseTagHead(good) = %+v, %v", th, ok)
	}
	if th, ok := parseTagHead([]byte("object " + id + "\ntype commit\ntag v1\n\nvery old tag")); !ok || !th.tagged.IsZero() {
		t.Errorf("a tag without a tagger: %+v, %v", th, ok)
	}
	for _, bad := range []string{
		"", "object " + id[:39] + "\ntype commit\ntag v1\n", "object " + id + "\ntype nothing\ntag v1\n",
		"type commit\nobject " + id + "\n", "object " + id + "\ntype commit\ntag v1\ntagger T <t@example.com> soon +0200\n",
		"object " + id + "\ntype commit\ntag v1\ntagger T <t@example.com>",
	} {
		if _, ok := parseTagHead([]byte(bad)); ok {
			t.Errorf("parseTagHead(%q) accepted", bad)
		}
	}
}

func fileContains(t *testing.T, path, s string) bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(data), s)
}

func TestParsePackedRefs(t *testing.T) {
	t.Parallel()
	const a, b = "0123456789abcdef0123456789abcdef01234567", "89abcdef0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		in         string
		ok, peeled bool
	}{
		{"# pack-refs with: peeled fully-peeled sorted \n" + a + " refs/tags/v1\n^" + b + "\n", true, true},
		{a + " refs/tags/v1\n^" + b + "\n", true, false}, // no promise: the peeled id is not trusted
		{"# pack-refs with: peeled\n^" + b + "\n", false, false},
		{"# pack-refs with: peeled\n" + a + " HEAD\n", false, false},
		{"# pack-refs with: peeled\n" + a[:20] + " refs/tags/v1\n", false, false},
		{"# pack-refs with: peeled\n" + a + " refs/tags/v1\n^" + b[:39] + "\n", false, false},
		{"# pack-refs with: peeled\r\n" + a + " refs/tags/v1\r\n^" + b + "\r\n", true, true},              // CRLF, as a Windows checkout may leave it
		{"# pack-refs with: peeled\n" + a + " refs/tags/v1\n^" + strings.ToUpper(b) + "\n", false, false}, // git writes lowercase
		{"# pack-refs with: peeled\n" + a + " refs/tags/v1", true, false},                                 // no final newline
	} {
		snap := refsSnapshot{hashes: map[plumbing.ReferenceName]Hash{}, peeled: map[plumbing.ReferenceName]Hash{}}
		ok := parsePackedRefs([]byte(tc.in), snap)
		_, peeled := snap.peeled["refs/tags/v1"]
		if ok != tc.ok || (ok && (peeled != tc.peeled || snap.hashes["refs/tags/v1"].String() != a)) {
			t.Errorf("parsePackedRefs(%q) = %v, peeled %v, %v", tc.in, ok, peeled, snap)
		}
	}
}

package gitrepo

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/go-git/go-billy/v5/osfs"
	commitgraph "github.com/go-git/go-git/v5/plumbing/format/commitgraph/v2"

	"github.com/patchline/patchline/internal/tooltest"
)

// dag is a history made with `git fast-import`, with the answers every walk
// must give worked out here from the parents it was built with.
type dag struct {
	dir     string
	ids     []Hash
	parents [][]int
	anc     [][]uint64 // anc[i]: bitset of i's ancestors, i included; made on first use
}

// runGit runs git in dir with a fixed identity and no user or system config.
func runGit(t testing.TB, dir string, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.com")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String()
}

// newDAG builds n commits: a main line, branches forking from it and
// merging back, and an octopus merge every so often (so the graph files
// carry an EDGE chunk). Commit i is an hour after commit i-1, so dates
// never run against the history and walks without a graph are exact.
func newDAG(t testing.TB, n int, seed int64) *dag {
	t.Helper()
	tooltest.Need(t, "git", "it writes the repositories and commit-graphs this test reads")
	d := &dag{dir: t.TempDir(), parents: make([][]int, n)}
	rnd := rand.New(rand.NewSource(seed))
	var stream strings.Builder
	tips := []int{} // heads of side branches still open
	mainTip := -1
	for i := 0; i < n; i++ {
		var ps []int
		switch r := rnd.Intn(10); {
		case i == 0:
		case r < 2 && len(tips) > 0: // a side branch grows
			k := rnd.Intn(len(tips))
			ps = []int{tips[k]}
			tips[k] = i
		case r < 3: // a new side branch forks from main
			ps = []int{mainTip}
			tips = append(tips, i)
		case r < 4 && len(tips) >= 3 && i%7 == 0: // an octopus merge of three branches
			ps = []int{mainTip, tips[0], tips[1], tips[2]}
			tips = tips[3:]
			mainTip = i
		case r < 5 && len(tips) > 0: // a branch merges back
			k := rnd.Intn(len(tips))
			ps = []int{mainTip, tips[k]}
			tips = append(tips[:k], tips[k+1:]...)
			mainTip = i
		default:
			ps = []int{mainTip}
			mainTip = i
		}
		if mainTip < 0 {
			mainTip = i
		}
		d.parents[i] = ps
		fmt.Fprintf(&stream, "commit refs/heads/b\nmark :%d\ncommitter T <t@example.com> %d +0000\ndata %d\nc%d\n",
			i+1, 1700000000+i*3600, len(fmt.Sprint(i))+2, i)
		for k, p := range ps {
			verb := "merge"
			if k == 0 {
				verb = "from"
			}
			fmt.Fprintf(&stream, "%s :%d\n", verb, p+1)
		}
		fmt.Fprintf(&stream, "M 644 inline f%d\ndata 2\n%d\n\n", i%5, i%10)
	}
	fmt.Fprintf(&stream, "reset refs/heads/main\nfrom :%d\n\n", mainTip+1)
	runGit(t, d.dir, "", "init", "-q", "-b", "main")
	marks := filepath.Join(t.TempDir(), "marks")
	runGit(t, d.dir, stream.String(), "fast-import", "--quiet", "--export-marks="+marks)
	data, err := os.ReadFile(marks)
	if err != nil {
		t.Fatal(err)
	}
	d.ids = make([]Hash, n)
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var mark int
		var id string
		if _, err := fmt.Sscanf(line, ":%d %s", &mark, &id); err != nil {
			t.Fatalf("marks: %q: %v", line, err)
		}
		if _, err := hex.Decode(d.ids[mark-1][:], []byte(id)); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func (d *dag) isAncestor(a, b int) bool {
	if d.anc == nil {
		n := len(d.ids)
		d.anc = make([][]uint64, n)
		for i := 0; i < n; i++ {
			d.anc[i] = make([]uint64, (n+63)/64)
			d.anc[i][i/64] |= 1 << (i % 64)
			for _, p := range d.parents[i] {
				for w := range d.anc[i] {
					d.anc[i][w] |= d.anc[p][w]
				}
			}
		}
	}
	return d.anc[b][a/64]&(1<<(a%64)) != 0
}

// graphDir holds the repository's commit-graph files.
func (d *dag) graphDir() string { return filepath.Join(d.dir, ".git", "objects", "info") }

func (d *dag) clearGraphs(t testing.TB) {
	t.Helper()
	for _, p := range []string{filepath.Join(d.graphDir(), "commit-graph"), filepath.Join(d.graphDir(), "commit-graphs")} {
		if err := os.RemoveAll(p); err != nil {
			t.Fatal(err)
		}
	}
}

// writeLayers writes a split chain, one layer per prefix of the history in
// upTo (each layer holds the commits up to that index not already below),
// with --split=no-merge so git keeps every layer.
func (d *dag) writeLayers(t testing.TB, upTo ...int) {
	t.Helper()
	for _, i := range upTo {
		runGit(t, d.dir, d.ids[i].String()+"\n", "commit-graph", "write", "--split=no-merge", "--stdin-commits", "--no-progress")
	}
}

func (d *dag) chain(t testing.TB) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(d.graphDir(), "commit-graphs", "commit-graph-chain"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(data))
}

func (d *dag) layerPath(sum string) string {
	return filepath.Join(d.graphDir(), "commit-graphs", "graph-"+sum+".graph")
}

// check asks the walks of a freshly opened repository about many pairs of
// commits and compares with the ancestry worked out from the parents.
func (d *dag) check(t *testing.T, wantLayers int) {
	t.Helper()
	r, err := Open(d.dir)
	if err != nil {
		t.Fatal(err)
	}
	layers := 0
	if g := r.commitGraph(); g != nil {
		layers = len(g.layers)
	}
	if layers != wantLayers {
		t.Fatalf("read %d commit-graph layers, want %d", layers, wantLayers)
	}
	n := len(d.ids)
	rnd := rand.New(rand.NewSource(int64(n)))
	pairs := [][2]int{{0, n - 1}, {n - 1, 0}, {n / 2, n - 1}, {n - 1, n - 1}}
	for k := 0; k < 60; k++ {
		pairs = append(pairs, [2]int{rnd.Intn(n), rnd.Intn(n)})
	}
	for _, pr := range pairs {
		a, b := pr[0], pr[1]
		got, err := r.IsAncestor(d.ids[a], d.ids[b])
		if err != nil {
			t.Fatalf("IsAncestor(c%d, c%d): %v", a, b, err)
		}
		if want := d.isAncestor(a, b); got != want {
			t.Errorf("IsAncestor(c%d, c%d) = %v, want %v", a, b, got, want)
		}
		commits, descends, err := r.Range(d.ids[a], d.ids[b])
		if err != nil {
			t.Fatalf("Range(c%d, c%d): %v", a, b, err)
		}
		var want []string
		for i := 0; i < n; i++ {
			if d.isAncestor(i, b) && !d.isAncestor(i, a) {
				want = append(want, d.ids[i].String())
			}
		}
		var gotIDs []string
		for _, h := range commits {
			gotIDs = append(gotIDs, h.String())
		}
		sort.Strings(want)
		sort.Strings(gotIDs)
		if strings.Join(gotIDs, " ") != strings.Join(want, " ") || descends != d.isAncestor(a, b) {
			t.Errorf("Range(c%d, c%d) = %d commits, descends %v; want %d, %v", a, b, len(gotIDs), descends, len(want), d.isAncestor(a, b))
		}
	}
	// One index over two tips, asked about every commit in an order that
	// sends it up and down the history.
	tips := []int{n - 1, n / 3}
	rc, err := r.NewReach(d.ids[tips[0]], d.ids[tips[1]])
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range rnd.Perm(n) {
		got, err := rc.Contains(d.ids[i])
		if err != nil {
			t.Fatalf("Contains(c%d): %v", i, err)
		}
		if want := d.isAncestor(i, tips[0]) || d.isAncestor(i, tips[1]); got != want {
			t.Errorf("Contains(c%d) = %v, want %v", i, got, want)
		}
	}
}

// TestCommitGraphStates gives the same ancestry answers with no
// commit-graph, a single file, split chains of two and three layers, and
// commits newer than the last layer.
func TestCommitGraphStates(t *testing.T) {
	t.Parallel()
	d := newDAG(t, 400, 1)
	t.Run("no commit-graph", func(t *testing.T) { d.check(t, 0) })

	runGit(t, d.dir, "", "commit-graph", "write", "--reachable", "--no-progress")
	t.Run("single file", func(t *testing.T) { d.check(t, 1) })

	d.clearGraphs(t)
	d.writeLayers(t, 150, 399)
	t.Run("chain of two", func(t *testing.T) { d.check(t, 2) })

	d.clearGraphs(t)
	d.writeLayers(t, 100, 250, 330)
	t.Run("chain of three, newer commits above it", func(t *testing.T) { d.check(t, 3) })

	// What `git fetch` and `git maintenance` write: --split lets git merge
	// a small layer into the one below.
	runGit(t, d.dir, "", "commit-graph", "write", "--reachable", "--split", "--no-progress")
	layers := len(d.chain(t))
	t.Run("chain after --split", func(t *testing.T) { d.check(t, layers) })
}

// TestCommitGraphDamage damages a chain of three layers in the ways a disk,
// an interrupted write or a hand edit would: every answer stays right, from
// the layers below the damage or from the commit objects.
func TestCommitGraphDamage(t *testing.T) {
	t.Parallel()
	d := newDAG(t, 300, 2)
	runGit(t, d.dir, "", "commit-graph", "write", "--reachable", "--no-progress")
	single, err := os.ReadFile(filepath.Join(d.graphDir(), "commit-graph"))
	if err != nil {
		t.Fatal(err)
	}
	fresh := func(t *testing.T) []string {
		d.clearGraphs(t)
		d.writeLayers(t, 80, 200, 299)
		c := d.chain(t)
		if len(c) != 3 {
			t.Fatalf("git wrote %d layers, want 3", len(c))
		}
		return c
	}
	edit := func(t *testing.T, name string, fn func([]byte) []byte) {
		t.Helper()
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		os.Chmod(name, 0o644)
		if err := os.WriteFile(name, fn(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	flip := func(at func([]byte) int) func([]byte) []byte {
		return func(b []byte) []byte { b[at(b)] ^= 0x40; return b }
	}
	chainFile := func() string { return filepath.Join(d.graphDir(), "commit-graphs", "commit-graph-chain") }
	tests := []struct {
		name   string
		damage func(t *testing.T, chain []string)
		layers int // what is still read
	}{
		{"top layer missing", func(t *testing.T, c []string) { os.Remove(d.layerPath(c[2])) }, 2},
		{"middle layer missing", func(t *testing.T, c []string) { os.Remove(d.layerPath(c[1])) }, 1},
		{"a byte of the top layer's commit data", func(t *testing.T, c []string) {
			edit(t, d.layerPath(c[2]), flip(func(b []byte) int { return len(b) / 2 }))
		}, 2},
		{"a byte of the middle layer's header", func(t *testing.T, c []string) {
			edit(t, d.layerPath(c[1]), flip(func([]byte) int { return 7 }))
		}, 1},
		{"the base layer truncated", func(t *testing.T, c []string) {
			edit(t, d.layerPath(c[0]), func(b []byte) []byte { return b[:len(b)/2] })
		}, 0},
		{"the base layer empty", func(t *testing.T, c []string) {
			edit(t, d.layerPath(c[0]), func([]byte) []byte { return nil })
		}, 0},
		{"chain file of garbage", func(t *testing.T, c []string) {
			edit(t, chainFile(), func([]byte) []byte { return []byte("not a hash\n") })
		}, 0},
		{"chain file cut in its last line", func(t *testing.T, c []string) {
			edit(t, chainFile(), func(b []byte) []byte { return b[:len(b)-5] })
		}, 2},
		{"chain file without layers", func(t *testing.T, c []string) {
			edit(t, chainFile(), func([]byte) []byte { return nil })
		}, 0},
		{"chain in the wrong order", func(t *testing.T, c []string) {
			edit(t, chainFile(), func([]byte) []byte { return []byte(c[1] + "\n" + c[0] + "\n" + c[2] + "\n") })
		}, 0},
		{"chain skips a layer", func(t *testing.T, c []string) {
			edit(t, chainFile(), func([]byte) []byte { return []byte(c[0] + "\n" + c[2] + "\n") })
		}, 1},
		{"chain names a layer by another's id", func(t *testing.T, c []string) {
			data, err := os.ReadFile(d.layerPath(c[2]))
			if err != nil {
				t.Fatal(err)
			}
			os.Remove(d.layerPath(c[1]))
			if err := os.WriteFile(d.layerPath(c[1]), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}, 1},
		{"a single file beside the chain: git reads it first", func(t *testing.T, c []string) {
			if err := os.WriteFile(filepath.Join(d.graphDir(), "commit-graph"), single, 0o644); err != nil {
				t.Fatal(err)
			}
		}, 1},
		{"a damaged single file beside the chain", func(t *testing.T, c []string) {
			single := filepath.Join(d.graphDir(), "commit-graph")
			if err := os.WriteFile(single, []byte("CGPH\x01\x01\x03\x00 and then nothing"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fresh(t)
			tt.damage(t, c)
			d.check(t, tt.layers)
		})
	}
}

// TestCommitGraphForged damages a single-file commit-graph and then
// rewrites its checksum, as a buggy writer would: the checks past the
// checksum refuse it, and the walks read commit objects instead.
func TestCommitGraphForged(t *testing.T) {
	t.Parallel()
	d := newDAG(t, 120, 3)
	name := filepath.Join(d.graphDir(), "commit-graph")
	chunk := func(b []byte, id string) []byte {
		for i := 0; i < int(b[6]); i++ {
			if string(b[8+i*12:12+i*12]) == id {
				return b[binary.BigEndian.Uint64(b[12+i*12:]):]
			}
		}
		t.Fatalf("no %s chunk", id)
		return nil
	}
	cdat := func(b []byte) []byte { return chunk(b, "CDAT") }
	count := func(b []byte) int { return int(binary.BigEndian.Uint32(chunk(b, "OIDF")[255*4:])) }
	tests := []struct {
		name  string
		forge func(b []byte)
	}{
		{"parent position out of range", func(b []byte) { binary.BigEndian.PutUint32(cdat(b)[20:], 0x6fffffff) }},
		{"parent position just past the last commit", func(b []byte) { binary.BigEndian.PutUint32(cdat(b)[20:], uint32(count(b))) }},
		{"a parent's level not below its child's", func(b []byte) {
			// The last commit in id order that has a parent: its level set to 1.
			rec := cdat(b)
			n := count(b) - 1
			for binary.BigEndian.Uint32(rec[n*cdatWidth+20:]) == graphNoParent {
				n--
			}
			v := binary.BigEndian.Uint64(rec[n*cdatWidth+28:])
			binary.BigEndian.PutUint64(rec[n*cdatWidth+28:], v&(1<<34-1)|1<<34)
		}},
		{"a commit without a level", func(b []byte) {
			rec := cdat(b)
			v := binary.BigEndian.Uint64(rec[28:])
			binary.BigEndian.PutUint64(rec[28:], v&(1<<34-1))
		}},
		{"ids out of order", func(b []byte) {
			ids := chunk(b, "OIDL")
			var a, c [20]byte
			copy(a[:], ids[20:40])
			copy(c[:], ids[40:60])
			copy(ids[20:], c[:])
			copy(ids[40:], a[:])
		}},
		{"an octopus list past the edge chunk", func(b []byte) {
			rec := cdat(b)
			binary.BigEndian.PutUint32(rec[24:], graphExtraEdges|0xffff)
		}},
		{"second parent without a first", func(b []byte) {
			rec := cdat(b)
			binary.BigEndian.PutUint32(rec[20:], graphNoParent)
			binary.BigEndian.PutUint32(rec[24:], 1)
		}},
		{"fan-out not sorted", func(b []byte) {
			binary.BigEndian.PutUint32(chunk(b, "OIDF")[10*4:], 0xffff)
		}},
		{"a chunk past the end", func(b []byte) { binary.BigEndian.PutUint64(b[8+4:], uint64(len(b))) }},
	}
	runGit(t, d.dir, "", "commit-graph", "write", "--reachable", "--no-progress")
	orig, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := bytes.Clone(orig)
			tt.forge(b)
			sum := sha1.Sum(b[:len(b)-20])
			copy(b[len(b)-20:], sum[:])
			os.Chmod(name, 0o644)
			if err := os.WriteFile(name, b, 0o644); err != nil {
				t.Fatal(err)
			}
			d.check(t, 0)
		})
	}
}

// TestParseCommitNode reads parents and the committer's time as go-git
// does, and leaves what it does not recognise to go-git.
func TestParseCommitNode(t *testing.T) {
	t.Parallel()
	tree := "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
	p1 := "parent 1111111111111111111111111111111111111111\n"
	p2 := "parent 2222222222222222222222222222222222222222\n"
	author := "author A U Thor <a@example.com> 1600000000 +0200\n"
	committer := "committer C O Mitter <c@example.com> 1700000000 -0130\n"
	tests := []struct {
		name    string
		data    string
		ok      bool
		parents int
		secs    int64
	}{
		{"root commit", tree + author + committer + "\nmessage\n", true, 0, 1700000000},
		{"merge", tree + p1 + p2 + author + committer + "\nmerge\n", true, 2, 1700000000},
		{"signed", tree + p1 + author + committer + "gpgsig -----BEGIN PGP SIGNATURE-----\n x\n -----END PGP SIGNATURE-----\n\nsigned\n", true, 1, 1700000000},
		{"no author", tree + p1 + committer + "\n", true, 1, 1700000000},
		{"no committer", tree + p1 + author + "\nmessage\n", false, 0, 0},
		{"committer out of place", tree + p1 + author + "encoding latin1\n" + committer + "\n", false, 0, 0},
		{"upper-case parent", tree + strings.ToUpper(p1[:7]) + p1[7:] + author + committer + "\n", false, 0, 0},
		{"short parent", tree + "parent 1111\n" + author + committer + "\n", false, 0, 0},
		{"no tree", p1 + author + committer + "\n", false, 0, 0},
		{"no time", tree + author + "committer C <c@example.com>\n\n", false, 0, 0},
		{"time not a number", tree + author + "committer C <c@example.com> soon +0000\n\n", false, 0, 0},
		{"truncated", tree + p1[:20], false, 0, 0},
		{"empty", "", false, 0, 0},
	}
	for _, tt := range tests {
		n, ok := parseCommitNode(Hash{}, []byte(tt.data))
		if ok != tt.ok {
			t.Errorf("%s: ok = %v, want %v", tt.name, ok, tt.ok)
			continue
		}
		if ok && (len(n.parents) != tt.parents || n.when.Unix() != tt.secs) {
			t.Errorf("%s: %d parents at %d, want %d at %d", tt.name, len(n.parents), n.when.Unix(), tt.parents, tt.secs)
		}
	}
}

// BenchmarkCommitGraph sets gitrepo's commit-graph reader beside go-git's
// (plumbing/format/commitgraph/v2, which reads chains too) on one history
// of 20,000 commits, as a single file and as a chain of three layers:
// opening the graph, and walking every ancestor of the tip from it. go-git
// is measured as it opens the files (a read system call per field) and
// over the same bytes in memory. docs/decisions.md has the figures.
func BenchmarkCommitGraph(b *testing.B) {
	d := newDAG(b, 20000, 5)
	gitDir := filepath.Join(d.dir, ".git")
	tip := d.ids[len(d.ids)-1]
	states := []struct {
		name  string
		write func()
	}{
		{"file", func() { runGit(b, d.dir, "", "commit-graph", "write", "--reachable", "--no-progress") }},
		{"chain", func() { d.writeLayers(b, 8000, 16000, 19999) }},
	}
	for _, st := range states {
		d.clearGraphs(b)
		st.write()
		b.Run(st.name+"/gitrepo/open", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				g, err := loadGraph(gitDir)
				if err != nil {
					b.Fatal(err)
				}
				g.close()
			}
		})
		b.Run(st.name+"/go-git/open", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				idx, err := commitgraph.OpenChainOrFileIndex(osfs.New(gitDir))
				if err != nil {
					b.Fatal(err)
				}
				idx.Close()
			}
		})
		g, err := loadGraph(gitDir)
		if err != nil {
			b.Fatal(err)
		}
		want := walkGitrepo(b, g, tip)
		b.Run(st.name+"/gitrepo/walk", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				walkGitrepo(b, g, tip)
			}
		})
		files, err := commitgraph.OpenChainOrFileIndex(osfs.New(gitDir))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(st.name+"/go-git/walk", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if n := walkGoGit(b, files, tip); n != want {
					b.Fatalf("go-git walked %d commits, gitrepo %d", n, want)
				}
			}
		})
		files.Close()
		var mem commitgraph.Index
		for _, l := range g.layers {
			if mem, err = commitgraph.OpenFileIndexWithParent(nopCloser{bytes.NewReader(l.data)}, mem); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(st.name+"/go-git-in-memory/walk", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if n := walkGoGit(b, mem, tip); n != want {
					b.Fatalf("go-git walked %d commits, gitrepo %d", n, want)
				}
			}
		})
		g.close()
	}
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// walkGitrepo counts the ancestors of tip by commit-graph position.
func walkGitrepo(b *testing.B, g *graph, tip Hash) int {
	i, ok := g.lookup(tip)
	if !ok {
		b.Fatal("tip not in the graph")
	}
	seen := make([]bool, g.n)
	stack := []uint32{uint32(i)}
	seen[i] = true
	n := 0
	for len(stack) > 0 {
		j := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n++
		_ = g.gen(j)
		err := g.parents(j, func(p uint32) error {
			if !seen[p] {
				seen[p] = true
				stack = append(stack, p)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return n
}

// walkGoGit counts the ancestors of tip through go-git's commit-graph index.
func walkGoGit(b *testing.B, idx commitgraph.Index, tip Hash) int {
	i, err := idx.GetIndexByHash(tip)
	if err != nil {
		b.Fatal(err)
	}
	seen := map[uint32]bool{i: true}
	stack := []uint32{i}
	for len(stack) > 0 {
		j := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		c, err := idx.GetCommitDataByIndex(j)
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range c.ParentIndexes {
			if !seen[p] {
				seen[p] = true
				stack = append(stack, p)
			}
		}
	}
	return len(seen)
}

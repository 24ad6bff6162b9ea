package gitrepo

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// FuzzPackRead hands the pack reader arbitrary index and pack bytes,
// seeded with a real pack: it must refuse or read, never panic, and never
// allocate more than the pack could inflate to.
func FuzzPackRead(f *testing.F) {
	if _, err := exec.LookPath("git"); err == nil {
		dir := packedRepo(f)
		idxs, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.idx"))
		for _, idx := range idxs {
			i, err1 := os.ReadFile(idx)
			d, err2 := os.ReadFile(strings.TrimSuffix(idx, ".idx") + ".pack")
			if err1 == nil && err2 == nil {
				f.Add(i, d)
			}
		}
	}
	f.Add([]byte{0xff, 't', 'O', 'c', 0, 0, 0, 2}, []byte("PACK\x00\x00\x00\x02\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, idx, data []byte) {
		p, err := parsePack(idx, data)
		if err != nil {
			return
		}
		s := newStore(nil, "", p)
		for i := 0; i < p.n && i < 32; i++ {
			var h plumbing.Hash
			copy(h[:], p.names[i*20:])
			if off, ok := p.find(h); ok {
				_, _, _ = s.read(p, off, 0)
			}
		}
	})
}

// FuzzGraph hands the commit-graph reader arbitrary files for a base layer
// and a layer above it, seeded with a single file and a chain of two
// written by git: it must refuse them or walk them, never panic, and never
// walk outside the layers it accepted.
func FuzzGraph(f *testing.F) {
	if _, err := exec.LookPath("git"); err == nil {
		d := newDAG(f, 60, 4)
		runGit(f, d.dir, "", "commit-graph", "write", "--reachable", "--no-progress")
		if single, err := os.ReadFile(filepath.Join(d.graphDir(), "commit-graph")); err == nil {
			f.Add(single, []byte(nil))
		}
		d.clearGraphs(f)
		d.writeLayers(f, 30, 59)
		var layers [][]byte
		for _, sum := range d.chain(f) {
			if data, err := os.ReadFile(d.layerPath(sum)); err == nil {
				layers = append(layers, data)
			}
		}
		if len(layers) == 2 {
			f.Add(layers[0], layers[1])
		}
	}
	f.Add([]byte("CGPH\x01\x01\x00\x00"), []byte(nil))
	f.Fuzz(func(t *testing.T, base, top []byte) {
		g := &graph{}
		if g.add(base, nil) != nil {
			return
		}
		if len(top) > 0 {
			_ = g.add(top, nil)
		}
		rc := &Reach{repo: &Repo{graph: g}, g: g, seen: make([]uint64, (g.n+63)/64)}
		for i := 0; i < g.n && i < 256; i++ {
			h, err := g.id(uint32(i))
			if err != nil {
				t.Fatalf("position %d of %d: %v", i, g.n, err)
			}
			if j, ok := g.lookup(h); !ok || j != i {
				t.Fatalf("lookup of position %d gives %d, %v", i, j, ok)
			}
			if _, err := g.node(i, h); err != nil {
				t.Fatalf("node %d: %v", i, err)
			}
			if i < 8 {
				if err := rc.pushPos(uint32(g.n - 1 - i)); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := rc.containsPos(uint32(i)); err != nil {
				t.Fatalf("contains %d: %v", i, err)
			}
		}
	})
}

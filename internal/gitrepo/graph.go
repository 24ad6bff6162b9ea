package gitrepo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"
)

// node is what ancestry walks need of a commit.
type node struct {
	id      Hash
	when    time.Time
	gen     uint64 // topological level from the commit-graph; MaxUint64 when unknown
	parents []Hash
}

// graph is git's commit-graph file (objects/info/commit-graph), read whole
// into memory: a walk over tens of thousands of commits then costs a binary
// search per commit instead of decoding each commit object.
//
// Format: https://git-scm.com/docs/gitformat-commit-graph — a header, a chunk
// table, then OIDF (fan-out), OIDL (sorted ids), CDAT (tree, two parent
// positions, generation and time per commit) and EDGE (octopus parents).
type graph struct {
	n      int
	fanout []byte
	oids   []byte
	cdat   []byte
	edges  []byte
}

const (
	graphNoParent   = 0x70000000
	graphExtraEdges = 0x80000000
	graphLastEdge   = 0x80000000
	cdatWidth       = 20 + 4 + 4 + 8
)

var errNoGraph = errors.New("no usable commit-graph")

// loadGraph reads a single-file SHA-1 commit-graph; a chain of split
// graphs or a file it does not understand gives errNoGraph, and the walks
// fall back to reading commit objects.
func loadGraph(gitDir string) (*graph, error) {
	data, err := os.ReadFile(filepath.Join(gitDir, "objects", "info", "commit-graph"))
	if err != nil {
		return nil, errNoGraph
	}
	if len(data) < 8 || string(data[:4]) != "CGPH" || data[4] != 1 || data[5] != 1 {
		return nil, errNoGraph
	}
	chunks := int(data[6])
	if len(data) < 8+(chunks+1)*12 {
		return nil, errNoGraph
	}
	g := &graph{}
	for i := 0; i < chunks; i++ {
		off := 8 + i*12
		id := string(data[off : off+4])
		start := binary.BigEndian.Uint64(data[off+4:])
		end := binary.BigEndian.Uint64(data[off+16:])
		if start > end || end > uint64(len(data)) {
			return nil, errNoGraph
		}
		chunk := data[start:end]
		switch id {
		case "OIDF":
			g.fanout = chunk
		case "OIDL":
			g.oids = chunk
		case "CDAT":
			g.cdat = chunk
		case "EDGE":
			g.edges = chunk
		}
	}
	if len(g.fanout) != 256*4 {
		return nil, errNoGraph
	}
	g.n = int(binary.BigEndian.Uint32(g.fanout[255*4:]))
	if len(g.oids) != g.n*20 || len(g.cdat) != g.n*cdatWidth {
		return nil, errNoGraph
	}
	return g, nil
}

func (g *graph) lookup(h Hash) (int, bool) {
	lo := 0
	if h[0] > 0 {
		lo = int(binary.BigEndian.Uint32(g.fanout[(int(h[0])-1)*4:]))
	}
	hi := int(binary.BigEndian.Uint32(g.fanout[int(h[0])*4:]))
	for lo < hi {
		mid := (lo + hi) / 2
		switch c := bytes.Compare(g.oids[mid*20:mid*20+20], h[:]); {
		case c == 0:
			return mid, true
		case c < 0:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return 0, false
}

func (g *graph) id(i uint32) (Hash, error) {
	if int(i) >= g.n {
		return Hash{}, fmt.Errorf("commit-graph: parent position %d out of range", i)
	}
	var h Hash
	copy(h[:], g.oids[int(i)*20:])
	return h, nil
}

// gen is a commit's topological level: every ancestor's is lower.
func (g *graph) gen(i uint32) uint64 {
	return binary.BigEndian.Uint64(g.cdat[int(i)*cdatWidth+28:]) >> 34
}

// parents calls fn with the position of each parent of the commit at i.
func (g *graph) parents(i uint32, fn func(uint32) error) error {
	rec := g.cdat[int(i)*cdatWidth:]
	p1 := binary.BigEndian.Uint32(rec[20:])
	p2 := binary.BigEndian.Uint32(rec[24:])
	if p1 != graphNoParent {
		if err := fn(p1); err != nil {
			return err
		}
	}
	switch {
	case p2 == graphNoParent:
	case p2&graphExtraEdges == 0:
		return fn(p2)
	default:
		for k := int(p2 &^ graphExtraEdges); ; k++ {
			if (k+1)*4 > len(g.edges) {
				return errors.New("commit-graph: edge list out of range")
			}
			e := binary.BigEndian.Uint32(g.edges[k*4:])
			if err := fn(e &^ graphLastEdge); err != nil {
				return err
			}
			if e&graphLastEdge != 0 {
				break
			}
		}
	}
	return nil
}

func (g *graph) node(i int, h Hash) (node, error) {
	gt := binary.BigEndian.Uint64(g.cdat[i*cdatWidth+28:])
	n := node{id: h, gen: gt >> 34, when: time.Unix(int64(gt&(1<<34-1)), 0)}
	err := g.parents(uint32(i), func(pos uint32) error {
		p, err := g.id(pos)
		if err == nil {
			n.parents = append(n.parents, p)
		}
		return err
	})
	if err != nil {
		return node{}, err
	}
	return n, nil
}

// node reads a commit for a walk: from the commit-graph when it holds the
// commit, else from the object store (commits made since the last gc).
func (r *Repo) node(h Hash) (node, error) {
	if r.graph != nil {
		if i, ok := r.graph.lookup(h); ok {
			return r.graph.node(i, h)
		}
	}
	c, err := r.git.CommitObject(h)
	if err != nil {
		return node{}, fmt.Errorf("read commit %s: %w", h, err)
	}
	return node{id: h, when: c.Committer.When, gen: math.MaxUint64, parents: c.ParentHashes}, nil
}

// HasCommitGraph reports whether walks use the repository's commit-graph.
func (r *Repo) HasCommitGraph() bool { return r.graph != nil }

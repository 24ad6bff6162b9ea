package gitrepo

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
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

// graph is git's commit-graph, read as one numbering of commits: a single
// file (objects/info/commit-graph, what `git gc` writes) or a chain of
// layers (objects/info/commit-graphs/, what `git fetch`, `git maintenance`
// and `git commit-graph write --split` write). A walk over tens of thousands
// of commits then costs a binary search per commit instead of inflating and
// decoding each commit object.
//
// Format: https://git-scm.com/docs/gitformat-commit-graph. Each file has a
// header, a chunk table, then OIDF (fan-out), OIDL (sorted ids), CDAT (tree,
// two parent positions, topological level and time per commit), EDGE
// (octopus parents) and, in a layer above the base, BASE (the ids of the
// layers below). Positions run through the layers base first: a layer's
// first commit comes after every commit of the layers below it, and a
// parent position may name a commit of the same layer or of one below.
type graph struct {
	n      int           // commits in every layer
	layers []*graphLayer // base first
}

// graphLayer is one commit-graph file.
type graphLayer struct {
	first  uint32 // position of the layer's first commit: how many the layers below hold
	n      uint32
	fanout []byte // 256 big-endian counts
	oids   []byte // n sorted 20-byte ids
	cdat   []byte // n records of cdatWidth bytes
	edges  []byte // octopus parents, 4 bytes each
	sum    Hash   // the file's trailing SHA-1; a chain names its layers by it
	data   []byte // the whole file
	mapped bool   // data is a memory mapping
}

const (
	graphNoParent   = 0x70000000
	graphExtraEdges = 0x80000000
	graphLastEdge   = 0x80000000
	cdatWidth       = 20 + 4 + 4 + 8
	// graphMaxLevel is the highest topological level a commit-graph
	// stores: deeper commits are all given it.
	graphMaxLevel = 1<<30 - 1
	// graphMaxLayers bounds a chain; git merges layers long before this.
	graphMaxLayers = 512
)

var errNoGraph = errors.New("no usable commit-graph")

// errGraph marks a commit-graph file that is not what git writes.
var errGraph = errors.New("malformed commit-graph")

// loadGraph reads the repository's commit-graph as git does: the single
// file when there is a usable one, else the chain of layers. A layer that
// is missing, damaged or does not fit on the layers below ends the chain
// there: the layers below it are closed under parents and are used alone,
// and the commits above them are read from the object store. Without any
// usable layer it returns errNoGraph, and walks read commit objects.
//
// Every file's checksum is verified and every offset, count, parent
// position and level is checked before a walk trusts it, so a damaged file
// costs speed, never a wrong answer or a panic.
func loadGraph(gitDir string) (*graph, error) {
	info := filepath.Join(gitDir, "objects", "info")
	if data, err := readGraphFile(filepath.Join(info, "commit-graph")); err == nil {
		g := &graph{}
		if err := g.add(data, nil); err == nil {
			g.layers[0].mapped = canMap
			return g, nil
		}
		release(data)
	}
	return loadGraphChain(filepath.Join(info, "commit-graphs"))
}

// maxChainFile bounds the chain file read: 41 bytes a layer.
const maxChainFile = graphMaxLayers * 41

func loadGraphChain(dir string) (*graph, error) {
	f, err := os.Open(filepath.Join(dir, "commit-graph-chain"))
	if err != nil {
		return nil, errNoGraph
	}
	buf := make([]byte, maxChainFile+1)
	n, _ := io.ReadFull(f, buf) // a longer chain is cut at its last whole line
	f.Close()
	g := &graph{}
	for _, line := range bytes.SplitAfter(buf[:n], []byte("\n")) {
		sum, ok := chainLine(line)
		if !ok || len(g.layers) == graphMaxLayers {
			break
		}
		data, err := readGraphFile(filepath.Join(dir, "graph-"+hex.EncodeToString(sum[:])+".graph"))
		if err != nil {
			break
		}
		if err := g.add(data, &sum); err != nil {
			release(data)
			break
		}
		g.layers[len(g.layers)-1].mapped = canMap
	}
	if len(g.layers) == 0 {
		return nil, errNoGraph
	}
	return g, nil
}

// chainLine reads one line of commit-graph-chain: 40 hex digits and a newline.
func chainLine(line []byte) (Hash, bool) {
	var h Hash
	if len(line) != 41 || line[40] != '\n' {
		return h, false
	}
	if _, err := hex.Decode(h[:], line[:40]); err != nil {
		return h, false
	}
	return h, true
}

// readGraphFile maps (or reads) a commit-graph file and checks its trailing
// SHA-1, as `git commit-graph verify` does: a flipped bit anywhere would
// otherwise be a wrong parent or level, which no bounds check can see.
func readGraphFile(name string) ([]byte, error) {
	var data []byte
	var err error
	if canMap {
		data, err = mapFile(name)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, err
	}
	if len(data) < 20 || sha1.Sum(data[:len(data)-20]) != [20]byte(data[len(data)-20:]) {
		release(data)
		return nil, fmt.Errorf("%s: %w: checksum mismatch", name, errGraph)
	}
	return data, nil
}

// release gives back what readGraphFile returned.
func release(data []byte) {
	if canMap && len(data) > 0 {
		unmapFile(data)
	}
}

// close unmaps the layers. Repo keeps its graph for its whole life, as it
// keeps its packs; tests and benchmarks that open many call this.
func (g *graph) close() {
	for _, l := range g.layers {
		if l.mapped {
			unmapFile(l.data)
		}
	}
	g.layers, g.n = nil, 0
}

// add checks one commit-graph file and puts it on top of the layers read so
// far. sum, for a layer of a chain, is the id the chain names it by.
func (g *graph) add(data []byte, sum *Hash) error {
	l, err := parseGraphLayer(data, g)
	if err != nil {
		return err
	}
	if sum != nil && *sum != l.sum {
		return fmt.Errorf("%w: layer %s holds %s", errGraph, *sum, l.sum)
	}
	g.layers = append(g.layers, l)
	g.n += int(l.n)
	if err := g.check(l); err != nil {
		g.layers = g.layers[:len(g.layers)-1]
		g.n -= int(l.n)
		return err
	}
	return nil
}

// parseGraphLayer reads the header and chunk table of a SHA-1 commit-graph
// file meant to sit on the layers of below, checking every offset and
// count. It does not verify the checksum (readGraphFile does), so that the
// fuzzer reaches everything past it.
func parseGraphLayer(data []byte, below *graph) (*graphLayer, error) {
	const head = 8
	if len(data) < head+12+20 || string(data[:4]) != "CGPH" {
		return nil, fmt.Errorf("%w: not a commit-graph file", errGraph)
	}
	if data[4] != 1 || data[5] != 1 {
		return nil, fmt.Errorf("%w: version %d, hash %d: only version 1 with SHA-1 is read", errGraph, data[4], data[5])
	}
	if int(data[7]) != len(below.layers) {
		return nil, fmt.Errorf("%w: built on %d layers, found %d below it", errGraph, data[7], len(below.layers))
	}
	end := uint64(len(data) - 20) // the checksum follows the last chunk
	chunks := int(data[6])
	table := head + (chunks+1)*12
	if uint64(table) > end {
		return nil, fmt.Errorf("%w: chunk table is truncated", errGraph)
	}
	l := &graphLayer{first: uint32(below.n), data: data}
	copy(l.sum[:], data[end:])
	var base []byte
	seen := map[string]bool{}
	for i := 0; i < chunks; i++ {
		off := head + i*12
		id := string(data[off : off+4])
		start := binary.BigEndian.Uint64(data[off+4:])
		stop := binary.BigEndian.Uint64(data[off+16:])
		if id == "\x00\x00\x00\x00" {
			return nil, fmt.Errorf("%w: chunk table ends early", errGraph)
		}
		if start < uint64(table) || start > stop || stop > end {
			return nil, fmt.Errorf("%w: chunk %q at %d-%d lies outside the file", errGraph, id, start, stop)
		}
		if seen[id] {
			return nil, fmt.Errorf("%w: chunk %q twice", errGraph, id)
		}
		seen[id] = true
		chunk := data[start:stop]
		switch id {
		case "OIDF":
			l.fanout = chunk
		case "OIDL":
			l.oids = chunk
		case "CDAT":
			l.cdat = chunk
		case "EDGE":
			l.edges = chunk
		case "BASE":
			base = chunk
		}
	}
	if last := head + chunks*12; string(data[last:last+4]) != "\x00\x00\x00\x00" {
		return nil, fmt.Errorf("%w: chunk table has no end", errGraph)
	}
	if len(l.fanout) != 256*4 {
		return nil, fmt.Errorf("%w: fan-out is %d bytes", errGraph, len(l.fanout))
	}
	prev := uint32(0)
	for i := 0; i < 256; i++ {
		c := binary.BigEndian.Uint32(l.fanout[i*4:])
		if c < prev {
			return nil, fmt.Errorf("%w: fan-out is not sorted", errGraph)
		}
		prev = c
	}
	l.n = prev
	if uint64(len(l.oids)) != uint64(l.n)*20 || uint64(len(l.cdat)) != uint64(l.n)*cdatWidth {
		return nil, fmt.Errorf("%w: %d commits, but %d bytes of ids and %d of commit data", errGraph, l.n, len(l.oids), len(l.cdat))
	}
	if uint64(below.n)+uint64(l.n) >= graphNoParent {
		return nil, fmt.Errorf("%w: too many commits", errGraph)
	}
	if len(l.edges)%4 != 0 {
		return nil, fmt.Errorf("%w: edge list is %d bytes", errGraph, len(l.edges))
	}
	if len(base) != len(below.layers)*20 {
		return nil, fmt.Errorf("%w: names %d base layers, found %d below it", errGraph, len(base)/20, len(below.layers))
	}
	for k, b := range below.layers {
		if !bytes.Equal(base[k*20:k*20+20], b.sum[:]) {
			return nil, fmt.Errorf("%w: base layer %d is %x, found %s", errGraph, k, base[k*20:k*20+20], b.sum)
		}
	}
	return l, nil
}

// check walks the top layer l once, commit by commit, before anything
// trusts it: ids sorted and in their fan-out buckets, every parent position
// inside the layers so far, octopus edge lists inside the EDGE chunk and
// not shared, and every parent's level below its child's (the walks stop
// on levels, so a wrong one would be a wrong answer).
func (g *graph) check(l *graphLayer) error {
	limit := l.first + l.n // no parent lies in a layer above
	nextEdge := 0          // git writes each octopus's list after the last
	bucket := 0
	for i := uint32(0); i < l.n; i++ {
		id := l.oids[i*20 : i*20+20]
		for bucket < 256 && binary.BigEndian.Uint32(l.fanout[bucket*4:]) <= i {
			bucket++
		}
		if int(id[0]) != bucket {
			return fmt.Errorf("%w: commit %d is outside its fan-out bucket", errGraph, i)
		}
		if i > 0 && bytes.Compare(l.oids[(i-1)*20:i*20], id) >= 0 {
			return fmt.Errorf("%w: ids are not sorted", errGraph)
		}
		rec := l.cdat[i*cdatWidth:]
		level := binary.BigEndian.Uint64(rec[28:]) >> 34
		if level == 0 {
			return fmt.Errorf("%w: commit %d has no level", errGraph, i)
		}
		parent := func(p uint32) error {
			if p >= limit {
				return fmt.Errorf("%w: parent position %d out of range", errGraph, p)
			}
			pl := g.gen(p)
			if pl >= level && !(pl == graphMaxLevel && level == graphMaxLevel) {
				return fmt.Errorf("%w: a parent's level %d is not below its child's %d", errGraph, pl, level)
			}
			return nil
		}
		p1 := binary.BigEndian.Uint32(rec[20:])
		p2 := binary.BigEndian.Uint32(rec[24:])
		if p1 == graphNoParent {
			if p2 != graphNoParent {
				return fmt.Errorf("%w: commit %d has a second parent and no first", errGraph, i)
			}
			continue
		}
		if err := parent(p1); err != nil {
			return err
		}
		switch {
		case p2 == graphNoParent:
		case p2&graphExtraEdges == 0:
			if err := parent(p2); err != nil {
				return err
			}
		default:
			k := int(p2 &^ graphExtraEdges)
			if k < nextEdge {
				return fmt.Errorf("%w: edge lists overlap", errGraph)
			}
			for ; ; k++ {
				if (k+1)*4 > len(l.edges) {
					return fmt.Errorf("%w: edge list out of range", errGraph)
				}
				e := binary.BigEndian.Uint32(l.edges[k*4:])
				if err := parent(e &^ graphLastEdge); err != nil {
					return err
				}
				if e&graphLastEdge != 0 {
					break
				}
			}
			nextEdge = k + 1
		}
	}
	return nil
}

// layer is the layer that holds position i.
func (g *graph) layer(i uint32) *graphLayer {
	for k := len(g.layers) - 1; k > 0; k-- {
		if i >= g.layers[k].first {
			return g.layers[k]
		}
	}
	return g.layers[0]
}

// record is the CDAT record of position i, which must be below g.n.
func (g *graph) record(i uint32) []byte {
	l := g.layer(i)
	j := int(i - l.first)
	return l.cdat[j*cdatWidth : j*cdatWidth+cdatWidth]
}

func (g *graph) lookup(h Hash) (int, bool) {
	for k := len(g.layers) - 1; k >= 0; k-- {
		if i, ok := g.layers[k].lookup(h); ok {
			return int(g.layers[k].first) + i, true
		}
	}
	return 0, false
}

func (l *graphLayer) lookup(h Hash) (int, bool) {
	lo := 0
	if h[0] > 0 {
		lo = int(binary.BigEndian.Uint32(l.fanout[(int(h[0])-1)*4:]))
	}
	hi := int(binary.BigEndian.Uint32(l.fanout[int(h[0])*4:]))
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		switch c := bytes.Compare(l.oids[mid*20:mid*20+20], h[:]); {
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
	l := g.layer(i)
	j := int(i - l.first)
	var h Hash
	copy(h[:], l.oids[j*20:])
	return h, nil
}

// gen is a commit's topological level: every ancestor's is lower.
func (g *graph) gen(i uint32) uint64 {
	return binary.BigEndian.Uint64(g.record(i)[28:]) >> 34
}

// parents calls fn with the position of each parent of the commit at i.
func (g *graph) parents(i uint32, fn func(uint32) error) error {
	l := g.layer(i)
	rec := l.cdat[int(i-l.first)*cdatWidth:]
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
			if (k+1)*4 > len(l.edges) {
				return errors.New("commit-graph: edge list out of range")
			}
			e := binary.BigEndian.Uint32(l.edges[k*4:])
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
	gt := binary.BigEndian.Uint64(g.record(uint32(i))[28:])
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
// commit, else from the object store (commits made since the graph was
// last written, or every commit of a repository without one).
func (r *Repo) node(h Hash) (node, error) {
	if g := r.commitGraph(); g != nil {
		if i, ok := g.lookup(h); ok {
			return g.node(i, h)
		}
	}
	if ps, ok := r.git.Storer.(*packStore); ok {
		if n, ok := ps.commitNode(h); ok {
			return n, nil
		}
	}
	c, err := r.git.CommitObject(h)
	if err != nil {
		return node{}, fmt.Errorf("read commit %s: %w", h, err)
	}
	return node{id: h, when: c.Committer.When, gen: math.MaxUint64, parents: c.ParentHashes}, nil
}

// HasCommitGraph reports whether walks use the repository's commit-graph.
func (r *Repo) HasCommitGraph() bool { return r.commitGraph() != nil }

package gitrepo

import (
	"container/heap"
	"fmt"
	"time"
)

// slop is how many extra commits a walk looks at after it thinks it is done,
// as git does, so that a little clock skew between commits does not cut a
// walk short.
const slop = 5

// skew is how far a commit's time may lie below its descendants' before a
// reachability walk stops looking for it.
const skew = 24 * time.Hour

type queued struct {
	node
	flags uint8
}

func newQueued(n node, flags uint8) *queued {
	return &queued{node: n, flags: flags}
}

// nodeQueue pops the commit of highest generation first, then the newest:
// a commit's ancestors always have lower generations, and commits outside
// the commit-graph (unknown generation) are newer than all inside it.
type nodeQueue []*queued

func (q nodeQueue) Len() int { return len(q) }
func (q nodeQueue) Less(i, j int) bool {
	if q[i].gen != q[j].gen {
		return q[i].gen > q[j].gen
	}
	return q[i].when.After(q[j].when)
}
func (q nodeQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *nodeQueue) Push(x any)   { *q = append(*q, x.(*queued)) }
func (q *nodeQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}

const (
	fromTip  uint8 = 1
	fromBase uint8 = 2
)

// Range returns the commits reachable from tip but not from base, newest
// first (what `git rev-list base..tip` lists), and whether base is an
// ancestor of tip (or tip itself). The walk stops as soon as every commit
// left to look at is reachable from base, so it costs about as many commits
// as the range holds, not the whole history.
func (r *Repo) Range(base, tip Hash) (commits []Hash, descends bool, err error) {
	flags := map[Hash]uint8{}
	q := &nodeQueue{}
	push := func(h Hash, f uint8) error {
		old, seen := flags[h]
		if old|f == old && seen {
			return nil
		}
		flags[h] = old | f
		if seen {
			// Already queued or done: re-queue so the new flag reaches its parents.
			if old&fromBase == 0 && f&fromBase != 0 {
				n, err := r.node(h)
				if err != nil {
					return fmt.Errorf("read commit %s: %w", h, err)
				}
				heap.Push(q, newQueued(n, fromBase))
			}
			return nil
		}
		n, err := r.node(h)
		if err != nil {
			return fmt.Errorf("read commit %s: %w", h, err)
		}
		heap.Push(q, newQueued(n, f))
		return nil
	}
	if err := push(base, fromBase); err != nil {
		return nil, false, err
	}
	if err := push(tip, fromTip); err != nil {
		return nil, false, err
	}
	interesting := func() bool {
		for _, it := range *q {
			if flags[it.id]&fromBase == 0 {
				return true
			}
		}
		return false
	}
	extra := slop
	emitted := map[Hash]bool{}
	for q.Len() > 0 {
		if !interesting() {
			if extra == 0 {
				break
			}
			extra--
		}
		it := heap.Pop(q).(*queued)
		h := it.id
		f := flags[h]
		if f&fromBase != 0 {
			if f&fromTip != 0 && h == base {
				descends = true
			}
			for _, p := range it.parents {
				if err := push(p, fromBase); err != nil {
					return nil, false, err
				}
			}
			continue
		}
		if !emitted[h] {
			emitted[h] = true
			commits = append(commits, h)
		}
		for _, p := range it.parents {
			if err := push(p, fromTip); err != nil {
				return nil, false, err
			}
		}
	}
	if flags[base]&fromTip != 0 {
		descends = true
	}
	// A commit first walked as the tip's and later found reachable from base
	// is not in the range.
	out := commits[:0]
	for _, h := range commits {
		if flags[h]&fromBase == 0 {
			out = append(out, h)
		}
	}
	return out, descends, nil
}

// Reach answers "is this commit reachable from these tips?" for many
// questions against the same tips, walking each part of history once.
//
// Commits in the commit-graph are walked by their position in it, with a
// bitset for what was seen, highest generation first; a commit-graph is
// closed under parents, so only the few commits made since it was written
// need reading from the object store.
type Reach struct {
	repo    *Repo
	q       nodeQueue     // commits outside the commit-graph, newest first
	visited map[Hash]bool // of those, every one queued
	gq      genQueue      // commit-graph positions, highest generation first
	seen    []uint64      // bitset of commit-graph positions queued
	g       *graph        // the repository's commit-graph, or nil
}

// NewReach starts a reachability index over the history of tips.
func (r *Repo) NewReach(tips ...Hash) (*Reach, error) {
	rc := &Reach{repo: r, visited: map[Hash]bool{}, g: r.commitGraph()}
	if rc.g != nil {
		rc.seen = make([]uint64, (rc.g.n+63)/64)
	}
	for _, t := range tips {
		if err := rc.push(t); err != nil {
			return nil, err
		}
	}
	return rc, nil
}

func (rc *Reach) push(h Hash) error {
	if g := rc.g; g != nil {
		if i, ok := g.lookup(h); ok {
			return rc.pushPos(uint32(i))
		}
	}
	if rc.visited[h] {
		return nil
	}
	rc.visited[h] = true
	n, err := rc.repo.node(h)
	if err != nil {
		return fmt.Errorf("read commit %s: %w", h, err)
	}
	heap.Push(&rc.q, newQueued(n, 0))
	return nil
}

func (rc *Reach) pushPos(i uint32) error {
	if int(i) >= rc.g.n {
		return fmt.Errorf("commit-graph: parent position %d out of range", i)
	}
	if rc.seen[i/64]&(1<<(i%64)) != 0 {
		return nil
	}
	rc.seen[i/64] |= 1 << (i % 64)
	rc.gq.push(i, rc.g.gen(i))
	return nil
}

func (rc *Reach) seenPos(i uint32) bool { return rc.seen[i/64]&(1<<(i%64)) != 0 }

// Contains reports whether commit is reachable from the tips. With a
// commit-graph it walks down to the commit's generation, which is exact;
// without one, newest first until it passes the commit's time by a day of
// skew.
func (rc *Reach) Contains(commit Hash) (bool, error) {
	if g := rc.g; g != nil {
		if i, ok := g.lookup(commit); ok {
			return rc.containsPos(uint32(i))
		}
	}
	if rc.visited[commit] {
		return true, nil
	}
	n, err := rc.repo.node(commit)
	if err != nil {
		return false, fmt.Errorf("read commit %s: %w", commit, err)
	}
	stop := n.when.Add(-skew)
	for rc.q.Len() > 0 && !rc.q[0].when.Before(stop) {
		if err := rc.step(); err != nil {
			return false, err
		}
		if rc.visited[commit] {
			return true, nil
		}
	}
	return rc.visited[commit], nil
}

// step walks one commit from outside the commit-graph.
func (rc *Reach) step() error {
	it := heap.Pop(&rc.q).(*queued)
	for _, p := range it.parents {
		if err := rc.push(p); err != nil {
			return err
		}
	}
	return nil
}

func (rc *Reach) containsPos(i uint32) (bool, error) {
	if rc.seenPos(i) {
		return true, nil
	}
	// Every commit outside the graph may lead into it.
	for rc.q.Len() > 0 {
		if err := rc.step(); err != nil {
			return false, err
		}
	}
	g := rc.g
	gen := g.gen(i)
	for rc.gq.len() > 0 && rc.gq.topGen() >= gen {
		j := rc.gq.pop()
		if err := g.parents(j, rc.pushPos); err != nil {
			return false, err
		}
		if rc.seenPos(i) {
			return true, nil
		}
	}
	return rc.seenPos(i), nil
}

// genQueue is a max-heap of commit-graph positions by generation.
type genQueue struct{ items []genItem }

type genItem struct {
	gen uint64
	pos uint32
}

func (q *genQueue) len() int       { return len(q.items) }
func (q *genQueue) topGen() uint64 { return q.items[0].gen }

func (q *genQueue) push(pos uint32, gen uint64) {
	q.items = append(q.items, genItem{gen, pos})
	for i := len(q.items) - 1; i > 0; {
		up := (i - 1) / 2
		if q.items[up].gen >= q.items[i].gen {
			break
		}
		q.items[up], q.items[i] = q.items[i], q.items[up]
		i = up
	}
}

func (q *genQueue) pop() uint32 {
	top := q.items[0].pos
	last := len(q.items) - 1
	q.items[0] = q.items[last]
	q.items = q.items[:last]
	for i := 0; ; {
		l, big := 2*i+1, i
		if l < last && q.items[l].gen > q.items[big].gen {
			big = l
		}
		if r := l + 1; r < last && q.items[r].gen > q.items[big].gen {
			big = r
		}
		if big == i {
			break
		}
		q.items[i], q.items[big] = q.items[big], q.items[i]
		i = big
	}
	return top
}

// IsAncestor reports whether a is an ancestor of b (or b itself).
func (r *Repo) IsAncestor(a, b Hash) (bool, error) {
	if a == b {
		return true, nil
	}
	rc, err := r.NewReach(b)
	if err != nil {
		return false, err
	}
	return rc.Contains(a)
}

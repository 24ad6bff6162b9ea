package history

import (
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/registry"
)

// prefetcher reads the patches/ listings of a walk's commits on another
// goroutine while the walk reads the commits themselves: a line's walk
// reads each first-parent commit whole (its message has the trailers) and
// the root tree of each (which says whether patches/ changed), two chains
// of object reads that do not depend on each other. With a repository
// whose objects cannot be read from two goroutines it does nothing, and
// listing reads them as before.
type prefetcher struct {
	h    *History
	in   chan gitrepo.CommitInfo
	done chan map[gitrepo.Hash]rootListing
	sent map[gitrepo.Hash]bool // root trees already asked for
}

// rootListing is what listing works out from a root tree.
type rootListing struct {
	th gitrepo.Hash // patches/ tree, zero when there is none
	l  Listing
}

func (h *History) prefetch() *prefetcher {
	p := &prefetcher{h: h}
	if !h.Reg.Repo.ConcurrentReads() {
		return p
	}
	p.in = make(chan gitrepo.CommitInfo, 256)
	p.done = make(chan map[gitrepo.Hash]rootListing, 1)
	p.sent = map[gitrepo.Hash]bool{}
	go p.run(h.Reg.Repo)
	return p
}

// add asks for c's listing, unless it is known or asked for already.
func (p *prefetcher) add(c gitrepo.CommitInfo) {
	if p.in == nil || p.sent[c.Tree] {
		return
	}
	if _, ok := p.h.atCommit[c.Hash]; ok {
		return
	}
	if _, ok := p.h.prefetched[c.Tree]; ok {
		return
	}
	p.sent[c.Tree] = true
	p.in <- c
}

// run reads listings until the walk is done with it. A tree it cannot read
// is left out: listing reads it again and reports the error.
func (p *prefetcher) run(repo *gitrepo.Repo) {
	out := map[gitrepo.Hash]rootListing{}
	byDir := map[gitrepo.Hash]Listing{}
	for c := range p.in {
		root, err := repo.TreeEntries(c.Tree, registry.Dir)
		if err != nil {
			continue
		}
		var rl rootListing
		if len(root) == 1 && root[0].Dir {
			rl.th = root[0].Hash
		}
		l, ok := byDir[rl.th]
		if !ok {
			if l, err = readListing(repo, rl.th); err != nil {
				continue
			}
			byDir[rl.th] = l
		}
		rl.l = l
		out[c.Tree] = rl
	}
	p.done <- out
}

// wait hands what was read to listing, once the walk has asked for all.
func (p *prefetcher) wait() {
	if p.in == nil {
		return
	}
	close(p.in)
	got := <-p.done
	p.in = nil
	if p.h.prefetched == nil {
		p.h.prefetched = got
		return
	}
	for k, v := range got {
		p.h.prefetched[k] = v
	}
}

// stop ends the goroutine of a walk that ended early.
func (p *prefetcher) stop() {
	if p.in != nil {
		close(p.in)
		<-p.done
		p.in = nil
	}
}

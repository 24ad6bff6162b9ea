package patchdiff

import (
	"bytes"
)

// lineSet is a file split into lines. Each line keeps its "\n" (and a "\r"
// before it), so CRLF files and a missing final newline survive byte for byte.
type lineSet struct {
	data   []byte
	starts []int // line i is data[starts[i]:starts[i+1]]
}

func splitLines(data []byte) lineSet {
	starts := make([]int, 0, bytes.Count(data, []byte{'\n'})+2)
	for i := 0; i < len(data); {
		starts = append(starts, i)
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
	}
	starts = append(starts, len(data))
	return lineSet{data: data, starts: starts}
}

func (l lineSet) len() int { return len(l.starts) - 1 }

func (l lineSet) line(i int) []byte { return l.data[l.starts[i]:l.starts[i+1]] }

// edit replaces old lines [a0,a1) by new lines [b0,b1).
type edit struct{ a0, a1, b0, b1 int }

// diffBudget bounds the work (diagonals visited plus snake steps) that Myers
// may spend on one file pair, about a tenth of a second. Ordinary source
// changes need a small fraction of it; past it, what is left unaligned
// becomes one replace: a correct diff, just a larger one, instead of minutes
// of CPU on two large files that share many lines in a scrambled order.
const diffBudget = 1 << 25

// diffLines returns the changed regions between a and b, in order.
//
// Common leading and trailing lines are trimmed first, so a one-line change
// in a 50 MB file costs a pass over it and no more. Lines of the middle that
// occur on one side only cannot be part of any common subsequence, so they
// are marked changed before Myers runs: two totally different files need no
// search at all, and the longest common subsequence stays exact.
func diffLines(a, b lineSet) []edit {
	na, nb := a.len(), b.len()
	pre := 0
	for pre < na && pre < nb && bytes.Equal(a.line(pre), b.line(pre)) {
		pre++
	}
	ea, eb := na, nb
	for ea > pre && eb > pre && bytes.Equal(a.line(ea-1), b.line(eb-1)) {
		ea--
		eb--
	}
	if pre == ea && pre == eb {
		return nil
	}

	// Intern the middle lines so that Myers compares ints, not bytes.
	ids := make(map[string]int32)
	intern := func(l lineSet, lo, hi int) []int32 {
		out := make([]int32, hi-lo)
		for i := lo; i < hi; i++ {
			line := l.line(i)
			id, ok := ids[string(line)]
			if !ok {
				id = int32(len(ids))
				ids[string(line)] = id
			}
			out[i-lo] = id
		}
		return out
	}
	ia, ib := intern(a, pre, ea), intern(b, pre, eb)

	inA := make([]bool, len(ids))
	inB := make([]bool, len(ids))
	for _, id := range ia {
		inA[id] = true
	}
	for _, id := range ib {
		inB[id] = true
	}
	changedA := make([]bool, len(ia))
	changedB := make([]bool, len(ib))
	var keptA, keptB []int // indices into ia/ib of lines that occur on both sides
	for i, id := range ia {
		if inB[id] {
			keptA = append(keptA, i)
		} else {
			changedA[i] = true
		}
	}
	for i, id := range ib {
		if inA[id] {
			keptB = append(keptB, i)
		} else {
			changedB[i] = true
		}
	}

	m := newMyers(pick(ia, keptA), pick(ib, keptB))
	m.compare(0, len(m.a), 0, len(m.b))
	for k, i := range keptA {
		changedA[i] = m.delA[k]
	}
	for k, j := range keptB {
		changedB[j] = m.insB[k]
	}
	return editsFromMarks(changedA, changedB, pre)
}

func pick(ids []int32, idx []int) []int32 {
	out := make([]int32, len(idx))
	for k, i := range idx {
		out[k] = ids[i]
	}
	return out
}

// editsFromMarks turns per-line change marks into edits. Unmarked lines of
// both sides pair up in order; that is what makes the marks a diff.
func editsFromMarks(changedA, changedB []bool, offset int) []edit {
	var edits []edit
	i, j := 0, 0
	for i < len(changedA) || j < len(changedB) {
		if i < len(changedA) && j < len(changedB) && !changedA[i] && !changedB[j] {
			i++
			j++
			continue
		}
		si, sj := i, j
		for i < len(changedA) && changedA[i] {
			i++
		}
		for j < len(changedB) && changedB[j] {
			j++
		}
		if i == si && j == sj {
			// One side ran out of unchanged lines before the other: marks that
			// do not pair up. Never expected; replacing the rest stays correct.
			i, j = len(changedA), len(changedB)
		}
		if n := len(edits); n > 0 && edits[n-1].a1 == offset+si && edits[n-1].b1 == offset+sj {
			edits[n-1].a1, edits[n-1].b1 = offset+i, offset+j
			continue
		}
		edits = append(edits, edit{offset + si, offset + i, offset + sj, offset + j})
	}
	return edits
}

// myers is the linear-space variant of Myers' O(ND) algorithm ("An O(ND)
// Difference Algorithm and Its Variations", 1986, section 4b): find the
// middle snake of the shortest edit script, then recurse on both halves.
type myers struct {
	a, b       []int32
	delA, insB []bool // lines of a deleted, lines of b inserted
	vf, vb     []int  // furthest x per diagonal, forward and backward; reused
	budget     int
}

func newMyers(a, b []int32) *myers {
	n := len(a) + len(b) + 3
	return &myers{
		a: a, b: b,
		delA:   make([]bool, len(a)),
		insB:   make([]bool, len(b)),
		vf:     make([]int, n+2),
		vb:     make([]int, n+2),
		budget: diffBudget,
	}
}

// compare marks the edits between a[a0:a1] and b[b0:b1].
func (m *myers) compare(a0, a1, b0, b1 int) {
	for a0 < a1 && b0 < b1 && m.a[a0] == m.b[b0] {
		a0++
		b0++
	}
	for a0 < a1 && b0 < b1 && m.a[a1-1] == m.b[b1-1] {
		a1--
		b1--
	}
	switch {
	case a0 == a1 && b0 == b1:
		return
	case a0 == a1:
		mark(m.insB[b0:b1])
		return
	case b0 == b1:
		mark(m.delA[a0:a1])
		return
	}
	x, y, ok := m.split(a0, a1, b0, b1)
	if !ok || (x == a0 && y == b0) || (x == a1 && y == b1) {
		// Out of budget, or no split that makes progress: replace the range.
		mark(m.delA[a0:a1])
		mark(m.insB[b0:b1])
		return
	}
	m.compare(a0, x, b0, y)
	m.compare(x, a1, y, b1)
}

func mark(s []bool) {
	for i := range s {
		s[i] = true
	}
}

// split finds a point (x, y) on a shortest edit path from (a0,b0) to
// (a1,b1) by running the search forward and backward until they overlap.
// ok is false when the budget runs out or the ranges share nothing.
func (m *myers) split(a0, a1, b0, b1 int) (x, y int, ok bool) {
	n, mm := a1-a0, b1-b0
	maxD := (n + mm + 1) / 2
	off := maxD
	vlen := 2*maxD + 2
	vf, vb := m.vf[:vlen], m.vb[:vlen]
	m.budget -= vlen
	for i := range vf {
		vf[i] = -1
		vb[i] = -1
	}
	vf[off+1], vb[off+1] = 0, 0
	delta := n - mm
	front := delta%2 != 0 // with an odd delta the forward search meets the backward one
	var k1start, k1end, k2start, k2end int
	for d := 0; d < maxD; d++ {
		if m.budget <= 0 {
			return 0, 0, false
		}
		for k1 := -d + k1start; k1 <= d-k1end; k1 += 2 {
			m.budget--
			k1o := off + k1
			var x1 int
			if k1 == -d || (k1 != d && vf[k1o-1] < vf[k1o+1]) {
				x1 = vf[k1o+1]
			} else {
				x1 = vf[k1o-1] + 1
			}
			y1 := x1 - k1
			for x1 < n && y1 < mm && m.a[a0+x1] == m.b[b0+y1] {
				x1++
				y1++
				m.budget--
			}
			vf[k1o] = x1
			switch {
			case x1 > n:
				k1end += 2 // ran off the right edge
			case y1 > mm:
				k1start += 2 // ran off the bottom edge
			case front:
				if k2o := off + delta - k1; k2o >= 0 && k2o < vlen && vb[k2o] != -1 {
					if x1 >= n-vb[k2o] {
						return a0 + x1, b0 + y1, true
					}
				}
			}
		}
		for k2 := -d + k2start; k2 <= d-k2end; k2 += 2 {
			m.budget--
			k2o := off + k2
			var x2 int
			if k2 == -d || (k2 != d && vb[k2o-1] < vb[k2o+1]) {
				x2 = vb[k2o+1]
			} else {
				x2 = vb[k2o-1] + 1
			}
			y2 := x2 - k2
			for x2 < n && y2 < mm && m.a[a1-1-x2] == m.b[b1-1-y2] {
				x2++
				y2++
				m.budget--
			}
			vb[k2o] = x2
			switch {
			case x2 > n:
				k2end += 2
			case y2 > mm:
				k2start += 2
			case !front:
				if k1o := off + delta - k2; k1o >= 0 && k1o < vlen && vf[k1o] != -1 {
					x1 := vf[k1o]
					y1 := off + x1 - k1o
					if x1 >= n-x2 {
						return a0 + x1, b0 + y1, true
					}
				}
			}
		}
	}
	return 0, 0, false
}

// hunk is a group of edits shown together, with the context around them.
type hunk struct {
	a0, a1, b0, b1 int // old and new line ranges shown, context included
	edits          []edit
}

// hunks groups edits the way git does: edits whose context would touch or
// overlap (at most 2*context unchanged lines apart) share one hunk.
func hunks(edits []edit, na, nb, context int) []hunk {
	var out []hunk
	for i := 0; i < len(edits); {
		j := i + 1
		for j < len(edits) && edits[j].a0-edits[j-1].a1 <= 2*context {
			j++
		}
		first, last := edits[i], edits[j-1]
		lead := min(context, first.a0)
		trail := min(context, na-last.a1, nb-last.b1)
		out = append(out, hunk{
			a0: first.a0 - lead, a1: last.a1 + trail,
			b0: first.b0 - lead, b1: last.b1 + trail,
			edits: edits[i:j],
		})
		i = j
	}
	return out
}

package delta

import (
	"bytes"
	"encoding/binary"
)

// Go's function table (functab, then one _func record per function) is
// where the search fails on executables: when code moves, every entry's
// offsets change, so no string of the table matches old exactly and the
// search keeps whatever alignment it had, usually one entry off after the
// first function that was added. The predictor can only fix an offset it
// reads from the right entry. So Create aligns the table itself: each
// function of new with the function of the same name in old, entry with
// entry and record with record, and the predictor then moves the table as
// a block: what is left in the diff stream is what changed in a function.

// pclnFixed returns the control entries for new's function table, as a
// part of new that the search skips; ok is false when either file's table
// does not parse.
func pclnFixed(old, new []byte, oi, ni execInfo) (fixedPart, bool) {
	ot, ok1 := readFuncTable(old, oi)
	nt, ok2 := readFuncTable(new, ni)
	if !ok1 || !ok2 {
		return fixedPart{}, false
	}
	// Old's functions by name; a name used twice matches in order.
	byName := make(map[string][]int, len(ot.names))
	for j, name := range ot.names {
		byName[name] = append(byName[name], j)
	}
	match := make([]int, len(nt.names))
	for k, name := range nt.names {
		match[k] = -1
		if js := byName[name]; len(js) > 0 {
			match[k], byName[name] = js[0], js[1:]
		}
	}

	var b entryBuilder
	ft, oft := ni.pcln.functab, oi.pcln.functab
	for _, j := range match { // functab entries
		if j < 0 {
			b.extra(8)
		} else {
			b.diff(oft+8*int64(j), 8)
		}
	}
	// The end pc offset, and the padding before the first record.
	b.diff(oft+8*int64(len(ot.names)), min(4, nt.recs[0]-(ft+8*int64(len(nt.names)))))
	if gap := nt.recs[0] - (ft + 8*int64(len(nt.names)) + 4); gap > 0 {
		b.pad(old, ot.recs[0]-gap, gap)
	}
	for k, j := range match { // records, each with the padding after it
		n := nt.end(k) - nt.recs[k]
		if j < 0 {
			b.extra(n)
			continue
		}
		o := ot.end(j) - ot.recs[j]
		b.diff(ot.recs[j], min(n, o))
		if n > o {
			b.extra(n - o)
		}
	}
	return fixedPart{start: int(ft), end: int(ni.pcln.end), entries: b.entries}, true
}

// funcTable is a parsed function table: each function's name and where
// its record starts, by file offset.
type funcTable struct {
	names []string
	recs  []int64
	last  int64 // where the last record's padding ends
}

func (t *funcTable) end(k int) int64 {
	if k+1 < len(t.recs) {
		return t.recs[k+1]
	}
	return t.last
}

// readFuncTable parses the function table x.pcln describes; ok is false
// unless every record lies in the table, after the one before, and every
// name in the name table.
func readFuncTable(b []byte, x execInfo) (funcTable, bool) {
	c := x.pcln
	if c == nil || c.nfunc == 0 {
		return funcTable{}, false
	}
	names := c.bases[pclnFuncname] - x.base
	if names >= uint64(len(b)) {
		return funcTable{}, false
	}
	t := funcTable{names: make([]string, c.nfunc), recs: make([]int64, c.nfunc), last: c.end}
	prev := c.functab + 8*c.nfunc + 4
	for i := range c.nfunc {
		at := c.functab + int64(binary.LittleEndian.Uint32(b[c.functab+8*i+4:]))
		if at < prev || at+funcSize > c.end {
			return funcTable{}, false
		}
		off := names + uint64(int64(int32(binary.LittleEndian.Uint32(b[at+4:]))))
		if off >= uint64(len(b)) {
			return funcTable{}, false
		}
		name := b[off:min(uint64(len(b)), off+1024)]
		if n := bytes.IndexByte(name, 0); n >= 0 {
			name = name[:n]
		}
		t.names[i], t.recs[i] = string(name), at
		prev = at + funcSize
	}
	return t, true
}

// entryBuilder turns pieces of new, each from a place in old or from the
// extra stream, into control entries; consecutive pieces of old join.
type entryBuilder struct {
	entries []entry
	oldPos  int64 // where the last entry's diff ends in old
}

func (b *entryBuilder) diff(from, n int64) {
	if n <= 0 {
		return
	}
	if k := len(b.entries); k > 0 && b.entries[k-1].extra == 0 && from == b.oldPos {
		b.entries[k-1].diff += n
		b.oldPos += n
		return
	}
	b.entries = append(b.entries, entry{seek: from - b.oldPos, diff: n})
	b.oldPos = from + n
}

func (b *entryBuilder) extra(n int64) {
	if n <= 0 {
		return
	}
	if k := len(b.entries); k > 0 {
		b.entries[k-1].extra += n
		return
	}
	b.entries = append(b.entries, entry{seek: 0, extra: n})
}

// pad takes n bytes of padding from old at from, if that is inside old.
func (b *entryBuilder) pad(old []byte, from, n int64) {
	if from >= 0 && from+n <= int64(len(old)) {
		b.diff(from, n)
	} else {
		b.extra(n)
	}
}

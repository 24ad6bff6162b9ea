package delta

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
)

// Format version 3 predicts by address rather than by file offset, and
// knows more kinds of reference (docs/delta-format.md, "Prediction"):
//
//   - abs64: as before, an aligned 8-byte word that holds the address of a
//     byte of old, or of a zero-filled range (.bss): data and tables.
//   - rel32: x86-64 displacements, as before, whose target may also be in
//     a zero-filled range: most of what moves when a program's .data grows
//     is code that addresses .bss through RIP.
//   - arm64: in arm64 code, B and BL (imm26), B.cond, CBZ, CBNZ and LDR
//     literal (imm19), TBZ and TBNZ (imm14), and ADRP with the ADD, LDR or
//     STR after it that adds the low 12 bits of the address.
//   - nobits: where each zero-filled range of old's address space moved,
//     and the writable data in which abs64 words may point into them.
//   - pclntab: the offsets in Go's function table (functab) and in each
//     function's _func record, relative to the start of the code, the
//     function names, the pc-value tables, the function table and the
//     funcdata (go:func.*), so that the table moves as a block when the
//     code and names before an entry move.
//
// Inside a code range only the code's own references are looked for, and
// inside the function table only its fields; abs64 covers the rest.

// addrMove says that old addresses [start, end] (end included: a symbol
// may point just past a range) hold nothing in old's file and moved by
// shift.
type addrMove struct {
	start, end uint64
	shift      int64
}

// The bases pclntab offsets are relative to.
const (
	pclnText     = iota // moduledata.text: entryOff
	pclnFuncname        // funcnametab: nameOff
	pclnPctab           // pctab: pcsp, pcfile, pcln, pcdata
	pclnFunctab         // the function table: funcoff
	pclnGofunc          // go:func.*: funcdata
	pclnCutab           // the compilation units' file tables: cuOffset, in 4-byte entries
	numPclnBases
)

// pclnRules locate the function table in old, and say where each base
// its fields are relative to is in old and in new.
type pclnRules struct {
	functab int64 // old offset of the function table
	nfunc   int64 // its entries, each 8 bytes, followed by 4 more
	end     int64 // old offset where the _func records end
	bases   [numPclnBases][2]uint64
}

// funcSize is the fixed part of a _func record; npcdata is at offset 28,
// nfuncdata is its last byte.
const funcSize = 44

// Version 3 flags.
const (
	rulesAbs64 = 1 << iota
	rulesRel32
	rulesArm64
	rulesNobits
	rulesPcln
	rulesTables
	rulesAll = 1<<iota - 1
)

const (
	maxNobits = 4096
	maxCode   = 64 // code ranges of each kind
	maxTables = 16
)

// tableZone is a range of old whose 4-byte words are offsets from a base
// (tableOff32), or which also holds abs64 pointers (tablePtrOff32: Go's
// type data, whose names and types refer to each other by offsets from
// runtime.types), or in which nothing is predicted (tablePlain: name and
// pc-value tables, whose bytes only look like addresses). A word counts
// as an offset when it is below limit, the size of what it points into.
type tableZone struct {
	span
	kind             int
	oldBase, newBase uint64
	limit            uint64
}

// minTableOff is the smallest value a table word must hold to be taken
// for an offset.
const minTableOff = 16

const (
	tablePlain = iota
	tableOff32
	tablePtrOff32
	numTableKinds
)

// appendRules3 encodes p's version 3 rules.
func (p *predictor) appendRules3(b []byte) []byte {
	var flags uint64
	if p.abs64 {
		flags |= rulesAbs64
	}
	if len(p.x86) > 0 {
		flags |= rulesRel32
	}
	if len(p.arm) > 0 {
		flags |= rulesArm64
	}
	if len(p.nobits) > 0 {
		flags |= rulesNobits
	}
	if p.pcln != nil {
		flags |= rulesPcln
	}
	if len(p.tables) > 0 {
		flags |= rulesTables
	}
	b = binary.AppendUvarint(b, flags)
	if flags == 0 {
		return b
	}
	b = binary.AppendUvarint(b, p.base)
	for _, spans := range [][]span{p.x86, p.arm} {
		if len(spans) == 0 {
			continue
		}
		b = binary.AppendUvarint(b, uint64(len(spans)))
		for _, s := range spans {
			b = binary.AppendUvarint(b, uint64(s.start))
			b = binary.AppendUvarint(b, uint64(s.end-s.start))
		}
	}
	if len(p.nobits) > 0 {
		b = binary.AppendUvarint(b, uint64(len(p.nobits)))
		for _, r := range p.nobits {
			b = binary.AppendUvarint(b, r.start)
			b = binary.AppendUvarint(b, r.end-r.start)
			b = binary.AppendVarint(b, r.shift)
		}
		b = binary.AppendUvarint(b, uint64(p.ptrData.start))
		b = binary.AppendUvarint(b, uint64(p.ptrData.end-p.ptrData.start))
	}
	if c := p.pcln; c != nil {
		b = binary.AppendUvarint(b, uint64(c.functab))
		b = binary.AppendUvarint(b, uint64(c.nfunc))
		b = binary.AppendUvarint(b, uint64(c.end-c.functab))
		for _, base := range c.bases {
			b = binary.AppendUvarint(b, base[0])
			b = binary.AppendUvarint(b, base[1])
		}
	}
	if len(p.tables) > 0 {
		b = binary.AppendUvarint(b, uint64(len(p.tables)))
		for _, t := range p.tables {
			b = binary.AppendUvarint(b, uint64(t.kind))
			b = binary.AppendUvarint(b, uint64(t.start))
			b = binary.AppendUvarint(b, uint64(t.end-t.start))
			b = binary.AppendUvarint(b, t.oldBase)
			b = binary.AppendUvarint(b, t.newBase)
			b = binary.AppendUvarint(b, t.limit)
		}
	}
	return b
}

// readRules3 reads version 3 rules and checks them against old's size.
func readRules3(r io.ByteReader, oldSize int64) (predictor, error) {
	p := predictor{version: 3}
	var err error
	num := func() uint64 {
		if err != nil {
			return 0
		}
		var v uint64
		if v, err = binary.ReadUvarint(r); err != nil {
			err = streamError(streamControl, err)
		}
		return v
	}
	flags := num()
	if err != nil {
		return p, err
	}
	if flags&^rulesAll != 0 {
		return p, fmt.Errorf("%w: unknown predictor flags %#x", ErrCorrupt, flags)
	}
	if flags == 0 {
		return p, nil
	}
	p.base = num()
	if err == nil && p.base > math.MaxUint64/2-uint64(oldSize) {
		return p, fmt.Errorf("%w: predictor base %#x is out of range", ErrCorrupt, p.base)
	}
	p.abs64 = flags&rulesAbs64 != 0
	readSpans := func(kind string) []span {
		n := num()
		if err == nil && (n == 0 || n > maxCode) {
			err = fmt.Errorf("%w: %d %s code ranges", ErrCorrupt, n, kind)
		}
		var spans []span
		end := int64(0)
		for i := uint64(0); i < n && err == nil; i++ {
			start, size := num(), num()
			if err == nil && (start < uint64(end) || start > uint64(oldSize) || size > uint64(oldSize)-start) {
				err = fmt.Errorf("%w: %s code range %d+%d is outside old or out of order", ErrCorrupt, kind, start, size)
			}
			end = int64(start + size)
			spans = append(spans, span{int64(start), end})
		}
		return spans
	}
	if flags&rulesRel32 != 0 {
		p.x86 = readSpans("x86-64")
	}
	if flags&rulesArm64 != 0 {
		p.arm = readSpans("arm64")
	}
	if flags&rulesNobits != 0 {
		n := num()
		if err == nil && (n == 0 || n > maxNobits) {
			err = fmt.Errorf("%w: %d zero-filled ranges", ErrCorrupt, n)
		}
		for i := uint64(0); i < n && err == nil; i++ {
			start, size := num(), num()
			var shift int64
			if err == nil {
				if shift, err = binary.ReadVarint(r); err != nil {
					err = streamError(streamControl, err)
				}
			}
			if err == nil && (start > math.MaxUint64/2 || size > math.MaxUint64/2 || shift < -math.MaxInt64/2 || shift > math.MaxInt64/2 ||
				len(p.nobits) > 0 && start <= p.nobits[len(p.nobits)-1].end) {
				err = fmt.Errorf("%w: zero-filled range %#x+%#x is out of range or order", ErrCorrupt, start, size)
			}
			p.nobits = append(p.nobits, addrMove{start, start + size, shift})
		}
		start, size := num(), num()
		if err == nil && (start > uint64(oldSize) || size > uint64(oldSize)-start) {
			err = fmt.Errorf("%w: writable data %d+%d is outside old", ErrCorrupt, start, size)
		}
		p.ptrData = span{int64(start), int64(start + size)}
	}
	if flags&rulesPcln != 0 {
		c := &pclnRules{}
		functab, nfunc, size := num(), num(), num()
		if err == nil && (functab > uint64(oldSize) || size > uint64(oldSize)-functab || nfunc > size/8) {
			err = fmt.Errorf("%w: function table %d+%d of %d entries is outside old", ErrCorrupt, functab, size, nfunc)
		}
		c.functab, c.nfunc, c.end = int64(functab), int64(nfunc), int64(functab+size)
		for i := range c.bases {
			c.bases[i] = [2]uint64{num(), num()}
		}
		p.pcln = c
	}
	if flags&rulesTables != 0 {
		n := num()
		if err == nil && (n == 0 || n > maxTables) {
			err = fmt.Errorf("%w: %d tables", ErrCorrupt, n)
		}
		for i := uint64(0); i < n && err == nil; i++ {
			kind, start, size := num(), num(), num()
			t := tableZone{kind: int(kind), oldBase: num(), newBase: num(), limit: num()}
			if err == nil && (kind >= numTableKinds || start > uint64(oldSize) || size > uint64(oldSize)-start) {
				err = fmt.Errorf("%w: table %d of kind %d at %d+%d is outside old", ErrCorrupt, i, kind, start, size)
			}
			t.span = span{int64(start), int64(start + size)}
			p.tables = append(p.tables, t)
		}
	}
	return p, err
}

// span is a range of old offsets, [start, end).
type span struct{ start, end int64 }

// Kinds of zone a version 3 scan goes through.
const (
	zoneData = iota // abs64 only
	zoneX86
	zoneArm
	zonePcln
	zoneTable // see tableZone
)

type zone struct {
	span
	kind  int
	table int // index in p.tables
}

// zones returns p's code ranges and function table in order of offset;
// where they overlap, the one that starts first keeps the overlap.
func (p *predictor) zones() []zone {
	var zs []zone
	for _, s := range p.x86 {
		zs = append(zs, zone{span: s, kind: zoneX86})
	}
	for _, s := range p.arm {
		zs = append(zs, zone{span: s, kind: zoneArm})
	}
	if p.pcln != nil {
		zs = append(zs, zone{span: span{p.pcln.functab, p.pcln.end}, kind: zonePcln})
	}
	for i, t := range p.tables {
		zs = append(zs, zone{span: t.span, kind: zoneTable, table: i})
	}
	slices.SortStableFunc(zs, func(a, b zone) int { return int(min(max(a.start-b.start, -1), 1)) })
	out := zs[:0]
	end := int64(0)
	for _, z := range zs {
		z.start = max(z.start, end)
		if z.start < z.end {
			out = append(out, z)
			end = z.end
		}
	}
	return out
}

// scanner3 is fieldScanner for version 3 rules.
type scanner3 struct {
	p     *predictor
	old   []byte
	m     shiftMap
	hint  int
	zones []zone
	zi    int // the first zone that ends after po

	po, end, shift int64

	// The _func record the pclntab scan is in: its index (-1 before the
	// first is found, -2 after the last), where it starts, and the next
	// field in it, in words.
	fn, fnStart, fnField int64
}

func (s *scanner3) init(p *predictor, old []byte, m shiftMap) {
	*s = scanner3{p: p, old: old, m: m, zones: p.zones(), fn: -1}
}

func (s *scanner3) start(start, end, shift int64) {
	s.po, s.end, s.shift = start, end, shift
	s.zi, _ = slices.BinarySearchFunc(s.zones, start, func(z zone, x int64) int {
		if z.end <= x {
			return -1
		}
		return 1
	})
	s.fn = -1
}

// shiftOf returns how far old address a moved: by the shift map for an
// address of old's bytes, by a zero-filled range's shift beyond them.
//
// The zero-filled ranges come first: their addresses may also fall, past
// the file's last segment, on offsets of old's file.
func (s *scanner3) shiftOf(a uint64) (int64, bool) {
	if n := len(s.p.nobits); n > 0 && a >= s.p.nobits[0].start && a <= s.p.nobits[n-1].end {
		i, _ := slices.BinarySearchFunc(s.p.nobits, a, func(r addrMove, a uint64) int {
			if r.end < a {
				return -1
			}
			return 1
		})
		if i < n && s.p.nobits[i].start <= a {
			return s.p.nobits[i].shift, true
		}
	}
	if off := a - s.p.base; off < uint64(len(s.old)) {
		return s.m.shiftNear(int64(off), &s.hint)
	}
	return 0, false
}

func (s *scanner3) next(limit int64) (pos int64, v uint64, width int, ok bool) {
	limit = min(limit, s.end)
	for s.po < limit {
		for s.zi < len(s.zones) && s.zones[s.zi].end <= s.po {
			s.zi++
		}
		kind, zEnd, table := zoneData, int64(math.MaxInt64), 0
		if s.zi < len(s.zones) {
			if z := s.zones[s.zi]; z.start <= s.po {
				kind, zEnd, table = z.kind, z.end, z.table
			} else {
				zEnd = z.start
			}
		}
		zEnd = min(zEnd, limit)
		switch kind {
		case zoneData:
			pos, v, width, ok = s.scanData(zEnd)
		case zoneX86:
			pos, v, width, ok = s.scanX86(zEnd)
		case zoneArm:
			pos, v, width, ok = s.scanArm(zEnd)
		case zonePcln:
			pos, v, width, ok = s.scanPcln(zEnd)
		case zoneTable:
			pos, v, width, ok = s.scanTable(zEnd, &s.p.tables[table])
		}
		if ok {
			return pos, v, width, true
		}
	}
	return 0, 0, 0, false
}

// scanData looks for abs64 words that start before lim.
func (s *scanner3) scanData(lim int64) (int64, uint64, int, bool) {
	if !s.p.abs64 {
		s.po = max(s.po, lim)
		return 0, 0, 0, false
	}
	old, base := s.old, s.p.base
	// Words in the writable data may also point into the zero-filled
	// ranges; elsewhere (read-only data, tables) a value in those, often
	// many MiB wide, is much more likely a number.
	span := uint64(len(old))
	if s.po < s.p.ptrData.start {
		lim = min(lim, s.p.ptrData.start)
	} else if n := len(s.p.nobits); n > 0 && s.po < s.p.ptrData.end {
		lim = min(lim, s.p.ptrData.end)
		span = max(span, s.p.nobits[n-1].end-base+1)
	}
	po := (s.po + 7) &^ 7
	for ; po < lim && po+8 <= s.end; po += 8 {
		w := binary.LittleEndian.Uint64(old[po:])
		if w-base >= span {
			continue
		}
		if sh, ok := s.shiftOf(w); ok && sh != 0 {
			s.po = po + 8
			return po, w + uint64(sh), 8, true
		}
	}
	s.po = max(po, lim)
	return 0, 0, 0, false
}

// scanTable looks for the offsets, and pointers, of table t that start
// before lim.
func (s *scanner3) scanTable(lim int64, t *tableZone) (int64, uint64, int, bool) {
	if t.kind == tablePlain {
		s.po = max(s.po, lim)
		return 0, 0, 0, false
	}
	old, base := s.old, s.p.base
	po := (s.po + 3) &^ 3
	for ; po < lim && po+4 <= s.end; po += 4 {
		if t.kind == tablePtrOff32 && po&7 == 0 && po+8 <= s.end && s.p.abs64 {
			if w := binary.LittleEndian.Uint64(old[po:]); w-base < uint64(len(old)) {
				if sh, ok := s.m.shiftNear(int64(w-base), &s.hint); ok {
					if sh != 0 {
						s.po = po + 8
						return po, w + uint64(sh), 8, true
					}
					po += 4
					continue
				}
			}
		}
		// Small values are far more often counts, sizes and flags than
		// offsets into the first bytes of the table.
		v := binary.LittleEndian.Uint32(old[po:])
		if uint64(v) >= t.limit || v < minTableOff {
			continue
		}
		at := t.oldBase + uint64(v)
		if sh, ok := s.shiftOf(at); ok {
			if nv := uint32(uint64(int64(at)+sh) - t.newBase); nv != v {
				s.po = po + 4
				return po, uint64(nv), 4, true
			}
		}
	}
	s.po = max(po, lim)
	return 0, 0, 0, false
}

// scanX86 looks for rel32 operands that start before lim.
func (s *scanner3) scanX86(lim int64) (int64, uint64, int, bool) {
	old := s.old
	hi := min(lim, s.end-4+1) // an operand must end inside the region
	po := max(s.po, 2)
	for ; po < hi; po++ {
		// Most bytes end no prefix: step over them without the bounds
		// checks of the general test.
		if po+8 <= hi {
			run := old[po-1 : po+7]
			k := 0
			for ; k < 8 && rel32Last[run[k]] == 0; k++ {
			}
			if po += int64(k); k == 8 {
				po--
				continue
			}
		}
		if !rel32Operand(old[po-2], old[po-1]) {
			continue
		}
		d := int64(int32(binary.LittleEndian.Uint32(old[po:])))
		t := s.p.base + uint64(po+4+d)
		if sh, ok := s.shiftOf(t); ok {
			s.po = po + 4
			if sh != s.shift {
				return po, uint64(uint32(d + sh - s.shift)), 4, true
			}
			po += 3
		}
	}
	s.po = max(po, lim)
	return 0, 0, 0, false
}

// scanArm looks for arm64 instructions with PC-relative operands that
// start before lim. Instructions are 4-byte aligned in the file.
func (s *scanner3) scanArm(lim int64) (int64, uint64, int, bool) {
	old := s.old
	po := (s.po + 3) &^ 3
	for ; po < lim && po+4 <= s.end; po += 4 {
		w := binary.LittleEndian.Uint32(old[po:])
		var pred uint32
		var ok bool
		switch bits, lo, adrp := armClass(w); {
		case bits > 0:
			pred, ok = s.armBranch(po, w, bits, lo)
		case adrp:
			if po+8 <= s.end {
				if v, changed, found := s.armAdrp(po, w, binary.LittleEndian.Uint32(old[po+4:])); found {
					if changed {
						s.po = po + 8
						return po, v, 8, true
					}
					po += 4
					continue
				}
			}
			pred, ok = s.armPage(po, w)
		}
		if ok && pred != w {
			s.po = po + 4
			return po, uint64(pred), 4, true
		}
	}
	s.po = max(po, lim)
	return 0, 0, 0, false
}

// armClass says whether arm64 instruction w has a PC-relative operand the
// predictor knows: a signed offset in words, the bits bits at lo, or, for
// ADRP, a page offset.
func armClass(w uint32) (bits, lo uint, adrp bool) {
	switch {
	case w&0x7C000000 == 0x14000000: // B, BL
		return 26, 0, false
	case w&0xFF000010 == 0x54000000, // B.cond
		w&0x7E000000 == 0x34000000, // CBZ, CBNZ
		w&0x3B000000 == 0x18000000: // LDR (literal)
		return 19, 5, false
	case w&0x7E000000 == 0x36000000: // TBZ, TBNZ
		return 14, 5, false
	case w&0x9F000000 == 0x90000000: // ADRP
		return 0, 0, true
	}
	return 0, 0, false
}

// armOffset is the signed word offset of the bits bits at lo of w.
func armOffset(w uint32, bits, lo uint) int64 {
	mask := uint32(1)<<bits - 1
	return int64(int32((w>>lo&mask)<<(32-bits)) >> (32 - bits))
}

// armBranch predicts a branch whose signed word offset is the bits
// bits at lo of w.
func (s *scanner3) armBranch(po int64, w uint32, bits, lo uint) (uint32, bool) {
	mask := uint32(1)<<bits - 1
	imm := armOffset(w, bits, lo)
	t := s.p.base + uint64(po+imm*4)
	sh, ok := s.shiftOf(t)
	if !ok || (sh-s.shift)%4 != 0 {
		return 0, false
	}
	imm += (sh - s.shift) / 4
	if imm < -(1<<(bits-1)) || imm >= 1<<(bits-1) {
		return 0, false
	}
	return w&^(mask<<lo) | (uint32(imm)&mask)<<lo, true
}

// adrpPage returns the page offset an ADRP adds to its own page.
func adrpPage(w uint32) int64 {
	imm := uint32(w>>29&3) | (w>>5&0x7FFFF)<<2
	return int64(int32(imm<<11)>>11) << 12
}

// withAdrpPage returns ADRP w adding page instead, if it can.
func withAdrpPage(w uint32, page int64) (uint32, bool) {
	imm := page >> 12
	if imm < -(1<<20) || imm >= 1<<20 || page&0xFFF != 0 {
		return 0, false
	}
	u := uint32(imm) & 0x1FFFFF
	return w&^(3<<29|0x7FFFF<<5) | (u&3)<<29 | (u>>2)<<5, true
}

// armPage predicts an ADRP on its own: its target is taken to be the
// page's start.
func (s *scanner3) armPage(po int64, w uint32) (uint32, bool) {
	pc := s.p.base + uint64(po)
	t := pc&^0xFFF + uint64(adrpPage(w))
	sh, ok := s.shiftOf(t)
	if !ok {
		return 0, false
	}
	newPC := uint64(int64(pc) + s.shift)
	return withAdrpPage(w, int64(uint64(int64(t)+sh)&^0xFFF-newPC&^0xFFF))
}

// armAdrp predicts an ADRP and the instruction after it, when that one
// adds the low 12 bits of the address to the ADRP's register: an ADD
// (immediate, 64-bit) or a load or store with an unsigned offset. found
// is false when w2 is neither.
func (s *scanner3) armAdrp(po int64, w, w2 uint32) (v uint64, changed, found bool) {
	rd := w & 31
	var lo uint64
	var scale uint
	switch {
	case w2&0xFFC00000 == 0x91000000 && w2>>5&31 == rd: // ADD Xd, Xn, #imm12
		lo = uint64(w2 >> 10 & 0xFFF)
	case w2&0x3B000000 == 0x39000000 && w2>>5&31 == rd: // LDR/STR (unsigned offset)
		scale = uint(w2 >> 30)
		if w2&(1<<26) != 0 && w2&(1<<23) != 0 { // 128-bit SIMD
			scale = 4
		}
		lo = uint64(w2>>10&0xFFF) << scale
	default:
		return 0, false, false
	}
	pc := s.p.base + uint64(po)
	t := pc&^0xFFF + uint64(adrpPage(w)) + lo
	sh, ok := s.shiftOf(t)
	if !ok {
		return 0, false, true
	}
	nt := uint64(int64(t) + sh)
	newPC := uint64(int64(pc) + s.shift)
	nw, ok := withAdrpPage(w, int64(nt&^0xFFF-newPC&^0xFFF))
	nlo := nt & 0xFFF
	if !ok || nlo&(1<<scale-1) != 0 {
		return 0, false, true
	}
	nw2 := w2&^(0xFFF<<10) | uint32(nlo>>scale)<<10
	if nw == w && nw2 == w2 {
		return 0, false, true
	}
	return uint64(nw) | uint64(nw2)<<32, true, true
}

// scanPcln looks for the fields of the function table and of the _func
// records that start before lim.
func (s *scanner3) scanPcln(lim int64) (int64, uint64, int, bool) {
	c := s.p.pcln
	old := s.old
	tabEnd := c.functab + 8*c.nfunc + 4
	for s.po < lim {
		po := (s.po + 3) &^ 3
		var base int
		none, hasNone := uint32(0), false
		if po < tabEnd {
			// functab: entryoff, funcoff pairs, then the end pc offset.
			base = pclnText
			if (po-c.functab)%8 == 4 {
				base = pclnFunctab
			}
		} else {
			f, ok := s.pclnField(po)
			if !ok {
				s.po = max(lim, po)
				break
			}
			po = f
			if po >= lim || po+4 > s.end {
				s.po = max(po, lim)
				break
			}
			switch k := s.fnField; {
			case k == 0:
				base = pclnText
			case k == 1:
				base = pclnFuncname
			case k == 8:
				base = pclnCutab
			case k < funcSize/4+int64(binary.LittleEndian.Uint32(old[s.fnStart+28:])):
				base, hasNone = pclnPctab, true // pcsp, pcfile, pcln, pcdata: 0 is none
			default:
				base, none, hasNone = pclnGofunc, ^uint32(0), true
			}
			s.fnField++
		}
		if po >= lim || po+4 > s.end {
			s.po = max(po, lim)
			break
		}
		s.po = po + 4
		w := binary.LittleEndian.Uint32(old[po:])
		b := c.bases[base]
		if hasNone && w == none || b == [2]uint64{} {
			continue
		}
		t := b[0] + uint64(w)
		switch base {
		case pclnFuncname:
			t = b[0] + uint64(int64(int32(w)))
		case pclnCutab:
			t = b[0] + 4*uint64(w)
		}
		sh, ok := s.shiftOf(t)
		if !ok {
			continue
		}
		nv := uint32(uint64(int64(t)+sh) - b[1])
		if base == pclnCutab {
			if d := uint64(int64(t)+sh) - b[1]; d%4 != 0 {
				continue
			} else {
				nv = uint32(d / 4)
			}
		}
		if nv != w {
			return po, uint64(nv), 4, true
		}
	}
	s.po = max(s.po, lim)
	return 0, 0, 0, false
}

// pclnField returns the offset of the next field at or after po of a
// _func record that holds an offset (entryOff, nameOff, pcsp, pcfile,
// pcln, cuOffset, pcdata and funcdata), and leaves in s.fnField which
// field it is, counted in 4-byte words from the record's start. ok is false past the last
// record, or where the records do not parse or go backwards.
func (s *scanner3) pclnField(po int64) (int64, bool) {
	c := s.p.pcln
	if s.fn == -1 && !s.findFunc(po) {
		s.fn = -2
		return 0, false
	}
	for s.fn >= 0 {
		end := s.fnEnd()
		for ; ; s.fnField++ {
			switch s.fnField {
			case 2: // args, deferreturn
				s.fnField = 4
			case 7: // npcdata
				s.fnField = 8
			case 9: // startLine to nfuncdata
				s.fnField = funcSize / 4
			}
			at := s.fnStart + 4*s.fnField
			if at+4 > end {
				break
			}
			if at >= po {
				return at, true
			}
		}
		// Past this record: the next one, which must start after it.
		if s.fn+1 >= c.nfunc {
			break
		}
		next := c.functab + int64(binary.LittleEndian.Uint32(s.old[c.functab+8*(s.fn+1)+4:]))
		if next < end || !s.setFunc(s.fn+1, next) {
			break
		}
	}
	s.fn = -2 // nothing more in this region
	return 0, false
}

// fnEnd is where the current _func record ends.
func (s *scanner3) fnEnd() int64 {
	old := s.old
	npcdata := int64(binary.LittleEndian.Uint32(old[s.fnStart+28:]))
	nfuncdata := int64(old[s.fnStart+funcSize-1])
	return s.fnStart + funcSize + 4*(npcdata+nfuncdata)
}

// setFunc makes record i, at old offset at, the current one, if it lies
// inside the function table's records.
func (s *scanner3) setFunc(i, at int64) bool {
	c := s.p.pcln
	if at < c.functab+8*c.nfunc+4 || at+funcSize > c.end {
		s.fn = -1
		return false
	}
	npcdata := int64(binary.LittleEndian.Uint32(s.old[at+28:]))
	nfuncdata := int64(s.old[at+funcSize-1])
	if npcdata > (c.end-at-funcSize)/4 || at+funcSize+4*(npcdata+nfuncdata) > c.end {
		s.fn = -1
		return false
	}
	s.fn, s.fnStart, s.fnField = i, at, 0
	return true
}

// findFunc makes current the last record that starts at or before po,
// by the offsets in the function table.
func (s *scanner3) findFunc(po int64) bool {
	c := s.p.pcln
	old := s.old
	funcoff := func(i int64) int64 {
		return c.functab + int64(binary.LittleEndian.Uint32(old[c.functab+8*i+4:]))
	}
	lo, hi := int64(0), c.nfunc // the first record that starts after po
	for lo < hi {
		mid := int64(uint64(lo+hi) >> 1)
		if funcoff(mid) <= po {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	i := max(lo-1, 0)
	return s.setFunc(i, funcoff(i))
}

package delta

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
)

// What makes bsdiff's deltas of executables large is not the code that
// changed but the addresses that moved: when one function grows, every
// call, jump and data reference that crosses it changes by the same amount,
// and the diff stream holds thousands of scattered non-zero bytes whose
// positions cost more to encode than their values.
//
// A predictor removes most of them. Both sides know, from the control
// entries, where each matched region of old lands in new. Before the diff
// is taken, every recognised reference in the old copy of a region is
// rewritten to point where its target moved, so a reference whose target
// moved with the rest of the file adds nothing to the diff stream. Two
// kinds of reference are recognised, each enabled by the delta (Create
// tries with and without and keeps the smaller):
//
//   - abs64: an 8-byte aligned little-endian word w with base <= w <
//     base+len(old) is the address of old offset w-base, as in executables
//     whose segments all map at the same distance from their file offsets
//     (Go's ELF and Mach-O binaries).
//   - rel32: inside old[codeStart:codeEnd], the 4 bytes after an x86 call
//     or jmp (E8, E9), a near conditional jump (0F 80..8F) or a ModRM byte
//     that selects RIP-relative addressing are a displacement from the end
//     of the field.
//
// A guess that is wrong costs some diff bytes but never correctness: the
// rules are deterministic functions of old and the control entries, and
// Apply checks the result's SHA-256.

// predictor holds the reference rules a delta enables. Versions 1 and 2
// share theirs (abs64 and rel32 over one code range, by file offset);
// version 3's are in predict3.go.
type predictor struct {
	version   byte
	abs64     bool
	base      uint64
	rel32     bool
	codeStart int64
	codeEnd   int64

	// Version 3.
	x86, arm []span // code ranges
	nobits   []addrMove
	ptrData  span // where abs64 words may point into nobits
	pcln     *pclnRules
	tables   []tableZone
}

// scanner finds, region by region, the fields a predictor rewrites.
type scanner interface {
	// start begins the scan of old[start:end], which sits at new offset
	// start+shift.
	start(start, end, shift int64)
	// next returns the next field that starts before limit and whose
	// value changes; ok is false when there is none, and the scan then
	// resumes at or after limit.
	next(limit int64) (pos int64, v uint64, width int, ok bool)
}

func (p *predictor) scanner(old []byte, m shiftMap) scanner {
	if p.version >= 3 {
		s := &scanner3{}
		s.init(p, old, m)
		return s
	}
	s := &fieldScanner{}
	s.init(p, old, m)
	return s
}

const (
	predictAbs64 = 1 << iota
	predictRel32
)

func (p *predictor) appendTo(b []byte) []byte {
	if p.version >= 3 {
		return p.appendRules3(b)
	}
	var flags uint64
	if p.abs64 {
		flags |= predictAbs64
	}
	if p.rel32 {
		flags |= predictRel32
	}
	b = binary.AppendUvarint(b, flags)
	if p.abs64 {
		b = binary.AppendUvarint(b, p.base)
	}
	if p.rel32 {
		b = binary.AppendUvarint(b, uint64(p.codeStart))
		b = binary.AppendUvarint(b, uint64(p.codeEnd))
	}
	return b
}

// readPredictor reads the rules at the start of the control stream and
// checks them against the size of old.
func readPredictor(r io.ByteReader, oldSize int64, version byte) (predictor, error) {
	if version >= 3 {
		return readRules3(r, oldSize)
	}
	p := predictor{version: version}
	flags, err := binary.ReadUvarint(r)
	if err != nil {
		return p, streamError(streamControl, err)
	}
	if flags&^(predictAbs64|predictRel32) != 0 {
		return p, fmt.Errorf("%w: unknown predictor flags %#x", ErrCorrupt, flags)
	}
	if flags&predictAbs64 != 0 {
		p.abs64 = true
		if p.base, err = binary.ReadUvarint(r); err != nil {
			return p, streamError(streamControl, err)
		}
		if p.base > math.MaxUint64-uint64(oldSize) {
			return p, fmt.Errorf("%w: predictor base %#x is out of range", ErrCorrupt, p.base)
		}
	}
	if flags&predictRel32 != 0 {
		p.rel32 = true
		var r32 [2]uint64
		for i := range r32 {
			if r32[i], err = binary.ReadUvarint(r); err != nil {
				return p, streamError(streamControl, err)
			}
		}
		if r32[0] > r32[1] || r32[1] > uint64(oldSize) {
			return p, fmt.Errorf("%w: predictor code range %d-%d is outside old", ErrCorrupt, r32[0], r32[1])
		}
		p.codeStart, p.codeEnd = int64(r32[0]), int64(r32[1])
	}
	return p, nil
}

// segment says that old[start:end] appears in new at start+shift.
type segment struct{ start, end, shift int64 }

// shiftMap tells where bytes of old moved to in new: sorted, disjoint
// segments, one per diff region. Where regions overlap in old, the one that
// starts first keeps the overlap.
type shiftMap []segment

func newShiftMap(entries []entry) shiftMap {
	n := 0
	for _, e := range entries {
		if e.diff > 0 {
			n++
		}
	}
	m := make(shiftMap, 0, n)
	var oldPos, newPos int64
	for _, e := range entries {
		oldPos += e.seek
		if e.diff > 0 {
			m = append(m, segment{oldPos, oldPos + e.diff, newPos - oldPos})
		}
		oldPos += e.diff
		newPos += e.diff + e.extra
	}
	slices.SortStableFunc(m, func(a, b segment) int { return cmp.Compare(a.start, b.start) })
	out := m[:0]
	end := int64(0)
	for _, s := range m {
		s.start = max(s.start, end)
		if s.start < s.end {
			out = append(out, s)
			end = s.end
		}
	}
	return out
}

// shift returns how far old offset x moved, if it lies in a matched region.
func (m shiftMap) shift(x int64) (int64, bool) {
	hint := 0
	return m.shiftNear(x, &hint)
}

// shiftNear is shift that tries segment *hint first and leaves there the
// segment it found: the references of one region mostly point into the same
// few segments, so most lookups need no search.
func (m shiftMap) shiftNear(x int64, hint *int) (int64, bool) {
	if i := *hint; i < len(m) && m[i].start <= x && x < m[i].end {
		return m[i].shift, true
	}
	lo, hi := 0, len(m) // the first segment that ends after x
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if m[mid].end <= x {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(m) && m[lo].start <= x {
		*hint = lo
		return m[lo].shift, true
	}
	return 0, false
}

// patches finds the references in old[start:end], a region that sits at
// new offset start+shift, and calls emit, in increasing order of position,
// with the value each should have in new. A field of width bytes is
// rewritten only if it lies wholly in the region, and the scan resumes
// after it, so fields never overlap; one whose value stays is not emitted.
func (p *predictor) patches(old []byte, start, end, shift int64, m shiftMap, emit func(pos int64, v uint64, width int)) {
	s := p.scanner(old, m)
	s.start(start, end, shift)
	for {
		pos, v, width, ok := s.next(end)
		if !ok {
			return
		}
		emit(pos, v, width)
	}
}

// fieldScanner is patches as a loop that can stop and resume, so Apply can
// rebuild a region a chunk at a time.
type fieldScanner struct {
	p              *predictor
	old            []byte
	m              shiftMap
	hint           int
	po, end, shift int64
	codeLo, codeHi int64
}

func (s *fieldScanner) init(p *predictor, old []byte, m shiftMap) {
	*s = fieldScanner{p: p, old: old, m: m}
}

// start begins the scan of old[start:end], which sits at new offset
// start+shift.
func (s *fieldScanner) start(start, end, shift int64) {
	s.po, s.end, s.shift = start, end, shift
	s.codeLo, s.codeHi = int64(math.MaxInt64), 0
	if s.p.rel32 {
		s.codeLo, s.codeHi = max(s.p.codeStart, 2), min(s.p.codeEnd, end)-4
	}
}

// next returns the next field that starts before limit and whose value
// changes; ok is false when there is none, and the scan then resumes at or
// after limit.
func (s *fieldScanner) next(limit int64) (pos int64, v uint64, width int, ok bool) {
	p, old, po := s.p, s.old, s.po
	limit = min(limit, s.end)
	codeLo, codeHi := s.codeLo, s.codeHi
	for po < limit {
		if p.abs64 && po&7 == 0 && po+8 <= s.end {
			w := binary.LittleEndian.Uint64(old[po:])
			if w-p.base < uint64(len(old)) {
				if sh, found := s.m.shiftNear(int64(w-p.base), &s.hint); found {
					po += 8
					if sh != 0 {
						s.po = po
						return po - 8, w + uint64(sh), 8, true
					}
					continue
				}
			}
		}
		inCode := po >= codeLo && po <= codeHi
		if inCode && rel32Operand(old[po-2], old[po-1]) {
			d := int64(int32(binary.LittleEndian.Uint32(old[po:])))
			if t := po + 4 + d; t >= 0 && t < int64(len(old)) {
				if sh, found := s.m.shiftNear(t, &s.hint); found {
					po += 4
					if sh != s.shift {
						s.po = po
						return po - 4, uint64(uint32(d + sh - s.shift)), 4, true
					}
					continue
				}
			}
		}
		// Next candidate: every byte in code, else the next aligned word.
		switch {
		case inCode:
			// Step over the bytes that cannot end a prefix, stopping at
			// the next aligned word when 64-bit references are predicted.
			lim := codeHi + 1
			if p.abs64 {
				lim = min(lim, (po+8)&^7)
			}
			for po++; po < lim && !rel32Operand(old[po-2], old[po-1]); po++ {
			}
		case po < codeLo && p.abs64:
			po = min(codeLo, (po+8)&^7)
		case po < codeLo:
			po = codeLo
		case p.abs64:
			po = (po + 8) &^ 7
		default:
			po = s.end
		}
	}
	s.po = po
	return 0, 0, 0, false
}

// rel32Operand reports whether the two bytes before a position can end an
// x86 instruction prefix whose next 4 bytes are a PC-relative operand.
func rel32Operand(b2, b1 byte) bool {
	t := rel32Last[b1]
	return t&1 != 0 || t&2 != 0 && b2 == 0x0F
}

// rel32Last says of a byte whether it ends such a prefix by itself (bit 0:
// call, jmp, or a ModRM byte with mod=00, rm=101, RIP-relative) or after a
// 0x0F escape (bit 1: jcc). Every byte of code is looked up in it.
var rel32Last = func() (t [256]byte) {
	for b := range 256 {
		if b == 0xE8 || b == 0xE9 || b&0xC7 == 0x05 {
			t[b] |= 1
		}
		if b&0xF0 == 0x80 {
			t[b] |= 2
		}
	}
	return t
}()

// putField writes the low width bytes of v, little-endian.
func putField(b []byte, v uint64, width int) {
	if width == 8 {
		binary.LittleEndian.PutUint64(b, v)
		return
	}
	for i := range width {
		b[i] = byte(v >> (8 * i))
	}
}

package delta

import (
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

// predictor holds the reference rules a delta enables.
type predictor struct {
	abs64     bool
	base      uint64
	rel32     bool
	codeStart int64
	codeEnd   int64
}

const (
	predictAbs64 = 1 << iota
	predictRel32
)

func (p predictor) appendTo(b []byte) []byte {
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
func readPredictor(r io.ByteReader, oldSize int64) (predictor, error) {
	var p predictor
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
	var m shiftMap
	var oldPos, newPos int64
	for _, e := range entries {
		oldPos += e.seek
		if e.diff > 0 {
			m = append(m, segment{oldPos, oldPos + e.diff, newPos - oldPos})
		}
		oldPos += e.diff
		newPos += e.diff + e.extra
	}
	slices.SortStableFunc(m, func(a, b segment) int {
		switch {
		case a.start < b.start:
			return -1
		case a.start > b.start:
			return 1
		}
		return 0
	})
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
func (p predictor) patches(old []byte, start, end, shift int64, m shiftMap, emit func(pos int64, v uint64, width int)) {
	codeLo, codeHi := int64(math.MaxInt64), int64(0)
	hint := 0
	if p.rel32 {
		codeLo, codeHi = max(p.codeStart, 2), min(p.codeEnd, end)-4
	}
	for po := start; po < end; {
		if p.abs64 && po&7 == 0 && po+8 <= end {
			w := binary.LittleEndian.Uint64(old[po:])
			if w-p.base < uint64(len(old)) {
				if s, ok := m.shiftNear(int64(w-p.base), &hint); ok {
					if s != 0 {
						emit(po, w+uint64(s), 8)
					}
					po += 8
					continue
				}
			}
		}
		inCode := po >= codeLo && po <= codeHi
		if inCode && rel32Operand(old[po-2], old[po-1]) {
			v := int64(int32(binary.LittleEndian.Uint32(old[po:])))
			if t := po + 4 + v; t >= 0 && t < int64(len(old)) {
				if s, ok := m.shiftNear(t, &hint); ok {
					if s != shift {
						emit(po, uint64(uint32(v+s-shift)), 4)
					}
					po += 4
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
			return
		}
	}
}

// predict rewrites the references in dst, which holds a copy of
// old[oldPos:oldPos+len(dst)] that will sit at new offset oldPos+shift.
func (p predictor) predict(dst, old []byte, oldPos, shift int64, m shiftMap) {
	p.patches(old, oldPos, oldPos+int64(len(dst)), shift, m, func(pos int64, v uint64, width int) {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], v)
		copy(dst[pos-oldPos:], b[:width])
	})
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

package delta

import (
	"cmp"
	"encoding/binary"
	"slices"
)

// Zero-filled ranges (.bss, .noptrbss) have no bytes in the file, so the
// search cannot say where their symbols moved: the section's own move is
// all the headers tell, and one variable that grew moves every one after
// it by a few more bytes. But code refers to them everywhere, and new's
// copy of that code says where each target went. learnNobits reads, in
// every region the search matched, the references old's code and data
// make into a zero-filled range, and what the same instruction or word in
// new refers to, and splits the ranges where the move changes.

// nobitsSample is one reference into a zero-filled range: its old target
// and how far new's copy of it says that moved.
type nobitsSample struct {
	target uint64
	shift  int64
}

// learnNobits returns p's zero-filled ranges split where references in
// matched code and data say the move changes; newBase is the address of
// new's offset 0.
func learnNobits(old, new []byte, p *predictor, entries []entry, newBase uint64) []addrMove {
	if len(p.nobits) == 0 || newBase != p.base {
		return p.nobits
	}
	in := func(t uint64) bool {
		for _, r := range p.nobits {
			if t >= r.start && t <= r.end {
				return true
			}
		}
		return false
	}
	var samples []nobitsSample
	add := func(t, nt uint64) {
		if in(t) {
			samples = append(samples, nobitsSample{t, int64(nt - t)})
		}
	}
	base := p.base
	var oldPos, newPos int64
	for _, e := range entries {
		oldPos += e.seek
		d := newPos - oldPos
		for _, z := range p.zones() {
			lo, hi := max(z.start, oldPos), min(z.end, oldPos+e.diff)
			switch z.kind {
			case zoneX86:
				for po := max(lo, 2); po+4 <= hi; po++ {
					if !rel32Operand(old[po-2], old[po-1]) || old[po-2] != new[po-2+d] || old[po-1] != new[po-1+d] {
						continue
					}
					t := base + uint64(po+4+int64(int32(binary.LittleEndian.Uint32(old[po:]))))
					nt := base + uint64(po+d+4+int64(int32(binary.LittleEndian.Uint32(new[po+d:]))))
					add(t, nt)
				}
			case zoneArm:
				for po := (lo + 3) &^ 3; po+8 <= hi; po += 4 {
					w, w2 := binary.LittleEndian.Uint32(old[po:]), binary.LittleEndian.Uint32(old[po+4:])
					nw, nw2 := binary.LittleEndian.Uint32(new[po+d:]), binary.LittleEndian.Uint32(new[po+d+4:])
					if t, ok := adrpTarget(base+uint64(po), w, w2); ok && nw&0x9F00001F == w&0x9F00001F && nw2&^(0xFFF<<10) == w2&^(0xFFF<<10) {
						if nt, ok := adrpTarget(base+uint64(po+d), nw, nw2); ok {
							add(t, nt)
						}
					}
				}
			}
		}
		// Pointers in the writable data.
		lo, hi := max(p.ptrData.start, oldPos), min(p.ptrData.end, oldPos+e.diff)
		for po := (lo + 7) &^ 7; po+8 <= hi; po += 8 {
			add(binary.LittleEndian.Uint64(old[po:]), binary.LittleEndian.Uint64(new[po+d:]))
		}
		oldPos += e.diff
		newPos += e.diff + e.extra
	}
	return splitMoves(p.nobits, samples)
}

// adrpTarget returns the address an ADRP at pc and the ADD, load or store
// after it refer to, if they are such a pair.
func adrpTarget(pc uint64, w, w2 uint32) (uint64, bool) {
	if w&0x9F000000 != 0x90000000 {
		return 0, false
	}
	rd := w & 31
	var lo uint64
	switch {
	case w2&0xFFC00000 == 0x91000000 && w2>>5&31 == rd:
		lo = uint64(w2 >> 10 & 0xFFF)
	case w2&0x3B000000 == 0x39000000 && w2>>5&31 == rd:
		scale := uint(w2 >> 30)
		if w2&(1<<26) != 0 && w2&(1<<23) != 0 {
			scale = 4
		}
		lo = uint64(w2>>10&0xFFF) << scale
	default:
		return 0, false
	}
	return pc&^0xFFF + uint64(adrpPage(w)) + lo, true
}

// splitMoves splits each range of coarse where the samples' shift
// changes: a new range starts at the first target of each run of samples
// with the same shift, unless the run is one sample between two runs that
// agree (an instruction that changed, most likely). Too many ranges, and
// coarse is kept as it is.
func splitMoves(coarse []addrMove, samples []nobitsSample) []addrMove {
	slices.SortFunc(samples, func(a, b nobitsSample) int {
		return cmp.Or(cmp.Compare(a.target, b.target), cmp.Compare(a.shift, b.shift))
	})
	var out []addrMove
	for _, r := range coarse {
		// The runs of equal shift inside r.
		type run struct {
			start uint64
			shift int64
			n     int
		}
		var runs []run
		for _, s := range samples {
			if s.target < r.start || s.target > r.end {
				continue
			}
			if k := len(runs); k > 0 && runs[k-1].shift == s.shift {
				runs[k-1].n++
				continue
			}
			runs = append(runs, run{s.target, s.shift, 1})
		}
		// Drop lone samples between runs that agree, and runs that start
		// where the one before does (references to one target that
		// disagree on its move: the first one stays), then join.
		var kept []run
		for i, x := range runs {
			if x.n == 1 && i > 0 && i+1 < len(runs) && runs[i-1].shift == runs[i+1].shift {
				continue
			}
			if k := len(kept); k > 0 && (kept[k-1].shift == x.shift || x.start <= kept[k-1].start) {
				continue
			}
			kept = append(kept, x)
		}
		if len(kept) == 0 {
			out = append(out, r)
			continue
		}
		for i, x := range kept {
			start, end := x.start, r.end
			if i == 0 {
				start = r.start
			}
			if i+1 < len(kept) {
				end = kept[i+1].start - 1
			}
			out = append(out, addrMove{start, end, x.shift})
		}
	}
	if len(out) > maxNobits {
		return coarse
	}
	return out
}

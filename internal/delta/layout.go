package delta

import (
	"encoding/binary"
	"math"
)

// layout is what Create learns from old's executable headers to set up a
// predictor. Only Create reads headers; Apply takes the rules from the
// delta, so a damaged or hostile old file cannot steer it.
type layout struct {
	abs64     bool   // every loaded segment sits at base + file offset
	base      uint64 // address of file offset 0
	rel32     bool   // x86-64 code, in old[codeStart:codeEnd]
	codeStart int64
	codeEnd   int64
}

// predictors returns the predictors worth trying on old, the empty one
// first.
func predictors(old []byte) []predictor {
	l := detectLayout(old)
	ps := []predictor{{}}
	if l.abs64 {
		ps = append(ps, predictor{abs64: true, base: l.base})
	}
	if l.rel32 {
		ps = append(ps, predictor{rel32: true, codeStart: l.codeStart, codeEnd: l.codeEnd})
	}
	if l.abs64 && l.rel32 {
		ps = append(ps, predictor{abs64: true, base: l.base, rel32: true, codeStart: l.codeStart, codeEnd: l.codeEnd})
	}
	return ps
}

// loadSegment is one mapped piece of an executable.
type loadSegment struct {
	off, size, addr uint64
	exec            bool
}

// detectLayout reads the segment table of a 64-bit little-endian ELF or
// Mach-O file. Anything else, or anything malformed, yields no layout.
func detectLayout(b []byte) layout {
	var segs []loadSegment
	var x86 bool
	switch {
	case len(b) >= 64 && string(b[:4]) == "\x7fELF" && b[4] == 2 && b[5] == 1:
		segs, x86 = elfSegments(b)
	case len(b) >= 32 && binary.LittleEndian.Uint32(b) == 0xfeedfacf:
		segs, x86 = machoSegments(b)
	}
	var l layout
	for i, s := range segs {
		if s.size == 0 || s.off > uint64(len(b)) || s.size > uint64(len(b))-s.off || s.addr < s.off {
			return layout{}
		}
		base := s.addr - s.off
		if base > math.MaxUint64-uint64(len(b)) || i > 0 && base != l.base {
			return layout{} // segments at different distances: one base cannot describe them
		}
		l.abs64, l.base = true, base
		if s.exec && x86 {
			if !l.rel32 {
				l.codeStart, l.codeEnd = int64(s.off), int64(s.off+s.size)
			}
			l.rel32 = true
			l.codeStart = min(l.codeStart, int64(s.off))
			l.codeEnd = max(l.codeEnd, int64(s.off+s.size))
		}
	}
	return l
}

// elfSegments returns the PT_LOAD segments with file contents.
func elfSegments(b []byte) ([]loadSegment, bool) {
	const ptLoad, pfX, emX8664, phdrSize = 1, 1, 62, 56
	x86 := binary.LittleEndian.Uint16(b[18:]) == emX8664
	phoff := binary.LittleEndian.Uint64(b[32:])
	entSize := uint64(binary.LittleEndian.Uint16(b[54:]))
	n := uint64(binary.LittleEndian.Uint16(b[56:]))
	if entSize < phdrSize || phoff > uint64(len(b)) || n*entSize > uint64(len(b))-phoff {
		return nil, false
	}
	var segs []loadSegment
	for i := range n {
		p := b[phoff+i*entSize:]
		if binary.LittleEndian.Uint32(p) != ptLoad {
			continue
		}
		s := loadSegment{
			off:  binary.LittleEndian.Uint64(p[8:]),
			addr: binary.LittleEndian.Uint64(p[16:]),
			size: binary.LittleEndian.Uint64(p[32:]),
			exec: binary.LittleEndian.Uint32(p[4:])&pfX != 0,
		}
		if s.size > 0 {
			segs = append(segs, s)
		}
	}
	return segs, x86
}

// machoSegments returns the LC_SEGMENT_64 segments with file contents; for
// the code range it uses the __text section, since Go's __TEXT segment
// also holds read-only data.
func machoSegments(b []byte) ([]loadSegment, bool) {
	const lcSegment64, cpuX8664, segHdr, sectSize = 0x19, 0x01000007, 72, 80
	x86 := binary.LittleEndian.Uint32(b[4:]) == cpuX8664
	n := binary.LittleEndian.Uint32(b[16:])
	var segs []loadSegment
	cmds := b[32:]
	for range n {
		if len(cmds) < 8 {
			return nil, false
		}
		cmd, size := binary.LittleEndian.Uint32(cmds), binary.LittleEndian.Uint32(cmds[4:])
		if size < 8 || uint64(size) > uint64(len(cmds)) {
			return nil, false
		}
		c := cmds[:size]
		cmds = cmds[size:]
		if cmd != lcSegment64 || len(c) < segHdr {
			continue
		}
		s := loadSegment{
			addr: binary.LittleEndian.Uint64(c[24:]),
			off:  binary.LittleEndian.Uint64(c[40:]),
			size: binary.LittleEndian.Uint64(c[48:]),
		}
		if s.size == 0 {
			continue
		}
		segs = append(segs, s)
		nsect := uint64(binary.LittleEndian.Uint32(c[64:]))
		if nsect > uint64(len(c)-segHdr)/sectSize {
			return nil, false
		}
		for j := range nsect {
			sect := c[segHdr+j*sectSize:]
			if string(sect[:7]) == "__text\x00" {
				segs = append(segs, loadSegment{
					addr: binary.LittleEndian.Uint64(sect[32:]),
					size: binary.LittleEndian.Uint64(sect[40:]),
					off:  uint64(binary.LittleEndian.Uint32(sect[48:])),
					exec: true,
				})
			}
		}
	}
	return segs, x86
}

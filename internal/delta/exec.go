package delta

import (
	"bytes"
	"debug/elf"
	"debug/macho"
	"encoding/binary"
	"math"
)

// execInfo is what Create learns from an executable's headers to set up
// version 3's predictor: Apply never reads them, it takes the rules from
// the delta, so a damaged or hostile old file cannot steer it.
type execInfo struct {
	base      uint64 // address of file offset 0, the same for every segment
	x86, arm  []span // code, by file offset
	nobits    map[string][2]uint64
	ptrData   span // writable data with file contents, by file offset
	pcln      *pclnInfo
	typelinks span // the type links, by file offset
}

// pclnInfo is where Go's function table is, and the addresses its
// offsets are relative to.
type pclnInfo struct {
	functab, nfunc, end int64 // file offsets, as in pclnRules
	bases               [numPclnBases]uint64
	start, sectEnd      int64  // the pclntab section, by file offset
	names               uint64 // size of the function name table
	types, etypes       uint64 // runtime.types and etypes, or 0
}

// predictors returns the predictors worth trying for a delta from old to
// new, the empty one first.
func predictors(old, new []byte) []predictor {
	oi, ook := readExec(old)
	ni, nok := readExec(new)
	return predictorsFor(oi, ook, ni, nok)
}

// predictorsFor is predictors given what readExec said of old and new.
func predictorsFor(oi execInfo, ook bool, ni execInfo, nok bool) []predictor {
	none := predictor{version: Version}
	if !ook {
		return []predictor{none}
	}
	p := predictor{version: Version, abs64: true, base: oi.base, x86: oi.x86, arm: oi.arm}
	if nok {
		for name, o := range oi.nobits {
			if n, ok := ni.nobits[name]; ok && o[1] > o[0] {
				p.nobits = append(p.nobits, addrMove{o[0], o[1], int64(n[0] - o[0])})
			}
		}
		p.nobits = sortMoves(p.nobits)
		p.ptrData = oi.ptrData
		if oi.pcln != nil && ni.pcln != nil {
			c := &pclnRules{functab: oi.pcln.functab, nfunc: oi.pcln.nfunc, end: oi.pcln.end}
			for i := range c.bases {
				if oi.pcln.bases[i] != 0 && ni.pcln.bases[i] != 0 {
					c.bases[i] = [2]uint64{oi.pcln.bases[i], ni.pcln.bases[i]}
				}
			}
			p.pcln = c
		}
	}
	if nok {
		p.tables = tablesFor(oi, ni)
	}
	if len(p.x86) > maxCode || len(p.arm) > maxCode || len(p.nobits) > maxNobits || len(p.tables) > maxTables {
		return []predictor{none}
	}
	return []predictor{none, p}
}

// tablesFor returns the table zones of old: Go's type data and type
// links, offsets from runtime.types; the pclntab's name and pc-value
// tables, where nothing is predicted; the funcdata after the function
// records, whose inline trees hold offsets into the name table.
func tablesFor(oi, ni execInfo) []tableZone {
	o, n := oi.pcln, ni.pcln
	if o == nil || n == nil {
		return nil
	}
	var ts []tableZone
	if o.types != 0 && n.types != 0 && o.etypes > o.types {
		if start := o.types - oi.base; start < uint64(o.sectEnd) { // types lie in the file
			ts = append(ts, tableZone{span: span{int64(start), int64(o.etypes - oi.base)}, kind: tablePtrOff32,
				oldBase: o.types, newBase: n.types, limit: o.etypes - o.types})
		}
		if oi.typelinks.end > oi.typelinks.start {
			ts = append(ts, tableZone{span: oi.typelinks, kind: tableOff32, oldBase: o.types, newBase: n.types, limit: o.etypes - o.types})
		}
	}
	ts = append(ts, tableZone{span: span{o.start, o.functab}, kind: tablePlain})
	if o.sectEnd > o.end {
		ts = append(ts, tableZone{span: span{o.end, o.sectEnd}, kind: tableOff32,
			oldBase: o.bases[pclnFuncname], newBase: n.bases[pclnFuncname], limit: o.names})
	}
	for _, t := range ts {
		if t.start < 0 || t.end < t.start {
			return nil
		}
	}
	return ts
}

// sortMoves sorts zero-filled ranges by address, ends each before the
// next one starts, and drops any that start where the one before does.
func sortMoves(m []addrMove) []addrMove {
	for i := 1; i < len(m); i++ {
		for j := i; j > 0 && m[j].start < m[j-1].start; j-- {
			m[j], m[j-1] = m[j-1], m[j]
		}
	}
	out := m[:0]
	for _, r := range m {
		if k := len(out); k > 0 && r.start <= out[k-1].end {
			if r.start <= out[k-1].start {
				continue
			}
			out[k-1].end = r.start - 1 // the next range starts where this one ends
		}
		out = append(out, r)
	}
	return out
}

// readExec reads a 64-bit little-endian ELF or Mach-O executable's
// headers; ok is false for anything else, or when its segments do not all
// sit at the same distance from their file offsets.
func readExec(b []byte) (execInfo, bool) {
	switch {
	case len(b) >= 64 && string(b[:4]) == "\x7fELF":
		return readELF(b)
	case len(b) >= 32 && binary.LittleEndian.Uint32(b) == macho.Magic64:
		return readMachO(b)
	}
	return execInfo{}, false
}

func readELF(b []byte) (execInfo, bool) {
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil || f.Class != elf.ELFCLASS64 || f.Data != elf.ELFDATA2LSB {
		return execInfo{}, false
	}
	info := execInfo{nobits: map[string][2]uint64{}}
	var segs [][3]uint64 // off, size, addr
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Filesz > 0 {
			segs = append(segs, [3]uint64{p.Off, p.Filesz, p.Vaddr})
		}
	}
	if info.base, err = commonBase(segs, len(b)); err != nil {
		return execInfo{}, false
	}
	var textAddr uint64
	for _, s := range f.Sections {
		switch {
		case s.Type == elf.SHT_NOBITS && s.Flags&elf.SHF_ALLOC != 0 && s.Size > 0:
			info.nobits[s.Name] = [2]uint64{s.Addr, s.Addr + s.Size}
		case s.Type == elf.SHT_PROGBITS && s.Flags&elf.SHF_WRITE != 0 && s.Size > 0:
			info.ptrData = widen(info.ptrData, s.Offset, s.Size, len(b))
		case s.Name == ".typelink" && s.Type == elf.SHT_PROGBITS:
			info.typelinks = widen(span{}, s.Offset, s.Size, len(b))
		case s.Type == elf.SHT_PROGBITS && s.Flags&elf.SHF_EXECINSTR != 0 && s.Size > 0:
			if !info.addCode(f.Machine == elf.EM_X86_64, f.Machine == elf.EM_AARCH64, s.Offset, s.Size, len(b)) {
				return execInfo{}, false
			}
			if s.Name == ".text" {
				textAddr = s.Addr
			}
		}
	}
	if s := f.Section(".gopclntab"); s != nil && s.Type == elf.SHT_PROGBITS {
		info.pcln = readPclntab(b, info.base, int64(s.Offset), int64(s.Offset+s.Size), textAddr)
	}
	return info, true
}

func readMachO(b []byte) (execInfo, bool) {
	f, err := macho.NewFile(bytes.NewReader(b))
	if err != nil {
		return execInfo{}, false
	}
	info := execInfo{nobits: map[string][2]uint64{}}
	var segs [][3]uint64
	for _, l := range f.Loads {
		if s, ok := l.(*macho.Segment); ok && s.Filesz > 0 {
			segs = append(segs, [3]uint64{s.Offset, s.Filesz, s.Addr})
		}
	}
	if info.base, err = commonBase(segs, len(b)); err != nil {
		return execInfo{}, false
	}
	const zerofill, pureInstructions = 1, 0x80000000
	var textAddr uint64
	for _, s := range f.Sections {
		switch {
		case s.Flags&0xff == zerofill && s.Size > 0:
			info.nobits[s.Seg+","+s.Name] = [2]uint64{s.Addr, s.Addr + s.Size}
		case s.Seg == "__DATA" && s.Size > 0:
			info.ptrData = widen(info.ptrData, uint64(s.Offset), s.Size, len(b))
		case s.Name == "__typelink":
			info.typelinks = widen(span{}, uint64(s.Offset), s.Size, len(b))
		case s.Flags&pureInstructions != 0 && s.Size > 0:
			if !info.addCode(f.Cpu == macho.CpuAmd64, f.Cpu == macho.CpuArm64, uint64(s.Offset), s.Size, len(b)) {
				return execInfo{}, false
			}
			if s.Name == "__text" {
				textAddr = s.Addr
			}
		}
	}
	if s := f.Section("__gopclntab"); s != nil {
		info.pcln = readPclntab(b, info.base, int64(s.Offset), int64(uint64(s.Offset)+s.Size), textAddr)
	}
	return info, true
}

// addCode records size bytes of machine code at file offset off, as x86-64
// or arm64 code (neither: another machine, nothing to predict); false when
// they do not lie in the file of n bytes.
func (info *execInfo) addCode(x86, arm bool, off, size uint64, n int) bool {
	if off > uint64(n) || size > uint64(n)-off {
		return false
	}
	sp := span{int64(off), int64(off + size)}
	switch {
	case x86:
		info.x86 = append(info.x86, sp)
	case arm:
		info.arm = append(info.arm, sp)
	}
	return true
}

// widen returns sp grown to cover size bytes at off, if they are in the file.
func widen(sp span, off, size uint64, n int) span {
	if off > uint64(n) || size > uint64(n)-off {
		return sp
	}
	if sp.end == 0 {
		return span{int64(off), int64(off + size)}
	}
	return span{min(sp.start, int64(off)), max(sp.end, int64(off+size))}
}

// commonBase returns the address of file offset 0, if every segment
// (off, size, addr) agrees on it and lies in the file.
func commonBase(segs [][3]uint64, size int) (uint64, error) {
	var base uint64
	for i, s := range segs {
		if s[0] > uint64(size) || s[1] > uint64(size)-s[0] || s[2] < s[0] {
			return 0, errNoLayout
		}
		b := s[2] - s[0]
		if b > math.MaxUint64/2-uint64(size) || i > 0 && b != base {
			return 0, errNoLayout
		}
		base = b
	}
	if len(segs) == 0 {
		return 0, errNoLayout
	}
	return base, nil
}

type layoutError string

func (e layoutError) Error() string { return string(e) }

const errNoLayout = layoutError("no single base address")

// readPclntab reads the header of Go's pclntab (Go 1.18 and later: see
// runtime.pcHeader) at old offset start, which ends at end, and finds the
// bases its offsets are relative to. textAddr is the start of the code
// section, runtime.text, which Go 1.20 and later no longer store there.
func readPclntab(b []byte, base uint64, start, end int64, textAddr uint64) *pclnInfo {
	if start < 0 || end > int64(len(b)) || end-start < 72 {
		return nil
	}
	h := b[start:end]
	magic := binary.LittleEndian.Uint32(h)
	if magic != 0xfffffff0 && magic != 0xfffffff1 || h[7] != 8 {
		return nil
	}
	word := func(i int) uint64 { return binary.LittleEndian.Uint64(h[8*i:]) }
	nfunc := word(1)
	functab := word(8) // pclnOffset
	if functab > uint64(len(h)) || nfunc > (uint64(len(h))-functab)/8 {
		return nil
	}
	at := base + uint64(start)
	info := &pclnInfo{functab: start + int64(functab), nfunc: int64(nfunc), end: end}
	// The records end with the last one; what follows (go:func.*, in
	// recent releases) is left to the search and to abs64.
	if nfunc > 0 {
		last := info.functab + int64(binary.LittleEndian.Uint32(b[info.functab+8*int64(nfunc-1)+4:]))
		if last < info.functab || last+funcSize > end {
			return nil
		}
		n := int64(binary.LittleEndian.Uint32(b[last+28:])) + int64(b[last+funcSize-1])
		if n > (end-last-funcSize)/4 {
			return nil
		}
		info.end = last + funcSize + 4*n
	}
	info.bases[pclnText] = textAddr
	if t := word(3); t != 0 { // Go 1.18 and 1.19 store it
		info.bases[pclnText] = t
	}
	info.bases[pclnFuncname] = at + word(4)
	info.bases[pclnPctab] = at + word(7)
	info.bases[pclnCutab] = at + word(5)
	info.bases[pclnFunctab] = at + functab
	info.start, info.sectEnd = start, end
	info.names = word(5) - word(4) // cutab follows the names
	if md := findModuledata(b, base, at, at+word(4), info.bases[pclnText]); md != nil {
		info.bases[pclnGofunc] = md[gofuncWord]
		info.types, info.etypes = md[typesWord], md[etypesWord]
	}
	return info
}

// Where runtime.moduledata's fields are, in words, from Go 1.20 on.
const (
	textWord     = 22
	typesWord    = 37
	etypesWord   = 38
	rodataWord   = 39
	gofuncWord   = 40
	epclntabWord = 41
)

// findModuledata finds runtime.firstmoduledata, whose first words are the
// pclntab's address and the function name table's, and returns its first
// words, if they look like Go 1.20's layout or later's. A wrong guess only
// makes the delta larger.
func findModuledata(b []byte, base, pcln, funcnames, text uint64) []uint64 {
	for i := 0; i+8*(epclntabWord+1) <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:]) != pcln || binary.LittleEndian.Uint64(b[i+8:]) != funcnames {
			continue
		}
		md := make([]uint64, epclntabWord+1)
		for k := range md {
			md[k] = binary.LittleEndian.Uint64(b[i+8*k:])
		}
		if md[textWord] == text && md[rodataWord] <= md[gofuncWord] && md[gofuncWord] < md[epclntabWord] &&
			md[gofuncWord]-base < uint64(len(b)) && md[typesWord] <= md[etypesWord] && md[etypesWord]-base <= uint64(len(b)) {
			return md
		}
	}
	return nil
}

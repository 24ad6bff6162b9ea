package delta

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"
)

func TestShiftMap(t *testing.T) {
	t.Parallel()
	// Regions of old in output order; the third reuses part of the first.
	entries := []entry{
		{seek: 0, diff: 100, extra: 10},   // old [0,100) -> new [0,100)
		{seek: 50, diff: 100, extra: 0},   // old [150,250) -> new [110,210)
		{seek: -230, diff: 40, extra: 20}, // old [20,60) -> new [210,250), overlaps the first
	}
	m := newShiftMap(entries)
	tests := []struct {
		x     int64
		shift int64
		ok    bool
	}{
		{0, 0, true}, {99, 0, true}, {30, 0, true}, // the first region keeps the overlap
		{100, 0, false}, {149, 0, false},
		{150, -40, true}, {249, -40, true}, {250, 0, false},
	}
	for _, tt := range tests {
		if s, ok := m.shift(tt.x); s != tt.shift || ok != tt.ok {
			t.Errorf("shift(%d) = %d, %v; want %d, %v", tt.x, s, ok, tt.shift, tt.ok)
		}
	}
}

func TestPatches(t *testing.T) {
	t.Parallel()
	const base = 0x1000
	old := make([]byte, 200)
	old[16] = 0xE8                                              // call
	binary.LittleEndian.PutUint32(old[17:], uint32(150-(17+4))) // to old 150
	binary.LittleEndian.PutUint64(old[40:], base+160)           // pointer to old 160
	binary.LittleEndian.PutUint64(old[48:], base+10)            // pointer to old 10, which stays
	binary.LittleEndian.PutUint64(old[64:], 7)                  // not an address
	old[94] = 0xE9                                              // jmp whose operand crosses the region's end
	binary.LittleEndian.PutUint32(old[95:], 60)
	old[120] = 0xE8 // call within the region that moves
	binary.LittleEndian.PutUint32(old[121:], uint32(150-(121+4)))

	// old [0,98) stays put; old [98,200) moves 10 bytes later.
	m := newShiftMap([]entry{{diff: 98, extra: 10}, {diff: 102}})
	p := predictor{abs64: true, base: base, rel32: true, codeStart: 0, codeEnd: 98}
	type patch struct {
		pos   int64
		v     uint64
		width int
	}
	var got []patch
	p.patches(old, 0, 98, 0, m, func(pos int64, v uint64, width int) { got = append(got, patch{pos, v, width}) })
	want := []patch{
		{17, 150 + 10 - (17 + 4), 4},
		{40, base + 170, 8},
	}
	if len(got) != len(want) {
		t.Fatalf("patches = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("patch %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	// A call in the moved region whose target moved with it: nothing
	// changes.
	got = nil
	p.codeEnd = 200
	p.patches(old, 98, 200, 10, m, func(pos int64, v uint64, width int) { got = append(got, patch{pos, v, width}) })
	if len(got) != 0 {
		t.Errorf("patches in a region that moved with its targets = %+v, want none", got)
	}
}

func TestReadExec(t *testing.T) {
	t.Parallel()
	elf := append(elfHeader(4096, 0x400000), make([]byte, 4096-120)...)
	if x, ok := readExec(elf); !ok || x.base != 0x400000 {
		t.Errorf("readExec(ELF with one segment) = %+v, %v; want base 0x400000", x, ok)
	}
	binary.LittleEndian.PutUint64(elf[64+32:], 1<<40) // segment past the end of the file
	if x, ok := readExec(elf); ok {
		t.Errorf("readExec(ELF with a segment past its end) = %+v, want nothing", x)
	}
	for _, b := range [][]byte{nil, []byte("\x7fELF"), noise(30, 200), []byte("\xcf\xfa\xed\xfe")} {
		if x, ok := readExec(b); ok {
			t.Errorf("readExec(%q) = %+v, want nothing", b, x)
		}
		if ps := predictors(b, b); len(ps) != 1 {
			t.Errorf("predictors(%q) = %+v, want the empty one alone", b, ps)
		}
	}
}

// TestSplitMoves: zero-filled ranges split where the references say the
// move changes, ignoring a lone disagreeing one, and never into ranges
// that Apply would refuse (empty, overlapping, out of order), even when
// references to one target disagree.
func TestSplitMoves(t *testing.T) {
	t.Parallel()
	coarse := []addrMove{{1000, 1999, 64}, {2000, 2999, 64}}
	samples := []nobitsSample{
		{1100, 64}, {1200, 64}, {1300, 80}, {1400, 80}, {1450, 96}, {1500, 80},
		{1600, 80}, {1600, 96}, {1600, 112}, {1700, 96}, // one target, three moves
		{2500, 128},
	}
	got := splitMoves(coarse, samples)
	want := []addrMove{{1000, 1299, 64}, {1300, 1599, 80}, {1600, 1999, 96}, {2000, 2999, 128}}
	if !slices.Equal(got, want) {
		t.Errorf("splitMoves = %v, want %v", got, want)
	}
	p := predictor{version: 3, base: 0, abs64: true, nobits: got}
	if _, err := readRules3(bytes.NewReader(p.appendTo(nil)), 10); err != nil {
		t.Errorf("the split ranges do not read back: %v", err)
	}
}

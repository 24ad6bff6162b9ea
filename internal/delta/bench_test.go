package delta

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"testing"
)

// benchPair is a generated ~10 MB pair shaped like two builds of a
// program: old is an ELF file of code-like bytes with 8-byte little-endian
// pointers into itself every so often; new changes a few scattered bytes,
// inserts a few blocks, deletes one, and, as a linker would, moves every
// pointer whose target moved.
var benchPair = sync.OnceValues(func() ([]byte, []byte) {
	const size = 10 << 20
	rng := rand.New(rand.NewPCG(42, 42))
	const base = 0x400000
	old := make([]byte, size)
	var ptrs []int // offsets of pointers in old
	copy(old, elfHeader(size, base))
	for i := 128; i+8 <= size; {
		if rng.IntN(8) == 0 && i%8 == 0 {
			binary.LittleEndian.PutUint64(old[i:], base+uint64(rng.IntN(size)))
			ptrs = append(ptrs, i)
			i += 8
			continue
		}
		old[i] = byte(rng.IntN(64)) // a skewed alphabet, like code
		i++
	}

	type edit struct{ at, del, ins int }
	edits := []edit{{1 << 20, 0, 4096}, {3 << 20, 0, 512}, {5<<20 + 3, 0, 77}, {7 << 20, 2048, 0}, {9 << 20, 0, 1000}}
	moved := func(target int) int { // where old offset target lands in new
		for _, e := range edits {
			if target >= e.at+e.del {
				target += e.ins - e.del
			}
		}
		return target
	}
	fixed := bytes.Clone(old)
	for _, p := range ptrs {
		target := int(binary.LittleEndian.Uint64(old[p:]) - base)
		binary.LittleEndian.PutUint64(fixed[p:], base+uint64(moved(target)))
	}
	for i := range 30 { // scattered one-byte changes
		fixed[rng.IntN(size)] ^= byte(i + 1)
	}
	var new []byte
	at := 0
	for _, e := range edits {
		new = append(new, fixed[at:e.at]...)
		ins := make([]byte, e.ins)
		for j := range ins {
			ins[j] = byte(rng.IntN(64))
		}
		new = append(new, ins...)
		at = e.at + e.del
	}
	new = append(new, fixed[at:]...)
	copy(new, elfHeader(len(new), base))
	return old, new
})

// elfHeader returns the 120-byte start of a 64-bit x86-64 ELF file of size
// bytes with one read-only segment that maps all of it at base.
func elfHeader(size int, base uint64) []byte {
	h := make([]byte, 64+56)
	copy(h, "\x7fELF\x02\x01\x01")
	binary.LittleEndian.PutUint16(h[16:], 2)  // executable
	binary.LittleEndian.PutUint16(h[18:], 62) // x86-64
	binary.LittleEndian.PutUint32(h[20:], 1)  // EV_CURRENT
	binary.LittleEndian.PutUint64(h[32:], 64) // program headers
	binary.LittleEndian.PutUint16(h[54:], 56)
	binary.LittleEndian.PutUint16(h[56:], 1)
	ph := h[64:]
	binary.LittleEndian.PutUint32(ph, 1)     // PT_LOAD
	binary.LittleEndian.PutUint32(ph[4:], 4) // readable
	binary.LittleEndian.PutUint64(ph[16:], base)
	binary.LittleEndian.PutUint64(ph[32:], uint64(size))
	return h
}

func BenchmarkCreate(b *testing.B) {
	old, new := benchPair()
	b.SetBytes(int64(len(new)))
	var d bytes.Buffer
	for b.Loop() {
		d.Reset()
		if err := Create(old, new, &d); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(100*float64(d.Len())/float64(len(new)), "delta%")
}

func BenchmarkApply(b *testing.B) {
	old, new := benchPair()
	var d bytes.Buffer
	if err := Create(old, new, &d); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(new)))
	var out bytes.Buffer
	out.Grow(len(new))
	for b.Loop() {
		out.Reset()
		if err := Apply(old, bytes.NewReader(d.Bytes()), &out, int64(len(new))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(100*float64(d.Len())/float64(len(new)), "delta%")
}

func BenchmarkSuffixArray(b *testing.B) {
	old, _ := benchPair()
	b.SetBytes(int64(len(old)))
	for b.Loop() {
		evenSuffixArray(old)
	}
}

package delta

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"runtime"
	"testing"
)

// fuzzOld is the old file every FuzzApply input is applied to.
func fuzzOld() []byte { return noise(20, 4096) }

// fuzzMaxOut bounds what FuzzApply lets a delta rebuild.
const fuzzMaxOut = 64 << 10

// FuzzApply feeds arbitrary bytes to Apply against a fixed old file: it must
// never panic, never succeed with output other than what the header's
// SHA-256 promises, and never allocate much beyond maxOut.
func FuzzApply(f *testing.F) {
	old := fuzzOld()
	for i, new := range [][]byte{
		nil,
		old,
		flipped(old, 2000),
		splice(old, 1000, 50, noise(21, 300)),
		noise(22, 5000),
		bytes.Repeat([]byte{0xAA}, fuzzMaxOut+1), // over maxOut
	} {
		for _, coding := range []int{diffZstd, diffRange} {
			var d bytes.Buffer
			if err := create(old, new, &d, coding); err != nil {
				f.Fatal(err)
			}
			f.Add(d.Bytes())
			if i == 3 {
				f.Add(d.Bytes()[:HeaderSize+5])
			}
		}
	}
	f.Add([]byte(Magic))
	f.Fuzz(func(t *testing.T, delta []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		var out bytes.Buffer
		err := Apply(old, bytes.NewReader(delta), &out, fuzzMaxOut)
		runtime.ReadMemStats(&after)
		// Output, control entries, compressed streams and zstd's own
		// buffers: well under 16 MiB for 64 KiB of output.
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
			t.Errorf("Apply allocated %d bytes for at most %d of output", grew, fuzzMaxOut)
		}
		if int64(out.Len()) > fuzzMaxOut {
			t.Fatalf("Apply wrote %d bytes, more than the %d allowed", out.Len(), fuzzMaxOut)
		}
		if err != nil {
			return
		}
		h, herr := ReadHeader(bytes.NewReader(delta))
		if herr != nil {
			t.Fatalf("Apply accepted a delta whose header ReadHeader refuses: %v", herr)
		}
		if sha256.Sum256(out.Bytes()) != h.NewSum {
			t.Fatalf("Apply succeeded with output that does not match the header")
		}
	})
}

// FuzzRoundTrip checks that Apply rebuilds new from any pair.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte{}, []byte{})
	f.Add([]byte("hello, world"), []byte("hello, brave new world"))
	f.Add(noise(23, 2000), splice(noise(23, 2000), 500, 10, []byte("xyz")))
	f.Add(bytes.Repeat([]byte("ab"), 500), bytes.Repeat([]byte("ba"), 501))
	f.Fuzz(func(t *testing.T, old, new []byte) {
		if len(old) > 1<<16 || len(new) > 1<<16 {
			t.Skip("kept small so the fuzzer stays fast")
		}
		roundTrip(t, old, new)
	})
}

// execOld is a 16 KiB file laid out like a small executable, for the
// fuzz targets of version 3's predictor: x86-64 code with calls, arm64
// code with branches and ADRP pairs, a Go function table of 20 functions,
// type data with pointers and offsets, and a plain table.
func execOld() []byte {
	const base = 0x400000
	rng := rand.New(rand.NewPCG(40, 40))
	b := make([]byte, 16<<10)
	for i := 0; i+5 <= 4<<10; i += 5 { // x86-64: calls
		b[i] = 0xE8
		binary.LittleEndian.PutUint32(b[i+1:], uint32(int32(rng.IntN(16<<10)-(i+5))))
	}
	for i := 4 << 10; i+8 <= 8<<10; i += 8 { // arm64: BL, then ADRP + ADD
		binary.LittleEndian.PutUint32(b[i:], 0x94000000|uint32(rng.IntN(1<<10)))
		binary.LittleEndian.PutUint32(b[i+4:], 0x90000000|uint32(rng.IntN(4))<<5|1)
	}
	for i := 4<<10 + 4; i+8 <= 8<<10; i += 64 {
		binary.LittleEndian.PutUint32(b[i+4:], 0x91000021|uint32(rng.IntN(4096))<<10)
	}
	// The function table: 20 entries, the end pc offset, then the records.
	ft := 8 << 10
	rec := ft + 8*20 + 8
	for k := range 20 {
		binary.LittleEndian.PutUint32(b[ft+8*k:], uint32(100*k))
		binary.LittleEndian.PutUint32(b[ft+8*k+4:], uint32(rec-ft))
		binary.LittleEndian.PutUint32(b[rec:], uint32(100*k))
		binary.LittleEndian.PutUint32(b[rec+4:], uint32(10*k))
		for f := 4; f < 7; f++ {
			binary.LittleEndian.PutUint32(b[rec+4*f:], uint32(rng.IntN(2048)))
		}
		binary.LittleEndian.PutUint32(b[rec+28:], 2) // npcdata
		b[rec+funcSize-1] = 3                        // nfuncdata
		for f := 0; f < 5; f++ {
			binary.LittleEndian.PutUint32(b[rec+funcSize+4*f:], uint32(rng.IntN(2048)))
		}
		rec += funcSize + 4*5 + 4
	}
	binary.LittleEndian.PutUint32(b[ft+8*20:], 2000)
	for i := 12 << 10; i+8 <= 16<<10; i += 8 { // pointers and offsets
		if rng.IntN(2) == 0 {
			binary.LittleEndian.PutUint64(b[i:], base+uint64(rng.IntN(16<<10)))
		} else {
			binary.LittleEndian.PutUint32(b[i:], uint32(rng.IntN(4<<10)))
			binary.LittleEndian.PutUint32(b[i+4:], uint32(rng.IntN(1<<10)))
		}
	}
	return b
}

// execRules are version 3 rules for execOld, with every kind of rule.
func execRules() predictor {
	const base = 0x400000
	p := predictor{
		version: 3, abs64: true, base: base,
		x86:     []span{{0, 4 << 10}},
		arm:     []span{{4 << 10, 8 << 10}},
		nobits:  []addrMove{{base + 20<<10, base + 30<<10, 64}},
		ptrData: span{12 << 10, 14 << 10},
		pcln:    &pclnRules{functab: 8 << 10, nfunc: 20, end: 12 << 10},
		tables: []tableZone{
			{span: span{12 << 10, 14 << 10}, kind: tablePtrOff32, oldBase: base + 12<<10, newBase: base + 12<<10 + 32, limit: 4 << 10},
			{span: span{14 << 10, 15 << 10}, kind: tableOff32, oldBase: base, newBase: base, limit: 16 << 10},
			{span: span{15 << 10, 16 << 10}, kind: tablePlain},
		},
	}
	for i := range p.pcln.bases {
		p.pcln.bases[i] = [2]uint64{base + uint64(i)<<10, base + uint64(i)<<10 + 16}
	}
	return p
}

// execNew is execOld after a linker moved things: a block inserted in
// each kind of zone, one deleted.
func execNew(old []byte) []byte {
	new := splice(old, 1000, 0, noise(41, 48))
	new = splice(new, 6000, 0, noise(42, 64))
	new = splice(new, 13000, 16, nil)
	return flipped(new, 9000)
}

// FuzzPredictRules feeds arbitrary version 3 predictor rules to the
// scanner over execOld and regions chosen by seed: it must never panic,
// and every field it finds must lie inside its region, after the field
// before, whether the scan runs in one pass or stops and resumes.
func FuzzPredictRules(f *testing.F) {
	old := execOld()
	p := execRules()
	f.Add(p.appendTo(nil), uint64(1))
	for _, drop := range []func(*predictor){
		func(p *predictor) { p.x86 = nil },
		func(p *predictor) { p.pcln = nil },
		func(p *predictor) { p.tables = nil; p.nobits = nil },
	} {
		q := execRules()
		drop(&q)
		f.Add(q.appendTo(nil), uint64(2))
	}
	f.Add([]byte{0}, uint64(3))
	f.Fuzz(func(t *testing.T, rules []byte, seed uint64) {
		p, err := readRules3(bytes.NewReader(rules), int64(len(old)))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("readRules3: %v is not ErrCorrupt", err)
			}
			return
		}
		rng := rand.New(rand.NewPCG(seed, 2))
		var entries []entry
		var oldPos int64
		for range 1 + rng.IntN(6) {
			at := rng.Int64N(int64(len(old)))
			n := 1 + rng.Int64N(int64(len(old))-at)
			entries = append(entries, entry{seek: at - oldPos, diff: n, extra: rng.Int64N(64)})
			oldPos = at + n
		}
		m := newShiftMap(entries)
		oldPos = 0
		var newPos int64
		for _, e := range entries {
			oldPos += e.seek
			start, end := oldPos, oldPos+e.diff
			s := p.scanner(old, m)
			s.start(start, end, newPos-oldPos)
			prev := start
			for lim := start; lim < end; {
				lim += 1 + rng.Int64N(4096)
				for {
					pos, _, width, ok := s.next(lim)
					if !ok {
						break
					}
					if pos < prev || pos+int64(width) > end || width != 4 && width != 8 {
						t.Fatalf("field at %d of %d bytes outside region %d-%d or before %d", pos, width, start, end, prev)
					}
					prev = pos + int64(width)
				}
			}
			oldPos = end
			newPos += e.diff + e.extra
		}
	})
}

// FuzzApplyExecutable is FuzzApply over execOld, with deltas that carry
// every kind of version 3 rule to start from.
func FuzzApplyExecutable(f *testing.F) {
	old := execOld()
	for _, new := range [][]byte{execNew(old), old, flipped(old, 9100)} {
		for _, coding := range []int{diffZstd, diffRange} {
			var d bytes.Buffer
			if err := createWith(old, new, &d, coding, []predictor{execRules()}); err != nil {
				f.Fatal(err)
			}
			f.Add(d.Bytes())
		}
	}
	f.Fuzz(func(t *testing.T, delta []byte) {
		var out bytes.Buffer
		err := Apply(old, bytes.NewReader(delta), &out, fuzzMaxOut)
		if int64(out.Len()) > fuzzMaxOut {
			t.Fatalf("Apply wrote %d bytes, more than the %d allowed", out.Len(), fuzzMaxOut)
		}
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrMismatch) {
				t.Fatalf("Apply: %v is neither ErrCorrupt nor ErrMismatch", err)
			}
			return
		}
		h, herr := ReadHeader(bytes.NewReader(delta))
		if herr != nil || sha256.Sum256(out.Bytes()) != h.NewSum {
			t.Fatalf("Apply succeeded with output that does not match the header (%v)", herr)
		}
	})
}

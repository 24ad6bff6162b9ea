package delta

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// craft writes a delta by hand: the header declares newSize bytes of
// output for old, and the control, sparse diff and extra streams are
// zstd-compressed from the raw bytes given, whatever they add up to.
func craft(t testing.TB, old []byte, newSize int64, control, sparse, extra []byte) []byte {
	t.Helper()
	var enc compressor
	defer enc.close()
	var streams [numStreams][]byte
	var err error
	if streams[streamControl], err = enc.encode(control, nil); err != nil {
		t.Fatal(err)
	}
	if streams[streamDiff], err = enc.encode(sparse, []byte{diffZstd}); err != nil {
		t.Fatal(err)
	}
	if streams[streamExtra], err = enc.encode(extra, nil); err != nil {
		t.Fatal(err)
	}
	h := Header{OldSize: int64(len(old)), OldSum: sha256.Sum256(old), NewSize: newSize, version: Version}
	for i, s := range streams {
		h.streams[i] = int64(len(s))
	}
	d := appendHeader(nil, h)
	for _, s := range streams {
		d = append(d, s...)
	}
	return d
}

// controlOf encodes no predictor and the given entries.
func controlOf(entries ...entry) []byte {
	return controlStream(predictor{}, entries)
}

// TestApplyBombAllocatesLittle applies deltas of a few hundred bytes that
// declare 4 GiB of output their streams cannot hold: each must be refused
// as corrupt before the output is allocated. Not parallel: it measures
// the heap, which tests running beside it would grow.
func TestApplyBombAllocatesLittle(t *testing.T) {
	const declared = 4 << 30
	small, large := noise(30, 4096), noise(31, 64<<10)
	tests := []struct {
		name  string
		old   []byte
		delta []byte
	}{
		// Refused by the header: 4 GiB is more than the streams and 4 KiB
		// of old can rebuild.
		{"extra bytes, small old", small, craft(t, small, declared, controlOf(entry{extra: declared}), nil, noise(32, 16))},
		// The header allows it (many entries of old's 64 KiB could make
		// 4 GiB), but the one entry asks the extra stream for 4 GiB.
		{"extra bytes, larger old", large, craft(t, large, declared, controlOf(entry{extra: declared}), nil, noise(33, 16))},
		{"old and extra bytes", large, craft(t, large, declared, controlOf(entry{diff: 1000}, entry{extra: declared - 1000}), nil, noise(34, 16))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.delta) > 200 {
				t.Fatalf("the crafted delta is %d bytes, want a tiny one", len(tt.delta))
			}
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var out bytes.Buffer
			err := Apply(tt.old, bytes.NewReader(tt.delta), &out, declared)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("Apply of a %d-byte delta declaring %d bytes: got %v, want ErrCorrupt", len(tt.delta), int64(declared), err)
			}
			if out.Len() > 1<<20 {
				t.Errorf("Apply wrote %d bytes before it refused the delta", out.Len())
			}
			const most = 64 << 20
			grew := after.TotalAlloc - before.TotalAlloc
			if grew > most {
				t.Errorf("Apply of a %d-byte delta allocated %d bytes, want at most %d", len(tt.delta), grew, most)
			}
			t.Logf("%d-byte delta, %d bytes allocated: %v", len(tt.delta), grew, err)
		})
	}
}

// TestReadHeaderRefusesUnbackedOutput: ReadHeader, which callers use to
// see what they are about to rebuild, already refuses a declared output the
// streams cannot produce, and accepts the largest they can.
func TestReadHeaderRefusesUnbackedOutput(t *testing.T) {
	t.Parallel()
	old := noise(35, 4096)
	d := craft(t, old, 4<<30, controlOf(entry{extra: 4 << 30}), nil, noise(36, 100))
	if _, err := ReadHeader(bytes.NewReader(d)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("ReadHeader: got %v, want ErrCorrupt", err)
	}
	h, err := parseHeader(d[:HeaderSize])
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("parseHeader: got %v, want ErrCorrupt", err)
	}
	// The same header declaring exactly what the streams could rebuild
	// passes (the body then decides).
	h.NewSize = maxOutput(h)
	if _, err := parseHeader(appendHeader(nil, h)); err != nil {
		t.Errorf("parseHeader of a header at the bound: %v", err)
	}
	h.NewSize++
	if _, err := parseHeader(appendHeader(nil, h)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("parseHeader of a header one past the bound: got %v, want ErrCorrupt", err)
	}
}

// TestMaxOutputHoldsForRealDeltas: what Create writes never declares more
// than maxOutput, even where zstd compresses best (long runs of zeros, old
// repeated).
func TestMaxOutputHoldsForRealDeltas(t *testing.T) {
	t.Parallel()
	zeros := make([]byte, 9<<20)
	tests := []struct {
		name     string
		old, new []byte
	}{
		{"zeros from nothing", nil, zeros},
		{"zeros from a few zeros", make([]byte, 16), zeros[:3<<20]},
		{"old repeated", noise(37, 4096), bytes.Repeat(noise(37, 4096), 512)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := roundTrip(t, tt.old, tt.new)
			h, err := ReadHeader(bytes.NewReader(d))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d bytes from a %d-byte delta; the bound is %d", h.NewSize, len(d), maxOutput(h))
		})
	}
}

// TestRangeCodedRunStopsAtEnd: a range-coded diff stream cut short after
// a pair that announces a long run is refused within a chunk of the end,
// not decoded (from zeros) for as long as the run says.
func TestRangeCodedRunStopsAtEnd(t *testing.T) {
	t.Parallel()
	const run = 1 << 20
	sparse := binary.AppendUvarint(nil, 0)
	sparse = binary.AppendUvarint(sparse, run)
	sparse = append(sparse, noise(38, run)...)
	coded, err := encodeSparse(sparse)
	if err != nil {
		t.Fatal(err)
	}
	p, err := newRCPairs(coded[:64])
	if err != nil {
		t.Fatal(err)
	}
	s := &sparseReader{rc: p, left: run}
	err = s.addTo(make([]byte, run))
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("addTo over a cut range-coded run: got %v, want ErrCorrupt", err)
	}
	if over := p.d.pos - len(p.d.in); over > len(s.buffer) {
		t.Errorf("the decoder read %d bytes past the end of its stream before it stopped", over)
	}
	if len(p.lit) > 2*len(s.buffer) {
		t.Errorf("the decoder kept %d bytes of a run it had no input for", len(p.lit))
	}
}

// TestApplyFileMemory: applying to a mapped old file allocates what the
// delta needs, not what the files hold. The pair is 10 MiB; the heap
// Apply allocates must stay a small fraction of that. Not parallel: it
// measures the heap.
func TestApplyFileMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 10 MiB pair")
	}
	old, new := benchPair()
	var d bytes.Buffer
	if err := Create(old, new, &d); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), "old")
	if err := os.WriteFile(name, old, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum := sha256.New()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err = ApplyFile(f, bytes.NewReader(d.Bytes()), sum, int64(len(new)))
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sum.Sum(nil), sha256.Sum256(new); !bytes.Equal(got, want[:]) {
		t.Fatalf("ApplyFile wrote a file that is not new")
	}
	grew := after.TotalAlloc - before.TotalAlloc
	most := uint64(2<<20 + 4*d.Len())
	if grew > most {
		t.Errorf("ApplyFile of a %d-byte file allocated %d bytes, want at most %d (2 MiB and 4 per delta byte)", len(new), grew, most)
	}
	t.Logf("%d-byte file, %d-byte delta: %d bytes allocated", len(new), d.Len(), grew)
}

package delta

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// noise returns n pseudo-random bytes, the same for the same seed.
func noise(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// splice returns b with b[at:at+del] replaced by ins.
func splice(b []byte, at, del int, ins []byte) []byte {
	out := slices.Clone(b[:at])
	out = append(out, ins...)
	return append(out, b[at+del:]...)
}

func flipped(b []byte, at int) []byte {
	out := slices.Clone(b)
	out[at] ^= 0x40
	return out
}

// roundTrip creates a delta from old to new, applies it with maxOut set to
// exactly the size of new, and checks the result.
func roundTrip(t *testing.T, old, new []byte) []byte {
	t.Helper()
	var d bytes.Buffer
	if err := Create(old, new, &d); err != nil {
		t.Fatalf("Create: %v", err)
	}
	var out bytes.Buffer
	if err := Apply(old, bytes.NewReader(d.Bytes()), &out, int64(len(new))); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if !bytes.Equal(out.Bytes(), new) {
		t.Fatalf("Apply rebuilt %d bytes that differ from the %d of new", out.Len(), len(new))
	}
	return d.Bytes()
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	base := noise(1, 64<<10)
	text := bytes.Repeat([]byte("the quick brown fox jumps over the lazy dog\n"), 2000)
	tests := []struct {
		name     string
		old, new []byte
	}{
		{"both empty", nil, nil},
		{"empty old", nil, noise(2, 5000)},
		{"empty new", base, nil},
		{"one byte old", []byte{7}, base[:100]},
		{"identical", base, base},
		{"one byte changed", base, flipped(base, 30000)},
		{"first byte changed", base, flipped(base, 0)},
		{"last byte changed", base, flipped(base, len(base)-1)},
		{"insert at start", base, splice(base, 0, 0, noise(3, 300))},
		{"insert in middle", base, splice(base, 32000, 0, noise(4, 300))},
		{"insert at end", base, splice(base, len(base), 0, noise(5, 300))},
		{"delete at start", base, splice(base, 0, 300, nil)},
		{"delete in middle", base, splice(base, 32000, 300, nil)},
		{"delete at end", base, splice(base, len(base)-300, 300, nil)},
		{"move a block", base, splice(splice(base, 40000, 2000, nil), 1000, 0, base[40000:42000])},
		{"unrelated random", base, noise(6, 70<<10)},
		{"repeated pattern", text, splice(flipped(text, 5000), 60000, 10, []byte("a lazy cat"))},
		{"zeros", make([]byte, 100<<10), splice(make([]byte, 100<<10), 50000, 0, []byte{1, 2, 3})},
		{"short strings", []byte("abc"), []byte("abd")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := roundTrip(t, tt.old, tt.new)
			t.Logf("%d -> %d bytes: delta of %d bytes", len(tt.old), len(tt.new), len(d))
		})
	}
}

// TestSmallEditsGiveSmallDeltas guards the point of the package: a few
// changed bytes in a large file cost a few bytes, not a copy. The larger
// file is searched in two halves.
func TestSmallEditsGiveSmallDeltas(t *testing.T) {
	t.Parallel()
	for _, size := range []int{256 << 10, 2*minSplit + 1} {
		old := noise(7, size)
		new := splice(flipped(flipped(old, 1000), size-1000), size/3, 0, []byte("inserted"))
		if d := roundTrip(t, old, new); len(d) > HeaderSize+200 {
			t.Errorf("delta for 3 small edits in %d bytes is %d bytes, want at most %d", size, len(d), HeaderSize+200)
		}
	}
}

func TestCreateIsDeterministic(t *testing.T) {
	t.Parallel()
	// Large enough that old is indexed, and new searched, in two halves
	// on two goroutines.
	old := noise(8, minPart+minPart/8)
	new := splice(flipped(old, 5), minPart/2, 100, noise(9, 1000))
	var a, b bytes.Buffer
	if err := Create(old, new, &a); err != nil {
		t.Fatal(err)
	}
	if err := Create(old, new, &b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("two Creates of the same pair differ: %d and %d bytes", a.Len(), b.Len())
	}
	if a.Len() > HeaderSize+1300 {
		t.Errorf("delta for 2 small edits in %d bytes is %d bytes, want at most %d", len(old), a.Len(), HeaderSize+1300)
	}
	var out bytes.Buffer
	if err := Apply(old, bytes.NewReader(a.Bytes()), &out, int64(len(new))); err != nil || !bytes.Equal(out.Bytes(), new) {
		t.Errorf("Apply: %v (output equal: %v)", err, bytes.Equal(out.Bytes(), new))
	}
}

func TestReadHeader(t *testing.T) {
	t.Parallel()
	old, new := noise(10, 3000), noise(11, 4000)
	var d bytes.Buffer
	if err := Create(old, new, &d); err != nil {
		t.Fatal(err)
	}
	h, err := ReadHeader(bytes.NewReader(d.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	want := Header{OldSize: 3000, OldSum: sha256.Sum256(old), NewSize: 4000, NewSum: sha256.Sum256(new), version: Version}
	h.streams = [numStreams]int64{}
	if h != want {
		t.Errorf("ReadHeader = %+v, want %+v", h, want)
	}

	bad := map[string][]byte{
		"empty":     nil,
		"truncated": d.Bytes()[:HeaderSize-1],
		"magic":     append([]byte("NOTDELTA"), d.Bytes()[8:]...),
		"version":   append(append([]byte(Magic), Version+1), d.Bytes()[8:]...),
		"checksum":  flipped(d.Bytes(), HeaderSize-1),
		"size":      flipped(d.Bytes(), 10),
	}
	for name, b := range bad {
		if _, err := ReadHeader(bytes.NewReader(b)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("ReadHeader(%s) error = %v, want ErrCorrupt", name, err)
		}
	}
}

// corruptionPair is a small pair whose delta uses all three streams and
// the predictor's plain path, with the diff stream coded as asked.
func corruptionPair(coding int) (old, new, delta []byte) {
	old = noise(12, 3000)
	new = splice(flipped(flipped(old, 100), 700), 1500, 20, noise(13, 40))
	var d bytes.Buffer
	if err := create(old, new, &d, coding); err != nil {
		panic(err)
	}
	return old, new, d.Bytes()
}

var codings = []struct {
	name   string
	coding int
}{{"zstd", diffZstd}, {"range", diffRange}}

// applyErr applies delta and fails the test if Apply succeeds with the
// wrong output. (When it fails, what it wrote is the caller's to discard.)
func applyErr(t *testing.T, old, new, delta []byte, maxOut int64) error {
	t.Helper()
	var out bytes.Buffer
	err := Apply(old, bytes.NewReader(delta), &out, maxOut)
	if err == nil && !bytes.Equal(out.Bytes(), new) {
		t.Fatalf("Apply succeeded with wrong output")
	}
	if out.Len() > len(new) && out.Len() > int(maxOut) {
		t.Fatalf("Apply wrote %d bytes, more than the %d allowed", out.Len(), maxOut)
	}
	return err
}

func TestApplyRefusesEveryFlippedByte(t *testing.T) {
	t.Parallel()
	for _, c := range codings {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			old, new, delta := corruptionPair(c.coding)
			for i := range delta {
				for _, mask := range []byte{0x01, 0x80, 0xff} {
					bad := slices.Clone(delta)
					bad[i] ^= mask
					err := applyErr(t, old, new, bad, 1<<20)
					if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrMismatch) {
						t.Errorf("byte %d ^ %#x: error %v is neither ErrCorrupt nor ErrMismatch", i, mask, err)
					}
				}
			}
		})
	}
}

func TestApplyRefusesTruncation(t *testing.T) {
	t.Parallel()
	for _, c := range codings {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			old, new, delta := corruptionPair(c.coding)
			for n := range len(delta) {
				if err := applyErr(t, old, new, delta[:n], 1<<20); !errors.Is(err, ErrCorrupt) {
					t.Errorf("delta cut to %d of %d bytes: error %v, want ErrCorrupt", n, len(delta), err)
				}
			}
		})
	}
}

// TestDiffCodings rebuilds pairs through both codings of the diff stream,
// and checks Create keeps the shorter.
func TestDiffCodings(t *testing.T) {
	t.Parallel()
	// A table of increasing 4-byte values, all moved by the same amount
	// in new: corrections that repeat by kind at irregular distances.
	old := noise(30, 1<<16)
	new := slices.Clone(old)
	for i := 0; i+4 <= len(new); i += 4 + int(old[i]%13) {
		v := binary.LittleEndian.Uint32(new[i:])
		binary.LittleEndian.PutUint32(new[i:], v+0x1230)
	}
	for _, pair := range []struct {
		name     string
		old, new []byte
	}{
		{"shifted table", old, new},
		{"edits", noise(31, 5000), splice(flipped(noise(31, 5000), 10), 2000, 5, []byte("inserted"))},
		{"empty old", nil, noise(32, 100)},
	} {
		sizes := map[int]int{}
		for _, c := range codings {
			var d bytes.Buffer
			if err := create(pair.old, pair.new, &d, c.coding); err != nil {
				t.Fatal(err)
			}
			if err := applyErr(t, pair.old, pair.new, d.Bytes(), 1<<20); err != nil {
				t.Errorf("%s, %s: %v", pair.name, c.name, err)
			}
			sizes[c.coding] = d.Len()
		}
		var d bytes.Buffer
		if err := Create(pair.old, pair.new, &d); err != nil {
			t.Fatal(err)
		}
		if want := min(sizes[diffZstd], sizes[diffRange]); d.Len() != want {
			t.Errorf("%s: Create wrote %d bytes, want the shorter coding's %d (zstd %d, range %d)", pair.name, d.Len(), want, sizes[diffZstd], sizes[diffRange])
		}
	}
}

// TestApplyGolden applies deltas kept in testdata as they were made:
// testdata/v1 by format version 1 (no predictor), testdata/elf by versions
// 1 and 2 over an x86-64 ELF file whose calls and pointers moved (abs64 and
// rel32 prediction, both codings of the version 2 diff stream), testdata/v3
// by version 3 with every kind of rule. They must go on applying.
func TestApplyGolden(t *testing.T) {
	t.Parallel()
	read := func(dir, name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		dir, delta string
		version    byte
	}{
		{"v1", "delta", 1},
		{"elf", "v1.delta", 1},
		{"elf", "v2-zstd.delta", 2},
		{"elf", "v2-range.delta", 2},
		{"v3", "delta", 3}, // execOld and execNew (fuzz_test.go) with every kind of version 3 rule
	}
	for _, tt := range tests {
		t.Run(tt.dir+"/"+tt.delta, func(t *testing.T) {
			t.Parallel()
			old, new, delta := read(tt.dir, "old"), read(tt.dir, "new"), read(tt.dir, tt.delta)
			if v := delta[len(Magic)]; v != tt.version {
				t.Fatalf("testdata/%s/%s is version %d, want %d", tt.dir, tt.delta, v, tt.version)
			}
			if err := applyErr(t, old, new, delta, 1<<20); err != nil {
				t.Fatal(err)
			}
			// Every truncation is refused, never a panic.
			for n := 0; n < len(delta); n += 1 + n/8 {
				if err := applyErr(t, old, new, delta[:n], 1<<20); !errors.Is(err, ErrCorrupt) {
					t.Errorf("cut to %d of %d bytes: error %v, want ErrCorrupt", n, len(delta), err)
				}
			}
		})
	}
}

// TestApplyRefusesDamagedRules: a version 3 delta whose rules use every
// kind of prediction, damaged at every byte or cut anywhere, is refused as
// corrupt (or as for another old file), never rebuilt wrong, never a panic.
func TestApplyRefusesDamagedRules(t *testing.T) {
	t.Parallel()
	old := execOld()
	new := execNew(old)
	var d bytes.Buffer
	if err := createWith(old, new, &d, diffZstd, []predictor{execRules()}); err != nil {
		t.Fatal(err)
	}
	delta := d.Bytes()
	for i := range delta {
		bad := slices.Clone(delta)
		bad[i] ^= 0x5a
		if err := applyErr(t, old, new, bad, 1<<20); err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrMismatch) {
			t.Errorf("byte %d: error %v is neither ErrCorrupt nor ErrMismatch", i, err)
		}
		if err := applyErr(t, old, new, delta[:i], 1<<20); !errors.Is(err, ErrCorrupt) {
			t.Errorf("cut to %d of %d bytes: error %v, want ErrCorrupt", i, len(delta), err)
		}
	}
	// Rules that do not fit old: each refused with a message that says so.
	for _, tt := range []struct {
		name   string
		damage func(*predictor)
		want   string
	}{
		{"code past old", func(p *predictor) { p.x86[0].end = 1 << 20 }, "code range"},
		{"function table past old", func(p *predictor) { p.pcln.end = 1 << 20 }, "function table"},
		{"table past old", func(p *predictor) { p.tables[0].end = 1 << 20 }, "table"},
		{"unknown table kind", func(p *predictor) { p.tables[0].kind = numTableKinds }, "kind"},
	} {
		p := execRules()
		tt.damage(&p)
		_, err := readRules3(bytes.NewReader(p.appendTo(nil)), int64(len(old)))
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: readRules3 error %v, want ErrCorrupt saying %q", tt.name, err, tt.want)
		}
	}
}

func TestApplyRefuses(t *testing.T) {
	t.Parallel()
	old, new, delta := corruptionPair(diffRange)
	huge := func() []byte {
		// A valid header that promises 1 PiB: refused before Apply
		// allocates anything of that size, or the test would crash.
		h, err := ReadHeader(bytes.NewReader(delta))
		if err != nil {
			t.Fatal(err)
		}
		h.NewSize = 1 << 50
		return append(appendHeader(nil, h), delta[HeaderSize:]...)
	}
	tests := []struct {
		name   string
		old    []byte
		delta  []byte
		maxOut int64
		want   error
	}{
		{"output over maxOut", old, delta, int64(len(new)) - 1, ErrCorrupt},
		{"declared size over maxOut", old, huge(), 1 << 40, ErrCorrupt},
		{"declared size within maxOut but streams too short", old, huge(), 1 << 62, ErrCorrupt},
		{"trailing byte", old, append(slices.Clone(delta), 0), 1 << 20, ErrCorrupt},
		{"two deltas", old, append(slices.Clone(delta), delta...), 1 << 20, ErrCorrupt},
		{"old of another size", old[1:], delta, 1 << 20, ErrMismatch},
		{"old with another byte", flipped(old, 2999), delta, 1 << 20, ErrMismatch},
		{"new as old", new, delta, 1 << 20, ErrMismatch},
		{"not a delta", old, noise(14, 500), 1 << 20, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := applyErr(t, tt.old, new, tt.delta, tt.maxOut); !errors.Is(err, tt.want) {
				t.Errorf("Apply error = %v, want %v", err, tt.want)
			}
		})
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestErrorsFromReaderAndWriterAreNotCorruption(t *testing.T) {
	t.Parallel()
	old, new, delta := corruptionPair(diffRange)
	if err := Apply(old, bytes.NewReader(delta), failingWriter{}, 1<<20); err == nil || errors.Is(err, ErrCorrupt) {
		t.Errorf("Apply to a failing writer: error %v, want a write error", err)
	}
	if err := Create(old, new, failingWriter{}); err == nil {
		t.Errorf("Create to a failing writer: no error")
	}
}

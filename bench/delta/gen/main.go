// Command gen writes a synthetic pair of files, OLD and NEW, for benchmarking
// binary delta tools on inputs larger than patchline's own binaries.
//
// OLD is a product-like mix: slices of the real binaries named on the command
// line (machine code, read-only data, symbol tables), generated text, tables
// of increasing pointers, zero padding and incompressible blobs. NEW is OLD as
// a rebuild after a small fix would leave it: in some regions many 4-byte
// values shifted by a constant (code that moved changes every relative address
// after it), scattered single-byte edits, insertions (new bytes, or bytes
// copied from elsewhere), deletions and a block moved. The same seed, size and
// material files give the same bytes.
//
//	go run ./bench/delta/gen -seed 1 -size 31457280 -old old -new new $(go env GOROOT)/bin/*
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
)

func main() {
	oldPath := flag.String("old", "", "write OLD here")
	newPath := flag.String("new", "", "write NEW here")
	size := flag.Int("size", 30<<20, "size of OLD in bytes")
	seed := flag.Uint64("seed", 1, "seed of every random choice")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: gen -old FILE -new FILE [-size BYTES] [-seed N] [MATERIAL...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(*oldPath, *newPath, *size, *seed, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(oldPath, newPath string, size int, seed uint64, materialPaths []string) error {
	if oldPath == "" || newPath == "" {
		return errors.New("-old and -new are required")
	}
	if size < 1<<20 {
		return fmt.Errorf("-size %d is too small; use at least 1048576", size)
	}
	var material [][]byte
	for _, p := range materialPaths {
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("read material: %w", err)
		}
		if len(b) >= 64<<10 {
			material = append(material, b)
		}
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	old := product(rng, material, size)
	nw := rebuild(rng, old)
	if err := os.WriteFile(oldPath, old, 0o644); err != nil {
		return err
	}
	return os.WriteFile(newPath, nw, 0o644)
}

// between returns a random int in [lo, hi].
func between(rng *rand.Rand, lo, hi int) int { return lo + rng.IntN(hi-lo+1) }

// product builds OLD: segments of each kind in random order up to size bytes.
func product(rng *rand.Rand, material [][]byte, size int) []byte {
	words := vocabulary(rng, 3000)
	out := make([]byte, 0, size+4<<20)
	for len(out) < size {
		switch k := rng.IntN(100); {
		case k < 55: // machine code and data from a real binary
			out = append(out, code(rng, material, between(rng, 256<<10, 4<<20))...)
		case k < 70: // strings, messages, embedded text
			out = appendText(rng, out, words, between(rng, 64<<10, 1<<20))
		case k < 85: // pointer tables, pclntab-like offsets
			out = appendTable(rng, out, between(rng, 32<<10, 512<<10))
		case k < 90: // section alignment
			out = append(out, make([]byte, between(rng, 4<<10, 64<<10))...)
		default: // compressed assets
			out = appendRandom(rng, out, between(rng, 64<<10, 512<<10))
		}
	}
	return out[:size]
}

// code returns n bytes of a material file, or byte soup shaped like machine
// code when there is no material.
func code(rng *rand.Rand, material [][]byte, n int) []byte {
	if len(material) == 0 {
		ops := []byte{0x48, 0x89, 0x8b, 0xe8, 0x0f, 0x85, 0x84, 0xc3, 0x00, 0xff, 0x24, 0x44}
		b := make([]byte, n)
		for i := range b {
			if rng.IntN(2) == 0 {
				b[i] = ops[rng.IntN(len(ops))]
			} else {
				b[i] = byte(rng.Uint32())
			}
		}
		return b
	}
	m := material[rng.IntN(len(material))]
	n = min(n, len(m))
	off := rng.IntN(len(m) - n + 1)
	return m[off : off+n]
}

func vocabulary(rng *rand.Rand, n int) []string {
	const letters = "etaoinshrdlucmfwypvbgkqjxz_"
	words := make([]string, n)
	for i := range words {
		w := make([]byte, between(rng, 2, 12))
		for j := range w {
			// Squaring favours the frequent letters at the front.
			r := rng.Float64()
			w[j] = letters[int(r*r*float64(len(letters)))]
		}
		words[i] = string(w)
	}
	return words
}

func appendText(rng *rand.Rand, out []byte, words []string, n int) []byte {
	end := len(out) + n
	for len(out) < end {
		for range between(rng, 3, 14) {
			// Zipf-like: a few words are most of the text.
			r := rng.Float64()
			out = append(out, words[int(r*r*r*float64(len(words)))]...)
			out = append(out, ' ')
		}
		out[len(out)-1] = '\n'
	}
	return out[:end]
}

func appendTable(rng *rand.Rand, out []byte, n int) []byte {
	v := uint64(0x400000 + rng.IntN(1<<24))
	for range n / 8 {
		v += uint64(between(rng, 1, 64) * 8)
		out = binary.LittleEndian.AppendUint64(out, v)
	}
	return out
}

func appendRandom(rng *rand.Rand, out []byte, n int) []byte {
	for range n / 8 {
		out = binary.LittleEndian.AppendUint64(out, rng.Uint64())
	}
	return out
}

// splice replaces old[at:at+del] with ins.
type splice struct {
	at, del int
	ins     []byte
}

// rebuild makes NEW from OLD.
func rebuild(rng *rand.Rand, old []byte) []byte {
	nw := bytes.Clone(old)
	size := len(old)

	// Relocated regions: every relative address after moved code changes by
	// the same amount, so a region matches OLD only approximately.
	for range max(2, size/(4<<20)) {
		n := between(rng, 256<<10, 2<<20)
		start := rng.IntN(size - n)
		disp := uint32(between(rng, 1, 256) * 16)
		if rng.IntN(2) == 0 {
			disp = -disp
		}
		for p := start; p+4 <= start+n; p += 1 + int(rng.ExpFloat64()*48) {
			v := binary.LittleEndian.Uint32(nw[p:])
			binary.LittleEndian.PutUint32(nw[p:], v+disp)
		}
	}
	// Scattered byte edits: constants, flags, a version string.
	for range size / (64 << 10) {
		nw[rng.IntN(size)] = byte(rng.Uint32())
	}

	var splices []splice
	for range max(3, size/(2<<20)) {
		// New code or data: half fresh bytes, half copied from elsewhere.
		n := between(rng, 16, 64<<10)
		var ins []byte
		if rng.IntN(2) == 0 {
			ins = appendRandom(rng, nil, n)
		} else {
			from := rng.IntN(size - n)
			ins = bytes.Clone(old[from : from+n])
		}
		splices = append(splices, splice{at: rng.IntN(size), ins: ins})
		splices = append(splices, splice{at: rng.IntN(size - 64<<10), del: between(rng, 16, 64<<10)})
	}
	// A block moved: a package linked in a different order.
	n := between(rng, 256<<10, 2<<20)
	from := rng.IntN(size - n)
	splices = append(splices, splice{at: from, del: n}, splice{at: rng.IntN(size), ins: bytes.Clone(nw[from : from+n])})

	slices.SortStableFunc(splices, func(a, b splice) int { return a.at - b.at })
	out := make([]byte, 0, size+size/8)
	pos := 0
	for _, s := range splices {
		if s.at < pos { // overlaps an earlier deletion: insert where that one ended
			s.at = pos
		}
		out = append(out, nw[pos:s.at]...)
		out = append(out, s.ins...)
		pos = min(size, s.at+s.del)
	}
	return append(out, nw[pos:]...)
}

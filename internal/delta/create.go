package delta

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// maxOld is the largest old file Create takes: suffix array entries are
// int32, which keeps the index at 4 bytes per byte of old.
const maxOld = math.MaxInt32

// windowSize is the largest zstd window Create uses and Apply accepts.
const windowSize = 8 << 20

// entry is one control entry: move the old position by seek, add diff bytes
// of old to as many bytes of the diff stream, then copy extra bytes from the
// extra stream.
type entry struct {
	seek  int64
	diff  int64
	extra int64
}

// Create writes a delta that turns old into new. The same inputs give the
// same bytes. Besides its inputs it needs about 3 bytes per byte of old
// while it builds its index (the suffix array of old's even offsets and the
// byte pairs it sorts), under 3 while it searches (the array and a filter),
// then, once that is freed, a fixed 40 MiB or so for the compressor (4 MiB
// for streams under 1 MiB). Parts of the work run on two goroutines at once.
func Create(old, new []byte, w io.Writer) error {
	return create(old, new, w, -1)
}

// create is Create with the diff stream's coding forced to diffZstd or
// diffRange, or, with -1, the shorter of the two.
func create(old, new []byte, w io.Writer, coding int) error {
	return createWith(old, new, w, coding, nil)
}

// createWith is create with the predictors to choose from given, or, if
// nil, those old and new's headers allow.
func createWith(old, new []byte, w io.Writer, coding int, candidates []predictor) error {
	if len(old) > maxOld {
		return fmt.Errorf("old file is %d bytes; deltas take old files up to %d bytes", len(old), maxOld)
	}
	h := Header{OldSize: int64(len(old)), NewSize: int64(len(new)), version: Version}
	var wg sync.WaitGroup
	wg.Go(func() { h.OldSum, h.NewSum = sha256.Sum256(old), sha256.Sum256(new) })
	oi, ook := readExec(old)
	ni, nok := readExec(new)
	var fixed []fixedPart
	if ook && nok {
		if f, ok := pclnFixed(old, new, oi, ni); ok {
			fixed = append(fixed, f)
		}
	}
	entries := compact(newIndex(old).plan(new, fixed...))
	wg.Wait()
	// The index, 2 to 3 bytes per byte of old, is garbage from here on.
	// Collect it now so the compressor below reuses its memory instead of
	// growing the heap past what the search needed.
	runtime.GC()
	shifts := newShiftMap(entries)

	var enc compressor
	defer enc.close()

	// Keep the predictor whose sparse diff stream is shortest; the first
	// candidate predicts nothing, so prediction never makes a delta much
	// larger. Length stands in for compressed size: it counts the bytes
	// that need correcting, and it is much cheaper to get. The candidates
	// are measured at the same time, without keeping their streams, and
	// only the best one's is written.
	var streams [numStreams][]byte
	if candidates == nil {
		candidates = predictorsFor(oi, ook, ni, nok)
	}
	for i := range candidates {
		if nok && len(candidates[i].nobits) > 0 {
			candidates[i].nobits = learnNobits(old, new, &candidates[i], entries, ni.base)
		}
	}
	// Apply must read back the rules Create writes: a candidate whose rules
	// it would refuse is dropped (the first, which predicts nothing, is
	// always read back).
	valid := candidates[:0]
	for _, p := range candidates {
		if _, err := readPredictor(bytes.NewReader(p.appendTo(nil)), int64(len(old)), p.version); err == nil || len(valid) == 0 {
			valid = append(valid, p)
		}
	}
	candidates = valid
	lengths := make([]int64, len(candidates))
	for i, p := range candidates {
		wg.Go(func() {
			var s sparseWriter
			s.countOnly = true
			diffStream(&s, old, new, entries, p, shifts)
			s.bytes()
			lengths[i] = s.n
		})
	}
	wg.Wait()
	best := 0
	for i := range lengths {
		if lengths[i] < lengths[best] {
			best = i
		}
	}
	pred := candidates[best]
	var diff sparseWriter
	diffStream(&diff, old, new, entries, pred, shifts)
	// Both codings of the diff stream are tried and the shorter kept: the
	// range coder wins where corrections repeat by kind (a table of
	// shifted values), zstd where they repeat as strings (the fixups that
	// prediction leaves in an executable).
	sparse := diff.bytes()
	var ranged []byte
	var rerr error
	wg.Go(func() { ranged, rerr = encodeSparse(sparse) })
	zstded, err := enc.encode(sparse, []byte{diffZstd})
	if err != nil {
		return err
	}
	wg.Wait()
	if rerr != nil {
		return fmt.Errorf("create delta: %w", rerr)
	}
	if coding == diffRange || coding < 0 && len(ranged)+1 < len(zstded) {
		streams[streamDiff] = append([]byte{diffRange}, ranged...)
	} else {
		streams[streamDiff] = zstded
	}
	if streams[streamControl], err = enc.encode(controlStream(pred, entries), nil); err != nil {
		return err
	}
	if streams[streamExtra], err = enc.encode(extraStream(new, entries), nil); err != nil {
		return err
	}

	for i, s := range streams {
		h.streams[i] = int64(len(s))
	}
	head := appendHeader(nil, h)
	// The delta is applied before it is written: a predictor rule that
	// Apply would read differently from Create would otherwise surface as
	// a bundle that fails on a customer's machine. It takes a tenth of
	// what creating does. Should it fail, the delta is made again without
	// prediction, which cannot.
	if best != 0 {
		d := io.MultiReader(bytes.NewReader(head), bytes.NewReader(streams[streamControl]),
			bytes.NewReader(streams[streamDiff]), bytes.NewReader(streams[streamExtra]))
		if err := Apply(old, d, io.Discard, h.NewSize); err != nil {
			return createWith(old, new, w, coding, candidates[:1])
		}
	}
	if _, err := w.Write(head); err != nil {
		return fmt.Errorf("write delta: %w", err)
	}
	for _, s := range streams {
		if _, err := w.Write(s); err != nil {
			return fmt.Errorf("write delta: %w", err)
		}
	}
	return nil
}

// bestFrom is the smallest stream compressed at zstd's best level. Its
// tables take 36 MiB whatever the input; below this size the next level
// down, with 4 MiB of tables, compresses the streams of a delta within a
// percent or so, and faster.
const bestFrom = 1 << 20

// compressor compresses streams with one zstd encoder per level, each made
// the first time a stream needs it. Every stream goes through EncodeAll, so
// an encoder's tables serve them all: the streaming encoder would allocate
// a second set.
type compressor struct {
	encoders [2]*zstd.Encoder // SpeedBetterCompression, SpeedBestCompression
}

func (c *compressor) encode(src, dst []byte) ([]byte, error) {
	i, level := 0, zstd.SpeedBetterCompression
	if len(src) >= bestFrom {
		i, level = 1, zstd.SpeedBestCompression
	}
	if c.encoders[i] == nil {
		enc, err := zstd.NewWriter(nil,
			zstd.WithEncoderLevel(level),
			zstd.WithEncoderConcurrency(1), // one goroutine: byte-stable output
			zstd.WithEncoderCRC(false),     // Apply checks the SHA-256 of the result
			zstd.WithWindowSize(windowSize),
			zstd.WithLowerEncoderMem(true),
		)
		if err != nil {
			return nil, fmt.Errorf("create delta: %w", err)
		}
		c.encoders[i] = enc
	}
	return c.encoders[i].EncodeAll(src, dst), nil
}

func (c *compressor) close() {
	for _, e := range c.encoders {
		if e != nil {
			e.Close()
		}
	}
}

// controlStream encodes the predictor's rules and then every entry.
func controlStream(p predictor, entries []entry) []byte {
	b := p.appendTo(nil)
	for _, e := range entries {
		b = binary.AppendVarint(b, e.seek)
		b = binary.AppendUvarint(b, uint64(e.diff))
		b = binary.AppendUvarint(b, uint64(e.extra))
	}
	return b
}

// diffStream encodes into s, sparse, new minus the predicted old over every
// diff region. It reads the prediction's patches as they come, so no copy
// of a region is made.
func diffStream(s *sparseWriter, old, new []byte, entries []entry, p predictor, shifts shiftMap) {
	var oldPos, newPos int64
	for _, e := range entries {
		oldPos += e.seek
		d := newPos - oldPos
		at := oldPos // old offset up to which corrections are written
		p.patches(old, oldPos, oldPos+e.diff, d, shifts, func(pos int64, v uint64, width int) {
			s.write(old[at:pos], new[at+d:pos+d])
			var b [8]byte
			binary.LittleEndian.PutUint64(b[:], v)
			s.write(b[:width], new[pos+d:pos+d+int64(width)])
			at = pos + int64(width)
		})
		s.write(old[at:oldPos+e.diff], new[at+d:newPos+e.diff])
		oldPos += e.diff
		newPos += e.diff + e.extra
	}
}

// extraStream gathers the bytes of new that no region matched.
func extraStream(new []byte, entries []entry) []byte {
	var n int64
	for _, e := range entries {
		n += e.extra
	}
	out := make([]byte, 0, n)
	var newPos int64
	for _, e := range entries {
		newPos += e.diff
		out = append(out, new[newPos:newPos+e.extra]...)
		newPos += e.extra
	}
	return out
}

// minEntry is the fewest bytes an entry other than the first may produce.
// It bounds the number of entries, and so what Apply keeps of them, to one
// per minEntry bytes of output.
const minEntry = 16

// compact folds every entry that produces fewer than minEntry bytes, except
// the first, into the entry before it, whose extra bytes take its place.
func compact(entries []entry) []entry {
	out := entries[:0]
	var carry int64 // old bytes skipped by folded entries, plus their seeks
	for i, e := range entries {
		if i > 0 && e.diff+e.extra < minEntry {
			out[len(out)-1].extra += e.diff + e.extra
			carry += e.seek + e.diff
			continue
		}
		e.seek += carry
		carry = 0
		out = append(out, e)
	}
	return out
}

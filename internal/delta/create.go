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
// same bytes. Besides its inputs it needs about 5 bytes per byte of old
// while it searches (the suffix array and a filter), then, once that is
// freed, a fixed 45 MiB or so for the compressor. Parts of the work run on
// two goroutines at once.
func Create(old, new []byte, w io.Writer) error {
	if len(old) > maxOld {
		return fmt.Errorf("old file is %d bytes; deltas take old files up to %d bytes", len(old), maxOld)
	}
	h := Header{OldSize: int64(len(old)), NewSize: int64(len(new))}
	var wg sync.WaitGroup
	wg.Go(func() { h.OldSum, h.NewSum = sha256.Sum256(old), sha256.Sum256(new) })
	entries := compact(newIndex(old).plan(new))
	wg.Wait()
	// The index, 4 to 5 bytes per byte of old, is garbage from here on.
	// Collect it now so the compressor below reuses its memory instead of
	// growing the heap past what the search needed.
	runtime.GC()
	shifts := newShiftMap(entries)

	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedBestCompression),
		zstd.WithEncoderConcurrency(1), // one goroutine: byte-stable output
		zstd.WithEncoderCRC(false),     // Apply checks the SHA-256 of the result
		zstd.WithWindowSize(windowSize),
		zstd.WithLowerEncoderMem(true),
	)
	if err != nil {
		return fmt.Errorf("create delta: %w", err)
	}
	defer enc.Close()

	// Keep the predictor whose sparse diff stream is shortest; the first
	// candidate predicts nothing, so prediction never makes a delta much
	// larger. Length stands in for compressed size: it counts the bytes
	// that need correcting, and it is much cheaper to get. The candidates
	// are independent, so they are encoded at the same time.
	var streams [numStreams][]byte
	candidates := predictors(old)
	diffs := make([][]byte, len(candidates))
	for i, p := range candidates {
		wg.Go(func() { diffs[i] = diffStream(old, new, entries, p, shifts) })
	}
	wg.Wait()
	best := 0
	for i := range diffs {
		if len(diffs[i]) < len(diffs[best]) {
			best = i
		}
	}
	pred := candidates[best]
	streams[streamDiff] = enc.EncodeAll(diffs[best], nil)
	diffs = nil
	streams[streamControl] = enc.EncodeAll(controlStream(pred, entries), nil)
	if n := rawExtra(entries); n == 0 {
		// A stream of unknown length declares the largest window; an
		// empty one written whole declares the smallest.
		streams[streamExtra] = enc.EncodeAll(nil, nil)
	} else {
		var extra bytes.Buffer
		enc.ResetContentSize(&extra, n)
		if err := writeExtra(enc, new, entries); err != nil {
			return fmt.Errorf("create delta: compress extra stream: %w", err)
		}
		if err := enc.Close(); err != nil {
			return fmt.Errorf("create delta: compress extra stream: %w", err)
		}
		streams[streamExtra] = extra.Bytes()
	}

	for i, s := range streams {
		h.streams[i] = int64(len(s))
	}
	if _, err := w.Write(appendHeader(nil, h)); err != nil {
		return fmt.Errorf("write delta: %w", err)
	}
	for _, s := range streams {
		if _, err := w.Write(s); err != nil {
			return fmt.Errorf("write delta: %w", err)
		}
	}
	return nil
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

// diffStream encodes, sparse, new minus the predicted old over every diff
// region. It reads the prediction's patches as they come, so no copy of a
// region is made.
func diffStream(old, new []byte, entries []entry, p predictor, shifts shiftMap) []byte {
	var s sparseWriter
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
	return s.bytes()
}

func writeExtra(w io.Writer, new []byte, entries []entry) error {
	var newPos int64
	for _, e := range entries {
		newPos += e.diff
		if _, err := w.Write(new[newPos : newPos+e.extra]); err != nil {
			return err
		}
		newPos += e.extra
	}
	return nil
}

func rawExtra(entries []entry) int64 {
	var n int64
	for _, e := range entries {
		n += e.extra
	}
	return n
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

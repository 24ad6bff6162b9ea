package delta

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/klauspost/compress/zstd"
)

// maxOld is the largest old file Create takes: suffix array entries are
// int32, which keeps the index at 4 bytes per byte of old.
const maxOld = math.MaxInt32

// minGain is how many more matching bytes a fresh exact match must offer
// over continuing the current alignment before Create starts a new control
// entry; a new entry costs about that much in the control stream (bsdiff's
// constant).
const minGain = 8

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
// same bytes. Besides its inputs it needs 4 bytes per byte of old for the
// suffix array while it searches, then about one byte per byte of new and
// a fixed 40 MiB or so for the compressor.
func Create(old, new []byte, w io.Writer) error {
	if len(old) > maxOld {
		return fmt.Errorf("old file is %d bytes; deltas take old files up to %d bytes", len(old), maxOld)
	}
	h := Header{
		OldSize: int64(len(old)),
		OldSum:  sha256.Sum256(old),
		NewSize: int64(len(new)),
		NewSum:  sha256.Sum256(new),
	}
	entries := compact(newIndex(old).plan(new))
	shifts := newShiftMap(entries)

	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedBestCompression),
		zstd.WithEncoderConcurrency(1), // one goroutine: byte-stable output
		zstd.WithEncoderCRC(false),     // Apply checks the SHA-256 of the result
		zstd.WithWindowSize(windowSize),
	)
	if err != nil {
		return fmt.Errorf("create delta: %w", err)
	}
	defer enc.Close()

	// Keep the predictor whose diff stream compresses smallest; the first
	// candidate predicts nothing, so prediction never makes a delta larger.
	var streams [numStreams][]byte
	var pred predictor
	region := make([]byte, 0, maxDiff(entries))
	for i, p := range predictors(old) {
		z := enc.EncodeAll(diffStream(old, new, entries, p, shifts, region), nil)
		if i == 0 || len(z) < len(streams[streamDiff]) {
			streams[streamDiff], pred = z, p
		}
	}
	streams[streamControl] = enc.EncodeAll(controlStream(pred, entries), nil)
	var extra bytes.Buffer
	enc.ResetContentSize(&extra, rawExtra(entries))
	if err := writeExtra(enc, new, entries); err != nil {
		return fmt.Errorf("create delta: compress extra stream: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("create delta: compress extra stream: %w", err)
	}
	streams[streamExtra] = extra.Bytes()

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
// region. region is scratch with room for the longest one.
func diffStream(old, new []byte, entries []entry, p predictor, shifts shiftMap, region []byte) []byte {
	var s sparseWriter
	var oldPos, newPos int64
	for _, e := range entries {
		oldPos += e.seek
		pred := append(region[:0], old[oldPos:oldPos+e.diff]...)
		p.predict(pred, old, oldPos, newPos-oldPos, shifts)
		s.write(pred, new[newPos:newPos+e.diff])
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

func maxDiff(entries []entry) int64 {
	var n int64
	for _, e := range entries {
		n = max(n, e.diff)
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

// plan chooses the control entries that turn old into new, with bsdiff's
// heuristic: walk new, and wherever an exact match in old beats the
// current alignment by more than minGain bytes, end the current region.
// Each region is then split in three: a forward extension of the previous
// match (diff), a backward extension of the next one (diff of the next
// entry), and what neither covers well (extra). Extensions go as far as at
// least half their bytes match, so relocated addresses and other small
// edits stay in the diff stream, where they cost little after compression.
func (ix *index) plan(new []byte) []entry {
	old := ix.old
	var (
		entries                       []entry
		scan, length, pos             int
		lastScan, lastPos, lastOffset int
		pendingSeek                   int64
	)
	for scan < len(new) {
		oldScore := 0
		scan += length
		// Inside the current alignment, step over short mismatches (a
		// moved address, say) and the aligned run after each without
		// searching: a better alignment shows where this one fails.
		for {
			g := resumeGap(old, new, scan, lastOffset)
			if g == 0 {
				break
			}
			scan += g + matchLen(old[scan+g+lastOffset:], new[scan+g:])
		}
		scsc0 := scan
		for scsc := scan; scan < len(new); scan++ {
			pos, length = ix.longestMatch(new[scan:])
			if o := scan + lastOffset; o >= 0 && o < len(old) && old[o] == new[scan] {
				ix.alignedOK++
			}
			if scan == scsc0 {
				ix.first++
			}
			for ; scsc < scan+length; scsc++ {
				if o := scsc + lastOffset; o >= 0 && o < len(old) && old[o] == new[scsc] {
					oldScore++
				}
			}
			if (length == oldScore && length != 0) || length > oldScore+minGain {
				break
			}
			if o := scan + lastOffset; o >= 0 && o < len(old) && old[o] == new[scan] {
				oldScore--
			}
		}
		if length == oldScore && scan != len(new) {
			continue // the current alignment is as good: keep extending it
		}

		// Forward extension of the last match: the longest prefix of the
		// gap in which at least half the bytes match.
		lenf := 0
		for i, s, best := 0, 0, 0; lastScan+i < scan && lastPos+i < len(old); {
			if old[lastPos+i] == new[lastScan+i] {
				s++
			}
			i++
			if s*2-i > best*2-lenf {
				best, lenf = s, i
			}
		}
		// Backward extension of the new match, the same way.
		lenb := 0
		if scan < len(new) {
			for i, s, best := 1, 0, 0; scan >= lastScan+i && pos >= i; i++ {
				if old[pos-i] == new[scan-i] {
					s++
				}
				if s*2-i > best*2-lenb {
					best, lenb = s, i
				}
			}
		}
		// Where the two overlap, split at the point that matches best.
		if overlap := lastScan + lenf - (scan - lenb); overlap > 0 {
			lens := 0
			for i, s, best := 0, 0, 0; i < overlap; i++ {
				if new[lastScan+lenf-overlap+i] == old[lastPos+lenf-overlap+i] {
					s++
				}
				if new[scan-lenb+i] == old[pos-lenb+i] {
					s--
				}
				if s > best {
					best, lens = s, i+1
				}
			}
			lenf += lens - overlap
			lenb -= lens
		}

		e := entry{
			seek:  pendingSeek,
			diff:  int64(lenf),
			extra: int64(scan - lenb - (lastScan + lenf)),
		}
		seek := int64(pos - lenb - (lastPos + lenf))
		if e.diff+e.extra > 0 {
			entries = append(entries, e)
			pendingSeek = seek
		} else {
			// Nothing to copy: fold the move into the next entry, so every
			// entry makes progress (which Apply requires).
			pendingSeek += seek
		}
		lastScan, lastPos, lastOffset = scan-lenb, pos-lenb, pos-scan
	}
	return entries
}

// resumeGap returns how many bytes from scan the current alignment (old at
// scan+offset) resumes for at least resumeRun bytes, if new[scan] breaks
// it and it resumes within maxGap bytes; otherwise 0.
func resumeGap(old, new []byte, scan, offset int) int {
	maxGap, resumeRun := tuneGap, tuneRun
	o := scan + offset
	if o < 0 || o+maxGap+resumeRun > len(old) || scan+maxGap+resumeRun > len(new) || old[o] == new[scan] {
		return 0
	}
	for g := 1; g <= maxGap; g++ {
		if matchLen(old[o+g:o+g+resumeRun], new[scan+g:scan+g+resumeRun]) == resumeRun {
			return g
		}
	}
	return 0
}

var tuneGap, tuneRun = 4, 8

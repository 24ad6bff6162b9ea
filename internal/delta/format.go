// Package delta computes and applies binary deltas: the small files that turn
// one release's copy of a file into the next one's. docs/delta-format.md
// describes the format.
//
// Create follows bsdiff: it finds approximate matches of new in old through a
// suffix array and writes three streams: control entries, the bytewise
// difference of each matched region, and the bytes that match nothing. What
// makes its deltas of executables several times smaller than bsdiff's:
// before the difference is taken, a predictor rewrites the references in old
// whose targets moved (x86-64 and arm64 code, pointers, Go's function table
// and type data: see predict3.go); Go's function table is aligned by
// function name rather than searched (pclnplan.go); and the difference,
// almost all zeros, is stored as skip/run pairs, zstd-compressed or
// range-coded, whichever is shorter; the other streams are zstd.
//
// Apply checks every size it is told before it allocates, rebuilds the
// output a chunk at a time and writes it as it goes, and checks it against
// the SHA-256 the delta carries; ApplyFile maps the old file instead of
// reading it, so applying takes a few MiB whatever the files' size.
package delta

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// Magic opens every delta; the version byte follows it.
const Magic = "PLDELTA"

// Version is the format version this package writes. It reads it and
// versions 1 and 2 (docs/delta-format.md, "Versions").
const Version = 3

// HeaderSize is the length of the fixed header that starts every delta.
const HeaderSize = len(Magic) + 1 + 2*(8+sha256.Size) + numStreams*8 + 4

// The streams after the header, in the order they are stored.
const (
	streamControl = iota
	streamDiff
	streamExtra
	numStreams
)

// From version 2 the diff stream starts with a byte that says how the rest
// of it is coded.
const (
	diffZstd  = 0 // a zstd frame, as in version 1
	diffRange = 1 // range-coded pairs, see rangecoder.go
)

// streamName names stream i in error messages.
func streamName(i int) string {
	switch i {
	case streamControl:
		return "control"
	case streamDiff:
		return "diff"
	}
	return "extra"
}

var (
	// ErrCorrupt reports a delta that is damaged, truncated, or not a delta.
	ErrCorrupt = errors.New("corrupt delta")
	// ErrMismatch reports an old file that is not the one the delta was made
	// for: its size or SHA-256 differs from what the header records.
	ErrMismatch = errors.New("old file does not match the delta")
)

// headerSum is the CRC-32C that guards the header, so that damage there
// reads as a corrupt delta rather than as the wrong old file.
func headerSum(b []byte) uint32 {
	return crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli))
}

// Header is what a delta says about the files it connects.
type Header struct {
	OldSize int64
	OldSum  [sha256.Size]byte // SHA-256 of the old file
	NewSize int64
	NewSum  [sha256.Size]byte // SHA-256 of the file Apply rebuilds

	// streams holds the compressed length of each stream.
	streams [numStreams]int64
	version byte
}

// ReadHeader reads and checks a delta's header, and nothing after it, so a
// caller can look at the sizes and sums before it commits to Apply.
func ReadHeader(r io.Reader) (Header, error) {
	var buf [HeaderSize]byte
	if _, err := io.ReadFull(r, buf[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return Header{}, fmt.Errorf("%w: header is truncated", ErrCorrupt)
		}
		return Header{}, fmt.Errorf("read delta header: %w", err)
	}
	return parseHeader(buf[:])
}

func parseHeader(b []byte) (Header, error) {
	var h Header
	if string(b[:len(Magic)]) != Magic {
		return h, fmt.Errorf("%w: not a patchline delta (no %q magic)", ErrCorrupt, Magic)
	}
	if v := b[len(Magic)]; v < 1 || v > Version {
		return h, fmt.Errorf("%w: format version %d; this patchline reads versions 1 to %d", ErrCorrupt, v, Version)
	}
	h.version = b[len(Magic)]
	body, sum := b[:HeaderSize-4], binary.BigEndian.Uint32(b[HeaderSize-4:])
	if headerSum(body) != sum {
		return h, fmt.Errorf("%w: header checksum does not match", ErrCorrupt)
	}
	p := b[len(Magic)+1:]
	var err error
	next := func() int64 {
		v := binary.BigEndian.Uint64(p)
		p = p[8:]
		if v > math.MaxInt && err == nil {
			err = fmt.Errorf("%w: size %d is out of range", ErrCorrupt, v)
		}
		return int64(v)
	}
	h.OldSize = next()
	p = p[copy(h.OldSum[:], p):]
	h.NewSize = next()
	p = p[copy(h.NewSum[:], p):]
	for i := range h.streams {
		h.streams[i] = next()
	}
	if err != nil {
		return h, err
	}
	for i, n := range h.streams {
		limit := compressBound(maxRawStream(i, h.NewSize))
		if i == streamDiff && h.version >= 2 {
			limit = satAdd(max(limit, rangeCodedBound(maxRawStream(i, h.NewSize))), 1)
		}
		if n > limit {
			return h, fmt.Errorf("%w: %s stream of %d bytes is longer than %d bytes of output can need", ErrCorrupt, streamName(i), n, h.NewSize)
		}
	}
	if limit := maxOutput(h); h.NewSize > limit {
		return h, fmt.Errorf("%w: %d bytes of output declared, more than control and extra streams of %d and %d bytes can rebuild from %d bytes of old (at most %d)",
			ErrCorrupt, h.NewSize, h.streams[streamControl], h.streams[streamExtra], h.OldSize, limit)
	}
	return h, nil
}

// maxOutput is the most a delta with h's stream lengths can rebuild, so
// that a few bytes declaring gigabytes are refused before anything is
// allocated for them. The output is the extra stream's bytes, plus a region
// of old, at most old's size, per control entry; an entry takes at least 3
// bytes of the control stream.
func maxOutput(h Header) int64 {
	entries := zstdBound(h.streams[streamControl]) / 3
	return satAdd(zstdBound(h.streams[streamExtra]), satMul(entries, h.OldSize))
}

// zstdMaxRatio bounds what a zstd stream decodes to per byte: a block
// decodes to at most 128 KiB and takes at least 4 bytes (a 3-byte header
// and the byte of an RLE block); a frame header takes 6 or more and
// decodes to nothing. zstd's decoder refuses larger blocks.
const zstdMaxRatio = (128 << 10) / 4

// zstdBound is the most bytes n bytes of zstd frames decode to.
func zstdBound(n int64) int64 { return satMul(n, zstdMaxRatio) }

// appendHeader appends the encoded header to b.
func appendHeader(b []byte, h Header) []byte {
	start := len(b)
	b = append(b, Magic...)
	b = append(b, h.version)
	b = binary.BigEndian.AppendUint64(b, uint64(h.OldSize))
	b = append(b, h.OldSum[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(h.NewSize))
	b = append(b, h.NewSum[:]...)
	for _, n := range h.streams {
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return binary.BigEndian.AppendUint32(b, headerSum(b[start:]))
}

// maxControlEntry is the longest encoding of one control entry: three
// varints of at most ten bytes each; maxPredictor is that of the predictor
// rules before them (version 3's, the longest: flags, base, two lists of
// code ranges, the zero-filled ranges and the function table).
const (
	maxControlEntry = 3 * binary.MaxVarintLen64
	maxPredictor    = (2 + 2*(1+2*maxCode) + 1 + 3*maxNobits + 2 + 3 + 2*numPclnBases + 1 + 6*maxTables) * binary.MaxVarintLen64
)

// maxRawStream is the most uncompressed bytes stream i can hold for an
// output of newSize bytes. Entries after the first produce at least
// minEntry bytes each; a sparse diff pair costs at most 3 bytes per byte it
// covers; the extra stream is at most the output.
func maxRawStream(i int, newSize int64) int64 {
	switch i {
	case streamControl:
		return satAdd(maxPredictor, satMul(newSize/minEntry+1, maxControlEntry))
	case streamDiff:
		return satAdd(32, satMul(newSize, 3))
	}
	return newSize
}

// compressBound is the most bytes zstd needs for n bytes of input: stored
// blocks cost 3 bytes per 128 KiB and a frame header at most 18 bytes; the
// slack covers both with room to spare.
func compressBound(n int64) int64 {
	return satAdd(satAdd(n, n>>7), 64)
}

// rangeCodedBound is the most bytes the range coder writes for a sparse
// stream of n bytes: a decision costs at most about 7 bits, and a byte of
// the sparse stream at most 14 decisions (a number under 128 and the flag
// before its pair; a correction byte takes 8).
func rangeCodedBound(n int64) int64 {
	return satAdd(satMul(n, 16), 64)
}

// satAdd and satMul add and multiply non-negative sizes, stopping at
// math.MaxInt64 rather than wrapping.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func satMul(a, b int64) int64 {
	if b != 0 && a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}

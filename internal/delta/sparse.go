package delta

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// The diff stream holds, for the diff regions in order, new minus the
// predicted old bytes. After prediction almost all of it is zero, and
// general-purpose compressors spend more on the positions of the few
// non-zero bytes than on the bytes (zstd on the plain stream gives twice
// bzip2's size). So the stream is stored sparse: pairs of
//
//	skip uvarint  bytes that need no correction
//	n    uvarint  bytes of corrections that follow, n >= 1
//
// each followed by its n correction bytes, and everything after the last
// pair needs no correction. zstd then finds the repeats among whole
// pairs: the same small correction at the same stride, for instance.
// Keeping short runs of zeros inside a run of corrections, to save a pair,
// makes deltas of executables larger, not smaller: zstd does better with
// the more regular pairs.

// sparseWriter encodes corrections as skip/run pairs. With countOnly it
// keeps only the length the stream would have, in n, and out stays empty.
type sparseWriter struct {
	out       []byte
	n         int64
	countOnly bool
	skip      int64  // zeros before lit
	lit       []byte // corrections not yet written
	zeros     int64  // zeros after lit
}

// write appends the corrections that turn pred into target.
func (s *sparseWriter) write(pred, target []byte) {
	for i := 0; i < len(target); {
		if n := matchLen(pred[i:], target[i:]); n > 0 {
			s.zeros += int64(n)
			i += n
			continue
		}
		c := target[i] - pred[i]
		i++
		switch {
		case len(s.lit) == 0:
			s.skip += s.zeros
		case s.zeros > 0:
			s.flush()
			s.skip = s.zeros
		}
		s.zeros = 0
		s.lit = append(s.lit, c)
	}
}

func (s *sparseWriter) flush() {
	if s.countOnly {
		var b [binary.MaxVarintLen64]byte
		s.n += int64(binary.PutUvarint(b[:], uint64(s.skip)) + binary.PutUvarint(b[:], uint64(len(s.lit))) + len(s.lit))
	} else {
		s.out = binary.AppendUvarint(s.out, uint64(s.skip))
		s.out = binary.AppendUvarint(s.out, uint64(len(s.lit)))
		s.out = append(s.out, s.lit...)
	}
	s.skip, s.lit = 0, s.lit[:0]
}

// bytes returns the encoded stream; trailing zeros need no pair.
func (s *sparseWriter) bytes() []byte {
	if len(s.lit) > 0 {
		s.flush()
	}
	return s.out
}

// sparseReader decodes a sparse diff stream: uvarint pairs read from r
// (format version 1, zstd-compressed), or range-coded ones from rc.
type sparseReader struct {
	r      *bufio.Reader
	rc     *rcPairs
	left   int64 // diff bytes not yet corrected, over all regions
	skip   int64 // zeros left in the current pair
	lit    int64 // corrections left in the current pair
	ended  bool  // no pairs left: the rest is zeros
	buffer [4096]byte
}

// addTo adds the next len(dst) corrections to dst.
func (s *sparseReader) addTo(dst []byte) error {
	s.left -= int64(len(dst))
	for len(dst) > 0 {
		if s.skip == 0 && s.lit == 0 {
			if s.ended {
				return nil
			}
			if err := s.next(int64(len(dst)) + s.left); err != nil {
				return err
			}
			continue
		}
		k := min(s.skip, int64(len(dst)))
		s.skip -= k
		dst = dst[k:]
		for s.skip == 0 && s.lit > 0 && len(dst) > 0 {
			b := s.buffer[:min(s.lit, int64(len(dst)), int64(len(s.buffer)))]
			if s.rc != nil {
				// A range decoder past the end of its stream reads zeros and
				// would go on decoding a run as long as the header allows:
				// stop at the first chunk that needed bytes it does not have.
				if s.rc.lits(b); s.rc.d.overrun() {
					return fmt.Errorf("%w: diff stream ends early", ErrCorrupt)
				}
			} else if _, err := io.ReadFull(s.r, b); err != nil {
				return streamError(streamDiff, err)
			}
			addBytes(dst[:len(b)], b)
			s.lit -= int64(len(b))
			dst = dst[len(b):]
		}
	}
	return nil
}

// next reads the next pair, which must fit in the remaining diff bytes.
func (s *sparseReader) next(remaining int64) error {
	if s.rc != nil {
		skip, n, ok, err := s.rc.pair(remaining)
		if err != nil {
			return err
		}
		s.ended = !ok
		s.skip, s.lit = skip, n
		return nil
	}
	skip, err := binary.ReadUvarint(s.r)
	if err == io.EOF {
		s.ended = true
		return nil
	}
	if err != nil {
		return streamError(streamDiff, err)
	}
	n, err := binary.ReadUvarint(s.r)
	if err != nil {
		return streamError(streamDiff, err)
	}
	if n == 0 || skip > uint64(remaining) || n > uint64(remaining)-skip {
		return fmt.Errorf("%w: diff stream run of %d+%d bytes does not fit the %d diff bytes left", ErrCorrupt, skip, n, remaining)
	}
	s.skip, s.lit = int64(skip), int64(n)
	return nil
}

// end checks that the stream holds nothing past the last correction.
func (s *sparseReader) end() error {
	if s.rc != nil {
		return s.rc.end()
	}
	if err := expectEOF(s.r); err != nil {
		return fmt.Errorf("%w: diff stream has data past the end of the output", ErrCorrupt)
	}
	return nil
}

package delta

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Apply reads a delta and writes the file it rebuilds from old to w. It
// checks every size it is told before it allocates: a header whose output
// is larger than maxOut, an entry that reads outside old or writes past the
// declared size, a stream that is truncated or has bytes left over, and
// bytes after the last stream are all ErrCorrupt. An old file of the wrong
// size or SHA-256 is ErrMismatch. The result is checked against the
// delta's SHA-256 before any of it is written, so w sees either the whole,
// verified file or nothing.
//
// Memory is the output, the control entries and the map of where old's
// regions went (at most 3 bytes per output byte for a hostile delta, a few
// KiB for a real one), the compressed control and diff streams and
// the zstd windows (each at most 8 MiB, and no larger than its stream can
// need for the declared output). None of it is sized by what the header
// declares alone: a declared output larger than the streams and old could
// rebuild is refused with the header, and the output is allocated only
// once the control entries have been read, add up to it, and ask for no
// more extra bytes than the extra stream can decode to.
func Apply(old []byte, delta io.Reader, w io.Writer, maxOut int64) error {
	r := &recordingReader{r: delta}
	h, err := ReadHeader(r)
	if err != nil {
		return err
	}
	if h.NewSize > maxOut {
		return fmt.Errorf("%w: delta rebuilds %d bytes, more than the %d allowed", ErrCorrupt, h.NewSize, maxOut)
	}
	if h.OldSize != int64(len(old)) {
		return fmt.Errorf("%w: delta is for a file of %d bytes, old has %d", ErrMismatch, h.OldSize, len(old))
	}
	// Old's SHA-256 is taken while the output is rebuilt; a mismatch wins
	// over whatever the rebuild said, since it is the first thing wrong.
	var oldSum [sha256.Size]byte
	var wg sync.WaitGroup
	wg.Go(func() { oldSum = sha256.Sum256(old) })
	out, err := rebuild(old, r, h)
	wg.Wait()
	if oldSum != h.OldSum {
		return fmt.Errorf("%w: delta is for SHA-256 %x, old has %x", ErrMismatch, h.OldSum, oldSum)
	}
	if err != nil {
		if r.err != nil {
			return fmt.Errorf("read delta: %w", r.err)
		}
		return err
	}
	if sha256.Sum256(out) != h.NewSum {
		return fmt.Errorf("%w: rebuilt file does not match the delta's SHA-256", ErrCorrupt)
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("write rebuilt file: %w", err)
	}
	return nil
}

// rebuild decodes the streams that follow the header in r and returns the
// unverified output.
func rebuild(old []byte, r io.Reader, h Header) ([]byte, error) {
	// The control and diff streams come before the extra stream and are
	// read whole; each is at most as long as the header says, and the
	// buffers grow only as bytes actually arrive.
	var compressed [streamExtra][]byte
	for i := range compressed {
		var buf bytes.Buffer
		if n, err := io.CopyN(&buf, r, h.streams[i]); err != nil {
			return nil, fmt.Errorf("%w: %s stream is truncated after %d of %d bytes", ErrCorrupt, streamName(i), n, h.streams[i])
		}
		compressed[i] = buf.Bytes()
	}
	ranged := false
	if h.version >= 2 {
		d := compressed[streamDiff]
		if len(d) == 0 || d[0] != diffZstd && d[0] != diffRange {
			return nil, fmt.Errorf("%w: diff stream has no known coding", ErrCorrupt)
		}
		ranged, compressed[streamDiff] = d[0] == diffRange, d[1:]
	}
	var dec [numStreams]*zstd.Decoder
	for i := range dec {
		if i == streamDiff && ranged {
			continue
		}
		var in io.Reader
		if i == streamExtra {
			in = &io.LimitedReader{R: r, N: h.streams[i]}
		} else {
			in = bytes.NewReader(compressed[i])
		}
		// A stream decodes to no more than its kind allows for the declared
		// output, and no more than its compressed bytes can.
		d, err := newDecoder(in, min(maxRawStream(i, h.NewSize), zstdBound(h.streams[i])))
		if err != nil {
			return nil, err
		}
		defer d.Close()
		dec[i] = d
	}

	ctrl := bufio.NewReader(dec[streamControl])
	pred, entries, err := readControl(ctrl, h)
	if err != nil {
		return nil, err
	}
	shifts := newShiftMap(entries)
	diffs := &sparseReader{}
	if ranged {
		if diffs.rc, err = newRCPairs(compressed[streamDiff]); err != nil {
			return nil, err
		}
	} else {
		diffs.r = bufio.NewReader(dec[streamDiff])
	}
	for _, e := range entries {
		diffs.left += e.diff
	}

	out := make([]byte, h.NewSize)
	predictRegions(out, old, entries, pred, shifts)
	var newPos int64
	for _, e := range entries {
		if err := diffs.addTo(out[newPos : newPos+e.diff]); err != nil {
			return nil, err
		}
		newPos += e.diff
		if _, err := io.ReadFull(dec[streamExtra], out[newPos:newPos+e.extra]); err != nil {
			return nil, streamError(streamExtra, err)
		}
		newPos += e.extra
	}

	if err := diffs.end(); err != nil {
		return nil, err
	}
	for i, rd := range [numStreams]io.Reader{streamControl: ctrl, streamExtra: dec[streamExtra]} {
		if rd == nil {
			continue
		}
		if err := expectEOF(rd); err != nil {
			return nil, fmt.Errorf("%w: %s stream has data past the end of the output", ErrCorrupt, streamName(i))
		}
	}
	if err := expectEOF(r); err != nil {
		return nil, fmt.Errorf("%w: trailing bytes after the last stream", ErrCorrupt)
	}
	return out, nil
}

// predictRegions copies every diff region of old into out and rewrites the
// references the predictor knows, on two goroutines when the output is
// large: regions are independent, and the corrections that follow are read
// in order from one stream.
func predictRegions(out, old []byte, entries []entry, pred predictor, shifts shiftMap) {
	run := func(entries []entry, oldPos, newPos int64) {
		for _, e := range entries {
			oldPos += e.seek
			dst := out[newPos : newPos+e.diff]
			copy(dst, old[oldPos:])
			pred.predict(dst, old, oldPos, newPos-oldPos, shifts)
			oldPos += e.diff
			newPos += e.diff + e.extra
		}
	}
	if len(out) < minSplit {
		run(entries, 0, 0)
		return
	}
	// Split at the first entry that starts past the middle of the output.
	var oldPos, newPos int64
	mid := len(entries)
	for i, e := range entries {
		if newPos >= int64(len(out)/2) {
			mid = i
			break
		}
		oldPos += e.seek + e.diff
		newPos += e.diff + e.extra
	}
	var wg sync.WaitGroup
	wg.Go(func() { run(entries[mid:], oldPos, newPos) })
	run(entries[:mid], 0, 0)
	wg.Wait()
}

// readControl reads the predictor rules and every control entry, and checks
// that the entries stay inside old, add up to exactly the output, and ask
// for no more extra bytes than the extra stream can decode to.
func readControl(r *bufio.Reader, h Header) (predictor, []entry, error) {
	pred, err := readPredictor(r, h.OldSize)
	if err != nil {
		return pred, nil, err
	}
	var entries []entry
	var oldPos, newPos int64
	extraLeft := zstdBound(h.streams[streamExtra])
	for newPos < h.NewSize {
		e, err := readEntry(r)
		if err != nil {
			return pred, nil, err
		}
		if len(entries) > 0 && e.diff+e.extra < minEntry {
			return pred, nil, fmt.Errorf("%w: control entry at output offset %d produces %d bytes, fewer than %d", ErrCorrupt, newPos, e.diff+e.extra, minEntry)
		}
		if e.seek < -oldPos || e.seek > h.OldSize-oldPos {
			return pred, nil, fmt.Errorf("%w: control entry at output offset %d seeks outside old", ErrCorrupt, newPos)
		}
		oldPos += e.seek
		if e.diff > h.OldSize-oldPos {
			return pred, nil, fmt.Errorf("%w: control entry at output offset %d reads past the end of old", ErrCorrupt, newPos)
		}
		if e.diff+e.extra > h.NewSize-newPos {
			return pred, nil, fmt.Errorf("%w: control entry at output offset %d writes past the end of the output", ErrCorrupt, newPos)
		}
		if e.extra > extraLeft {
			return pred, nil, fmt.Errorf("%w: control entries at output offset %d ask for more extra bytes than the extra stream of %d bytes can hold", ErrCorrupt, newPos, h.streams[streamExtra])
		}
		extraLeft -= e.extra
		oldPos += e.diff
		newPos += e.diff + e.extra
		entries = append(entries, e)
	}
	return pred, entries, nil
}

// readEntry reads one control entry and checks that it makes progress.
func readEntry(r io.ByteReader) (entry, error) {
	seek, err := binary.ReadVarint(r)
	if err != nil {
		return entry{}, streamError(streamControl, err)
	}
	var sizes [2]int64
	for i := range sizes {
		v, err := binary.ReadUvarint(r)
		if err != nil {
			return entry{}, streamError(streamControl, err)
		}
		if v >= 1<<62 {
			return entry{}, fmt.Errorf("%w: control entry length %d is out of range", ErrCorrupt, v)
		}
		sizes[i] = int64(v)
	}
	e := entry{seek: seek, diff: sizes[0], extra: sizes[1]}
	if e.diff+e.extra == 0 {
		return entry{}, fmt.Errorf("%w: control entry copies nothing", ErrCorrupt)
	}
	return e, nil
}

// newDecoder returns a single-goroutine zstd reader whose window may not
// exceed what maxRaw bytes of content need, nor windowSize.
func newDecoder(r io.Reader, maxRaw int64) (*zstd.Decoder, error) {
	window := uint64(windowSize)
	if maxRaw < windowSize {
		window = max(uint64(zstd.MinWindowSize), 1<<bits.Len64(uint64(maxRaw)))
	}
	d, err := zstd.NewReader(r,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(window),
		zstd.WithDecoderMaxMemory(window),
	)
	if err != nil {
		return nil, fmt.Errorf("apply delta: %w", err)
	}
	return d, nil
}

func streamError(i int, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %s stream ends early", ErrCorrupt, streamName(i))
	}
	return fmt.Errorf("%w: %s stream: %w", ErrCorrupt, streamName(i), err)
}

// expectEOF reports an error unless r is at its end.
func expectEOF(r io.Reader) error {
	var b [1]byte
	n, err := io.ReadFull(r, b[:])
	if n == 0 && errors.Is(err, io.EOF) {
		return nil
	}
	if err == nil {
		return errors.New("unexpected data")
	}
	return err
}

// addBytes adds src to dst bytewise, modulo 256, eight bytes at a time:
// the high bit of each byte is summed apart so no carry crosses bytes.
func addBytes(dst, src []byte) {
	src = src[:len(dst)]
	i := 0
	for ; i+8 <= len(dst); i += 8 {
		a, b := binary.LittleEndian.Uint64(dst[i:]), binary.LittleEndian.Uint64(src[i:])
		const low7, high = 0x7f7f7f7f7f7f7f7f, 0x8080808080808080
		binary.LittleEndian.PutUint64(dst[i:], ((a&low7)+(b&low7))^((a^b)&high))
	}
	for ; i < len(dst); i++ {
		dst[i] += src[i]
	}
}

// recordingReader remembers the first read error other than EOF, so Apply
// can tell a failing reader from a corrupt delta.
type recordingReader struct {
	r   io.Reader
	err error
}

func (r *recordingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

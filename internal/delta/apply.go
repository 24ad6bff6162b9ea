package delta

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/bits"
	"runtime/debug"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Apply reads a delta and writes the file it rebuilds from old to w, as it
// rebuilds it. It checks every size it is told before it allocates: a
// header whose output is larger than maxOut, an entry that reads outside
// old or writes past the declared size, a stream that is truncated or has
// bytes left over, and bytes after the last stream are all ErrCorrupt. An
// old file of the wrong size or SHA-256 is ErrMismatch. The result's
// SHA-256 is checked against the delta's once the last byte is written:
// when Apply returns an error, w may have received part of a file, or a
// whole one that is wrong, and the caller must discard what it wrote (the
// callers write to a temporary file and rename it only on success).
//
// Memory grows with the delta, not with the files: the control entries and
// the map of where old's regions went (one each per changed area of a real
// delta; at most 3 bytes per output byte for a hostile one), the compressed
// control and diff streams, the zstd windows (each at most 8 MiB, and no
// larger than its stream can need) and a buffer of 128 KiB. Old is only
// read: ApplyFile maps it rather than reading it into memory.
func Apply(old []byte, delta io.Reader, w io.Writer, maxOut int64) error {
	return apply(source{b: old}, delta, w, maxOut)
}

// source is the old file as Apply reads it: its bytes, and for a mapped
// file a way to hand the pages read so far back to the system.
type source struct {
	b []byte
	// release, if set, drops old's pages from the process's resident set;
	// they are read again from the page cache when next touched.
	release func()
	mapped  bool // a fault reading b is a file that changed, not a bug
}

func apply(old source, delta io.Reader, w io.Writer, maxOut int64) error {
	r := &recordingReader{r: delta}
	h, err := ReadHeader(r)
	if err != nil {
		return err
	}
	if h.NewSize > maxOut {
		return fmt.Errorf("%w: delta rebuilds %d bytes, more than the %d allowed", ErrCorrupt, h.NewSize, maxOut)
	}
	if h.OldSize != int64(len(old.b)) {
		return fmt.Errorf("%w: delta is for a file of %d bytes, old has %d", ErrMismatch, h.OldSize, len(old.b))
	}
	// Old's SHA-256 is taken while the output is rebuilt; a mismatch wins
	// over whatever the rebuild said, since it is the first thing wrong.
	var oldSum [sha256.Size]byte
	var fault any
	var wg sync.WaitGroup
	wg.Go(func() {
		if old.mapped {
			defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
			defer func() { fault = recover() }()
		}
		oldSum = hashSource(old)
	})
	sum := sha256.New()
	out := newHashingWriter(w, sum)
	err = rebuild(old, r, h, out)
	if werr := out.close(); werr != nil {
		err = werr
	}
	wg.Wait()
	if fault != nil {
		return fmt.Errorf("read old file: it changed while the delta was applied (%v)", fault)
	}
	if oldSum != h.OldSum {
		return fmt.Errorf("%w: delta is for SHA-256 %x, old has %x", ErrMismatch, h.OldSum, oldSum)
	}
	if err != nil {
		if r.err != nil {
			return fmt.Errorf("read delta: %w", r.err)
		}
		return err
	}
	if [sha256.Size]byte(sum.Sum(nil)) != h.NewSum {
		return fmt.Errorf("%w: rebuilt file does not match the delta's SHA-256", ErrCorrupt)
	}
	return nil
}

// releaseEvery is how many bytes of old are read between two releases of
// its pages: what a mapped old file adds to the resident set at most.
const releaseEvery = 2 << 20

// hashSource returns old's SHA-256, releasing its pages as it goes.
func hashSource(old source) [sha256.Size]byte {
	h := sha256.New()
	for b := old.b; len(b) > 0; {
		n := min(len(b), releaseEvery)
		h.Write(b[:n])
		b = b[n:]
		if old.release != nil {
			old.release()
		}
	}
	return [sha256.Size]byte(h.Sum(nil))
}

// hashingWriter hashes and writes the chunks rebuild hands it on a
// goroutine of its own, so that the next chunk is rebuilt meanwhile. A
// write error is kept apart so Apply does not report it as a corrupt
// delta; once there is one, later chunks are dropped.
type hashingWriter struct {
	w    io.Writer
	sum  hash.Hash
	err  error
	full chan []byte // chunks to write, in order
	free chan []byte // buffers to rebuild into
	done chan struct{}
}

// writeBuffers is how many chunk buffers rebuild and the writer share.
const writeBuffers = 3

func newHashingWriter(w io.Writer, sum hash.Hash) *hashingWriter {
	h := &hashingWriter{w: w, sum: sum, full: make(chan []byte, writeBuffers), free: make(chan []byte, writeBuffers), done: make(chan struct{})}
	for range writeBuffers {
		h.free <- make([]byte, chunk+8)
	}
	go func() {
		defer close(h.done)
		for b := range h.full {
			if h.err == nil {
				h.sum.Write(b)
				if _, err := h.w.Write(b); err != nil {
					h.err = fmt.Errorf("write rebuilt file: %w", err)
				}
			}
			h.free <- b[:cap(b)]
		}
	}()
	return h
}

// buffer returns a buffer of chunk+8 bytes to rebuild into.
func (h *hashingWriter) buffer() []byte { return <-h.free }

// write queues b, a buffer from buffer, to be hashed and written.
func (h *hashingWriter) write(b []byte) { h.full <- b }

// close waits for every queued chunk and returns the first write error.
func (h *hashingWriter) close() error {
	close(h.full)
	<-h.done
	return h.err
}

// chunk is how much of the output Apply rebuilds at a time.
const chunk = 128 << 10

// rebuild decodes the streams that follow the header in r and writes the
// unverified output to out, in order.
func rebuild(old source, r io.Reader, h Header, out *hashingWriter) error {
	// The control and diff streams come before the extra stream and are
	// read whole; each is at most as long as the header says, and the
	// buffers grow only as bytes actually arrive.
	var compressed [streamExtra][]byte
	for i := range compressed {
		var buf bytes.Buffer
		if n, err := io.CopyN(&buf, r, h.streams[i]); err != nil {
			return fmt.Errorf("%w: %s stream is truncated after %d of %d bytes", ErrCorrupt, streamName(i), n, h.streams[i])
		}
		compressed[i] = buf.Bytes()
	}
	ranged := false
	if h.version >= 2 {
		d := compressed[streamDiff]
		if len(d) == 0 || d[0] != diffZstd && d[0] != diffRange {
			return fmt.Errorf("%w: diff stream has no known coding", ErrCorrupt)
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
			return err
		}
		defer d.Close()
		dec[i] = d
	}

	ctrl := bufio.NewReader(dec[streamControl])
	pred, entries, err := readControl(ctrl, h)
	if err != nil {
		return err
	}
	shifts := newShiftMap(entries)
	diffs := &sparseReader{}
	if ranged {
		if diffs.rc, err = newRCPairs(compressed[streamDiff]); err != nil {
			return err
		}
	} else {
		diffs.r = bufio.NewReader(dec[streamDiff])
	}
	for _, e := range entries {
		diffs.left += e.diff
	}

	scan := pred.scanner(old.b, shifts)
	buf := out.buffer()
	var oldPos, newPos, sinceRelease int64
	for _, e := range entries {
		oldPos += e.seek
		// The region old[oldPos:oldPos+e.diff], a chunk at a time. A field
		// the predictor rewrites may cross the end of a chunk: the bytes
		// past it are carried to the next one.
		scan.start(oldPos, oldPos+e.diff, newPos-oldPos)
		carry := 0
		for done := int64(0); done < e.diff; {
			n := min(chunk, e.diff-done)
			tail := min(8, e.diff-done-n)
			at := oldPos + done
			copy(buf[carry:n+tail], old.b[at+int64(carry):at+n+tail])
			for {
				pos, v, width, ok := scan.next(at + n)
				if !ok {
					break
				}
				putField(buf[pos-at:], v, width)
			}
			if err := diffs.addTo(buf[:n]); err != nil {
				return err
			}
			next := out.buffer()
			carry = copy(next, buf[n:n+tail])
			out.write(buf[:n])
			buf = next
			done += n
			if sinceRelease += n; sinceRelease >= releaseEvery && old.release != nil {
				old.release()
				sinceRelease = 0
			}
		}
		oldPos += e.diff
		newPos += e.diff
		for left := e.extra; left > 0; {
			b := buf[:min(left, chunk)]
			if _, err := io.ReadFull(dec[streamExtra], b); err != nil {
				return streamError(streamExtra, err)
			}
			out.write(b)
			buf = out.buffer()
			left -= int64(len(b))
		}
		newPos += e.extra
	}

	if err := diffs.end(); err != nil {
		return err
	}
	for i, rd := range [numStreams]io.Reader{streamControl: ctrl, streamExtra: dec[streamExtra]} {
		if rd == nil {
			continue
		}
		if err := expectEOF(rd); err != nil {
			return fmt.Errorf("%w: %s stream has data past the end of the output", ErrCorrupt, streamName(i))
		}
	}
	if err := expectEOF(r); err != nil {
		return fmt.Errorf("%w: trailing bytes after the last stream", ErrCorrupt)
	}
	return nil
}

// readControl reads the predictor rules and every control entry, and checks
// that the entries stay inside old, add up to exactly the output, and ask
// for no more extra bytes than the extra stream can decode to.
func readControl(r *bufio.Reader, h Header) (predictor, []entry, error) {
	pred, err := readPredictor(r, h.OldSize, h.version)
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

package delta

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// The diff stream of format version 2 is coded with an adaptive binary range
// coder, LZMA's (Igor Pavlov's, public domain): every decision is coded with
// an 11-bit probability that moves a 16th of the way towards what it saw.
// zstd finds repeated strings; the corrections of a diff stream are short
// and repeat by kind, not by string: the same few bytes again and again at
// irregular distances. Modelling each correction byte on the byte at the
// same place of the previous run, and each distance on the previous one's
// magnitude, codes them in about a third less than zstd, and than bzip2 on
// bsdiff's dense stream.

const (
	probBits  = 11
	probOne   = 1 << probBits
	probShift = 4
	rcTop     = 1 << 24
)

// prob is the probability, out of probOne, that the next bit is 0.
type prob uint16

func newProbs(n int) []prob {
	p := make([]prob, n)
	for i := range p {
		p[i] = probOne / 2
	}
	return p
}

type rcEncoder struct {
	low       uint64
	rng       uint32
	cache     byte
	cacheSize int64
	out       []byte
}

func newRCEncoder() *rcEncoder { return &rcEncoder{rng: 0xFFFFFFFF, cacheSize: 1} }

func (e *rcEncoder) bit(p *prob, b uint32) {
	bound := (e.rng >> probBits) * uint32(*p)
	if b == 0 {
		e.rng = bound
		*p += (probOne - *p) >> probShift
	} else {
		e.low += uint64(bound)
		e.rng -= bound
		*p -= *p >> probShift
	}
	for e.rng < rcTop {
		e.rng <<= 8
		e.shiftLow()
	}
}

// shiftLow moves the top byte of low out, holding back a run of 0xff bytes
// until it is known whether a carry reaches them.
func (e *rcEncoder) shiftLow() {
	if uint32(e.low) < 0xff000000 || e.low>>32 != 0 {
		carry := byte(e.low >> 32)
		for b := e.cache; ; b = 0xff {
			e.out = append(e.out, b+carry)
			if e.cacheSize--; e.cacheSize == 0 {
				break
			}
		}
		e.cache = byte(e.low >> 24)
	}
	e.cacheSize++
	e.low = (e.low & 0x00ffffff) << 8
}

// finish flushes the coder and returns everything it wrote.
func (e *rcEncoder) finish() []byte {
	for range 5 {
		e.shiftLow()
	}
	return e.out
}

// tree codes the low depth bits of v, highest first, each with the
// probability of the bits above it (probs has 1<<depth entries).
func (e *rcEncoder) tree(probs []prob, depth int, v uint32) {
	m := uint32(1)
	for i := depth - 1; i >= 0; i-- {
		b := v >> i & 1
		e.bit(&probs[m], b)
		m = m<<1 | b
	}
}

type rcDecoder struct {
	in        []byte
	pos       int // may pass len(in): reads past the end give zeros and mark damage
	rng, code uint32
}

func newRCDecoder(in []byte) (*rcDecoder, error) {
	if len(in) < 5 || in[0] != 0 {
		return nil, fmt.Errorf("%w: diff stream does not start as a range-coded stream", ErrCorrupt)
	}
	return &rcDecoder{in: in, pos: 5, rng: 0xFFFFFFFF, code: binary.BigEndian.Uint32(in[1:])}, nil
}

func (d *rcDecoder) bit(p *prob) uint32 {
	bound := (d.rng >> probBits) * uint32(*p)
	var b uint32
	if d.code < bound {
		d.rng = bound
		*p += (probOne - *p) >> probShift
	} else {
		d.code -= bound
		d.rng -= bound
		*p -= *p >> probShift
		b = 1
	}
	if d.rng < rcTop {
		d.rng <<= 8
		d.code <<= 8
		if d.pos < len(d.in) {
			d.code |= uint32(d.in[d.pos])
		}
		d.pos++
	}
	return b
}

func (d *rcDecoder) tree(probs []prob, depth int) uint32 {
	m := uint32(1)
	for range depth {
		m = m<<1 | d.bit(&probs[m])
	}
	return m - 1<<depth
}

// overrun reports whether the decoder needed bytes the stream does not have.
func (d *rcDecoder) overrun() bool { return d.pos > len(d.in) }

// numModel codes non-negative integers: the bit length through a 7-bit tree
// chosen by a context, the three bits below the leading one through a tree
// chosen by the length, and each lower bit with a probability of its own.
type numModel struct {
	length []prob // contexts × 128
	top    []prob // 65 lengths × 8
	low    []prob // 65 lengths × 64
}

func newNumModel(contexts int) *numModel {
	return &numModel{length: newProbs(contexts * 128), top: newProbs(65 * 8), low: newProbs(65 * 64)}
}

func (m *numModel) encode(e *rcEncoder, ctx int, v uint64) {
	nb := bits.Len64(v)
	e.tree(m.length[ctx*128:(ctx+1)*128], 7, uint32(nb))
	if nb <= 1 {
		return
	}
	rest := nb - 1
	top := min(rest, 3)
	e.tree(m.top[nb*8:nb*8+8], top, uint32(v>>(rest-top))&(1<<top-1))
	for i := rest - top - 1; i >= 0; i-- {
		e.bit(&m.low[nb*64+i], uint32(v>>i)&1)
	}
}

func (m *numModel) decode(d *rcDecoder, ctx int) (uint64, error) {
	nb := int(d.tree(m.length[ctx*128:(ctx+1)*128], 7))
	if nb <= 1 {
		return uint64(nb), nil
	}
	if nb > 64 {
		return 0, fmt.Errorf("%w: diff stream codes a %d-bit number", ErrCorrupt, nb)
	}
	rest := nb - 1
	top := min(rest, 3)
	v := uint64(1)<<top | uint64(d.tree(m.top[nb*8:nb*8+8], top))
	for i := rest - top - 1; i >= 0; i-- {
		v = v<<1 | uint64(d.bit(&m.low[nb*64+i]))
	}
	return v, nil
}

// pairModel is what the coder of a diff stream's skip/run pairs knows from
// the pairs before: see sparse.go for the pairs themselves.
type pairModel struct {
	more              [2]prob   // another pair follows; by whether it is the first
	skips             *numModel // by the previous skip's bit length, capped
	runs              *numModel // run length less one, by the previous one's bit length, capped
	lits              []prob    // by place in the run (capped) and the previous run's byte there
	prevLit           []byte
	prevSkip, prevRun int
	started           bool
}

const (
	skipContexts = 24
	runContexts  = 8
	litPlaces    = 4
)

func newPairModel() *pairModel {
	return &pairModel{
		more:  [2]prob{probOne / 2, probOne / 2},
		skips: newNumModel(skipContexts),
		runs:  newNumModel(runContexts),
		lits:  newProbs(litPlaces * 257 * 256),
	}
}

func (m *pairModel) litProbs(i int) []prob {
	match := 256
	if i < len(m.prevLit) {
		match = int(m.prevLit[i])
	}
	k := (min(i, litPlaces-1)*257 + match) * 256
	return m.lits[k : k+256]
}

func (m *pairModel) moreProb() *prob {
	if m.started {
		return &m.more[1]
	}
	return &m.more[0]
}

// encodeSparse range-codes a sparse diff stream (uvarint pairs, sparse.go).
func encodeSparse(sparse []byte) ([]byte, error) {
	e := newRCEncoder()
	m := newPairModel()
	for len(sparse) > 0 {
		skip, k := binary.Uvarint(sparse)
		if k <= 0 {
			return nil, fmt.Errorf("sparse stream: bad skip")
		}
		sparse = sparse[k:]
		n, k := binary.Uvarint(sparse)
		if k <= 0 || n == 0 || n > uint64(len(sparse)-k) {
			return nil, fmt.Errorf("sparse stream: bad run")
		}
		lit := sparse[k : k+int(n)]
		sparse = sparse[k+int(n):]

		e.bit(m.moreProb(), 1)
		m.started = true
		m.skips.encode(e, min(m.prevSkip, skipContexts-1), skip)
		m.runs.encode(e, min(m.prevRun, runContexts-1), n-1)
		for i, c := range lit {
			e.tree(m.litProbs(i), 8, uint32(c))
		}
		m.prevSkip, m.prevRun, m.prevLit = bits.Len64(skip), bits.Len64(n-1), lit
	}
	e.bit(m.moreProb(), 0)
	return e.finish(), nil
}

// rcPairs reads the pairs of a range-coded diff stream.
type rcPairs struct {
	d     *rcDecoder
	m     *pairModel
	lit   []byte // the current run's bytes, kept as the next run's context
	done  bool
	taken int // bytes of lit already handed out
}

func newRCPairs(coded []byte) (*rcPairs, error) {
	d, err := newRCDecoder(coded)
	if err != nil {
		return nil, err
	}
	return &rcPairs{d: d, m: newPairModel()}, nil
}

// pair decodes the next pair's skip and run length; ok is false at the end.
// remaining bounds skip+n, so a run's bytes are never allocated for more
// than the output can hold.
func (p *rcPairs) pair(remaining int64) (skip, n int64, ok bool, err error) {
	if p.done {
		return 0, 0, false, nil
	}
	if p.d.bit(p.m.moreProb()) == 0 {
		p.done = true
		return 0, 0, false, nil
	}
	p.m.started = true
	s, err := p.m.skips.decode(p.d, min(p.m.prevSkip, skipContexts-1))
	if err != nil {
		return 0, 0, false, err
	}
	r, err := p.m.runs.decode(p.d, min(p.m.prevRun, runContexts-1))
	if err != nil {
		return 0, 0, false, err
	}
	if p.d.overrun() || s > uint64(remaining) || r >= uint64(remaining)-s {
		return 0, 0, false, fmt.Errorf("%w: diff stream run of %d+%d bytes does not fit the %d diff bytes left", ErrCorrupt, s, r+1, remaining)
	}
	p.m.prevSkip, p.m.prevRun = bits.Len64(s), bits.Len64(r)
	// The previous run stays the context until this one is decoded whole.
	p.m.prevLit, p.lit = p.lit, p.m.prevLit[:0]
	p.taken = 0
	return int64(s), int64(r + 1), true, nil
}

// lits decodes the next len(b) bytes of the current run into b.
func (p *rcPairs) lits(b []byte) {
	for j := range b {
		c := byte(p.d.tree(p.m.litProbs(p.taken), 8))
		p.lit = append(p.lit, c)
		b[j] = c
		p.taken++
	}
}

// end checks that the stream ended where its last pair said, with nothing
// missing and nothing after it.
func (p *rcPairs) end() error {
	if !p.done {
		if _, _, ok, err := p.pair(0); err != nil || ok {
			return fmt.Errorf("%w: diff stream has data past the end of the output", ErrCorrupt)
		}
	}
	if p.d.overrun() {
		return fmt.Errorf("%w: diff stream ends early", ErrCorrupt)
	}
	if p.d.pos != len(p.d.in) {
		return fmt.Errorf("%w: diff stream has data past the end of the output", ErrCorrupt)
	}
	return nil
}

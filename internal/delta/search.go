package delta

import (
	"encoding/binary"
	"math/bits"
	"runtime"
	"sync"
)

// index finds, for any string, the longest prefix of it that occurs in old.
type index struct {
	old []byte
	// parts index old in pieces split at fixed offsets, each with its own
	// suffix array, so that two cores can build them at once; a match is
	// looked for in each. One that crosses a split is found cut short,
	// which the search's extensions make up for.
	parts []part
	// grams has a bit set for the hash of every 8-byte string in old; a
	// search for a string whose first 8 bytes hash to a clear bit can only
	// find a match shorter than 8 bytes, too short to start an entry.
	grams    []uint64
	gramBits uint64 // len(grams) * 64
}

// part is the suffix array of old[start:start+len(text)], sampled: only
// the suffixes at even offsets are in it, which halves the index to 2 bytes
// per byte of old. A match at an odd offset is found one byte on, where it
// is at an even one, and the search's backward extension recovers the byte
// it skipped.
type part struct {
	start int
	text  []byte
	sa    []int32
	// bucket[k] is where the suffixes starting with the two bytes k>>8,
	// k&0xff start in sa (a last suffix of one byte counts as followed by
	// a zero). It saves the first dozen probes of every search, each a
	// cache miss in sa and another in text.
	bucket []int32
}

// minPart is the smallest old file that is indexed in two parts.
const minPart = 1 << 20

// newIndex builds the parts' suffix arrays, each on its own goroutine, then
// the filter. The filter waits so that it takes the memory the suffix
// sorts worked in (a byte per byte of old): built beside them it would
// raise the peak by its own size.
func newIndex(old []byte) *index {
	ix := &index{old: old}
	split := []int{0, len(old)}
	if len(old) >= minPart {
		split = []int{0, len(old) / 2 &^ 1, len(old)}
	}
	ix.parts = make([]part, len(split)-1)
	var wg sync.WaitGroup
	for i := range ix.parts {
		p := &ix.parts[i]
		// Whole pairs only: the suffixes are sorted as pair texts, and a
		// last odd byte would make the order differ from the bytes'.
		p.start, p.text = split[i], old[split[i]:split[i+1]&^1]
		wg.Go(p.build)
	}
	wg.Wait()
	runtime.GC()
	ix.buildFilter()
	return ix
}

func (p *part) build() {
	p.sa = evenSuffixArray(p.text)
	p.bucket = make([]int32, 1<<16+1)
	for i := 0; i+1 < len(p.text); i += 2 { // the offsets in sa, in text order
		p.bucket[pairKey(p.text[i:])+1]++
	}
	for k := 1; k < len(p.bucket); k++ {
		p.bucket[k] += p.bucket[k-1]
	}
}

// gramBitsPerByte sizes the filter: with 5 bits per byte of old, a string
// absent from old finds its bit clear 4 times in 5.
const gramBitsPerByte = 5

func (ix *index) buildFilter() {
	old := ix.old
	words := max((len(old)*gramBitsPerByte+63)/64, 1)
	ix.grams = make([]uint64, words)
	ix.gramBits = uint64(words) * 64
	for i := 0; i+gramLen <= len(old); i++ {
		h := ix.gramHash(old[i:])
		ix.grams[h/64] |= 1 << (h % 64)
	}
}

const gramLen = 8

// gramHash maps the first 8 bytes of b to a bit of the filter: a
// multiplicative hash, scaled to the table by the high half of a product.
func (ix *index) gramHash(b []byte) uint64 {
	hi, _ := bits.Mul64(binary.LittleEndian.Uint64(b)*0x9E3779B97F4A7C15, ix.gramBits)
	return hi
}

// mayOccur reports whether the first 8 bytes of s may occur in old; false
// means they do not, and s has no match of 8 bytes or more.
func (ix *index) mayOccur(s []byte) bool {
	if len(s) < gramLen {
		return true
	}
	h := ix.gramHash(s)
	return ix.grams[h/64]&(1<<(h%64)) != 0
}

// pairKey is the first byte pair of b as the suffix array orders pairs,
// little-endian; b must hold two bytes.
func pairKey(b []byte) int {
	return int(b[0]) | int(b[1])<<8
}

// longestMatch returns where in old the longest prefix of s occurs, and
// its length; of equally long matches, the one in the first part.
func (ix *index) longestMatch(s []byte) (pos, n int) {
	for i := range ix.parts {
		p := &ix.parts[i]
		if at, l := p.longestMatch(s); l > n {
			pos, n = p.start+at, l
		}
	}
	return pos, n
}

// longestMatch binary-searches the suffix array for s's neighbours, in
// the array's order: strings of little-endian byte pairs. The search runs
// on s's whole pairs, q; a suffix between two others shares at least the
// whole pairs that both share with q, so each probe compares only past
// them. The match of the two neighbours is then measured on all of s, so a
// match may miss, at most, a byte at its end that another suffix has.
func (p *part) longestMatch(s []byte) (pos, n int) {
	sa, text := p.sa, p.text
	q := s[:len(s)&^1]
	if len(sa) == 0 || len(q) == 0 {
		return 0, 0
	}
	lo, hi := 0, len(sa)-1
	if k := pairKey(q); p.bucket[k] < p.bucket[k+1] {
		lo, hi = int(p.bucket[k]), int(p.bucket[k+1])-1
	}
	lcpLo := matchLen(text[sa[lo]:], q)
	lcpHi := matchLen(text[sa[hi]:], q)
	for hi-lo > 1 {
		mid := int(uint(lo+hi) >> 1)
		k := min(lcpLo, lcpHi) &^ 1
		suf := text[sa[mid]:]
		l := k + matchLen(suf[k:], q[k:])
		if l == len(suf) || l < len(q) && pairLess(suf, q, l) {
			lo, lcpLo = mid, l
		} else {
			hi, lcpHi = mid, l
		}
	}
	pos, n = int(sa[lo]), matchLen(text[sa[lo]:], s)
	if m := matchLen(text[sa[hi]:], s); m > n {
		pos, n = int(sa[hi]), m
	}
	return pos, n
}

// pairLess reports whether a sorts before b as little-endian pairs, given
// that they first differ at byte l, inside a whole pair of both.
func pairLess(a, b []byte, l int) bool {
	if l%2 == 0 && a[l+1] != b[l+1] {
		return a[l+1] < b[l+1]
	}
	return a[l] < b[l]
}

// matchLen returns the length of the common prefix of a and b, eight bytes
// at a time.
func matchLen(a, b []byte) int {
	n := min(len(a), len(b))
	a, b = a[:n], b[:n]
	i := 0
	for ; i+8 <= n; i += 8 {
		x := binary.LittleEndian.Uint64(a[i:]) ^ binary.LittleEndian.Uint64(b[i:])
		if x != 0 {
			return i + bits.TrailingZeros64(x)>>3
		}
	}
	for ; i < n && a[i] == b[i]; i++ {
	}
	return i
}

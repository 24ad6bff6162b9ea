package delta

import (
	"encoding/binary"
	"slices"
	"unsafe"
)

// This file builds suffix arrays with SA-IS (Nong, Zhang and Chan, "Two
// Efficient Algorithms for Linear Time Suffix Array Construction", 2011).
//
// The memory budget is the point: the array itself takes 4 bytes per symbol
// (int32 offsets, so inputs stay under 2 GiB; the index sorts byte pairs, so
// 2 bytes per byte of old) and the S/L type bits one
// bit per symbol at each level. The reduced problem of each recursion level
// lives inside the caller's array (names in its top half, the reduced suffix
// array in its bottom half), and the bucket table of a level, one int32 per
// distinct name, reuses the free gap between the two; only a text whose
// LMS substrings are nearly all distinct and nearly half its length (none
// that executables have) makes it allocate one. index/suffixarray also runs
// SA-IS in 4 bytes per byte but keeps the array private, and bsdiff's
// qsufsort needs 16.
//
// The text is treated as if followed by a sentinel smaller than every
// symbol, which is never stored: the suffix starting at len(text)-1 is the
// one the sentinel induces first.

// symbol is what a text is made of: bytes or byte pairs at the top level,
// int32 names of LMS substrings in the reduced problems.
type symbol interface{ ~byte | ~uint16 | ~int32 }

// evenSuffixArray returns the start offsets of text's suffixes that start at
// even offsets: half an array, 2 bytes per byte of text. They are sorted as
// strings of little-endian byte pairs (by each pair's second byte, then its
// first), which is not the bytes' own order but keeps together the suffixes
// that share a prefix of whole pairs: all the search needs (see
// part.longestMatch). In return the sort reads the pairs in text's own
// memory, where a copy would cost a byte per byte of text, a third of what
// the index needs. A last odd byte starts no suffix and is part of none.
func evenSuffixArray(text []byte) []int32 {
	pairs := pairsLE(text)
	sa := make([]int32, len(pairs))
	sais(pairs, sa, 1<<16, nil)
	for i := range sa {
		sa[i] *= 2
	}
	return sa
}

// pairsLE returns text's whole byte pairs as uint16s, text[2i] |
// text[2i+1]<<8: a read-only view of text itself on a little-endian
// machine, else a copy.
func pairsLE(text []byte) []uint16 {
	n := len(text) / 2
	if n == 0 {
		return nil
	}
	if littleEndian && uintptr(unsafe.Pointer(&text[0]))%2 == 0 {
		return unsafe.Slice((*uint16)(unsafe.Pointer(&text[0])), n)
	}
	pairs := make([]uint16, n)
	for i := range pairs {
		pairs[i] = binary.LittleEndian.Uint16(text[2*i:])
	}
	return pairs
}

var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// typeBits records whether each position starts an S-type suffix (one
// smaller than the suffix after it) or an L-type one.
type typeBits []uint64

func (t typeBits) s(i int) bool { return t[i>>6]&(1<<(i&63)) != 0 }

// lms reports whether i starts a leftmost-S suffix: S-type after an L-type.
func (t typeBits) lms(i int) bool { return i > 0 && t.s(i) && !t.s(i-1) }

func classify[T symbol](text []T) typeBits {
	n := len(text)
	t := make(typeBits, (n+63)/64)
	// text[n-1] is L-type: the sentinel after it is smaller.
	s := false
	for i := n - 2; i >= 0; i-- {
		s = text[i] < text[i+1] || (text[i] == text[i+1] && s)
		if s {
			t[i>>6] |= 1 << (i & 63)
		}
	}
	return t
}

// sais fills sa with the suffix array of text, whose symbols are all below
// k. scratch is free memory the bucket table may use if it is long enough.
func sais[T symbol](text []T, sa []int32, k int, scratch []int32) {
	n := len(text)
	switch n {
	case 0:
		return
	case 1:
		sa[0] = 0
		return
	}
	// The bucket table, and the symbol counts it is set up from six times,
	// go in scratch if it has room; counts for a large alphabet that does
	// not fit are counted again each time instead.
	var bkt, cnt []int32
	switch {
	case len(scratch) >= 2*k:
		bkt, cnt = scratch[:k], scratch[k:2*k]
	case len(scratch) >= k:
		bkt = scratch[:k]
	default:
		bkt = make([]int32, k)
	}
	if cnt == nil && k <= 1<<16 {
		cnt = make([]int32, k)
	}
	if cnt != nil {
		countSymbols(text, cnt)
	}
	t := classify(text)

	// Stage 1: sort the LMS substrings by inducing from their positions.
	bucketEnds(text, bkt, cnt)
	for i := range sa {
		sa[i] = -1
	}
	for i := 1; i < n; i++ {
		if t.lms(i) {
			c := text[i]
			bkt[c]--
			sa[bkt[c]] = int32(i)
		}
	}
	induceL(text, sa, bkt, cnt)
	induceS(text, sa, bkt, cnt, t)

	// Move the sorted LMS positions to the front and name each by its
	// rank, equal substrings sharing a name. LMS positions are at least two
	// apart, so position p's name fits in slot m+p/2.
	m := 0
	for _, p := range sa {
		if t.lms(int(p)) {
			sa[m] = p
			m++
		}
	}
	// Each LMS substring's length (up to and including the next LMS
	// symbol, or the sentinel) goes in its name slot first: substrings of
	// different lengths differ without a look at the text, and equal
	// symbols over equal lengths imply equal types, since both end S-type.
	for i := m; i < n; i++ {
		sa[i] = -1
	}
	next := n // the sentinel
	for p := n - 1; p > 0; p-- {
		if t.lms(p) {
			sa[m+p/2] = int32(next - p + 1)
			next = p
		}
	}
	names, prev, prevLen := 0, 0, 0
	for i := range m {
		p := int(sa[i])
		l := int(sa[m+p/2])
		if i == 0 || l != prevLen || p+l > n || prev+l > n || !slices.Equal(text[p:p+l], text[prev:prev+l]) {
			names++
			prev, prevLen = p, l
		}
		sa[m+p/2] = int32(names - 1)
	}
	for i, j := n-1, n-1; i >= m; i-- {
		if sa[i] >= 0 {
			sa[j] = sa[i]
			j--
		}
	}

	// Stage 2: sort the LMS suffixes, recursing if names repeat.
	s1, sa1 := sa[n-m:], sa[:m]
	if names < m {
		sais(s1, sa1, names, sa[m:n-m])
	} else {
		for i, c := range s1 {
			sa1[c] = int32(i)
		}
	}

	// Stage 3: put the sorted LMS suffixes at their buckets' ends and
	// induce every other suffix from them.
	for i, j := 1, 0; i < n; i++ {
		if t.lms(i) {
			s1[j] = int32(i)
			j++
		}
	}
	for i, r := range sa1 {
		sa1[i] = s1[r]
	}
	for i := m; i < n; i++ {
		sa[i] = -1
	}
	bucketEnds(text, bkt, cnt)
	for i := m - 1; i >= 0; i-- {
		p := sa[i]
		sa[i] = -1
		c := text[p]
		bkt[c]--
		sa[bkt[c]] = p
	}
	induceL(text, sa, bkt, cnt)
	induceS(text, sa, bkt, cnt, t)
}

// bucketStarts and bucketEnds set bkt to where each symbol's bucket starts
// or ends in sa, from the symbol counts cnt if the caller kept them, else
// by counting again.
func bucketStarts[T symbol](text []T, bkt, cnt []int32) {
	if cnt == nil {
		countSymbols(text, bkt)
		cnt = bkt
	}
	sum := int32(0)
	for i, c := range cnt {
		bkt[i] = sum
		sum += c
	}
}

func bucketEnds[T symbol](text []T, bkt, cnt []int32) {
	if cnt == nil {
		countSymbols(text, bkt)
		cnt = bkt
	}
	sum := int32(0)
	for i, c := range cnt {
		sum += c
		bkt[i] = sum
	}
}

func countSymbols[T symbol](text []T, cnt []int32) {
	clear(cnt)
	for _, c := range text {
		cnt[c]++
	}
}

// induceL places every L-type suffix, scanning left to right: the suffix
// before each placed one, if L-type, goes to the head of its bucket. Only
// L-type and LMS suffixes are placed when it runs, so the one before p is
// L-type exactly when its symbol is not smaller than p's: no type lookup.
func induceL[T symbol](text []T, sa, bkt []int32, cnt []int32) {
	bucketStarts(text, bkt, cnt)
	last := len(text) - 1 // induced by the sentinel
	c := text[last]
	sa[bkt[c]] = int32(last)
	bkt[c]++
	for i := range sa {
		p := sa[i]
		if p <= 0 {
			continue
		}
		if c := text[p-1]; c >= text[p] {
			sa[bkt[c]] = p - 1
			bkt[c]++
		}
	}
}

// induceS places every S-type suffix, scanning right to left into the
// buckets' tails. The one before p is S-type when its symbol is smaller
// than p's, or equal and p is S-type; and p is S-type exactly when it sits
// at or after its bucket's moving tail, since S-type entries are written
// there before the scan reaches them. With a small alphabet that test
// reads the bucket table, which stays in cache, instead of the type bits.
func induceS[T symbol](text []T, sa, bkt []int32, cnt []int32, t typeBits) {
	bucketEnds(text, bkt, cnt)
	small := len(bkt) <= 1<<16
	for i := len(sa) - 1; i >= 0; i-- {
		p := sa[i]
		if p <= 0 {
			continue
		}
		c, cp := text[p-1], text[p]
		if c > cp {
			continue
		}
		if c == cp {
			if small && int32(i) < bkt[cp] || !small && !t.s(int(p)) {
				continue
			}
		}
		bkt[c]--
		sa[bkt[c]] = p - 1
	}
}

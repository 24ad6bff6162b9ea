package delta

import (
	"encoding/binary"
	"math/bits"
)

// index finds, for any string, the longest prefix of it that occurs in old.
type index struct {
	old []byte
	sa  []int32 // suffix array of old
}

func newIndex(old []byte) *index {
	return &index{old: old, sa: suffixArray(old)}
}

// longestMatch returns where in old the longest prefix of s occurs, and
// its length. It binary-searches the suffix array for s's neighbours; a
// suffix between two others shares at least the shorter of their common
// prefixes with s, so each probe compares only past that point.
func (ix *index) longestMatch(s []byte) (pos, n int) {
	sa, old := ix.sa, ix.old
	if len(sa) == 0 || len(s) == 0 {
		return 0, 0
	}
	lo, hi := 0, len(sa)-1
	lcpLo := matchLen(old[sa[lo]:], s)
	lcpHi := matchLen(old[sa[hi]:], s)
	for hi-lo > 1 {
		mid := int(uint(lo+hi) >> 1)
		k := min(lcpLo, lcpHi)
		suf := old[sa[mid]:]
		l := k + matchLen(suf[k:], s[k:])
		if l == len(suf) || (l < len(s) && suf[l] < s[l]) {
			lo, lcpLo = mid, l
		} else {
			hi, lcpHi = mid, l
		}
	}
	if lcpLo > lcpHi {
		return int(sa[lo]), lcpLo
	}
	return int(sa[hi]), lcpHi
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

package delta

import (
	"bytes"
	"index/suffixarray"
	"math/rand/v2"
	"slices"
	"testing"
)

// suffixArray is SA-IS over bytes, every suffix: the index sorts byte
// pairs (evenSuffixArray), and this checks the same code on the plainest
// alphabet against the naive sort.
func suffixArray(text []byte) []int32 {
	sa := make([]int32, len(text))
	sais(text, sa, 256, nil)
	return sa
}

func naiveSuffixArray(text []byte) []int32 {
	sa := make([]int32, len(text))
	for i := range sa {
		sa[i] = int32(i)
	}
	slices.SortFunc(sa, func(a, b int32) int { return bytes.Compare(text[a:], text[b:]) })
	return sa
}

// naiveEvenSuffixArray sorts the suffixes at even offsets as strings of
// little-endian byte pairs.
func naiveEvenSuffixArray(text []byte) []int32 {
	swapped := slices.Clone(text[:len(text)&^1])
	for i := 0; i+1 < len(swapped); i += 2 {
		swapped[i], swapped[i+1] = swapped[i+1], swapped[i]
	}
	sa := make([]int32, len(text)/2)
	for i := range sa {
		sa[i] = int32(2 * i)
	}
	slices.SortFunc(sa, func(a, b int32) int { return bytes.Compare(swapped[a:], swapped[b:]) })
	return sa
}

func TestSuffixArray(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n, alphabet int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('a' + rng.IntN(alphabet))
		}
		return b
	}
	tests := []struct {
		name string
		text []byte
	}{
		{"empty", nil},
		{"one", []byte("x")},
		{"two equal", []byte("aa")},
		{"decreasing", []byte("dcba")},
		{"increasing", []byte("abcd")},
		{"run", bytes.Repeat([]byte("a"), 100)},
		{"banana", []byte("banana")},
		{"mississippi", []byte("mississippi")},
		{"abab", bytes.Repeat([]byte("ab"), 64)},
		{"aab", bytes.Repeat([]byte("aab"), 50)},
		{"zeros and ones", bytes.Repeat([]byte{0, 0, 1, 0, 255}, 40)},
		{"binary alphabet", random(3000, 2)},
		{"small alphabet", random(3000, 3)},
		{"large alphabet", random(3000, 200)},
		{"fibonacci", fibonacciWord(4000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, want := suffixArray(tt.text), naiveSuffixArray(tt.text)
			if !slices.Equal(got, want) {
				t.Errorf("suffixArray(%q) = %v, want %v", tt.text, got, want)
			}
		})
	}
}

// fibonacciWord is a text with many nested repeats, the deepest recursion
// for SA-IS.
func fibonacciWord(n int) []byte {
	a, b := []byte("a"), []byte("ab")
	for len(b) < n {
		a, b = b, append(slices.Clone(b), a...)
	}
	return b[:n]
}

// TestSuffixArrayLarge checks a text big enough to recurse several levels,
// with long repeats, against index/suffixarray's lookups.
func TestSuffixArrayLarge(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	text := make([]byte, 1<<18)
	for i := range text {
		text[i] = byte(rng.IntN(4))
	}
	copy(text[1<<17:], text[:1<<16]) // long repeats
	sa := suffixArray(text)
	for i := 1; i < len(sa); i++ {
		if bytes.Compare(text[sa[i-1]:], text[sa[i]:]) >= 0 {
			t.Fatalf("suffixes %d and %d out of order", sa[i-1], sa[i])
		}
	}
	// Every occurrence of a 12-byte pattern is a contiguous run of sa.
	ix := suffixarray.New(text)
	for _, at := range []int{0, 1000, 1 << 16, 1<<17 + 5, len(text) - 12} {
		pattern := text[at : at+12]
		want := ix.Lookup(pattern, -1)
		lo, _ := slices.BinarySearchFunc(sa, pattern, func(p int32, pat []byte) int {
			return bytes.Compare(text[p:min(int(p)+len(pat), len(text))], pat)
		})
		var got []int
		for i := lo; i < len(sa) && bytes.HasPrefix(text[sa[i]:], pattern); i++ {
			got = append(got, int(sa[i]))
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("occurrences of text[%d:%d]: got %v, want %v", at, at+12, got, want)
		}
	}
}

func FuzzSuffixArray(f *testing.F) {
	f.Add([]byte("mississippi"))
	f.Add(fibonacciWord(300))
	f.Add(bytes.Repeat([]byte{0, 1, 1}, 50))
	f.Fuzz(func(t *testing.T, text []byte) {
		if len(text) > 1<<12 {
			t.Skip("the naive sort is quadratic")
		}
		if got, want := suffixArray(text), naiveSuffixArray(text); !slices.Equal(got, want) {
			t.Errorf("suffixArray(%q) = %v, want %v", text, got, want)
		}
		if got, want := evenSuffixArray(text), naiveEvenSuffixArray(text); !slices.Equal(got, want) {
			t.Errorf("evenSuffixArray(%q) = %v, want %v", text, got, want)
		}
	})
}

// TestLongestMatch checks the index against a scan of every offset: it may
// find a match at an odd offset a byte later, so the match it reports must
// be real, and at most one byte shorter than the longest at an even offset
// of its part. It runs on an old file that starts at an odd address too,
// which the sort reads through a copy.
func TestLongestMatch(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	buf := make([]byte, 1+3<<19) // two parts
	for i := range buf {
		buf[i] = byte('a' + rng.IntN(3))
	}
	for _, old := range [][]byte{buf[:len(buf)-1], buf[1:]} {
		ix := newIndex(old)
		for range 60 {
			at := rng.IntN(len(old) - 40)
			s := slices.Clone(old[at : at+1+rng.IntN(40)])
			if rng.IntN(2) == 0 {
				s[len(s)-1] ^= 0x40 // not in old at all past here
			}
			pos, n := ix.longestMatch(s)
			if pos < 0 || pos+n > len(old) || !bytes.Equal(old[pos:pos+n], s[:n]) {
				t.Fatalf("longestMatch(%q) = %d, %d: not a match", s, pos, n)
			}
			best := 0
			for _, p := range ix.parts {
				for i := 0; i+1 < len(p.text); i += 2 {
					best = max(best, matchLen(p.text[i:], s))
				}
			}
			if n < best-1 {
				t.Fatalf("longestMatch(%q) = %d bytes; an even offset matches %d", s, n, best)
			}
		}
	}
}

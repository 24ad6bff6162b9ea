package delta

import (
	"bytes"
	"index/suffixarray"
	"math/rand/v2"
	"slices"
	"testing"
)

func naiveSuffixArray(text []byte) []int32 {
	sa := make([]int32, len(text))
	for i := range sa {
		sa[i] = int32(i)
	}
	slices.SortFunc(sa, func(a, b int32) int { return bytes.Compare(text[a:], text[b:]) })
	return sa
}

// naiveEvenSuffixArray sorts the suffixes at even offsets that have a
// whole pair to start with.
func naiveEvenSuffixArray(text []byte) []int32 {
	sa := make([]int32, len(text)/2)
	for i := range sa {
		sa[i] = int32(2 * i)
	}
	slices.SortFunc(sa, func(a, b int32) int { return bytes.Compare(text[a:len(text)&^1], text[b:len(text)&^1]) })
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

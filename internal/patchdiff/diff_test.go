package patchdiff

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// applyEdits rebuilds b from a and the edits, checking that the lines the
// edits leave alone are equal on both sides.
func applyEdits(t *testing.T, a, b lineSet, edits []edit) []byte {
	t.Helper()
	var out bytes.Buffer
	i, j := 0, 0
	for _, e := range edits {
		if e.a0-i != e.b0-j || e.a0 < i || e.b0 < j || e.a1 < e.a0 || e.b1 < e.b0 {
			t.Fatalf("bad edit %+v after (%d,%d)", e, i, j)
		}
		for ; i < e.a0; i, j = i+1, j+1 {
			if !bytes.Equal(a.line(i), b.line(j)) {
				t.Fatalf("unchanged line %d/%d differs: %q vs %q", i, j, a.line(i), b.line(j))
			}
			out.Write(a.line(i))
		}
		for k := e.b0; k < e.b1; k++ {
			out.Write(b.line(k))
		}
		i, j = e.a1, e.b1
	}
	for ; i < a.len(); i++ {
		out.Write(a.line(i))
	}
	return out.Bytes()
}

// lcsLen is the textbook O(NM) longest common subsequence, to check that
// Myers' edits are minimal on small inputs.
func lcsLen(a, b lineSet) int {
	prev := make([]int, b.len()+1)
	cur := make([]int, b.len()+1)
	for i := 1; i <= a.len(); i++ {
		for j := 1; j <= b.len(); j++ {
			if bytes.Equal(a.line(i-1), b.line(j-1)) {
				cur[j] = prev[j-1] + 1
			} else {
				cur[j] = max(cur[j-1], prev[j])
			}
		}
		prev, cur = cur, prev
	}
	return prev[b.len()]
}

func randomText(r *rand.Rand, n int, alphabet string) []byte {
	var b bytes.Buffer
	for range n {
		b.WriteByte(alphabet[r.IntN(len(alphabet))])
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func TestDiffLinesMinimal(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for iter := range 2000 {
		a := splitLines(randomText(r, r.IntN(40), "abcde"))
		b := splitLines(randomText(r, r.IntN(40), "abcdef"))
		edits := diffLines(a, b)
		if got := applyEdits(t, a, b, edits); !bytes.Equal(got, b.data) {
			t.Fatalf("iteration %d: edits do not rebuild b", iter)
		}
		changed := 0
		for _, e := range edits {
			changed += (e.a1 - e.a0) + (e.b1 - e.b0)
		}
		if want := a.len() + b.len() - 2*lcsLen(a, b); changed != want {
			t.Fatalf("iteration %d: %d lines changed, the minimum is %d\na=%q\nb=%q", iter, changed, want, a.data, b.data)
		}
	}
}

func TestDiffLinesEdgeCases(t *testing.T) {
	t.Parallel()
	cases := []struct{ a, b string }{
		{"", ""}, {"", "x\n"}, {"x\n", ""}, {"x", "x\n"}, {"x\n", "x"},
		{"a\r\nb\r\n", "a\nb\n"}, {"same\n", "same\n"},
		{"a\nb\nc\n", "c\nb\na\n"},
	}
	for _, tc := range cases {
		a, b := splitLines([]byte(tc.a)), splitLines([]byte(tc.b))
		if got := applyEdits(t, a, b, diffLines(a, b)); !bytes.Equal(got, []byte(tc.b)) {
			t.Errorf("diff %q -> %q rebuilds %q", tc.a, tc.b, got)
		}
	}
}

// TestDiffLinesLargeDifferent: two large files with no line in common are
// one replace, found without any search.
func TestDiffLinesLargeDifferent(t *testing.T) {
	t.Parallel()
	a := splitLines(lines(200_000, "a %d\n"))
	b := splitLines(lines(200_000, "b %d\n"))
	edits := diffLines(a, b)
	if len(edits) != 1 || edits[0] != (edit{0, a.len(), 0, b.len()}) {
		t.Fatalf("edits = %v, want one replace of everything", edits)
	}
}

// TestDiffLinesBudget: two large files with the same lines in a scrambled
// order force a huge D; the budget stops the search and the result is still
// a correct diff.
func TestDiffLinesBudget(t *testing.T) {
	t.Parallel()
	const n = 100_000
	r := rand.New(rand.NewPCG(3, 4))
	perm := r.Perm(n)
	var ab, bb strings.Builder
	for i := range n {
		ab.WriteString(strings.Repeat("x", i%7) + string(rune('a'+i%26)) + "\n")
		bb.WriteString(strings.Repeat("x", perm[i]%7) + string(rune('a'+perm[i]%26)) + "\n")
	}
	a, b := splitLines([]byte(ab.String())), splitLines([]byte(bb.String()))
	edits := diffLines(a, b)
	if got := applyEdits(t, a, b, edits); !bytes.Equal(got, b.data) {
		t.Fatal("edits do not rebuild b")
	}
}

func TestHunkGrouping(t *testing.T) {
	t.Parallel()
	// Edits 6 unchanged lines apart share a hunk (contexts touch); 7 apart do not.
	for _, tc := range []struct{ gap, want int }{{6, 1}, {7, 2}} {
		edits := []edit{{10, 11, 10, 11}, {11 + tc.gap, 12 + tc.gap, 11 + tc.gap, 12 + tc.gap}}
		if got := len(hunks(edits, 100, 100, 3)); got != tc.want {
			t.Errorf("gap %d: %d hunks, want %d", tc.gap, got, tc.want)
		}
	}
}

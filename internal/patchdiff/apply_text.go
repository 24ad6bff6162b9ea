package patchdiff

import (
	"bytes"
	"fmt"
	"hash/maphash"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
)

// applyText applies text hunks to old, as git apply does without fuzz:
// each hunk's whole pre-image (context and deleted lines) must match
// exactly. It is tried first where the hunk says, then at other offsets,
// nearest first and later before earlier at equal distance. A hunk that
// starts at line 1 must match at the start of the file and one without
// trailing context at the end. Hunks apply in order and never overlap.
func applyText(name string, old []byte, frags []*gitdiff.TextFragment, maxBytes int64) ([]byte, error) {
	src := splitLines(old)
	var idx *lineIndex // built on the first hunk that is not where it says
	var out bytes.Buffer
	out.Grow(len(old))
	cursor, delta := 0, 0 // src lines before cursor are done; lines added so far
	for i, frag := range frags {
		pre, post := images(frag)
		// git starts looking at the new position in the partly patched
		// file; in the original's numbering that is one "delta" lower.
		want := -delta
		if frag.NewPosition > 0 {
			want += int(frag.NewPosition) - 1
		}
		mustStart := frag.OldPosition <= 1
		mustEnd := frag.TrailingContext == 0
		switch {
		case mustStart:
			want = 0
		case mustEnd:
			want = src.len() - len(pre)
		}
		want = max(cursor, min(want, src.len()))

		pos := -1
		if matchAt(src, pre, want) && placeOK(src, pre, want, mustStart, mustEnd) {
			pos = want
		} else if !mustStart && !mustEnd {
			if idx == nil {
				idx = newLineIndex(src)
			}
			pos = idx.search(src, pre, want, cursor)
		}
		if pos < 0 {
			return nil, &ConflictError{
				Path: name, Hunk: i + 1, Header: hunkHeader(frag),
				Reason: mismatchReason(src, pre, want, cursor, mustStart, mustEnd),
			}
		}
		out.Write(old[src.starts[cursor]:src.starts[pos]])
		for _, l := range post {
			out.WriteString(l)
		}
		cursor = pos + len(pre)
		delta += len(post) - len(pre)
		if int64(out.Len()) > maxBytes {
			return nil, malformed("%s: result is larger than %d bytes", name, maxBytes)
		}
	}
	out.Write(old[src.starts[cursor]:])
	if int64(out.Len()) > maxBytes {
		return nil, malformed("%s: result is larger than %d bytes", name, maxBytes)
	}
	return out.Bytes(), nil
}

// images splits a hunk into the lines it expects (context and deleted) and
// the lines it leaves (context and added).
func images(frag *gitdiff.TextFragment) (pre, post []string) {
	for _, l := range frag.Lines {
		if l.Old() {
			pre = append(pre, l.Line)
		}
		if l.New() {
			post = append(post, l.Line)
		}
	}
	return pre, post
}

func matchAt(src lineSet, pre []string, pos int) bool {
	if pos < 0 || pos+len(pre) > src.len() {
		return false
	}
	for k, l := range pre {
		if string(src.line(pos+k)) != l {
			return false
		}
	}
	return true
}

func placeOK(src lineSet, pre []string, pos int, mustStart, mustEnd bool) bool {
	return (!mustStart || pos == 0) && (!mustEnd || pos+len(pre) == src.len())
}

// mismatchReason says what differs where the hunk was expected.
func mismatchReason(src lineSet, pre []string, want, cursor int, mustStart, mustEnd bool) string {
	where := ""
	switch {
	case mustStart && cursor > 0:
		return "it must match at the start of the file, which an earlier hunk already changed"
	case mustStart && mustEnd:
		where = "it must match the whole file; "
	case mustStart:
		where = "it must match at the start of the file; "
	case mustEnd:
		where = "it must match at the end of the file; "
	default:
		where = "its pre-image is nowhere in the file; "
	}
	if want+len(pre) > src.len() {
		return fmt.Sprintf("%sthe file has %d lines, the hunk needs %d from line %d",
			where, src.len(), len(pre), want+1)
	}
	for k, l := range pre {
		if got := src.line(want + k); string(got) != l {
			return fmt.Sprintf("%sline %d is %s, the patch expects %s",
				where, want+k+1, shortQuote(string(got)), shortQuote(l))
		}
	}
	return where + "the file has more lines after it"
}

func shortQuote(s string) string {
	const max = 60
	if len(s) > max {
		return fmt.Sprintf("%q...", s[:max])
	}
	return fmt.Sprintf("%q", s)
}

// lineIndex finds a run of lines in O(1) per position: a random hash per
// line (so no input can be crafted to collide) and prefix sums of a
// polynomial over them, so any window's hash is one subtraction away. A hash
// hit is confirmed byte for byte, so the answer never depends on the hash.
type lineIndex struct {
	seed   maphash.Seed
	prefix []uint64 // prefix[i] = hash of lines [0,i)
	pow    []uint64 // pow[k] = base^k
}

const polyBase = 0x9e3779b97f4a7c15 // odd, so powers never reach 0 mod 2^64

func newLineIndex(src lineSet) *lineIndex {
	n := src.len()
	idx := &lineIndex{seed: maphash.MakeSeed(), prefix: make([]uint64, n+1), pow: make([]uint64, n+1)}
	idx.pow[0] = 1
	for i := 0; i < n; i++ {
		idx.prefix[i+1] = idx.prefix[i]*polyBase + maphash.Bytes(idx.seed, src.line(i))
		idx.pow[i+1] = idx.pow[i] * polyBase
	}
	return idx
}

// search returns the position of pre in src nearest to want and not before
// lo, trying want, want+1, want-1, want+2, ... as git does; -1 if none.
func (idx *lineIndex) search(src lineSet, pre []string, want, lo int) int {
	m := len(pre)
	hi := src.len() - m // last possible position
	if hi < lo {
		return -1
	}
	var h uint64
	for _, l := range pre {
		h = h*polyBase + maphash.String(idx.seed, l)
	}
	try := func(p int) bool {
		return p >= lo && p <= hi &&
			idx.prefix[p+m]-idx.prefix[p]*idx.pow[m] == h && matchAt(src, pre, p)
	}
	for d := 0; want+d <= hi || want-d >= lo; d++ {
		if try(want + d) {
			return want + d
		}
		if d > 0 && try(want-d) {
			return want - d
		}
	}
	return -1
}

// Package release knows how release tags are named, ordered and grouped into
// release lines: v2026.3.0 opens the line v2026.3, whose patch-level releases
// are v2026.3.1, v2026.3.2, …
package release

import (
	"sort"
	"strconv"
	"strings"
)

// Version is the numeric components of a release tag, e.g. v2026.3.1 -> [2026 3 1].
type Version []int

// ParseVersion reads the dotted numbers of a tag, ignoring a leading "v".
// It reports false for a tag with no numeric components.
func ParseVersion(tag string) (Version, bool) {
	s := strings.TrimPrefix(tag, "v")
	if s == "" {
		return nil, false
	}
	parts := strings.Split(s, ".")
	v := make(Version, 0, len(parts))
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, false
		}
		v = append(v, n)
	}
	return v, true
}

// Compare orders two versions component by component; a shorter version that
// is a prefix of a longer one sorts first.
func Compare(a, b Version) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}

// CompareTags orders tag names by version, falling back to the names when a
// tag has no version.
func CompareTags(a, b string) int {
	va, oka := ParseVersion(a)
	vb, okb := ParseVersion(b)
	switch {
	case oka && okb:
		if c := Compare(va, vb); c != 0 {
			return c
		}
	case oka:
		return 1
	case okb:
		return -1
	}
	return strings.Compare(a, b)
}

// Sort orders tags oldest version first.
func Sort(tags []string) {
	sort.SliceStable(tags, func(i, j int) bool { return CompareTags(tags[i], tags[j]) < 0 })
}

// Line returns the release line of a tag: the tag without its last component
// (v2026.3.1 -> v2026.3).
func Line(tag string) (string, bool) {
	i := strings.LastIndexByte(tag, '.')
	if i <= 0 {
		return "", false
	}
	if _, err := strconv.Atoi(tag[i+1:]); err != nil {
		return "", false
	}
	return tag[:i], true
}

// PatchLevel returns the last number of a tag: 0 for a quarterly release.
func PatchLevel(tag string) (int, bool) {
	i := strings.LastIndexByte(tag, '.')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(tag[i+1:])
	return n, err == nil
}

// Next returns the next patch-level tag of the line that tag belongs to.
func Next(tag string) (string, bool) {
	line, ok := Line(tag)
	if !ok {
		return "", false
	}
	n, _ := PatchLevel(tag)
	return line + "." + strconv.Itoa(n+1), true
}

// Nearest returns up to n of the candidates closest to name, closest first:
// by edit distance, then by version distance on the same line, then newest.
// It is what an error message offers when a tag is mistyped.
func Nearest(name string, candidates []string, n int) []string {
	type scored struct {
		tag  string
		dist int
	}
	s := make([]scored, 0, len(candidates))
	for _, c := range candidates {
		s = append(s, scored{c, editDistance(name, c)})
	}
	sort.SliceStable(s, func(i, j int) bool {
		if s[i].dist != s[j].dist {
			return s[i].dist < s[j].dist
		}
		return CompareTags(s[i].tag, s[j].tag) > 0
	})
	out := make([]string, 0, n)
	for i := 0; i < len(s) && i < n; i++ {
		out = append(out, s[i].tag)
	}
	return out
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

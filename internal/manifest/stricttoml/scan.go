package stricttoml

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Pos is a 1-based line and column; columns count bytes, as BurntSushi's
// toml.Position and the go command do.
type Pos struct {
	Line, Col int
}

// Limits on the shape of a document. BurntSushi's parser slows down more
// than linearly with the number of parts of a key, the nesting of inline
// tables and the number of [[array]] tables, so Decode refuses documents
// past these limits before parsing them; none of patchline's files comes
// near them.
const (
	maxKeyParts    = 16
	maxDepth       = 32
	maxArrayTables = 1000
)

// index maps a path (see pathKey) to the byte offsets of its key and value.
// BurntSushi keeps these positions private, so we scan the source ourselves.
// The scanner only ever runs on input the TOML parser accepted, so it can be
// lenient; it must still never loop forever or panic.
type index struct {
	keys  map[string]int
	vals  map[string]int
	lines []int // byte offset of the start of each line

	// The first limit the document goes past, if any: where and what.
	limitAt  int
	limitMsg string
}

func (ix *index) pos(off int) Pos {
	if off < 0 {
		return Pos{1, 1}
	}
	n := sort.Search(len(ix.lines), func(i int) bool { return ix.lines[i] > off }) - 1
	if n < 0 {
		n = 0
	}
	return Pos{Line: n + 1, Col: off - ix.lines[n] + 1}
}

func newIndex(src string) *index {
	ix := &index{keys: map[string]int{}, vals: map[string]int{}, lines: []int{0}, limitAt: -1}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			ix.lines = append(ix.lines, i+1)
		}
	}
	sc := &scanner{s: src, ix: ix, aot: map[string]int{}}
	sc.run()
	return ix
}

// A path segment is a key, or "\x00"+n for the n-th element of an array.
func indexSeg(n int) string { return "\x00" + strconv.Itoa(n) }

func pathKey(segs []string) string { return strings.Join(segs, "\x1f") }

func with(segs []string, more ...string) []string {
	out := make([]string, 0, len(segs)+len(more))
	return append(append(out, segs...), more...)
}

type scanner struct {
	s     string
	i     int
	ix    *index
	aot   map[string]int // array-of-tables path -> elements seen so far
	depth int
	nAOT  int // [[array]] tables seen
}

func (sc *scanner) limit(off int, format string, args ...any) {
	if sc.ix.limitAt < 0 {
		sc.ix.limitAt, sc.ix.limitMsg = off, fmt.Sprintf(format, args...)
	}
}

func (sc *scanner) setKey(segs []string, off int) {
	k := pathKey(segs)
	if _, ok := sc.ix.keys[k]; !ok {
		sc.ix.keys[k] = off
	}
}

func (sc *scanner) run() {
	var table []string
	for sc.i < len(sc.s) {
		start := sc.i
		sc.skipSpace(true)
		if sc.i >= len(sc.s) {
			break
		}
		if sc.s[sc.i] == '[' {
			table = sc.header()
		} else {
			sc.keyValue(table)
		}
		if sc.i == start {
			sc.i++
		}
	}
}

// skipSpace skips blanks and comments, and newlines too when nl is set.
func (sc *scanner) skipSpace(nl bool) {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t':
			sc.i++
		case '\r', '\n':
			if !nl {
				return
			}
			sc.i++
		case '#':
			for sc.i < len(sc.s) && sc.s[sc.i] != '\n' {
				sc.i++
			}
		default:
			return
		}
	}
}

func (sc *scanner) header() []string {
	sc.i++ // [
	aot := sc.i < len(sc.s) && sc.s[sc.i] == '['
	if aot {
		if sc.nAOT++; sc.nAOT > maxArrayTables {
			sc.limit(sc.i-1, "more than %d [[array]] tables", maxArrayTables)
		}
		sc.i++
	}
	names, offs := sc.keyPath()
	var resolved []string
	for j, name := range names {
		resolved = append(resolved, name)
		k := pathKey(resolved)
		if aot && j == len(names)-1 {
			sc.setKey(resolved, offs[j])
			n := sc.aot[k]
			sc.aot[k] = n + 1
			resolved = append(resolved, indexSeg(n))
		} else if n, ok := sc.aot[k]; ok && n > 0 {
			resolved = append(resolved, indexSeg(n-1))
		}
		sc.setKey(resolved, offs[j])
	}
	for sc.i < len(sc.s) && sc.s[sc.i] != '\n' && sc.s[sc.i] != '#' {
		sc.i++
	}
	return resolved
}

func (sc *scanner) keyValue(table []string) {
	names, offs := sc.keyPath()
	if len(names) == 0 {
		for sc.i < len(sc.s) && sc.s[sc.i] != '\n' {
			sc.i++
		}
		return
	}
	full := sc.keys(table, names, offs)
	sc.skipSpace(false)
	if sc.i < len(sc.s) && sc.s[sc.i] == '=' {
		sc.i++
	}
	sc.skipSpace(false)
	sc.value(full)
}

// keys records the position of every prefix of a dotted key below base.
func (sc *scanner) keys(base, names []string, offs []int) []string {
	full := with(base)
	for j, name := range names {
		full = append(full, name)
		sc.setKey(full, offs[j])
	}
	return full
}

// keyPath reads a dotted key: bare, "basic" or 'literal' parts.
func (sc *scanner) keyPath() (names []string, offs []int) {
	for {
		sc.skipSpace(false)
		if sc.i >= len(sc.s) {
			return names, offs
		}
		start := sc.i
		var name string
		switch c := sc.s[sc.i]; {
		case c == '"':
			sc.i++
			b := sc.i
			for sc.i < len(sc.s) && sc.s[sc.i] != '"' && sc.s[sc.i] != '\n' {
				if sc.s[sc.i] == '\\' {
					sc.i++
				}
				sc.i++
			}
			name = unescape(sc.s[b:min(sc.i, len(sc.s))])
			if sc.i < len(sc.s) {
				sc.i++
			}
		case c == '\'':
			sc.i++
			b := sc.i
			for sc.i < len(sc.s) && sc.s[sc.i] != '\'' && sc.s[sc.i] != '\n' {
				sc.i++
			}
			name = sc.s[b:sc.i]
			if sc.i < len(sc.s) {
				sc.i++
			}
		case isBare(c):
			for sc.i < len(sc.s) && isBare(sc.s[sc.i]) {
				sc.i++
			}
			name = sc.s[start:sc.i]
		default:
			return names, offs
		}
		if len(names) < maxKeyParts {
			names = append(names, name)
			offs = append(offs, start)
		} else {
			sc.limit(start, "a key of more than %d dotted parts", maxKeyParts)
		}
		sc.skipSpace(false)
		if sc.i < len(sc.s) && sc.s[sc.i] == '.' {
			sc.i++
			continue
		}
		return names, offs
	}
}

func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func (sc *scanner) value(path []string) {
	if sc.i >= len(sc.s) {
		return
	}
	if sc.depth >= maxDepth {
		sc.limit(sc.i, "values nested more than %d levels deep", maxDepth)
		sc.skipNested()
		return
	}
	sc.ix.vals[pathKey(path)] = sc.i
	switch sc.s[sc.i] {
	case '"', '\'':
		sc.skipString()
	case '[':
		sc.depth++
		sc.i++
		for n := 0; sc.i < len(sc.s); {
			before := sc.i
			sc.skipSpace(true)
			if sc.i >= len(sc.s) {
				break
			}
			if c := sc.s[sc.i]; c == ']' {
				sc.i++
				break
			} else if c == ',' {
				sc.i++
				continue
			}
			sc.value(with(path, indexSeg(n)))
			n++
			sc.skipSpace(true)
			if sc.i < len(sc.s) && sc.s[sc.i] == ',' {
				sc.i++
			}
			if sc.i == before {
				sc.i++
			}
		}
		sc.depth--
	case '{':
		sc.depth++
		sc.i++
		for sc.i < len(sc.s) {
			before := sc.i
			sc.skipSpace(true)
			if sc.i >= len(sc.s) {
				break
			}
			if c := sc.s[sc.i]; c == '}' {
				sc.i++
				break
			} else if c == ',' {
				sc.i++
				continue
			}
			names, offs := sc.keyPath()
			if len(names) > 0 {
				full := sc.keys(path, names, offs)
				sc.skipSpace(false)
				if sc.i < len(sc.s) && sc.s[sc.i] == '=' {
					sc.i++
				}
				sc.skipSpace(false)
				sc.value(full)
			}
			sc.skipSpace(true)
			if sc.i < len(sc.s) && sc.s[sc.i] == ',' {
				sc.i++
			}
			if sc.i == before {
				sc.i++
			}
		}
		sc.depth--
	default:
		for sc.i < len(sc.s) && !strings.ContainsRune(",]}#\r\n", rune(sc.s[sc.i])) {
			sc.i++
		}
	}
}

// skipString skips any of TOML's four string forms starting at sc.i.
func (sc *scanner) skipString() {
	q := sc.s[sc.i]
	triple := strings.Repeat(string(q), 3)
	if strings.HasPrefix(sc.s[sc.i:], triple) {
		sc.i += 3
		for sc.i < len(sc.s) {
			if q == '"' && sc.s[sc.i] == '\\' {
				sc.i += 2
				continue
			}
			if strings.HasPrefix(sc.s[sc.i:], triple) {
				sc.i += 3
				// Up to two more quotes belong to the content.
				for k := 0; k < 2 && sc.i < len(sc.s) && sc.s[sc.i] == q; k++ {
					sc.i++
				}
				return
			}
			sc.i++
		}
		sc.i = min(sc.i, len(sc.s))
		return
	}
	sc.i++
	for sc.i < len(sc.s) && sc.s[sc.i] != '\n' {
		c := sc.s[sc.i]
		if q == '"' && c == '\\' {
			sc.i += 2
			continue
		}
		sc.i++
		if c == q {
			return
		}
	}
	sc.i = min(sc.i, len(sc.s))
}

// skipNested skips a value too deep to index, bracket by bracket.
func (sc *scanner) skipNested() {
	depth := 0
	for sc.i < len(sc.s) {
		switch c := sc.s[sc.i]; c {
		case '"', '\'':
			sc.skipString()
			continue
		case '#':
			for sc.i < len(sc.s) && sc.s[sc.i] != '\n' {
				sc.i++
			}
			continue
		case '[', '{':
			depth++
		case ']', '}':
			depth--
		case ',', '\n':
			if depth <= 0 {
				return
			}
		}
		sc.i++
		if depth <= 0 {
			return
		}
	}
}

// unescape decodes the escapes of a TOML basic string (v1.1: with \e and \xHH).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'b':
			b.WriteByte('\b')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'f':
			b.WriteByte('\f')
		case 'r':
			b.WriteByte('\r')
		case 'e':
			b.WriteByte(0x1b)
		case '"', '\\':
			b.WriteByte(s[i])
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[s[i]]
			if i+n < len(s) {
				if r, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32); err == nil && utf8.ValidRune(rune(r)) {
					b.WriteRune(rune(r))
					i += n
					continue
				}
			}
			b.WriteByte('\\')
			b.WriteByte(s[i])
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// Package textsafe makes text that others wrote (manifest titles and
// summaries, branch and tag names) safe to print on a terminal or in a CI
// log: control characters and bidi controls become visible escapes, and no
// line can run as a GitHub Actions workflow command.
//
// What validate accepts prints unchanged: Line(s) == s exactly when
// FindControl(s, false) and FindCommand(s) find nothing, and the same holds
// for Text with FindControl(s, true).
package textsafe

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// IsControl reports whether r never reaches output raw: a C0 control
// (U+0000-U+001F), DEL, a C1 control (U+0080-U+009F), or a bidi embedding,
// override or isolate (U+202A-U+202E, U+2066-U+2069), which reorder how the
// text around them reads. Text keeps newlines and tabs.
func IsControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || isBidi(r)
}

func isBidi(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// Line returns s for one line of output: every control character,
// newlines and tabs included, and every byte that is not UTF-8 written as
// an escape (\x1b, \n, \u202e, \xff), and workflow commands defused. A
// backslash is left as it is, so the escapes are for reading, not for
// decoding back.
func Line(s string) string { return escape(s, false) }

// Text returns s for output over several lines: as Line, but newlines,
// tabs and CRLF line ends are kept, and no line of it can run as a
// workflow command.
func Text(s string) string { return escape(s, true) }

func escape(s string, multiline bool) string {
	if _, _, ok := FindControl(s, multiline); !ok {
		if _, ok := FindCommand(s); !ok {
			return s
		}
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case kept(s, i, r, multiline):
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case IsControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = defuse(l)
	}
	return strings.Join(lines, "\n")
}

// kept reports whether multi-line text keeps the control character r at
// s[i]: a newline, a tab, or the CR of a CRLF.
func kept(s string, i int, r rune, multiline bool) bool {
	if !multiline {
		return false
	}
	return r == '\n' || r == '\t' || (r == '\r' && i+1 < len(s) && s[i+1] == '\n')
}

// FindControl finds the first character of s that Line (multiline false)
// or Text (multiline true) writes as an escape: its position, counted in
// characters from 1, and the character itself (utf8.RuneError for a byte
// that is not UTF-8).
func FindControl(s string, multiline bool) (at int, r rune, ok bool) {
	for i := 0; i < len(s); at++ {
		r, n, bad := escaped(s, i, multiline)
		if bad {
			return at + 1, r, true
		}
		i += n
	}
	return 0, 0, false
}

// CountControl counts the characters of s that Line (multiline false) or
// Text (multiline true) write as escapes.
func CountControl(s string, multiline bool) int {
	count := 0
	for i := 0; i < len(s); {
		_, n, bad := escaped(s, i, multiline)
		if bad {
			count++
		}
		i += n
	}
	return count
}

// escaped decodes the character at s[i] and reports whether it is written
// as an escape.
func escaped(s string, i int, multiline bool) (r rune, n int, bad bool) {
	r, n = utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && n == 1 {
		return r, n, true
	}
	return r, n, IsControl(r) && !kept(s, i, r, multiline)
}

// FindCommand finds the first line of s, counted from 1, that the GitHub
// Actions runner would take for a workflow command: one that starts with
// "::" after leading white space, or holds the older "##[" anywhere. The
// runner reads commands on stdout and stderr alike.
func FindCommand(s string) (line int, ok bool) {
	for i, l := range strings.Split(s, "\n") {
		if defuse(l) != l {
			return i + 1, true
		}
	}
	return 0, false
}

// defuse rewrites one line so that the runner does not take it for a
// workflow command: the first colon of a leading "::" and the bracket of
// any "##[" become escapes. Leading white space is skipped as the runner
// skips it, and invisible format characters too, which older runtimes
// trimmed as well.
func defuse(l string) string {
	rest := strings.TrimLeftFunc(l, func(r rune) bool { return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) })
	if strings.HasPrefix(rest, "::") {
		l = l[:len(l)-len(rest)] + `\x3a` + rest[1:]
	}
	return strings.ReplaceAll(l, "##[", `##\x5b`)
}

// Name names a character IsControl reports, as Unicode and ECMA-48 do:
// "ESC", "BEL", "CSI", "RLO"; "invalid UTF-8" for utf8.RuneError; "" for
// any other.
func Name(r rune) string {
	switch {
	case r >= 0 && r < 0x20:
		return c0Names[r]
	case r == 0x7f:
		return "DEL"
	case r >= 0x80 && r <= 0x9f:
		return c1Names[r-0x80]
	case r >= 0x202a && r <= 0x202e:
		return bidiNames[r-0x202a]
	case r >= 0x2066 && r <= 0x2069:
		return isolateNames[r-0x2066]
	case r == utf8.RuneError:
		return "invalid UTF-8"
	}
	return ""
}

var (
	c0Names = [...]string{"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR", "SO", "SI",
		"DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US"}
	c1Names = [...]string{"PAD", "HOP", "BPH", "NBH", "IND", "NEL", "SSA", "ESA", "HTS", "HTJ", "VTS", "PLD", "PLU", "RI", "SS2", "SS3",
		"DCS", "PU1", "PU2", "STS", "CCH", "MW", "SPA", "EPA", "SOS", "SGCI", "SCI", "CSI", "ST", "OSC", "PM", "APC"}
	bidiNames    = [...]string{"LRE", "RLE", "PDF", "LRO", "RLO"}
	isolateNames = [...]string{"LRI", "RLI", "FSI", "PDI"}
)

// Describe names a character for a message: "U+001B (ESC)", "U+202E (RLO)".
func Describe(r rune) string {
	if r == utf8.RuneError {
		return "a byte that is not UTF-8"
	}
	if name := Name(r); name != "" {
		return fmt.Sprintf("U+%04X (%s)", r, name)
	}
	return fmt.Sprintf("U+%04X", r)
}

// JSON rewrites encoded JSON so that it holds no character IsControl
// reports: encoding/json escapes the C0 controls but writes DEL, the C1
// controls and the bidi controls raw. Outside strings JSON is ASCII, so
// each becomes a \u escape inside its string, and the document decodes to
// the same data.
func JSON(data []byte) []byte {
	if !hasRawControl(data) {
		return data
	}
	out := make([]byte, 0, len(data)+16)
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r >= 0x7f && IsControl(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, data[i:i+n]...)
		}
		i += n
	}
	return out
}

func hasRawControl(data []byte) bool {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r >= 0x7f && IsControl(r) {
			return true
		}
		i += n
	}
	return false
}

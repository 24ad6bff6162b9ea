package stricttoml

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The helpers below write TOML values by hand, so encoders control order,
// comments and layout; whatever they write, the parser reads back unchanged.
// Invalid UTF-8 cannot be written in TOML and becomes U+FFFD.

// String writes s as a TOML string: 'literal' when that spares escaping a
// backslash (regexps, globs), "basic" otherwise.
func String(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.Contains(s, `\`) && !strings.Contains(s, "'") && !hasControl(s, false) {
		return "'" + s + "'"
	}
	return basic(s, false)
}

// Text writes s as a TOML string, multi-line (""") when it has line breaks.
func Text(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if !strings.Contains(s, "\n") {
		return String(s)
	}
	// The newline right after the opening quotes is not part of the value.
	return `"""` + "\n" + escape(s, true) + `"""`
}

// Key writes a key bare when it can be, quoted otherwise.
func Key(k string) string {
	if k == "" {
		return `""`
	}
	for i := 0; i < len(k); i++ {
		if !isBare(k[i]) {
			return basic(strings.ToValidUTF8(k, "\uFFFD"), false)
		}
	}
	return k
}

// Strings writes an inline array of strings.
func Strings(ss []string) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = String(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// Datetime writes t as an RFC 3339 offset datetime in UTC.
func Datetime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

func basic(s string, multiline bool) string { return `"` + escape(s, multiline) + `"` }

func escape(s string, multiline bool) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '"' && multiline && i+1 < len(s) && s[i+1] != '"':
			// A lone quote inside """ needs no escape; one next to another
			// quote, or last before the closing quotes, does.
			b.WriteRune(r)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n' && multiline, r == '\t':
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// hasControl reports characters a literal string cannot hold.
func hasControl(s string, multiline bool) bool {
	for _, r := range s {
		if r == utf8.RuneError || (r < 0x20 && r != '\t' && !(multiline && r == '\n')) || r == 0x7f {
			return true
		}
	}
	return false
}

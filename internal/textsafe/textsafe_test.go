package textsafe

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Importer drops rows", "Importer drops rows"},
		{"empty", "", ""},
		{"unicode", "Größe ändern, 輸入 ✓ \uFFFD", "Größe ändern, 輸入 ✓ \uFFFD"},
		{"backslash kept", `C:\data\x1b`, `C:\data\x1b`},
		{"ESC and BEL", "fix\x1b[2J\x07 now", `fix\x1b[2J\x07 now`},
		{"OSC title", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"newline, tab, CR", "a\nb\tc\rd\r\n", `a\nb\tc\rd\r\n`},
		{"NUL and DEL", "a\x00b\x7f", `a\x00b\x7f`},
		{"C1 CSI and NEL", "a\u009b2Jb\u0085", `a\u009b2Jb\u0085`},
		{"bidi override", "access\u202e\u2066 // admin\u2069\u202c", `access\u202e\u2066 // admin\u2069\u202c`},
		{"invalid UTF-8", "a\xffb\xc3", `a\xffb\xc3`},
		{"LRM and ZWSP are not controls", "a\u200eb\u200bc", "a\u200eb\u200bc"},
		{"workflow command", "::warning::pwned", `\x3a:warning::pwned`},
		{"workflow command after spaces", "  \u00a0::error::x", "  \u00a0\\x3a:error::x"},
		{"workflow command after a format character", "\u200b::error::x", "\u200b\\x3a:error::x"},
		{"command hidden behind a newline", "title\n::warning::pwned", `title\n::warning::pwned`},
		{"colons inside", "a::b", "a::b"},
		{"old command syntax anywhere", "see ##[error]boom and ##[warning]x", `see ##\x5berror]boom and ##\x5bwarning]x`},
		{"one colon", ":warning", ":warning"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Line(tt.in); got != tt.want {
				t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Rows with a BOM\nare kept.\n", "Rows with a BOM\nare kept.\n"},
		{"tabs and CRLF kept", "a\tb\r\nc", "a\tb\r\nc"},
		{"lone CR", "shown\roverwritten", `shown\roverwritten`},
		{"CR at the end", "a\r", `a\r`},
		{"ESC", "a\x1b[31mred\n", "a\\x1b[31mred\n"},
		{"workflow command line", "Fixed.\n::warning::pwned\n", "Fixed.\n\\x3a:warning::pwned\n"},
		{"indented command line", "Fixed.\n\t ::add-mask::x", "Fixed.\n\t \\x3a:add-mask::x"},
		{"command after CRLF", "Fixed.\r\n::error::x", "Fixed.\r\n\\x3a:error::x"},
		{"first line", "::stop-commands::tok\nrest", "\\x3a:stop-commands::tok\nrest"},
		{"old syntax", "a\nx ##[set-output name=a]b", "a\nx ##\\x5bset-output name=a]b"},
		{"bidi", "a\u202eb\nc", "a\\u202eb\nc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFindControl(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in        string
		multiline bool
		at        int
		r         rune
		count     int
	}{
		{"plain", false, 0, 0, 0},
		{"Importer\x1b[2J\x07", false, 9, 0x1b, 2},
		{"größe\x07", false, 6, 0x07, 1},
		{"a\nb", false, 2, '\n', 1},
		{"a\nb", true, 0, 0, 0},
		{"a\tb", false, 2, '\t', 1},
		{"a\tb", true, 0, 0, 0},
		{"a\r\nb", true, 0, 0, 0},
		{"a\rb", true, 2, '\r', 1},
		{"a\r", true, 2, '\r', 1},
		{"a\r\n", false, 2, '\r', 2},
		{"x\u202ey", true, 2, 0x202e, 1},
		{"x\u2069", false, 2, 0x2069, 1},
		{"\u0085", true, 1, 0x85, 1},
		{"\x7f", true, 1, 0x7f, 1},
		{"é\xff", false, 2, utf8.RuneError, 1},
		{"\uFFFD", false, 0, 0, 0},
	}
	for _, tt := range tests {
		at, r, ok := FindControl(tt.in, tt.multiline)
		if at != tt.at || r != tt.r || ok != (tt.at > 0) {
			t.Errorf("FindControl(%q, %v) = %d, %U, %v; want %d, %U", tt.in, tt.multiline, at, r, ok, tt.at, tt.r)
		}
		if got := CountControl(tt.in, tt.multiline); got != tt.count {
			t.Errorf("CountControl(%q, %v) = %d, want %d", tt.in, tt.multiline, got, tt.count)
		}
	}
}

func TestFindCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		line int
	}{
		{"no command", 0},
		{"a::b", 0},
		{"::warning::x", 1},
		{" \t::warning::x", 1},
		{"one\ntwo\n  ::error file=a::x", 3},
		{"one\r\n::error::x", 2},
		{"mid ##[error]x", 1},
		{"## [not one]", 0},
	}
	for _, tt := range tests {
		line, ok := FindCommand(tt.in)
		if line != tt.line || ok != (tt.line > 0) {
			t.Errorf("FindCommand(%q) = %d, %v; want %d", tt.in, line, ok, tt.line)
		}
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		r    rune
		want string
	}{
		{0x1b, "U+001B (ESC)"},
		{0x07, "U+0007 (BEL)"},
		{0x00, "U+0000 (NUL)"},
		{0x1f, "U+001F (US)"},
		{0x7f, "U+007F (DEL)"},
		{0x80, "U+0080 (PAD)"},
		{0x9b, "U+009B (CSI)"},
		{0x9f, "U+009F (APC)"},
		{0x202a, "U+202A (LRE)"},
		{0x202e, "U+202E (RLO)"},
		{0x2066, "U+2066 (LRI)"},
		{0x2069, "U+2069 (PDI)"},
		{utf8.RuneError, "a byte that is not UTF-8"},
		{'a', "U+0061"},
	}
	for _, tt := range tests {
		if got := Describe(tt.r); got != tt.want {
			t.Errorf("Describe(%U) = %q, want %q", tt.r, got, tt.want)
		}
	}
}

// FuzzEscape checks what every caller relies on: no control character and
// no workflow command survives, text that needs nothing comes back as it
// was, and escaping twice changes nothing more.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "plain", "a\x1b[2J\x07", "t\n::warning::x", "\r\n::e::", "##[x]", "\u202e", "\xff\xfe", " \u00a0::x", "\u200b::x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, multiline := range []bool{false, true} {
			esc := Line
			if multiline {
				esc = Text
			}
			got := esc(s)
			if !utf8.ValidString(got) {
				t.Errorf("escape(%q, %v) = %q: not UTF-8", s, multiline, got)
			}
			if _, r, ok := FindControl(got, multiline); ok {
				t.Errorf("escape(%q, %v) = %q: still holds %U", s, multiline, got, r)
			}
			if line, ok := FindCommand(got); ok {
				t.Errorf("escape(%q, %v) = %q: line %d is a workflow command", s, multiline, got, line)
			}
			_, _, control := FindControl(s, multiline)
			_, command := FindCommand(s)
			if clean := !control && !command; clean != (got == s) {
				t.Errorf("escape(%q, %v) = %q; control %v, command %v", s, multiline, got, control, command)
			}
			if again := esc(got); again != got {
				t.Errorf("escape twice: %q, then %q", got, again)
			}
			if !multiline && strings.ContainsAny(got, "\n\r\t") {
				t.Errorf("Line(%q) = %q spans lines", s, got)
			}
		}
	})
}

func TestJSON(t *testing.T) {
	t.Parallel()
	in := map[string]any{"title": "a\x1b\x7f\u009b\u202e\u2069 b", "n": 1, "list": []string{"CRM-1\u202e", "ok ✓"}}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	got := JSON(data)
	want := `{"list":["CRM-1\u202e","ok ✓"],"n":1,"title":"a\u001b\u007f\u009b\u202e\u2069 b"}`
	if string(got) != want {
		t.Errorf("JSON = %s\nwant   %s", got, want)
	}
	var back map[string]any
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	if back["title"] != in["title"] {
		t.Errorf("the data changed: %q, want %q", back["title"], in["title"])
	}
	if plain := []byte(`{"a":"b ✓"}`); string(JSON(plain)) != string(plain) {
		t.Errorf("JSON changed clean data: %s", JSON(plain))
	}
}

package stricttoml

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

const doc = `# a comment with key = "value" in it
top = "a # not a comment"
dotted.inner = 1
"quoted key" = 'lit'
multi = """
fake = "not a key"
"""
arr = [
  1, # one
  [2, 3],
  { k = "v", n.m = true },
]
when = 1979-05-27 07:32:00Z
inline = { a = 1, b = { c = [1, 2] } }

[table]
x = 1
  [table.sub]
  y = 2

[[aot]]
name = "first"

[[aot]]
name = "second"
[aot.detail]
z = 3

[[aot.items]]
w = 4
`

func TestPositions(t *testing.T) {
	t.Parallel()
	var v map[string]any
	if _, err := toml.Decode(doc, &v); err != nil {
		t.Fatalf("test document is not TOML: %v", err)
	}
	ix := newIndex(doc)
	d := &Doc{raw: v, ix: ix}
	tests := []struct {
		path     []any
		key, val Pos
	}{
		{[]any{"top"}, Pos{2, 1}, Pos{2, 7}},
		{[]any{"dotted"}, Pos{3, 1}, Pos{3, 1}},
		{[]any{"dotted", "inner"}, Pos{3, 8}, Pos{3, 16}},
		{[]any{"quoted key"}, Pos{4, 1}, Pos{4, 16}},
		{[]any{"multi"}, Pos{5, 1}, Pos{5, 9}},
		{[]any{"arr"}, Pos{8, 1}, Pos{8, 7}},
		{[]any{"arr", 0}, Pos{8, 7}, Pos{9, 3}}, // an element has no key: the array's value
		{[]any{"arr", 1, 1}, Pos{10, 3}, Pos{10, 7}},
		{[]any{"arr", 2, "k"}, Pos{11, 5}, Pos{11, 9}},
		{[]any{"arr", 2, "n", "m"}, Pos{11, 16}, Pos{11, 20}},
		{[]any{"when"}, Pos{13, 1}, Pos{13, 8}},
		{[]any{"inline", "b", "c"}, Pos{14, 25}, Pos{14, 29}},
		{[]any{"inline", "b", "c", 1}, Pos{14, 29}, Pos{14, 33}},
		{[]any{"table"}, Pos{16, 2}, Pos{16, 2}},
		{[]any{"table", "x"}, Pos{17, 1}, Pos{17, 5}},
		{[]any{"table", "sub", "y"}, Pos{19, 3}, Pos{19, 7}},
		{[]any{"aot"}, Pos{21, 3}, Pos{21, 3}},
		{[]any{"aot", 0, "name"}, Pos{22, 1}, Pos{22, 8}},
		{[]any{"aot", 1}, Pos{24, 3}, Pos{24, 3}},
		{[]any{"aot", 1, "name"}, Pos{25, 1}, Pos{25, 8}},
		{[]any{"aot", 1, "detail", "z"}, Pos{27, 1}, Pos{27, 5}},
		{[]any{"aot", 1, "items", 0, "w"}, Pos{30, 1}, Pos{30, 5}},
		{[]any{"fake"}, Pos{1, 1}, Pos{1, 1}}, // inside a string: not a key
	}
	for _, tt := range tests {
		name := FormatPath(tt.path...)
		if got := d.KeyPos(tt.path...); got != tt.key {
			t.Errorf("KeyPos(%s) = %v, want %v", name, got, tt.key)
		}
		if got := d.ValuePos(tt.path...); got != tt.val {
			t.Errorf("ValuePos(%s) = %v, want %v", name, got, tt.val)
		}
	}
}

type inner struct {
	Name  string    `toml:"name"`
	At    time.Time `toml:"at"`
	Count int8      `toml:"count"`
}

type outer struct {
	Title  string              `toml:"title"`
	Flag   bool                `toml:"flag"`
	Tags   []string            `toml:"tags"`
	Map    map[string][]string `toml:"map"`
	Items  []inner             `toml:"item"`
	Nested inner               `toml:"nested"`
	Ratio  float64             `toml:"ratio"`
	//lint:ignore U1000 never read or written: the case "unexported not a key" checks the decoder skips it
	hidden string
}

func TestDecodeFindings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"valid", "title = \"x\"\nflag = true\ntags = [\"a\"]\nratio = 2\n[map]\nm = [\"p/**\"]\n[[item]]\nname = \"n\"\nat = 2026-01-01T00:00:00Z\n", nil},
		{"syntax", "title = \"x\nflag = true\n", []string{`1:11 syntax: strings cannot contain newlines`}},
		{"unknown top", "titel = \"x\"\n", []string{`1:1 unknown titel: unknown key "titel" (did you mean "title"?)`}},
		{"unknown nested", "[nested]\nnme = 1\n", []string{`2:1 unknown nested.nme: unknown key "nme" in [nested] (did you mean "name"?)`}},
		{"unknown in aot", "[[item]]\nx = 1\n", []string{`2:1 unknown item[0].x: unknown key "x" in [[item]] (known keys: name, at, count)`}},
		{"unexported not a key", "hidden = \"x\"\n", []string{`1:1 unknown hidden: unknown key "hidden" (known keys: title, flag, tags, map, item, nested, ratio)`}},
		{"wrong types", "title = 1\nflag = \"yes\"\ntags = \"a\"\n", []string{
			`1:9 type title: title must be a string, got integer`,
			`2:8 type flag: flag must be a boolean (true or false), got string`,
			`3:8 type tags: tags must be an array of strings, got string`,
		}},
		{"element type", "tags = [\"a\", 2, \"c\"]\n", []string{`1:14 type tags[1]: tags[1] must be a string, got integer`}},
		{"map value type", "[map]\nm = \"x\"\n", []string{`2:5 type map.m: map.m must be an array of strings, got string`}},
		{"table for array of tables", "[item]\nname = \"n\"\n", []string{`1:2 type item: item must be an array of tables, got table (write [[item]] (an array of tables), not [item])`}},
		{"time as string", "[nested]\nat = \"2026-01-01T00:00:00Z\"\n", []string{`2:6 type nested.at: nested.at must be a datetime, got string (remove the quotes)`}},
		{"int overflow", "[nested]\ncount = 300\n", []string{`2:9 type nested.count: nested.count is out of range: 300`}},
		{"everything at once", "title = 1\nbogus = 2\n[nested]\nname = false\n", []string{
			`1:9 type title: title must be a string, got integer`,
			`2:1 unknown bogus: unknown key "bogus" (known keys: title, flag, tags, map, item, nested, ratio)`,
			`4:8 type nested.name: nested.name must be a string, got boolean`,
		}},
	}
	kinds := map[Kind]string{Syntax: "syntax", UnknownKey: "unknown", WrongType: "type"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var v outer
			_, fs := Decode([]byte(tt.src), &v, Options{})
			var got []string
			for _, f := range fs {
				s := fmt.Sprintf("%d:%d %s", f.Pos.Line, f.Pos.Col, kinds[f.Kind])
				if f.Path != "" {
					s += " " + f.Path
				}
				s += ": " + f.Message
				if f.Hint != "" {
					s += " (" + f.Hint + ")"
				}
				got = append(got, s)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("findings:\ngot  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestDecodeValues(t *testing.T) {
	t.Parallel()
	src := "title = \"t\"\nflag = true\ntags = []\nratio = 1.5\n[map]\nempty = []\nm = [\"a\", \"b\"]\n[[item]]\nname = \"one\"\ncount = -3\n"
	var got outer
	if _, fs := Decode([]byte(src), &got, Options{}); len(fs) > 0 {
		t.Fatalf("findings: %v", fs)
	}
	want := outer{Title: "t", Flag: true, Ratio: 1.5,
		Map:   map[string][]string{"empty": nil, "m": {"a", "b"}},
		Items: []inner{{Name: "one", Count: -3}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestEncodeHelpersRoundTrip(t *testing.T) {
	t.Parallel()
	values := []string{"", "plain", `back\slash`, `it's \d`, "quote \" here", "tab\tand\nnewline", "\r\x00\x7f\x1b", "trailing\n", "\"\"\"triple\"\"\"", "ünïcödé ✓", "invalid \xff byte", `a\`, `"`, `""`, `x"`, "\"\n\"", "a\"\"b\n", "\n\"\"\"\n\"", "'''\n"}
	for _, v := range values {
		for name, enc := range map[string]func(string) string{"String": String, "Text": Text} {
			src := "k = " + enc(v) + "\n"
			var got struct {
				K string `toml:"k"`
			}
			if _, err := toml.Decode(src, &got); err != nil {
				t.Errorf("%s(%q) = %s: %v", name, v, src, err)
				continue
			}
			want := strings.ToValidUTF8(v, "\uFFFD")
			if got.K != want {
				t.Errorf("%s(%q) reads back as %q", name, v, got.K)
			}
		}
		src := Key(v) + " = 1\n"
		var m map[string]any
		if _, err := toml.Decode(src, &m); err != nil {
			t.Errorf("Key(%q) = %s: %v", v, src, err)
		} else if _, ok := m[strings.ToValidUTF8(v, "\uFFFD")]; !ok {
			t.Errorf("Key(%q) reads back as %v", v, m)
		}
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	choices := []string{"critical", "important", "moderate", "low"}
	tests := []struct{ got, want string }{
		{"critcal", "critical"},
		{"Critical", "critical"},
		{"imprtant", "important"},
		{"modreate", "moderate"}, // swapped neighbours
		{"lo", "low"},
		{"severe", "critical"}, // synonym
		{"banana", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Suggest(tt.got, choices, map[string]string{"severe": "critical"}); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.got, got, tt.want)
		}
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src, want string
	}{
		{"dotted key", strings.Repeat("a.", 20) + "b = 1\n", "1:33 a key of more than 16 dotted parts"},
		{"header", "x = 1\n[" + strings.Repeat("a.", 20) + "b]\n", "2:34 a key of more than 16 dotted parts"},
		{"nesting", "x = " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\n", "1:37 values nested more than 32 levels deep"},
		{"inline nesting", "x = " + strings.Repeat("{a=", 40) + "1" + strings.Repeat("}", 40) + "\n", "1:101 values nested more than 32 levels deep"},
		{"array tables", strings.Repeat("[[a]]\n", 1001), "1001:1 more than 1000 [[array]] tables"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var v map[string]any
			doc, fs := Decode([]byte(tt.src), &v, Options{})
			if doc != nil || len(fs) != 1 || fs[0].Kind != Syntax {
				t.Fatalf("Decode = %v, %+v; want one syntax finding", doc, fs)
			}
			if got := fmt.Sprintf("%d:%d %s", fs[0].Pos.Line, fs[0].Pos.Col, fs[0].Message); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

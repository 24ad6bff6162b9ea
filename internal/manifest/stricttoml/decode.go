// Package stricttoml decodes TOML into Go structs strictly: every unknown key
// and every value of the wrong type is reported, all of them, with the line
// and column in the source. It sits on BurntSushi/toml for parsing and adds
// what that package keeps private: the position of each key and value.
//
// It serves the manifest and config packages, which turn its findings into
// their own coded problems.
package stricttoml

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/patchline/patchline/internal/lazyre"
)

// Kind says what a Finding is about.
type Kind int

const (
	Syntax     Kind = iota // the bytes are not TOML
	UnknownKey             // a key the destination has no field for
	WrongType              // a value of the wrong TOML type
)

// A Finding is one thing wrong with a document.
type Finding struct {
	Kind    Kind
	Pos     Pos
	Path    string // the key it is about, as FormatPath writes it; empty for syntax errors
	Message string
	Hint    string
}

// Doc is a parsed document: which keys it has and where they are.
type Doc struct {
	raw map[string]any
	ix  *index
}

// Options tune Decode.
type Options struct {
	// Examples holds, per key path without array indices ("title",
	// "approval.at", "modules.*" for any key of a table), a line that shows
	// the key written correctly; it becomes the hint of a wrong-type finding.
	Examples map[string]string
}

// Decode parses data and fills v, a pointer to a struct, from it. Fields are
// matched by their `toml` tag; a field without one is not decoded. Keys
// without a field and values of the wrong type are findings, not errors:
// every such field is left at its zero value and decoding goes on, so one
// call reports everything. Empty arrays and tables decode as nil.
//
// The Doc is nil only when data is not TOML or is shaped past this package's
// limits (see maxKeyParts); the one finding then says where.
func Decode(data []byte, v any, opt Options) (doc *Doc, findings []Finding) {
	defer func() {
		// BurntSushi recovers its own panics; this guards the rest.
		if r := recover(); r != nil {
			doc = nil
			findings = []Finding{{Kind: Syntax, Pos: Pos{1, 1},
				Message: fmt.Sprintf("internal error decoding the file: %v", r),
				Hint:    "please report this with the file attached"}}
		}
	}()
	src := string(data)
	ix := newIndex(src)
	if ix.limitAt >= 0 {
		return nil, []Finding{{Kind: Syntax, Pos: ix.pos(ix.limitAt), Message: ix.limitMsg,
			Hint: "patchline's files need no such structure; is this the right file?"}}
	}
	raw := map[string]any{}
	if _, err := toml.Decode(src, &raw); err != nil {
		return nil, []Finding{syntaxFinding(src, err)}
	}
	doc = &Doc{raw: raw, ix: ix}
	d := &decoder{doc: doc, opt: opt}
	d.value(nil, raw, reflect.ValueOf(v).Elem())
	sortFindings(d.findings)
	return doc, d.findings
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].Pos.Line != fs[j].Pos.Line {
			return fs[i].Pos.Line < fs[j].Pos.Line
		}
		return fs[i].Pos.Col < fs[j].Pos.Col
	})
}

func syntaxFinding(src string, err error) Finding {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		return Finding{Kind: Syntax, Pos: Pos{1, 1}, Message: err.Error()}
	}
	pos := Pos{Line: max(pe.Position.Line, 1), Col: max(pe.Position.Col, 1)}
	// Recompute the column from the byte offset where BurntSushi knows it:
	// its own column can be off by one at the start of a line.
	if s := pe.Position.Start; s > 0 && s <= len(src) {
		ls := strings.LastIndexByte(src[:s], '\n') + 1
		if strings.Count(src[:ls], "\n")+1 == pos.Line {
			pos.Col = s - ls + 1
		}
	}
	// A bad escape is reported at its string; point at the backslash.
	if m := escapeRE.FindStringSubmatch(pe.Message); m != nil && pe.Position.Start >= 0 {
		for i := pe.Position.Start; i+1 < len(src) && src[i] != '\n'; i++ {
			if src[i] == '\\' {
				if strings.HasPrefix(src[i+1:], m[1]) {
					pos.Col += i - pe.Position.Start
					break
				}
				i++
			}
		}
	}
	return Finding{Kind: Syntax, Pos: pos, Message: pe.Message, Hint: syntaxHint(pe.Message)}
}

var escapeRE = lazyre.New(`'\\(.)'`)

// syntaxHint turns BurntSushi's most common messages into what to do.
func syntaxHint(msg string) string {
	switch {
	case strings.Contains(msg, "invalid escape in string"), strings.Contains(msg, `after '\`):
		return `a backslash starts an escape in "double quotes"; write regexps and Windows paths in 'single quotes', or double the backslash`
	case strings.Contains(msg, "expected value but found"):
		return `strings need quotes: key = "value"`
	case strings.Contains(msg, "has already been defined"):
		return "each key may appear once per table; remove the repeated one"
	case strings.Contains(msg, "expected a top-level item to end"),
		strings.Contains(msg, "expected a newline") && strings.Contains(msg, "key"):
		return "put each key = value on its own line"
	case strings.Contains(msg, "unexpected EOF"), strings.Contains(msg, "unclosed"),
		strings.Contains(msg, "unterminated"):
		return "close the string, array or table that starts earlier"
	case strings.Contains(msg, "invalid datetime"):
		return "write datetimes as RFC 3339, e.g. 2026-03-02T09:15:00Z"
	case strings.Contains(msg, "NULL bytes"), strings.Contains(msg, "UTF-8"):
		return "save the file as UTF-8 text"
	}
	return ""
}

// Has reports whether the document sets the key at path (strings for keys,
// ints for array elements).
func (d *Doc) Has(path ...any) bool {
	var cur any = d.raw
	for _, p := range path {
		switch p := p.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				return false
			}
			if cur, ok = m[p]; !ok {
				return false
			}
		case int:
			l := list(cur)
			if p < 0 || p >= len(l) {
				return false
			}
			cur = l[p]
		default:
			return false
		}
	}
	return true
}

// KeyPos is where the key at path is written: the key itself, or a table's
// [header]. A path with no recorded position falls back to its parent's, and
// the empty path is line 1, column 1.
func (d *Doc) KeyPos(path ...any) Pos { return d.lookup(false, segs(path)) }

// ValuePos is where the value at path starts, falling back to KeyPos.
func (d *Doc) ValuePos(path ...any) Pos { return d.lookup(true, segs(path)) }

func (d *Doc) lookup(value bool, s []string) Pos {
	for ; len(s) > 0; s = s[:len(s)-1] {
		k := pathKey(s)
		if value {
			if off, ok := d.ix.vals[k]; ok {
				return d.ix.pos(off)
			}
		}
		if off, ok := d.ix.keys[k]; ok {
			return d.ix.pos(off)
		}
		value = true // a parent array's element positions still beat its key
	}
	return Pos{1, 1}
}

func segs(path []any) []string {
	out := make([]string, 0, len(path))
	for _, p := range path {
		switch p := p.(type) {
		case string:
			out = append(out, p)
		case int:
			out = append(out, indexSeg(p))
		}
	}
	return out
}

// FormatPath writes a path the way a user reads it: release.tags,
// approval[0].at, modules."my module"[1].
func FormatPath(path ...any) string {
	var b strings.Builder
	for _, p := range path {
		switch p := p.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(Key(p))
		case int:
			b.WriteString("[" + strconv.Itoa(p) + "]")
		}
	}
	return b.String()
}

// IsLocal reports whether t was written without a UTC offset: a local
// datetime, date or time.
func IsLocal(t time.Time) bool {
	switch t.Location().String() {
	case "datetime-local", "date-local", "time-local":
		return true
	}
	return false
}

// TypeName names the TOML type of a decoded raw value.
func TypeName(v any) string {
	switch v := v.(type) {
	case string:
		return "string"
	case int64:
		return "integer"
	case float64:
		return "float"
	case bool:
		return "boolean"
	case time.Time:
		switch v.Location().String() {
		case "datetime-local":
			return "local datetime"
		case "date-local":
			return "local date"
		case "time-local":
			return "local time"
		}
		return "datetime"
	case []map[string]any:
		return "array of tables"
	case []any:
		return "array"
	case map[string]any:
		return "table"
	}
	return fmt.Sprintf("%T", v)
}

func list(v any) []any {
	switch v := v.(type) {
	case []any:
		return v
	case []map[string]any:
		out := make([]any, len(v))
		for i := range v {
			out[i] = v[i]
		}
		return out
	}
	return nil
}

type decoder struct {
	doc      *Doc
	opt      Options
	findings []Finding
}

var timeType = reflect.TypeFor[time.Time]()

func (d *decoder) value(path []any, raw any, rv reflect.Value) {
	t := rv.Type()
	if t == timeType {
		if tm, ok := raw.(time.Time); ok {
			rv.Set(reflect.ValueOf(tm))
		} else {
			d.wrongType(path, raw, t)
		}
		return
	}
	switch t.Kind() {
	case reflect.String:
		if s, ok := raw.(string); ok {
			rv.SetString(s)
			return
		}
	case reflect.Bool:
		if b, ok := raw.(bool); ok {
			rv.SetBool(b)
			return
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if i, ok := raw.(int64); ok {
			if rv.OverflowInt(i) {
				d.add(Finding{Kind: WrongType, Pos: d.doc.ValuePos(path...), Path: FormatPath(path...),
					Message: fmt.Sprintf("%s is out of range: %d", FormatPath(path...), i)})
				return
			}
			rv.SetInt(i)
			return
		}
	case reflect.Float32, reflect.Float64:
		switch f := raw.(type) {
		case float64:
			rv.SetFloat(f)
			return
		case int64:
			rv.SetFloat(float64(f))
			return
		}
	case reflect.Slice:
		if _, ok := raw.([]any); !ok {
			if _, ok := raw.([]map[string]any); !ok {
				break
			}
		}
		l := list(raw)
		if len(l) == 0 {
			return
		}
		s := reflect.MakeSlice(t, len(l), len(l))
		for i, e := range l {
			d.value(append(path[:len(path):len(path)], i), e, s.Index(i))
		}
		rv.Set(s)
		return
	case reflect.Map:
		m, ok := raw.(map[string]any)
		if !ok || t.Key().Kind() != reflect.String {
			break
		}
		if len(m) == 0 {
			return
		}
		out := reflect.MakeMapWithSize(t, len(m))
		for _, k := range sortedKeys(m) {
			e := reflect.New(t.Elem()).Elem()
			d.value(append(path[:len(path):len(path)], k), m[k], e)
			out.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), e)
		}
		rv.Set(out)
		return
	case reflect.Struct:
		m, ok := raw.(map[string]any)
		if !ok {
			break
		}
		d.structure(path, m, rv)
		return
	}
	d.wrongType(path, raw, t)
}

func (d *decoder) structure(path []any, m map[string]any, rv reflect.Value) {
	t := rv.Type()
	fields := map[string]int{}
	var known []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		fields[name] = i
		known = append(known, name)
	}
	for _, k := range sortedKeys(m) {
		p := append(path[:len(path):len(path)], k)
		i, ok := fields[k]
		if !ok {
			d.unknown(path, p, k, known)
			continue
		}
		d.value(p, m[k], rv.Field(i))
	}
}

func (d *decoder) unknown(parent, path []any, key string, known []string) {
	msg := fmt.Sprintf("unknown key %s", strconv.Quote(key))
	if len(parent) > 0 {
		where := "[" + FormatPath(parent...) + "]"
		if _, ok := parent[len(parent)-1].(int); ok {
			where = "[[" + FormatPath(parent[:len(parent)-1]...) + "]]"
		}
		msg += " in " + where
	}
	hint := "known keys: " + strings.Join(known, ", ")
	if s := Suggest(key, known, nil); s != "" {
		hint = fmt.Sprintf("did you mean %q?", s)
	}
	if len(known) == 0 {
		hint = "remove it"
	}
	d.add(Finding{Kind: UnknownKey, Pos: d.doc.KeyPos(path...), Path: FormatPath(path...), Message: msg, Hint: hint})
}

func (d *decoder) wrongType(path []any, raw any, want reflect.Type) {
	name := FormatPath(path...)
	got := TypeName(raw)
	msg := fmt.Sprintf("%s must be %s, got %s", name, expected(want), got)
	hint := d.example(path)
	switch {
	case want == timeType && got == "string":
		hint = "remove the quotes"
		if ex := d.example(path); ex != "" {
			hint += ": " + strings.TrimPrefix(ex, "write it as ")
		}
	case want.Kind() == reflect.Slice && want.Elem().Kind() == reflect.Struct && got == "table":
		hint = fmt.Sprintf("write [[%s]] (an array of tables), not [%s]", name, name)
	}
	d.add(Finding{Kind: WrongType, Pos: d.doc.ValuePos(path...), Path: name, Message: msg, Hint: hint})
}

func (d *decoder) example(path []any) string {
	var keys []string
	for _, p := range path {
		if s, ok := p.(string); ok {
			keys = append(keys, s)
		}
	}
	if ex, ok := d.opt.Examples[strings.Join(keys, ".")]; ok {
		return "write it as " + ex
	}
	if len(keys) > 0 {
		last := keys[len(keys)-1]
		keys[len(keys)-1] = "*"
		if ex, ok := d.opt.Examples[strings.Join(keys, ".")]; ok {
			// Show the example with the key the user wrote.
			if _, v, ok := strings.Cut(ex, " = "); ok {
				ex = Key(last) + " = " + v
			}
			return "write it as " + ex
		}
	}
	return ""
}

func (d *decoder) add(f Finding) { d.findings = append(d.findings, f) }

// expected names a Go type as the TOML a user should write.
func expected(t reflect.Type) string {
	if t == timeType {
		return "a datetime"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean (true or false)"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "an array of " + plural(t.Elem())
	case reflect.Map:
		return "a table of " + plural(t.Elem())
	case reflect.Struct:
		return "a table"
	}
	return t.String()
}

func plural(t reflect.Type) string {
	if t == timeType {
		return "datetimes"
	}
	switch t.Kind() {
	case reflect.String:
		return "strings"
	case reflect.Bool:
		return "booleans"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "integers"
	case reflect.Float32, reflect.Float64:
		return "numbers"
	case reflect.Slice:
		return "arrays of " + plural(t.Elem())
	case reflect.Struct, reflect.Map:
		return "tables"
	}
	return t.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

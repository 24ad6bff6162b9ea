package forgetest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// description is GitHub's OpenAPI description trimmed to the operations
// patchline calls; testdata/regen.sh rewrites it from @octokit/openapi.
//
//go:embed testdata/api.github.com.trimmed.json
var description []byte

// Spec checks requests and responses against the OpenAPI description, with
// the subset of JSON Schema GitHub's description uses: $ref, type, nullable,
// enum, required, properties, additionalProperties, items, oneOf/anyOf/allOf
// (a discriminator picks the oneOf branch), minItems, minLength, maxLength,
// and the date-time format.
type Spec struct {
	doc     map[string]any
	ops     []*Operation
	Version string // the @octokit/openapi version the description comes from
}

// Operation is one method on one path template of the description.
type Operation struct {
	Method   string
	Template string
	segs     []string
	multi    bool // the last path parameter may span several segments (x-multi-segment)
	params   []map[string]any
	body     any
	resps    map[string]any
}

func (o *Operation) String() string { return o.Method + " " + o.Template }

// Paginated says whether the operation lists in pages: it takes a page
// query parameter.
func (o *Operation) Paginated() bool {
	for _, p := range o.params {
		if p["in"] == "query" && p["name"] == "page" {
			return true
		}
	}
	return false
}

// LoadSpec reads the embedded description.
func LoadSpec() (*Spec, error) {
	d := json.NewDecoder(bytes.NewReader(description))
	d.UseNumber()
	var doc map[string]any
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("read OpenAPI description: %w", err)
	}
	s := &Spec{doc: doc}
	if info, ok := doc["info"].(map[string]any); ok {
		s.Version, _ = info["x-octokit-openapi-version"].(string)
	}
	paths, _ := doc["paths"].(map[string]any)
	for tmpl, item := range paths {
		item := item.(map[string]any)
		shared, _ := item["parameters"].([]any)
		for method, op := range item {
			if method == "parameters" {
				continue
			}
			op := op.(map[string]any)
			o := &Operation{Method: strings.ToUpper(method), Template: tmpl, segs: strings.Split(strings.TrimPrefix(tmpl, "/"), "/")}
			params, _ := op["parameters"].([]any)
			for _, p := range append(append([]any{}, shared...), params...) {
				pm := s.deref(p).(map[string]any)
				o.params = append(o.params, pm)
				if pm["in"] == "path" && pm["x-multi-segment"] == true && o.segs[len(o.segs)-1] == "{"+pm["name"].(string)+"}" {
					o.multi = true
				}
			}
			if rb, ok := op["requestBody"]; ok {
				o.body = jsonSchema(s.deref(rb))
			}
			o.resps, _ = op["responses"].(map[string]any)
			s.ops = append(s.ops, o)
		}
	}
	// Literal segments win over parameters, as a router would pick them.
	sort.Slice(s.ops, func(i, j int) bool {
		li, lj := literalCount(s.ops[i].segs), literalCount(s.ops[j].segs)
		if li != lj {
			return li > lj
		}
		return s.ops[i].String() < s.ops[j].String()
	})
	return s, nil
}

func literalCount(segs []string) int {
	n := 0
	for _, s := range segs {
		if !strings.HasPrefix(s, "{") {
			n++
		}
	}
	return n
}

func jsonSchema(v any) any {
	m, _ := v.(map[string]any)
	content, _ := m["content"].(map[string]any)
	for _, mt := range []string{"application/json", "application/vnd.github.object"} {
		if c, ok := content[mt].(map[string]any); ok {
			return c["schema"]
		}
	}
	return nil
}

// deref follows $ref until it reaches a value.
func (s *Spec) deref(v any) any {
	for range 32 {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return v
		}
		var cur any = s.doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cur = cur.(map[string]any)[part]
		}
		v = cur
	}
	panic("forgetest: $ref loop")
}

// Match finds the operation for a method and an unescaped path.
func (s *Spec) Match(method, path string) (*Operation, map[string]string, bool) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for _, o := range s.ops {
		if o.Method != method {
			continue
		}
		if p, ok := o.match(segs); ok {
			return o, p, true
		}
	}
	return nil, nil, false
}

func (o *Operation) match(segs []string) (map[string]string, bool) {
	if len(segs) < len(o.segs) || (len(segs) > len(o.segs) && !o.multi) {
		return nil, false
	}
	params := map[string]string{}
	for i, t := range o.segs {
		last := i == len(o.segs)-1
		seg := segs[i]
		if last && o.multi {
			seg = strings.Join(segs[i:], "/")
		}
		if name, ok := strings.CutPrefix(t, "{"); ok {
			if seg == "" {
				return nil, false
			}
			params[strings.TrimSuffix(name, "}")] = seg
			continue
		}
		if t != seg {
			return nil, false
		}
	}
	return params, true
}

// CheckRequest reports everything about a request the description does not
// allow: its path parameters, query parameters and JSON body.
func (s *Spec) CheckRequest(o *Operation, path map[string]string, query url.Values, body []byte) []string {
	var problems []string
	known := map[string]bool{}
	for _, p := range o.params {
		name, _ := p["name"].(string)
		in, _ := p["in"].(string)
		schema := p["schema"]
		switch in {
		case "path":
			if v, ok := path[name]; ok {
				problems = append(problems, s.checkParam(schema, v, "path parameter "+name)...)
			}
		case "query":
			known[name] = true
			vs, ok := query[name]
			if !ok {
				if p["required"] == true {
					problems = append(problems, "missing required query parameter "+name)
				}
				continue
			}
			for _, v := range vs {
				problems = append(problems, s.checkParam(schema, v, "query parameter "+name)...)
			}
		}
	}
	for name := range query {
		if !known[name] {
			problems = append(problems, fmt.Sprintf("query parameter %q is not in the description", name))
		}
	}
	switch {
	case o.body == nil && len(bytes.TrimSpace(body)) > 0:
		problems = append(problems, "a body, but the operation takes none")
	case o.body != nil:
		v, err := decode(body)
		if err != nil {
			return append(problems, "body: "+err.Error())
		}
		problems = append(problems, s.Validate(o.body, v, "body", true)...)
	}
	return problems
}

// CheckResponse reports what in a response the description does not allow.
func (s *Spec) CheckResponse(o *Operation, status int, body []byte) []string {
	r, ok := o.resps[strconv.Itoa(status)]
	if !ok {
		return []string{fmt.Sprintf("status %d is not a documented response", status)}
	}
	schema := jsonSchema(s.deref(r))
	if schema == nil {
		if len(bytes.TrimSpace(body)) == 0 {
			return nil
		}
		if status < 400 {
			return []string{fmt.Sprintf("status %d has no documented body, got %d bytes", status, len(body))}
		}
		// GitHub answers every error with {"message": …}, documented or not.
		v, err := decode(body)
		if err != nil {
			return []string{"error body: " + err.Error()}
		}
		if m, ok := v.(map[string]any); !ok || m["message"] == nil {
			return []string{fmt.Sprintf("status %d: an error body without a message", status)}
		}
		return nil
	}
	v, err := decode(body)
	if err != nil {
		return []string{"response body: " + err.Error()}
	}
	return s.Validate(schema, v, "response", false)
}

func (s *Spec) checkParam(schema any, raw string, where string) []string {
	sch, _ := s.deref(schema).(map[string]any)
	var v any = raw
	switch sch["type"] {
	case "integer":
		if _, err := strconv.ParseInt(raw, 10, 64); err != nil {
			return []string{fmt.Sprintf("%s: %q is not an integer", where, raw)}
		}
		v = json.Number(raw)
	case "boolean":
		if raw != "true" && raw != "false" {
			return []string{fmt.Sprintf("%s: %q is not a boolean", where, raw)}
		}
		v = raw == "true"
	}
	return s.Validate(schema, v, where, true)
}

func decode(body []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	return v, nil
}

// Validate checks a decoded JSON value (numbers as json.Number) against a
// schema. strict also refuses properties the schema does not name, which is
// how requests are checked: a field GitHub does not know is a bug.
func (s *Spec) Validate(schema, v any, where string, strict bool) []string {
	var out []string
	s.validate(schema, v, where, strict, &out)
	return out
}

func (s *Spec) validate(schema, v any, where string, strict bool, out *[]string) {
	sch, ok := s.deref(schema).(map[string]any)
	if !ok || len(sch) == 0 {
		return
	}
	bad := func(format string, args ...any) { *out = append(*out, where+": "+fmt.Sprintf(format, args...)) }
	if v == nil {
		if sch["nullable"] == true || len(sch) == 0 {
			return
		}
		if t, ok := sch["type"]; ok || sch["properties"] != nil {
			bad("null, want %v", t)
			return
		}
	}
	if all, ok := sch["allOf"].([]any); ok {
		for _, sub := range all {
			s.validate(sub, v, where, false, out)
		}
	}
	for _, key := range []string{"oneOf", "anyOf"} {
		alts, ok := sch[key].([]any)
		if !ok {
			continue
		}
		if alt := s.discriminate(sch, v); alt != nil {
			s.validate(alt, v, where, strict, out)
			continue
		}
		matched := false
		var first []string
		for i, alt := range alts {
			var sub []string
			s.validate(alt, v, where, strict, &sub)
			if len(sub) == 0 {
				matched = true
				break
			}
			if i == 0 {
				first = sub
			}
		}
		if !matched {
			bad("matches none of %d %s alternatives; the first says: %s", len(alts), key, strings.Join(first, "; "))
		}
	}
	if enum, ok := sch["enum"].([]any); ok && v != nil {
		found := false
		for _, e := range enum {
			if fmt.Sprint(e) == fmt.Sprint(v) {
				found = true
			}
		}
		if !found {
			bad("%v is not one of %v", v, enum)
		}
	}
	switch t, _ := sch["type"].(string); t {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			bad("%s, want object", kind(v))
			return
		}
		s.validateObject(sch, obj, where, strict, out)
	case "array":
		arr, ok := v.([]any)
		if !ok {
			bad("%s, want array", kind(v))
			return
		}
		if n, ok := sch["minItems"].(json.Number); ok {
			if min, _ := n.Int64(); int64(len(arr)) < min {
				bad("%d items, want at least %d", len(arr), min)
			}
		}
		for i, e := range arr {
			s.validate(sch["items"], e, fmt.Sprintf("%s[%d]", where, i), strict, out)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			bad("%s, want string", kind(v))
			return
		}
		if n, ok := sch["minLength"].(json.Number); ok {
			if min, _ := n.Int64(); int64(len(str)) < min {
				bad("%q is shorter than %d", str, min)
			}
		}
		if n, ok := sch["maxLength"].(json.Number); ok {
			if max, _ := n.Int64(); int64(len(str)) > max {
				bad("%q is longer than %d", str, max)
			}
		}
		if sch["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339, str); err != nil {
				bad("%q is not a date-time", str)
			}
		}
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			bad("%s, want integer", kind(v))
			return
		}
		if _, err := n.Int64(); err != nil {
			bad("%s is not an integer", n)
		}
	case "number":
		if _, ok := v.(json.Number); !ok {
			bad("%s, want number", kind(v))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("%s, want boolean", kind(v))
		}
	case "":
		if obj, ok := v.(map[string]any); ok && sch["properties"] != nil {
			s.validateObject(sch, obj, where, strict, out)
		}
	}
}

func (s *Spec) validateObject(sch map[string]any, obj map[string]any, where string, strict bool, out *[]string) {
	props, _ := sch["properties"].(map[string]any)
	req, _ := sch["required"].([]any)
	for _, r := range req {
		name := r.(string)
		if _, ok := obj[name]; !ok {
			*out = append(*out, fmt.Sprintf("%s: missing required property %q", where, name))
		}
	}
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if p, ok := props[k]; ok {
			s.validate(p, obj[k], where+"."+k, strict, out)
			continue
		}
		switch ap := sch["additionalProperties"].(type) {
		case bool:
			if !ap {
				*out = append(*out, fmt.Sprintf("%s: property %q is not allowed", where, k))
			}
		case map[string]any:
			s.validate(ap, obj[k], where+"."+k, strict, out)
		default:
			if strict && len(props) > 0 {
				*out = append(*out, fmt.Sprintf("%s: property %q is not in the description", where, k))
			}
		}
	}
}

// discriminate picks the oneOf branch a discriminator names, nil when there
// is none.
func (s *Spec) discriminate(sch map[string]any, v any) any {
	d, ok := sch["discriminator"].(map[string]any)
	if !ok {
		return nil
	}
	name, _ := d["propertyName"].(string)
	obj, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	value, _ := obj[name].(string)
	mapping, _ := d["mapping"].(map[string]any)
	if ref, ok := mapping[value].(string); ok {
		return map[string]any{"$ref": ref}
	}
	return nil
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("%T", v)
}

// Instance builds the smallest value a component schema allows: every
// required property, with empty strings, zeros, false, null where nullable,
// the first enum value and valid date-times, so that a canned response is
// complete before the fake fills in what it knows.
func (s *Spec) Instance(component string) map[string]any {
	v, _ := s.instance(map[string]any{"$ref": "#/components/schemas/" + component}, 0).(map[string]any)
	return v
}

func (s *Spec) instance(schema any, depth int) any {
	sch, _ := s.deref(schema).(map[string]any)
	if depth > 12 {
		return nil
	}
	if sch["nullable"] == true {
		return nil
	}
	if enum, ok := sch["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	for _, key := range []string{"oneOf", "anyOf", "allOf"} {
		if alts, ok := sch[key].([]any); ok && len(alts) > 0 {
			if key != "allOf" {
				return s.instance(alts[0], depth+1)
			}
			merged := map[string]any{}
			for _, a := range alts {
				if m, ok := s.instance(a, depth+1).(map[string]any); ok {
					for k, v := range m {
						merged[k] = v
					}
				}
			}
			return merged
		}
	}
	switch sch["type"] {
	case "object", nil:
		obj := map[string]any{}
		props, _ := sch["properties"].(map[string]any)
		req, _ := sch["required"].([]any)
		for _, r := range req {
			name := r.(string)
			obj[name] = s.instance(props[name], depth+1)
		}
		return obj
	case "array":
		return []any{}
	case "string":
		switch sch["format"] {
		case "date-time":
			return "2026-01-01T00:00:00Z"
		case "uri":
			return "https://github.example/"
		}
		if n, ok := sch["minLength"].(json.Number); ok {
			l, _ := n.Int64()
			return strings.Repeat("0", int(l))
		}
		return ""
	case "integer", "number":
		return json.Number("0")
	case "boolean":
		return false
	}
	return nil
}

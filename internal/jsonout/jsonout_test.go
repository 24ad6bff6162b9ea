package jsonout

import (
	"encoding/json"
	"testing"
	"time"
)

func TestLists(t *testing.T) {
	t.Parallel()
	type inner struct {
		Tags []string `json:"tags"`
	}
	type outer struct {
		Names   []string          `json:"names"`
		Skipped []string          `json:"skipped,omitempty"`
		Inner   *inner            `json:"inner"`
		Many    []inner           `json:"many"`
		ByKey   map[string]inner  `json:"by_key"`
		Any     any               `json:"any"`
		Raw     []byte            `json:"raw"`
		At      time.Time         `json:"at"`
		Nil     *inner            `json:"nil"`
		Msg     json.RawMessage   `json:"msg"`
		Labels  map[string]string `json:"labels"`
		hidden  []string
	}
	in := outer{Inner: &inner{}, Many: []inner{{}}, ByKey: map[string]inner{"a": {}}, Any: inner{}, hidden: nil}
	data, err := json.Marshal(Lists(in))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"names":[],"inner":{"tags":[]},"many":[{"tags":[]}],"by_key":{"a":{"tags":[]}},"any":{"tags":[]},"raw":null,"at":"0001-01-01T00:00:00Z","nil":null,"msg":null,"labels":null}`
	if got := string(data); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if in.Names != nil || in.Inner.Tags != nil {
		t.Error("Lists changed its argument")
	}
	if got, _ := json.Marshal(Lists([]string(nil))); string(got) != "[]" {
		t.Errorf("a nil slice: got %s, want []", got)
	}
	if Lists(nil) != nil {
		t.Error("Lists(nil) is not nil")
	}
}

// TestListsCopiesOnlyWhatChanges: a value with no nil slice comes back as
// it is, and in one with a nil slice the parts without one are shared.
func TestListsCopiesOnlyWhatChanges(t *testing.T) {
	t.Parallel()
	type leaf struct {
		Tags []string `json:"tags"`
	}
	type tree struct {
		Full  *leaf   `json:"full"`
		Empty *leaf   `json:"empty"`
		Many  []*leaf `json:"many"`
	}
	full := &leaf{Tags: []string{"a"}}
	whole := &tree{Full: full, Empty: &leaf{Tags: []string{}}, Many: []*leaf{full}}
	if got := Lists(whole); got != any(whole) {
		t.Errorf("a value without a nil slice was copied: %p, want %p", got, whole)
	}
	part := &tree{Full: full, Empty: &leaf{}, Many: []*leaf{full, {}}}
	got := Lists(part).(*tree)
	if got == part || got.Full != full || got.Many[0] != full {
		t.Errorf("copied %+v: want a new tree sharing the leaves without a nil slice", got)
	}
	if got.Empty.Tags == nil || got.Many[1].Tags == nil || part.Empty.Tags != nil || part.Many[1].Tags != nil {
		t.Errorf("nil slices: copy %+v, original %+v", got, part)
	}
	if data, _ := json.Marshal(Lists(map[string][]string{"a": nil, "b": {"x"}})); string(data) != `{"a":[],"b":["x"]}` {
		t.Errorf("map: %s", data)
	}
}

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

package manifest

import (
	"errors"
	"fmt"

	"github.com/patchline/patchline/internal/deps"
	"github.com/patchline/patchline/internal/manifest/stricttoml"
)

// MaxDependencies is the most dependency changes a manifest may list.
const MaxDependencies = 1000

// dependencies checks each entry against the grammar of internal/deps and
// reports one change listed twice, whatever the reasons say.
func (c *checker) dependencies(list []string) {
	if len(list) > MaxDependencies {
		c.bad(c.doc.ValuePos("dependencies"), fmt.Sprintf("dependencies lists %d changes; at most %d", len(list), MaxDependencies),
			"a patch to a release changes a few dependencies; a larger upgrade belongs in the next quarterly release")
		return
	}
	seen := map[deps.Change]int{}
	c.list("dependencies", list, func(i int, s string) {
		pos := c.doc.ValuePos("dependencies", i)
		e, err := deps.ParseEntry(s)
		var ee *deps.EntryError
		switch {
		case errors.As(err, &ee):
			c.bad(pos, "dependencies: "+ee.Message, ee.Hint)
			return
		case err != nil:
			c.bad(pos, "dependencies: "+err.Error(), "e.g. "+examples["dependencies"])
			return
		}
		if j, ok := seen[e.Change]; ok {
			c.bad(pos, fmt.Sprintf("dependencies lists %s twice (entries %d and %d)", e.Change, j, i),
				"keep one entry per change and give every reason in it")
			return
		}
		seen[e.Change] = i
	})
}

// ParsedDependencies parses the manifest's dependencies entries, leaving out
// those that do not parse (Decode reports them).
func (m *Manifest) ParsedDependencies() []deps.Entry {
	var out []deps.Entry
	for _, s := range m.Dependencies {
		if e, err := deps.ParseEntry(s); err == nil {
			out = append(out, e)
		}
	}
	return out
}

// ValuePos finds the line and column of a value in a manifest, such as
// entry 2 of dependencies (ValuePos(data, "dependencies", 2)), so that a
// finding about it points at it; 1:1 when it is not there.
func ValuePos(data []byte, path ...any) (line, col int) {
	if len(data) > MaxSize {
		return 1, 1
	}
	var m Manifest
	doc, _ := stricttoml.Decode(data, &m, stricttoml.Options{Examples: examples})
	if doc == nil || !doc.Has(path...) {
		return 1, 1
	}
	p := doc.ValuePos(path...)
	return p.Line, p.Col
}

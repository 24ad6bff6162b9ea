package notes

import (
	"github.com/patchline/patchline/internal/deps"
	"github.com/patchline/patchline/internal/textsafe"
)

// Dependency is one dependency change a patch ships, as its manifest's
// dependencies list says it (validate has matched it with patch.diff).
type Dependency struct {
	Change string `json:"change"` // as the manifest writes it: "golang.org/x/net v0.38.0", "example.com/old none"
	Reason string `json:"reason,omitempty"`
}

// dependencies reads a manifest's entries; one that does not parse (a
// manifest merged before validate checked them) is kept whole as the change.
func dependencies(list []string) []Dependency {
	var out []Dependency
	for _, s := range list {
		e, err := deps.ParseEntry(s)
		if err != nil {
			out = append(out, Dependency{Change: s})
			continue
		}
		out = append(out, Dependency{Change: e.Change.String(), Reason: e.Reason})
	}
	return out
}

// Describe says what the change does, for people: "golang.org/x/net
// v0.38.0", "example.com/old removed", "example.com/lib replaced by
// ../lib".
func (d Dependency) Describe() string {
	e, err := deps.ParseEntry(d.Change)
	if err != nil {
		return d.Change
	}
	c := e.Change
	replaced := c.Module
	if c.Version != "" {
		replaced += " " + c.Version
	}
	switch {
	case c.Replace && c.With == deps.None:
		return replaced + " no longer replaced"
	case c.Replace && c.WithVersion != "":
		return replaced + " replaced by " + c.With + " " + c.WithVersion
	case c.Replace:
		return replaced + " replaced by " + c.With
	case c.Version == deps.None:
		return c.Module + " removed"
	}
	return c.String()
}

func printableDependencies(ds []Dependency) []Dependency {
	if ds == nil {
		return nil
	}
	out := make([]Dependency, len(ds))
	for i, d := range ds {
		out[i] = Dependency{Change: textsafe.Line(d.Change), Reason: textsafe.Line(d.Reason)}
	}
	return out
}

package history

import (
	"strings"
	"testing"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/repotest"
)

// TestNextQuarterly: each line pairs with the first release of the next
// supported line; branches that name no line never come between, and a
// next line that starts at a patch-level tag is a reason, not a skip.
func TestNextQuarterly(t *testing.T) {
	t.Parallel()
	r := repotest.New(t)
	c := r.Commit("1.6", map[string]string{"v.txt": "1.6\n"})
	r.Tag("v1.6.0")
	r.Branch("release-1.6", c)
	r.Branch("release-1.5", c) // no tags: not a line
	r.Branch("release-notes", c)
	r.Commit("1.7", map[string]string{"v.txt": "1.7\n"})
	r.Tag("v1.7.0")
	r.Commit("1.8", map[string]string{"v.txt": "1.8\n"})
	r.Tag("v1.8.1") // v1.8.0 was never tagged
	r.Commit("2.0", map[string]string{"v.txt": "2.0\n"})
	r.Tag("v2.0.0")

	tests := []struct {
		name  string
		lines []string
		want  map[string]string // line -> next quarterly, or "!" + the start of the reason; "" not due
	}{
		{"every tagged line", nil, map[string]string{
			"v1.6": "v1.7.0",
			"v1.7": "!the next line v1.8 starts at v1.8.1, not at a quarterly release",
			"v1.8": "v2.0.0",
			"v2.0": "",
		}},
		{"[release] lines skips an unsupported one", []string{"v1.6", "v2.0", "v2.1"}, map[string]string{
			"v1.6": "v2.0.0",
			"v2.0": "", // v2.1 has no release yet
			"v2.1": "",
			"v1.7": "!v1.7 is not a supported release line",
		}},
	}
	for _, tt := range tests {
		cfg := config.Default("x", "")
		cfg.Release.MaintenanceBranch, cfg.Release.Lines = "release-{major}.{minor}", tt.lines
		h, err := New(&registry.Registry{Repo: r.Repo, Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		for line, want := range tt.want {
			p := h.NextQuarterly(line)
			var got string
			switch {
			case p.Due:
				got = p.Next.Name
			case p.Reason != "":
				got = "!" + p.Reason
			}
			if strings.HasPrefix(want, "!") {
				if !strings.HasPrefix(got, want) {
					t.Errorf("%s: NextQuarterly(%s) = %q, want %q…", tt.name, line, got, want)
				}
				continue
			}
			if got != want {
				t.Errorf("%s: NextQuarterly(%s) = %q, want %q", tt.name, line, got, want)
			}
		}
	}
	// Only the configured branch is the line's.
	cfg := config.Default("x", "")
	cfg.Release.MaintenanceBranch = "release-{major}.{minor}"
	h, err := New(&registry.Registry{Repo: r.Repo, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range h.Lines() {
		names = append(names, l.Name+"@"+l.Branch.Name)
	}
	if got, want := len(names), 4; got != want || names[0] != "v1.6@release-1.6" || names[1] != "v1.7@" {
		t.Errorf("Lines = %v, want v1.6@release-1.6, v1.7@, v1.8@, v2.0@", names)
	}
}

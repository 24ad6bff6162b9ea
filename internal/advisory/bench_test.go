package advisory_test

import (
	"fmt"
	"testing"

	"github.com/patchline/patchline/internal/advisory"
	"github.com/patchline/patchline/internal/repotest"
)

// BenchmarkBuild writes one advisory, all three formats, on a repository
// of three release lines with 60 patches each, every one merged and tagged
// (540 commits, 183 tags); the patch measured is on two lines. The figure
// includes reading the history afresh, as each run of the command does.
func BenchmarkBuild(b *testing.B) {
	r := repotest.New(b)
	const perLine = 60
	seq := 0
	for i, line := range []string{"v2026.1", "v2026.2", "v2026.3"} {
		base := r.Commit("inventory "+line+".0", map[string]string{"go.mod": goMod, "app.go": fmt.Sprintf("package app // %d\n", i)})
		r.Tag(line + ".0")
		r.SwitchNew("release/"+line, base)
		for j := 1; j <= perLine; j++ {
			seq++
			p := patch{id: fmt.Sprintf("PL-2026-%04d", seq), title: "fix", base: fmt.Sprintf("%s.%d", line, j-1), kind: "security", severity: "low",
				cves: []string{fmt.Sprintf("CVE-2026-%04d", 1000+seq)}}
			if line == "v2026.3" && j == 1 {
				p.also = []string{"v2026.2.0"}
			}
			r.Commit("Merge patch/"+p.id, p.files())
			r.Tag(fmt.Sprintf("%s.%d", line, j))
		}
		if line == "v2026.2" { // the backport of the first v2026.3 patch, by id
			r.Commit("Merge backport", patch{id: fmt.Sprintf("PL-2026-%04d", 2*perLine+1), title: "fix", base: "v2026.2.60", kind: "security", severity: "low"}.files())
			r.Tag("v2026.2.61")
		}
		r.Switch("main")
	}
	id := fmt.Sprintf("PL-2026-%04d", 2*perLine+1)
	b.ResetTimer()
	for b.Loop() {
		a, err := advisory.Build(historyOf(b, r, productConfig), id)
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range advisory.Formats {
			if _, err := a.Encode(f); err != nil {
				b.Fatal(err)
			}
		}
		if len(a.Lines) != 2 {
			b.Fatalf("lines = %d, want 2", len(a.Lines))
		}
	}
}

package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/patchline/patchline/internal/repotest"
)

// TestCompletion drives cobra's hidden __complete command, as the shell
// scripts `patchline completion` writes do, on a small repository: patch
// ids from a patch branch and a merged patches/ folder, release tags,
// modules, and the values of --format, --severity and --kind.
func TestCompletion(t *testing.T) {
	t.Parallel()
	r := repotest.New(t)
	base := r.Commit("inventory v2026.3.0", map[string]string{
		".patchline.toml": "[project]\nname = \"inventory\"\n\n[release]\ntags = '^v\\d+\\.\\d+\\.\\d+$'\n\n[modules]\nimporter = [\"importer/**\"]\ncli = [\"main.go\"]\n",
		"main.go":         "package main\n",
	})
	r.Tag("v2026.3.0")
	r.Commit("inventory v2026.3.1", map[string]string{"patches/PL-2026-0001/patch.toml": "schema = 1\n"})
	r.Tag("v2026.3.1")
	r.Tag("not-a-release")
	r.Branch("patch/PL-2026-0002", base)
	dir := r.Dir
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"validate", ""}, []string{"PL-2026-0001", "PL-2026-0002"}},
		{[]string{"validate", "PL-2026-0001", ""}, []string{"PL-2026-0002"}},
		{[]string{"show", "PL-2026-0002", ""}, nil},
		{[]string{"build", "PL-"}, []string{"PL-2026-0001", "PL-2026-0002"}},
		{[]string{"advisory", ""}, []string{"PL-2026-0001", "PL-2026-0002"}},
		{[]string{"release", ""}, []string{"v2026.3.1", "v2026.3.0"}},
		{[]string{"new", "--base", ""}, []string{"v2026.3.1", "v2026.3.0"}},
		{[]string{"new", "--base", "v2026.3.0", "--from", ""}, []string{"PL-2026-0001", "PL-2026-0002"}},
		{[]string{"new", "--module", ""}, []string{"cli", "importer"}},
		{[]string{"new", "--severity", "i"}, []string{"important"}},
		{[]string{"new", "--kind", ""}, []string{"security", "fix", "performance"}},
		{[]string{"notes", "--from", "v2026.3.0", "--to", ""}, []string{"v2026.3.1", "v2026.3.0"}},
		{[]string{"rollup", "--accept", "PL-2026-0001", "--to", "v2026.3.1", "--from", "v2026.3."}, []string{"v2026.3.1", "v2026.3.0"}},
		{[]string{"advisory", "--release", ""}, []string{"v2026.3.1", "v2026.3.0"}},
		{[]string{"validate", "--format", ""}, []string{"text", "json", "github"}},
		{[]string{"report", "--format", ""}, []string{"text", "json", "html", "openmetrics"}},
		{[]string{"plan", "--format", "g"}, []string{"github-matrix"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			f := &Factory{IO: &IOStreams{Out: &out, ErrOut: &bytes.Buffer{}}, Getenv: func(string) string { return "" }}
			root := NewCmdRoot(f)
			root.SetArgs(append([]string{"__complete", "--repo", dir}, tc.args...))
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			got, directive := lines[:len(lines)-1], lines[len(lines)-1]
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("completes %q, want %q", got, tc.want)
			}
			if directive != ":4" { // ShellCompDirectiveNoFileComp
				t.Errorf("directive %s, want :4 (no file names)", directive)
			}
		})
	}
}

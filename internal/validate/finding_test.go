package validate

import (
	"strings"
	"testing"
)

// hostile is a finding whose message and hint quote a manifest written to
// rewrite a terminal and to inject workflow commands.
var hostile = Finding{Code: "PL120", Rule: "base.release-tag", Severity: Error, Patch: "PL-2026-0001",
	File: "patches/PL-2026-0001/patch.toml", Line: 4, Col: 8,
	Message: "v2026.3.0\x1b[2J\x07 is not a release tag\n::warning::pwned",
	Hint:    "cut from\r\n::error::x ##[add-mask]y \u202e"}

func TestWriteEscapesControls(t *testing.T) {
	t.Parallel()
	r := &Report{Findings: []Finding{hostile}, Patches: []PatchResult{{ID: "PL-2026-0001", Where: "patch/PL-2026-0001", Errors: 1}}}
	tests := []struct {
		name  string
		write func(*strings.Builder) error
		want  string
	}{
		{"text", func(b *strings.Builder) error { return r.WriteText(b) },
			`patches/PL-2026-0001/patch.toml:4:8: error PL120 base.release-tag: v2026.3.0\x1b[2J\x07 is not a release tag\n::warning::pwned` + "\n" +
				`    hint: cut from\r\n::error::x ##\x5badd-mask]y \u202e` + "\n" +
				"PL-2026-0001: FAIL (1 error) [patch/PL-2026-0001]\n"},
		{"github", func(b *strings.Builder) error { return r.WriteGitHub(b) },
			`::error file=patches/PL-2026-0001/patch.toml,line=4,col=8,title=PL-2026-0001 PL120 base.release-tag::v2026.3.0\x1b[2J\x07 is not a release tag\n::warning::pwned%0Ahint: cut from\r\n::error::x ##\x5badd-mask]y \u202e` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			if err := tt.write(&b); err != nil {
				t.Fatal(err)
			}
			got := b.String()
			if got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
			for i, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
				if strings.ContainsAny(line, "\x1b\x07\r\u202e") || strings.Contains(line, "##[") {
					t.Errorf("line %d holds a raw control character or command: %q", i+1, line)
				}
				if strings.HasPrefix(line, "::") && (tt.name == "text" || i > 0) {
					t.Errorf("line %d is a workflow command: %q", i+1, line)
				}
			}
		})
	}
}

func TestFindingStringEscapes(t *testing.T) {
	t.Parallel()
	f := hostile
	f.File = "patches/PL-2026-0001\u009b/patch.toml"
	want := `patches/PL-2026-0001\u009b/patch.toml:4:8: error PL120 base.release-tag: v2026.3.0\x1b[2J\x07 is not a release tag\n::warning::pwned`
	if got := f.String(); got != want {
		t.Errorf("String() = %s\nwant       %s", got, want)
	}
}

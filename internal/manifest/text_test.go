package manifest

import (
	"reflect"
	"strings"
	"testing"
)

func TestCheckText(t *testing.T) {
	t.Parallel()
	const f = file
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"valid", valid, nil},
		{"unicode is fine", edit("title", `title = "Größe: 輸入 drops ✓ rows"`), nil},
		{"multi-line summary", edit("summary", "summary = \"\"\"\nRows with a BOM\n\tare kept.\r\n\"\"\""), nil},
		{"ESC and BEL in title", edit("title", `title = "Importer \u001b[2J\u0007 drops rows"`), []string{
			f + `:3:9: PL104 manifest.bad-value: title: control character U+001B (ESC) at character 10 (2 in all) (hint: remove it: title is one line of plain text, printed on terminals and in CI logs)`}},
		{"TOML 1.1 escapes", edit("title", `title = "a\e\x07"`), []string{
			f + `:3:9: PL104 manifest.bad-value: title: control character U+001B (ESC) at character 2 (2 in all) (hint: remove it: title is one line of plain text, printed on terminals and in CI logs)`}},
		{"tab in title", edit("title", `title = "a\tb"`), []string{
			f + `:3:9: PL104 manifest.bad-value: title: control character U+0009 (HT) at character 2 (hint: remove it: title is one line of plain text, printed on terminals and in CI logs)`}},
		{"line break in title is Decode's", edit("title", `title = "a\nb"`), nil},
		{"line break and ESC in title", edit("title", `title = "a\nb\e"`), []string{
			f + `:3:9: PL104 manifest.bad-value: title: control character U+001B (ESC) at character 4 (hint: remove it: title is one line of plain text, printed on terminals and in CI logs)`}},
		{"workflow command in title", edit("title", `title = "::warning::pwned"`), []string{
			f + `:3:9: PL104 manifest.bad-value: title starts with "::", which GitHub Actions runs as a workflow command (hint: reword it: patchline prints title in CI logs, where the runner reads such a line as a command)`}},
		{"workflow command line in summary", edit("summary", `summary = "Rows are kept.\n::warning::pwned"`), []string{
			f + `:13:11: PL104 manifest.bad-value: summary: line 2 starts with "::", which GitHub Actions runs as a workflow command (hint: reword it: patchline prints summary in CI logs, where the runner reads such a line as a command)`}},
		{"old command syntax in rollback", edit("rollback", `rollback = "run ##[error]x"`), []string{
			f + `:15:12: PL104 manifest.bad-value: rollback holds "##" followed by "[", which GitHub Actions runs as a workflow command (hint: reword it: patchline prints rollback in CI logs, where the runner reads such a line as a command)`}},
		{"lone CR in summary", edit("summary", `summary = "shown\rhidden"`), []string{
			f + `:13:11: PL104 manifest.bad-value: summary: control character U+000D (CR) at character 6 (hint: remove it: summary may hold line breaks and tabs, no other control characters)`}},
		{"C1 CSI in justification", edit("urgency", "urgency = \"emergency\"\njustification = \"now\\u009b2J\""), []string{
			f + `:9:17: PL104 manifest.bad-value: justification: control character U+009B (CSI) at character 4 (hint: remove it: justification may hold line breaks and tabs, no other control characters)`}},
		{"DEL in base", edit("base", `base = "v2026.3.0\u007f"`), []string{
			f + `:4:8: PL104 manifest.bad-value: base: control character U+007F (DEL) at character 10 (hint: remove it: base is one line of plain text, printed on terminals and in CI logs)`}},
		{"bidi override in a module", edit("modules", `modules = ["importer", "cli\u202e"]`), []string{
			f + `:9:24: PL104 manifest.bad-value: modules[1]: control character U+202E (RLO) at character 4 (hint: remove it: a bidi control reorders how the text around it reads)`}},
		{"isolate in a case", edit("cases", `cases = ["CS-1\u2066"]`), []string{
			f + `:10:10: PL104 manifest.bad-value: cases[0]: control character U+2066 (LRI) at character 5 (hint: remove it: a bidi control reorders how the text around it reads)`}},
		{"NUL in id, also, cves, supersedes", edit("id", `id = "PL-2026-0007\u0000"`) + `supersedes = ["PL-2026-0001\b"]` + "\n", []string{
			f + `:2:6: PL104 manifest.bad-value: id: control character U+0000 (NUL) at character 13 (hint: remove it: id is one line of plain text, printed on terminals and in CI logs)`,
			f + `:16:15: PL104 manifest.bad-value: supersedes[0]: control character U+0008 (BS) at character 13 (hint: remove it: supersedes[0] is one line of plain text, printed on terminals and in CI logs)`}},
		{"enum", edit("kind", `kind = "fix\u0007"`), []string{
			f + `:6:8: PL104 manifest.bad-value: kind: control character U+0007 (BEL) at character 4 (hint: remove it: kind is one line of plain text, printed on terminals and in CI logs)`}},
		{"approval", valid + "[[approval]]\nrole = \"qa\"\nby = \"octo\\u001bcat\"\nat = 2026-03-04T16:20:00Z\nref = \"https://x/\\n::warning::y\"\n", []string{
			f + `:18:6: PL104 manifest.bad-value: approval[0].by: control character U+001B (ESC) at character 5 (hint: remove it: approval[0].by is one line of plain text, printed on terminals and in CI logs)`,
			f + `:20:7: PL104 manifest.bad-value: approval[0].ref: control character U+000A (LF) at character 11 (hint: remove it: approval[0].ref is one line of plain text, printed on terminals and in CI logs)`}},
		{"wrong types are Decode's", strings.Replace(edit("title", "title = 7"), `kind = "fix"`, `kind = "fix\u0007"`, 1), []string{
			f + `:6:8: PL104 manifest.bad-value: kind: control character U+0007 (BEL) at character 4 (hint: remove it: kind is one line of plain text, printed on terminals and in CI logs)`}},
		{"known issues may span lines", valid + "known_issues = \"\"\"\nSlow first start.\n\tWait a minute.\n\"\"\"\n", nil},
		{"workflow command in known issues", valid + "known_issues = \"Slow start.\\n::error::pwned\"\n", []string{
			f + `:16:16: PL104 manifest.bad-value: known_issues: line 2 starts with "::", which GitHub Actions runs as a workflow command (hint: reword it: patchline prints known_issues in CI logs, where the runner reads such a line as a command)`}},
		{"ESC in requires", valid + `requires = ["PL-2026-0003\u001b"]` + "\n", []string{
			f + `:16:13: PL104 manifest.bad-value: requires[0]: control character U+001B (ESC) at character 13 (hint: remove it: requires[0] is one line of plain text, printed on terminals and in CI logs)`}},
		{"not TOML", "title = \"\\e", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, p := range CheckText(file, []byte(tt.src)) {
				got = append(got, p.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("CheckText problems:\ngot:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestDecodeReadsControlCharacters: a manifest merged before patchline
// checked its text still decodes; only CheckText (validate) refuses it.
func TestDecodeReadsControlCharacters(t *testing.T) {
	t.Parallel()
	src := edit("title", `title = "Importer \u001b[2J\u0007 drops rows"`)
	m, problems := Decode(file, []byte(src))
	if len(problems) > 0 {
		t.Fatalf("Decode problems:\n%s", join(problems))
	}
	if want := "Importer \x1b[2J\x07 drops rows"; m.Title != want {
		t.Errorf("Title = %q, want %q", m.Title, want)
	}
}

func TestProblemStringEscapes(t *testing.T) {
	t.Parallel()
	p := Problem{File: "a.toml", Line: 1, Col: 1, Code: CodeSyntax, Rule: RuleSyntax, Message: "found \"x\x1b[2J\"\n::warning::y", Hint: "h\u202e"}
	want := `a.toml:1:1: PL100 manifest.syntax: found "x\x1b[2J"\n::warning::y (hint: h\u202e)`
	if got := p.String(); got != want {
		t.Errorf("String() = %s\nwant       %s", got, want)
	}
}

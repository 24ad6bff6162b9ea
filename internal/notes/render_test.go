package notes

import (
	"strings"
	"testing"
	"time"

	"github.com/patchline/patchline/internal/history"
)

func sample() *Notes {
	in, out := true, false
	fix := &Entry{ID: "PL-2026-0001", Title: "Export <script>alert(1)</script>", Kind: "fix", Severity: "important",
		Urgency: "scheduled", Summary: "Quotes & commas survive.", Cases: []string{"CRM-1"}, CVEs: []string{}, Modules: []string{"exporter"},
		Status: StatusFixed, InRelease: &out,
		Lines:     []Shipment{{Line: "v2026.2", Tag: "v2026.2.1", Status: "released"}, {Line: "v2026.1", Status: "merged"}},
		Approvals: []history.Approval{{By: "qa-lee", Ref: "https://example.com/pull/1?a=1&b=2"}}}
	sec := &Entry{ID: "PL-2026-0002", Title: "Tokens", Kind: "security", Severity: "critical", Urgency: "emergency",
		Summary: "Tokens", CVEs: []string{"CVE-2026-1"}, Status: StatusFixed, InRelease: &in,
		Lines: []Shipment{{Line: "v2026.2", Tag: "v2026.2.2", Status: "released"}}}
	gone := &Entry{ID: "PL-2026-0003", Title: "Buffer", Kind: "performance", Status: StatusReverted,
		Lines: []Shipment{{Line: "v2026.2", Tag: "v2026.2.1", Status: "reverted", RemovedIn: "v2026.2.2"}}}
	n := &Notes{Project: "inventory", From: "v2026.2.0", To: "v2026.3.0", Quarterly: true,
		Date: time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC), Removed: []*Entry{gone}}
	n.add(sec)
	n.add(fix)
	n.Counts = Counts{Patches: 3, Fixed: 2, Security: 1, CVEs: 1, Removed: 1, NotRolled: 1}
	return n
}

func TestMarkdown(t *testing.T) {
	t.Parallel()
	got, err := sample().Markdown("")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# inventory v2026.3.0 release notes\n",
		"2 fixes, 1 for security (1 CVE). 1 reverted or withdrawn.",
		"## Security fixes\n\n### PL-2026-0002: Tokens\n\n- Severity: critical (emergency, out of band)\n- CVEs: CVE-2026-1\n",
		"- Shipped in: v2026.2.1; merged on v2026.1, not yet released\n",
		"- **Not in v2026.3.0: it regresses on upgrade until it is ported**\n",
		"- Included in v2026.3.0\n",
		"- Approved by: [qa-lee](https://example.com/pull/1?a=1&b=2)\n",
		"### PL-2026-0003: Buffer\n\nReverted, not a fix: v2026.2.1, reverted in v2026.2.2.\n",
	} {
		if !strings.Contains(string(got), want) {
			t.Errorf("the notes lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(string(got), "\n\nTokens\n") {
		t.Errorf("a summary equal to the title is printed twice:\n%s", got)
	}
}

func TestHTMLEscapes(t *testing.T) {
	t.Parallel()
	got, err := sample().HTML("")
	if err != nil {
		t.Fatal(err)
	}
	page := string(got)
	if strings.Contains(page, "<script>") {
		t.Fatalf("a title reached the page unescaped:\n%s", page)
	}
	for _, want := range []string{
		"Export &lt;script&gt;alert(1)&lt;/script&gt;",
		`<a href="https://example.com/pull/1?a=1&amp;b=2">qa-lee</a>`,
		`<dd class="missing">Not in v2026.3.0`,
		"<style>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, external := range []string{"<script", "<link", "src=\"http", "@import"} {
		if strings.Contains(page, external) {
			t.Errorf("the page is not self-contained: it has %q", external)
		}
	}
}

// TestMarkdownEscapesControls: a manifest merged before validate checked
// its text prints escaped, and no line of the notes is a workflow command;
// the JSON keeps the data.
func TestMarkdownEscapesControls(t *testing.T) {
	t.Parallel()
	n := sample()
	e := n.Groups[1].Entries[0]
	e.Title = "Export\x1b[2J\x07 rows"
	e.Summary = "Quotes survive.\n::warning::pwned\nsee ##[error]x \u202e"
	e.Modules = []string{"exporter\x1b"}
	e.Approvals[0].By = "qa\u009b-lee"
	odd := &Entry{ID: "PL-2026-0004", Title: "x", Kind: "::odd", Status: StatusFixed}
	n.add(odd)
	got, err := n.Markdown("")
	if err != nil {
		t.Fatal(err)
	}
	md := string(got)
	for _, want := range []string{
		"### PL-2026-0001: Export\\x1b[2J\\x07 rows\n\nQuotes survive.\n\\x3a:warning::pwned\nsee ##\\x5berror]x \\u202e\n",
		"- Modules: exporter\\x1b\n",
		"- Approved by: [qa\\u009b-lee](https://example.com/pull/1?a=1&b=2)\n",
		"## \\x3a:odd\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the notes lack %q:\n%s", want, md)
		}
	}
	if strings.ContainsAny(md, "\x1b\x07\u009b\u202e") || strings.Contains(md, "##[") {
		t.Errorf("the notes hold raw control characters:\n%q", md)
	}
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "::") {
			t.Errorf("line is a workflow command: %q", line)
		}
	}
	page, err := n.HTML("")
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(string(page), "\x1b\x07\u009b\u202e") {
		t.Errorf("the page holds raw control characters")
	}
	data, err := n.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"title": "Export\u001b[2J\u0007 rows"`) {
		t.Errorf("JSON does not keep the title as it is:\n%s", data)
	}
	if e.Title != "Export\x1b[2J\x07 rows" {
		t.Errorf("rendering changed the notes: title %q", e.Title)
	}
}

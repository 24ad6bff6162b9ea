package notes

import (
	"strings"
	"testing"
)

// TestAdvisoriesLinked: a released security fix names its advisory files,
// as the release attaches them; other fixes name none.
func TestAdvisoriesLinked(t *testing.T) {
	t.Parallel()
	n := sample()
	n.Groups[1].Entries[0].CVEs = []string{"CVE-2026-9"} // a fix naming a CVE is a security fix too
	merged := &Entry{ID: "PL-2026-0004", Title: "Not yet", Kind: "security", Status: StatusFixed,
		Lines: []Shipment{{Line: "v2026.2", Status: "merged"}}}
	n.add(merged)
	n.linkAdvisories()
	want := "advisories/osv/PL-2026-0002.json, advisories/csaf/pl-2026-0002.json, advisories/openvex/PL-2026-0002.json"
	if got := strings.Join(n.Groups[0].Entries[0].Advisories, ", "); got != want {
		t.Errorf("security fix: advisories %q, want %q", got, want)
	}
	if got := n.Groups[1].Entries[0].Advisories; len(got) != 3 {
		t.Errorf("fix with a CVE: advisories %q, want three", got)
	}
	if got := merged.Advisories; got != nil {
		t.Errorf("merged, not released: advisories %q, want none", got)
	}
	md, err := n.Markdown("")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "- CVEs: CVE-2026-1\n- Advisories: "+want+"\n") {
		t.Errorf("the Markdown lacks the advisories:\n%s", md)
	}
	page, err := n.HTML("")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "<dt>Advisories</dt><dd>"+want+"</dd>") {
		t.Errorf("the HTML lacks the advisories:\n%s", page)
	}
}

package cases

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/repotest"
)

func manifest(id, title, cases string) string {
	return fmt.Sprintf(`schema = 1
id = %q
title = %q
base = "v2026.3.0"
kind = "fix"
severity = "important"
urgency = "scheduled"
modules = ["importer"]
cases = %s
reported = 2026-11-20T09:30:00Z
summary = "s"
risk = "low"
rollback = "r"
`, id, title, cases)
}

// TestRead reads a real repository: a patch merged on its line and
// tagged, with its QA approval in a note; one merged and not tagged; one
// on its branch; one that names no case.
func TestRead(t *testing.T) {
	t.Parallel()
	r := repotest.New(t)
	r.Commit("product", map[string]string{"a.txt": "a\n"})
	start := r.Tag("v2026.3.0")
	r.Branch("patch/PL-2026-0003", start)
	r.SwitchNew("release/v2026.3", start)
	merge := r.Commit("Merge PL-2026-0001\n\nPatch-Id: PL-2026-0001\n", map[string]string{
		"a.txt": "a1\n", "patches/PL-2026-0001/patch.toml": manifest("PL-2026-0001", "One", `["CRM-1", "#7"]`),
		"patches/PL-2026-0004/patch.toml": manifest("PL-2026-0004", "No case", `[]`),
	})
	r.Tag("v2026.3.1")
	r.Commit("Merge PL-2026-0002", map[string]string{"patches/PL-2026-0002/patch.toml": manifest("PL-2026-0002", "Two", `["CRM-1"]`)})
	alice := history.Approval{Role: "qa", By: "qa-alice", At: ts("2026-11-20T12:00:00Z"), Ref: "https://github.com/acme/inventory/pull/1#pullrequestreview-1001"}
	note := &history.ApprovalNote{}
	note.Add("PL-2026-0001", "https://github.com/acme/inventory/pull/1", []history.Approval{alice})
	if _, err := r.Repo.AddNote(history.NotesRef, merge, note.Encode(), r.Sig()); err != nil {
		t.Fatal(err)
	}
	r.Switch("patch/PL-2026-0003")
	r.Commit("PL-2026-0003: manifest", map[string]string{"patches/PL-2026-0003/patch.toml": manifest("PL-2026-0003", "Three", `["CRM-3"]`)})

	h, err := history.New(&registry.Registry{Repo: r.Repo, Config: config.Default("inventory", "acme/inventory")})
	if err != nil {
		t.Fatal(err)
	}
	patches, problems, err := Read(h)
	if err != nil || len(problems) != 0 {
		t.Fatalf("Read: %v, problems %q", err, problems)
	}
	var got []string
	for _, p := range patches {
		var tags []string
		for _, rel := range p.Releases {
			tags = append(tags, rel.Line+"/"+rel.Tag)
		}
		got = append(got, fmt.Sprintf("%s %q cases=%v releases=%v pull=%s approvals=%d", p.ID, p.Title, p.Cases, tags, p.Pull, len(p.Approval)))
	}
	want := []string{
		`PL-2026-0001 "One" cases=[CRM-1 #7] releases=[v2026.3/v2026.3.1] pull=https://github.com/acme/inventory/pull/1 approvals=1`,
		`PL-2026-0002 "Two" cases=[CRM-1] releases=[] pull= approvals=0`,
		`PL-2026-0003 "Three" cases=[CRM-3] releases=[] pull= approvals=0`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("patches:\n%s\nwant\n%s", fmt.Sprint(got), fmt.Sprint(want))
	}
	if patches[0].Releases[0].At.IsZero() {
		t.Errorf("v2026.3.1 has no release time")
	}

	rep := Build("inventory", "acme/inventory", patches, nil)
	var statuses []string
	for _, c := range rep.Cases {
		statuses = append(statuses, c.ID+"="+c.Status)
	}
	if want := []string{"CRM-1=open", "CRM-3=open", "acme/inventory#7=delivered"}; !reflect.DeepEqual(statuses, want) {
		t.Errorf("cases %v, want %v", statuses, want)
	}
}

package history

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/repotest"
)

var (
	at1 = time.Date(2026, 11, 20, 12, 2, 0, 0, time.UTC)
	at2 = time.Date(2026, 11, 20, 12, 3, 0, 0, time.UTC)
)

const review1 = "https://github.com/acme/inventory/pull/1#pullrequestreview-1001"

func TestApprovalNoteRoundTrip(t *testing.T) {
	t.Parallel()
	n := &ApprovalNote{}
	alice := Approval{Role: "qa", By: "qa-alice", At: at1, Ref: review1}
	if !n.Add("PL-2026-0001", "https://github.com/acme/inventory/pull/1", []Approval{alice}) {
		t.Fatal("Add to an empty note added nothing")
	}
	if n.Add("PL-2026-0001", "", []Approval{alice}) {
		t.Error("Add of the same approval again added it")
	}
	carol := Approval{Role: "qa", By: "qa-carol", At: at2, Ref: "https://github.com/acme/inventory/pull/1#pullrequestreview-1002"}
	if !n.Add("PL-2026-0001", "", []Approval{alice, carol}) {
		t.Error("Add of a new approval added nothing")
	}
	data := n.Encode()
	if !strings.HasSuffix(string(data), "}\n") || !strings.Contains(string(data), "\n  \"schema\": 1,\n") {
		t.Errorf("Encode() = %s, want indented JSON with schema 1 and a final newline", data)
	}
	got, err := DecodeApprovalNote(data)
	if err != nil {
		t.Fatal(err)
	}
	want := &ApprovalNote{Schema: 1, Patches: []NotePatch{{ID: "PL-2026-0001", Pull: "https://github.com/acme/inventory/pull/1", Approvals: []Approval{alice, carol}}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded %+v, want %+v", got, want)
	}
}

// TestDecodeApprovalNoteRefuses: a note is input anyone with push access
// can write; each of these is refused, never half read.
func TestDecodeApprovalNoteRefuses(t *testing.T) {
	t.Parallel()
	ok := `{"role":"qa","by":"qa-alice","at":"2026-11-20T12:02:00Z","ref":"` + review1 + `"}`
	note := func(approval string) string {
		return `{"schema":1,"patches":[{"id":"PL-2026-0001","approvals":[` + approval + `]}]}`
	}
	if _, err := DecodeApprovalNote([]byte(note(ok))); err != nil {
		t.Fatalf("a good note: %v", err)
	}
	tests := []struct {
		name, data, want string
	}{
		{"not JSON", "reviewed by hand\n", "not an approval note"},
		{"unknown field", `{"schema":1,"patches":[],"signed":true}`, `unknown field "signed"`},
		{"other schema", `{"schema":2,"patches":[]}`, "schema 2"},
		{"trailing data", `{"schema":1,"patches":[]} {}`, "data after"},
		{"bad id", `{"schema":1,"patches":[{"id":"../x","approvals":[]}]}`, "is not a patch id"},
		{"id twice", `{"schema":1,"patches":[{"id":"PL-1","approvals":[]},{"id":"PL-1","approvals":[]}]}`, "named twice"},
		{"control in login", note(strings.Replace(ok, "qa-alice", `qa\u001b[31m`, 1)), "is not a GitHub login"},
		{"no time", note(strings.Replace(ok, `"at":"2026-11-20T12:02:00Z",`, "", 1)), "at is missing"},
		{"script link", note(strings.Replace(ok, review1, "javascript:alert(1)", 1)), "is not an http(s) URL"},
		{"bad role", note(strings.Replace(ok, `"role":"qa"`, `"role":"QA Lead"`, 1)), "role"},
		{"too large", `{"schema":1,"patches":[],"x":"` + strings.Repeat("a", MaxNoteSize) + `"}`, "more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := DecodeApprovalNote([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

func TestApprovalTrailers(t *testing.T) {
	t.Parallel()
	msg := "v2026.3.1: PL-2026-0001 Title\n\nPatch-Id: PL-2026-0001\n" +
		ApprovalTrailer(Approval{Role: "qa", By: "qa-alice", At: at1, Ref: review1}) + "\n" +
		"Approved-by: qa-bob https://example.com/pull/1#review\n" + // the older form
		"Approved-by: @qa-kim\n"
	ids, got := trailers(msg)
	want := []Approval{
		{Role: "qa", By: "qa-alice", At: at1, Ref: review1},
		{Role: "qa", By: "qa-bob", Ref: "https://example.com/pull/1#review"},
		{Role: "qa", By: "qa-kim"},
	}
	if !reflect.DeepEqual(ids, []string{"PL-2026-0001"}) || !reflect.DeepEqual(got, want) {
		t.Errorf("trailers() = %v, %+v; want [PL-2026-0001], %+v", ids, got, want)
	}
	if line := ApprovalTrailer(want[0]); line != "Approved-by: qa-alice "+review1+" (qa, 2026-11-20T12:02:00Z)" {
		t.Errorf("ApprovalTrailer() = %q", line)
	}
}

func TestMergeApprovals(t *testing.T) {
	t.Parallel()
	fromManifest := []Approval{{Role: "qa", By: "qa-alice", At: at1, Ref: review1}}
	fromTag := []Approval{{Role: "qa", By: "QA-Alice", Ref: review1}, {Role: "qa", By: "qa-carol", Ref: "https://x.example/2"}}
	fromNote := []Approval{{Role: "qa", By: "qa-carol", At: at2, Ref: "https://x.example/2"}}
	got := MergeApprovals(fromManifest, fromTag, fromNote)
	want := []Approval{
		{Role: "qa", By: "qa-alice", At: at1, Ref: review1},
		{Role: "qa", By: "qa-carol", At: at2, Ref: "https://x.example/2"}, // the note fills the tag's missing time
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	// The same person's review of another pull request (a backport) is
	// another approval.
	if got := MergeApprovals(fromManifest, []Approval{{Role: "qa", By: "qa-alice", At: at2, Ref: "https://x.example/3"}}); len(got) != 2 {
		t.Errorf("two reviews of one approver: got %+v, want both", got)
	}
}

// TestReadRecorded reads approvals from notes on refs/notes/patchline and
// from release tag trailers of a real repository, each approval once, and
// skips a note it cannot read with a problem saying so.
func TestReadRecorded(t *testing.T) {
	t.Parallel()
	r := repotest.New(t)
	r.Commit("product", map[string]string{"a.txt": "a\n"})
	start := r.Tag("v2026.3.0")
	r.SwitchNew("release/v2026.3", start)
	merge1 := r.Commit("Merge pull request #1 from acme/patch/PL-2026-0001",
		map[string]string{"a.txt": "a1\n", "patches/PL-2026-0001/patch.toml": "one\n"})
	_, head, err := r.Repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	alice := Approval{Role: "qa", By: "qa-alice", At: at1, Ref: review1}
	carol := Approval{Role: "qa", By: "qa-carol", At: at2, Ref: "https://github.com/acme/inventory/pull/1#pullrequestreview-1002"}
	msg := "v2026.3.1: PL-2026-0001 One\n\nPatch-Id: PL-2026-0001\n" + ApprovalTrailer(alice) + "\n" + ApprovalTrailer(carol) + "\n" +
		"Approved-by: mallory\x1b[2J https://evil.example/\n" // not of a login's shape: not counted
	if err := r.Repo.CreateTag("v2026.3.1", head, msg, r.Sig()); err != nil {
		t.Fatal(err)
	}
	merge2 := r.Commit("Merge pull request #2 from acme/patch/PL-2026-0002",
		map[string]string{"patches/PL-2026-0002/patch.toml": "two\n"})
	bad := r.Commit("a commit with a hand-written note", map[string]string{"b.txt": "b\n"})

	note := &ApprovalNote{}
	note.Add("PL-2026-0001", "https://github.com/acme/inventory/pull/1", []Approval{alice, carol})
	for _, n := range []struct {
		on   [20]byte
		data []byte
	}{
		{merge1, note.Encode()},
		{merge2, (&ApprovalNote{Patches: []NotePatch{{ID: "PL-2026-0002", Approvals: []Approval{alice}}}}).Encode()},
		{bad, []byte("reviewed by hand\n")},
	} {
		if _, err := r.Repo.AddNote(NotesRef, n.on, n.data, r.Sig()); err != nil {
			t.Fatal(err)
		}
	}

	reg := &registry.Registry{Repo: r.Repo, Config: config.Default("x", "")}
	h, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := h.Recorded()
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.For("PL-2026-0001"); !reflect.DeepEqual(got, []Approval{alice, carol}) {
		t.Errorf("PL-2026-0001 (note and tag): got %+v, want alice and carol once each", got)
	}
	if got := rec.For("PL-2026-0002"); !reflect.DeepEqual(got, []Approval{alice}) {
		t.Errorf("PL-2026-0002 (note only): got %+v, want alice", got)
	}
	if got := rec.For("PL-2026-0003"); len(got) != 0 {
		t.Errorf("PL-2026-0003: got %+v, want none", got)
	}
	if len(rec.Problems) != 1 || !strings.Contains(rec.Problems[0], bad.String()) || !strings.Contains(rec.Problems[0], "not counted") {
		t.Errorf("problems: got %q, want one naming the unreadable note on %s", rec.Problems, bad)
	}

	// Without the notes (not fetched), the tag's trailers still carry the chain.
	plain := repotest.New(t)
	plain.Commit("product", map[string]string{"a.txt": "a\n"})
	plain.Tag("v2026.3.0")
	_, tip, _ := plain.Repo.Head()
	if err := plain.Repo.CreateTag("v2026.3.1", tip, msg, plain.Sig()); err != nil {
		t.Fatal(err)
	}
	tags, err := (&registry.Registry{Repo: plain.Repo, Config: config.Default("x", "")}).LoadTags()
	if err != nil {
		t.Fatal(err)
	}
	rec, err = ReadRecorded(plain.Repo, tags)
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.For("PL-2026-0001"); !reflect.DeepEqual(got, []Approval{alice, carol}) {
		t.Errorf("tag only: got %+v, want alice and carol with their times", got)
	}
}

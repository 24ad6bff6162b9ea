package cases

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/rollout"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func tp(s string) *time.Time { t := ts(s); return &t }

func applied(at string) Delivery { return Delivery{Site: "s", Env: "test", AppliedAt: ts(at)} }

func confirmed(at string) Delivery {
	d := applied(at)
	d.Confirmations = []rollout.Confirmation{{By: "Max", At: ts(at).Add(time.Hour)}}
	return d
}

func rolledBack(at string) Delivery {
	d := applied(at)
	d.RolledBackAt = tp(at)
	return d
}

func TestPatchStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		released bool
		installs []Delivery
		want     string
	}{
		{"not released, nowhere", false, nil, Open},
		// A record may name a patch no tag ships yet (a hot bundle):
		// the case is still open.
		{"not released, applied and confirmed", false, []Delivery{confirmed("2026-03-04T10:00:00Z")}, Open},
		{"released, nowhere", true, nil, Delivered},
		{"released, rolled back everywhere", true, []Delivery{rolledBack("2026-03-04T10:00:00Z")}, Delivered},
		{"applied, no confirmation", true, []Delivery{applied("2026-03-04T10:00:00Z")}, Awaiting},
		{"applied twice, one confirmed", true, []Delivery{confirmed("2026-03-04T10:00:00Z"), applied("2026-03-05T10:00:00Z")}, Awaiting},
		{"applied twice, both confirmed", true, []Delivery{confirmed("2026-03-04T10:00:00Z"), confirmed("2026-03-05T10:00:00Z")}, Closed},
		// A rolled-back install does not hold the case open, and its
		// confirmation does not close it.
		{"confirmed, and rolled back elsewhere", true, []Delivery{confirmed("2026-03-04T10:00:00Z"), rolledBack("2026-03-05T10:00:00Z")}, Closed},
		{"confirmed then rolled back", true, []Delivery{func() Delivery {
			d := confirmed("2026-03-04T10:00:00Z")
			d.RolledBackAt = tp("2026-03-06T10:00:00Z")
			return d
		}()}, Delivered},
	} {
		if got := PatchStatus(tc.released, tc.installs); got != tc.want {
			t.Errorf("%s: PatchStatus = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestCaseStatusIsTheLeastAdvanced(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		statuses []string
		want     string
	}{
		{nil, Open},
		{[]string{Closed}, Closed},
		{[]string{Closed, Awaiting}, Awaiting},
		{[]string{Delivered, Closed}, Delivered},
		{[]string{Closed, Open, Awaiting}, Open},
	} {
		var ps []CasePatch
		for _, s := range tc.statuses {
			ps = append(ps, CasePatch{Status: s})
		}
		if got := CaseStatus(ps); got != tc.want {
			t.Errorf("CaseStatus(%v) = %q, want %q", tc.statuses, got, tc.want)
		}
	}
}

func TestIssueOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, repo string
		want     string // owner/name#n, "" when not an issue
	}{
		{"#12", "acme/inventory", "acme/inventory#12"},
		{" #12 ", "acme/inventory", "acme/inventory#12"},
		{"acme/support#7", "acme/inventory", "acme/support#7"},
		{"acme/support#7", "", "acme/support#7"},
		{"#12", "", ""},
		{"CRM-1042", "acme/inventory", ""},
		{"#0", "acme/inventory", ""},
		{"#12a", "acme/inventory", ""},
		{"../x#1", "acme/inventory", ""},
		{"acme/#1", "acme/inventory", ""},
		{"acme/..#1", "acme/inventory", ""},
		{"#1", "acme/..", ""},
	} {
		owner, name, n, ok := IssueOf(tc.in, tc.repo)
		got := ""
		if ok {
			got = owner + "/" + name + "#" + itoa(n)
		}
		if got != tc.want {
			t.Errorf("IssueOf(%q, %q) = %q, want %q", tc.in, tc.repo, got, tc.want)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func record(site, env string, patches ...rollout.RecordPatch) Install {
	return Install{Path: "fleet/" + site + "/" + env + ".json", Site: site, Env: env,
		Record: &rollout.Record{Schema: 1, Site: site, Env: env, Host: site + "-" + env, Product: "inventory", Patches: patches}}
}

func recPatch(id, target, at string, confirmations ...rollout.Confirmation) rollout.RecordPatch {
	return rollout.RecordPatch{ID: id, Target: rollout.Ref{Tag: target}, AppliedAt: ts(at), Confirmations: confirmations}
}

// fixture: CRM-1 fixed by PL-1 (released, applied at two sites, one
// confirmed) and PL-2 (not released); #5 (a GitHub issue, also written as
// acme/inventory#5) fixed by PL-3, applied and confirmed; CRM-9 by PL-4,
// released and applied nowhere.
func fixture() *Report {
	rel := func(tag, at string) []Release { return []Release{{Line: "v2026.3", Tag: tag, At: ts(at)}} }
	patches := []Patch{
		{ID: "PL-2026-0001", Title: `CSV importer drops "quoted", commas` + "\nsecond line", Severity: "critical", Cases: []string{"CRM-1"},
			Releases: rel("v2026.3.1", "2026-03-03T10:00:00Z"), Pull: "https://github.com/acme/inventory/pull/1",
			Approval: []history.Approval{{Role: "qa", By: "qa-alice", At: ts("2026-03-02T10:00:00Z"), Ref: "https://github.com/acme/inventory/pull/1#pullrequestreview-1001"}}},
		{ID: "PL-2026-0002", Title: "Export", Severity: "low", Cases: []string{"CRM-1"}},
		{ID: "PL-2026-0003", Title: "Login", Severity: "moderate", Cases: []string{"#5", "acme/inventory#5"}, Releases: rel("v2026.3.2", "2026-03-05T10:00:00Z")},
		{ID: "PL-2026-0004", Title: "Report", Severity: "low", Cases: []string{"CRM-9"}, Releases: rel("v2026.3.3", "2026-03-06T10:00:00Z")},
		{ID: "PL-2026-0005", Title: "No case"},
	}
	conf := rollout.Confirmation{By: "Max Kunde", At: ts("2026-03-06T12:00:00+01:00"), Note: "Import runs again.\nThanks, \"team\"!"}
	installs := []Install{
		record("acme", "production", recPatch("PL-2026-0001", "v2026.3.1", "2026-03-04T10:00:00+01:00", conf), recPatch("PL-2026-0003", "v2026.3.2", "2026-03-05T11:00:00Z", conf)),
		record("globex", "test", recPatch("PL-2026-0001", "v2026.3.1", "2026-03-04T12:00:00Z"), recPatch("PL-2026-0099", "v2026.3.9", "2026-03-04T12:00:00Z")),
	}
	return Build("inventory", "acme/inventory", patches, installs)
}

func TestBuild(t *testing.T) {
	t.Parallel()
	r := fixture()
	var got []string
	for _, c := range r.Cases {
		line := c.ID + " " + c.Status + ":"
		for _, p := range c.Patches {
			line += " " + p.ID + "=" + p.Status + "/" + itoa(len(p.Installs))
		}
		got = append(got, line)
	}
	want := []string{
		"CRM-1 open: PL-2026-0001=awaiting confirmation/2 PL-2026-0002=open/0",
		"CRM-9 delivered: PL-2026-0004=delivered/0",
		"acme/inventory#5 closed: PL-2026-0003=closed/1",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cases:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r.Cases[2].Issue != "acme/inventory#5" {
		t.Errorf("issue = %q, want acme/inventory#5", r.Cases[2].Issue)
	}
}

// TestCSVRoundTrip reads the CSV back with encoding/csv: the header, one
// row per case, patch and install, and text with commas, quotes and line
// breaks intact.
func TestCSVRoundTrip(t *testing.T) {
	t.Parallel()
	r := fixture()
	var buf bytes.Buffer
	if err := r.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(buf.String(), "\r\n") || !strings.Contains(buf.String(), "\r\n") {
		t.Errorf("CSV lines do not end in CRLF (RFC 4180)")
	}
	rd := csv.NewReader(&buf)
	rd.FieldsPerRecord = len(Columns)
	all, err := rd.ReadAll()
	if err != nil {
		t.Fatalf("read back: %v\n%s", err, buf.String())
	}
	if !reflect.DeepEqual(all[0], Columns) {
		t.Fatalf("header = %q, want %q", all[0], Columns)
	}
	if !reflect.DeepEqual(all[1:], r.Rows()) {
		t.Errorf("rows read back differ from the rows written:\n%q\nwant\n%q", all[1:], r.Rows())
	}
	// CRM-1: PL-1 at two installs, PL-2 at none; CRM-9; #5.
	if got := len(all) - 1; got != 5 {
		t.Fatalf("%d rows, want 5", got)
	}
	col := func(row []string, name string) string {
		for i, c := range Columns {
			if c == name {
				return row[i]
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	first := all[1]
	for name, want := range map[string]string{
		"case": "CRM-1", "case_status": Open, "patch": "PL-2026-0001", "patch_status": Awaiting,
		"title":   `CSV importer drops "quoted", commas` + "\nsecond line",
		"release": "v2026.3.1", "released_at": "2026-03-03T10:00:00Z",
		"site": "acme", "env": "production", "installed_release": "v2026.3.1", "applied_at": "2026-03-04T09:00:00Z",
		"confirmed_by": "Max Kunde", "confirmed_at": "2026-03-06T11:00:00Z", "confirmation_note": "Import runs again.\nThanks, \"team\"!",
		"qa":           "qa-alice (qa, 2026-03-02T10:00:00Z) https://github.com/acme/inventory/pull/1#pullrequestreview-1001",
		"pull_request": "https://github.com/acme/inventory/pull/1", "record": "fleet/acme/production.json",
	} {
		if got := col(first, name); got != want {
			t.Errorf("row 1 %s = %q, want %q", name, got, want)
		}
	}
	if got := col(all[2], "confirmed_by"); got != "" {
		t.Errorf("globex's row confirmed_by = %q, want empty", got)
	}
	if got := col(all[3], "site"); got != "" || col(all[3], "patch") != "PL-2026-0002" {
		t.Errorf("the unreleased patch's row has site %q, want an empty install", got)
	}
}

func TestJSONCarriesEveryConfirmation(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := fixture().WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Cases[0].Patches[1].Installs, []Delivery{}) || back.Cases[0].Patches[1].Releases == nil {
		t.Errorf("empty lists must be [] in JSON, got %s", buf.String())
	}
	if got := back.Cases[0].Patches[0].Installs[0].Confirmations[0].By; got != "Max Kunde" {
		t.Errorf("confirmation by %q", got)
	}
}

func TestWriteTextEscapes(t *testing.T) {
	t.Parallel()
	r := Build("p", "", []Patch{{ID: "PL-2026-0001", Title: "t", Cases: []string{"CRM\x1b[31m-1"}}}, nil)
	var buf bytes.Buffer
	if err := r.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "\x1b") {
		t.Errorf("text output holds a raw escape:\n%q", buf.String())
	}
}

func TestDeliveryID(t *testing.T) {
	t.Parallel()
	a := fixture().Cases[0]
	b := fixture().Cases[0]
	if DeliveryID(a) != DeliveryID(b) {
		t.Fatal("the same case gives two delivery ids")
	}
	b.Status = Closed
	if DeliveryID(a) == DeliveryID(b) {
		t.Fatal("another status gives the same delivery id")
	}
	c := fixture().Cases[0]
	c.Patches[0].Installs[1].Confirmations = []rollout.Confirmation{{By: "x", At: ts("2026-03-07T10:00:00Z")}}
	if DeliveryID(a) == DeliveryID(c) {
		t.Fatal("new evidence gives the same delivery id")
	}
}

func TestDecodePosted(t *testing.T) {
	t.Parallel()
	p := NewPosted()
	p.Cases["CRM-1"] = PostedCase{Status: Awaiting, Delivery: strings.Repeat("ab", 32), To: ToWebhook, At: ts("2026-03-07T10:00:00Z")}
	data, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodePosted(data)
	if err != nil || !reflect.DeepEqual(back, p) {
		t.Fatalf("round trip = %+v, %v", back, err)
	}
	for _, bad := range []string{
		``,
		`{"schema":2,"cases":{}}`,
		`{"schema":1,"cases":{},"extra":1}`,
		`{"schema":1,"cases":{"CRM-1":{"status":"done","delivery":"` + strings.Repeat("ab", 32) + `","to":"webhook","at":"2026-03-07T10:00:00Z"}}}`,
		`{"schema":1,"cases":{"CRM-1":{"status":"closed","delivery":"xyz","to":"webhook","at":"2026-03-07T10:00:00Z"}}}`,
		`{"schema":1,"cases":{"CRM-1":{"status":"closed","delivery":"` + strings.Repeat("ab", 32) + `","to":"mail","at":"2026-03-07T10:00:00Z"}}}`,
		`{"schema":1,"cases":{"CRM-1":{"status":"closed","delivery":"` + strings.Repeat("ab", 32) + `","to":"webhook"}}}`,
		`{"schema":1,"cases":{"CRM\u001b":{"status":"closed","delivery":"` + strings.Repeat("ab", 32) + `","to":"webhook","at":"2026-03-07T10:00:00Z"}}}`,
		`{"schema":1,"cases":{}} {}`,
	} {
		if _, err := DecodePosted([]byte(bad)); err == nil {
			t.Errorf("DecodePosted(%s) = nil error, want one", bad)
		}
	}
}

// TestBuildReappliedDelivery: an install that rolled a patch back and applied
// it again is one delivery, its latest: the case is closed by the
// confirmation of the patch that stayed, not held open by the rollback.
func TestBuildReappliedDelivery(t *testing.T) {
	t.Parallel()
	first := recPatch("PL-2026-0001", "v2026.3.1", "2026-03-04T10:00:00Z")
	first.RolledBackAt, first.AutoRolledBack = tp("2026-03-04T10:01:00Z"), true
	again := recPatch("PL-2026-0001", "v2026.3.1", "2026-03-05T10:00:00Z", rollout.Confirmation{By: "Max", At: ts("2026-03-06T10:00:00Z")})
	r := Build("inventory", "acme/inventory",
		[]Patch{{ID: "PL-2026-0001", Title: "Import", Severity: "low", Cases: []string{"CRM-1"}, Releases: []Release{{Line: "v2026.3", Tag: "v2026.3.1", At: ts("2026-03-03T10:00:00Z")}}}},
		[]Install{record("acme", "production", first, again)})
	if len(r.Cases) != 1 || len(r.Cases[0].Patches) != 1 {
		t.Fatalf("cases = %+v", r.Cases)
	}
	p := r.Cases[0].Patches[0]
	if len(p.Installs) != 1 || p.Installs[0].RolledBackAt != nil || !p.Installs[0].AppliedAt.Equal(ts("2026-03-05T10:00:00Z")) || r.Cases[0].Status != "closed" {
		t.Errorf("status %s, installs %+v; want one delivery, the one applied again, closed", r.Cases[0].Status, p.Installs)
	}
}

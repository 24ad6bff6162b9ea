package rollout

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

var (
	digestA = strings.Repeat("a1", 32)
	digestB = strings.Repeat("b2", 32)
	commit1 = strings.Repeat("1", 40)
	commit2 = strings.Repeat("2", 40)
	commit3 = strings.Repeat("3", 40)
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func tp(s string) *time.Time { t := ts(s); return &t }

// validRecord is a test install with two patches: PL-2026-0007 healthy,
// PL-2026-0009 rolled back by apply after its check failed.
func validRecord() *Record {
	return &Record{
		Schema: 1, Site: "acme-berlin", Env: EnvTest, Host: "inv-test-01", Operator: "Jane Doe", Product: "inventory",
		Release: Ref{Tag: "v2026.3.1", Commit: commit2},
		Patches: []RecordPatch{
			{
				ID: "PL-2026-0007", BundleDigest: digestA, Platform: "linux/amd64",
				Base: Ref{Tag: "v2026.3.0", Commit: commit1}, Target: Ref{Tag: "v2026.3.1", Commit: commit2},
				AppliedAt: ts("2026-03-04T10:00:00+01:00"),
				Checks: []CheckOutcome{
					{At: ts("2026-03-04T10:00:05+01:00"), OK: true, Attempts: 1},
					{At: ts("2026-03-05T09:00:00+01:00"), OK: false, Attempts: 3, ExitCode: 1, Output: "db: connection refused\n"},
					{At: ts("2026-03-05T09:30:00+01:00"), OK: true, Attempts: 1, Output: "ok\n"},
				},
				Confirmations: []Confirmation{{By: "Max Kunde", At: ts("2026-03-06T12:00:00+01:00"), Note: "Import runs again.\nThanks!"}},
			},
			{
				ID: "PL-2026-0009", BundleDigest: digestB, Platform: "linux/amd64",
				Base: Ref{Tag: "v2026.3.1", Commit: commit2}, Target: Ref{Tag: "v2026.3.2", Commit: commit3},
				AppliedAt: ts("2026-03-10T10:00:00+01:00"), RolledBackAt: tp("2026-03-10T10:01:00+01:00"), AutoRolledBack: true,
				Checks: []CheckOutcome{{At: ts("2026-03-10T10:01:00+01:00"), OK: false, Attempts: 3, ExitCode: -1, Output: "timed out after 60s"}},
			},
		},
		Exported: ts("2026-03-11T08:00:00Z"),
	}
}

func TestRecordRoundTrip(t *testing.T) {
	t.Parallel()
	r := validRecord()
	data, err := r.Encode()
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	got, err := DecodeRecord(data)
	if err != nil {
		t.Fatalf("DecodeRecord(Encode(r)): %v\n%s", err, data)
	}
	if !reflect.DeepEqual(got, r) {
		t.Errorf("DecodeRecord(Encode(r)):\ngot  %+v\nwant %+v", got, r)
	}
	golden(t, data)
}

func TestRecordHealthy(t *testing.T) {
	t.Parallel()
	r := validRecord()
	p, ok := r.Healthy(digestA)
	if !ok || p.ID != "PL-2026-0007" || p.Problem() != "" {
		t.Errorf("Healthy(A) = %s, %v (%s); want PL-2026-0007, true", p.ID, ok, p.Problem())
	}
	p, ok = r.Healthy(digestB)
	if ok || p.ID != "PL-2026-0009" {
		t.Errorf("Healthy(B) = %s, %v; want PL-2026-0009, false", p.ID, ok)
	}
	if got, want := p.Problem(), "PL-2026-0009 was rolled back by apply after its health check failed at 2026-03-10T09:01:00Z"; got != want {
		t.Errorf("Problem() = %q, want %q", got, want)
	}
	p, ok = r.Healthy(strings.Repeat("c3", 32))
	if ok || !reflect.DeepEqual(p, RecordPatch{}) {
		t.Errorf("Healthy(absent) = %+v, %v", p, ok)
	}

	tests := []struct {
		name    string
		edit    func(p *RecordPatch)
		problem string
	}{
		{"rolled back by hand", func(p *RecordPatch) { p.RolledBackAt = tp("2026-03-07T08:00:00Z") },
			"PL-2026-0007 was rolled back at 2026-03-07T08:00:00Z"},
		{"never checked", func(p *RecordPatch) { p.Checks = nil }, "PL-2026-0007 has no health check recorded"},
		{"last check failed", func(p *RecordPatch) {
			p.Checks = append(p.Checks, CheckOutcome{At: ts("2026-03-06T00:00:00Z"), ExitCode: 2})
		},
			"PL-2026-0007 failed its last health check at 2026-03-06T00:00:00Z"},
		{"latest by time, not by place", func(p *RecordPatch) { p.Checks[0], p.Checks[2] = p.Checks[2], p.Checks[0] }, ""},
		{"failed check listed last but older", func(p *RecordPatch) {
			p.Checks = append(p.Checks, CheckOutcome{At: ts("2026-03-01T00:00:00Z"), ExitCode: 2})
		}, ""},
	}
	for _, tt := range tests {
		r := validRecord()
		tt.edit(&r.Patches[0])
		p, ok := r.Healthy(digestA)
		if ok != (tt.problem == "") || p.Problem() != tt.problem {
			t.Errorf("%s: Healthy = %v, %q; want %q", tt.name, ok, p.Problem(), tt.problem)
		}
	}
}

func TestDecodeRecordProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(r *Record)
		want string
	}{
		{"schema", func(r *Record) { r.Schema = 2 }, "schema 2 is not 1: written by another patchline version"},
		{"no schema", func(r *Record) { r.Schema = 0 }, "schema 0 is not 1: written by another patchline version"},
		{"site", func(r *Record) { r.Site = "" }, `site "" is not a site name: letters, digits, '.', '_' and '-', at most 64, starting with a letter or digit`},
		{"site path", func(r *Record) { r.Site = "../../etc" }, `site "../../etc" is not a site name: letters, digits, '.', '_' and '-', at most 64, starting with a letter or digit`},
		{"env", func(r *Record) { r.Env = "prod" }, `env: environment "prod" is not one of test, staging, production`},
		{"host", func(r *Record) { r.Host = "a\x1b[2Jb" }, `host "a\x1b[2Jb" has a control character (U+001B) at character 2`},
		{"operator", func(r *Record) { r.Operator = strings.Repeat("x", 200) }, "operator is over 128 bytes"},
		{"product", func(r *Record) { r.Product = "" }, "product is empty"},
		{"release tag", func(r *Record) { r.Release.Tag = "latest" }, `release: tag "latest" is not a release version such as v2026.3.1`},
		{"release commit", func(r *Record) { r.Release.Commit = "abc123" }, `release: commit "abc123" is not a full commit id`},
		{"exported", func(r *Record) { r.Exported = time.Time{} }, "exported_at is missing"},
		{"patch id", func(r *Record) { r.Patches[0].ID = "../PL-1" }, `patches[0]: id "../PL-1" is not a patch id`},
		{"patch twice", func(r *Record) { r.Patches[1].ID = r.Patches[0].ID }, "patches[1]: PL-2026-0007 is listed again although patches[0] was never rolled back"},
		{"applied again before the rollback", func(r *Record) {
			again := r.Patches[1]
			again.RolledBackAt, again.AutoRolledBack, again.AppliedAt = nil, false, r.Patches[1].RolledBackAt.Add(-time.Second)
			r.Patches = append(r.Patches, again)
		}, "patches[2]: PL-2026-0009 was applied again at 2026-03-10T09:00:59Z, before patches[1] was rolled back"},
		{"digest", func(r *Record) { r.Patches[0].BundleDigest = strings.ToUpper(digestA) },
			`patches[0]: PL-2026-0007: bundle_digest "` + strings.ToUpper(digestA) + `" is not a SHA-256 in lower-case hex`},
		{"digest prefix", func(r *Record) { r.Patches[0].BundleDigest = "sha256:" + digestA },
			`patches[0]: PL-2026-0007: bundle_digest "sha256:` + digestA + `" is not a SHA-256 in lower-case hex`},
		{"platform", func(r *Record) { r.Patches[0].Platform = "linux" }, `patches[0]: PL-2026-0007: platform "linux" is not GOOS/GOARCH`},
		{"base", func(r *Record) { r.Patches[0].Base.Commit = "" }, `patches[0]: PL-2026-0007: base: commit "" is not a full commit id`},
		{"target", func(r *Record) { r.Patches[0].Target.Tag = "v 1" }, `patches[0]: PL-2026-0007: target: tag "v 1" is not a release tag`},
		{"applied", func(r *Record) { r.Patches[0].AppliedAt = time.Time{} }, "patches[0]: PL-2026-0007: applied_at is missing"},
		{"rolled back zero", func(r *Record) { r.Patches[0].RolledBackAt = &time.Time{} },
			"patches[0]: PL-2026-0007: rolled_back_at is empty: leave it out when the patch is installed"},
		{"auto without time", func(r *Record) { r.Patches[1].RolledBackAt = nil }, "patches[1]: PL-2026-0009: auto_rolled_back without rolled_back_at"},
		{"check time", func(r *Record) { r.Patches[0].Checks[1].At = time.Time{} }, "patches[0]: PL-2026-0007: checks[1]: at is missing"},
		{"check attempts", func(r *Record) { r.Patches[0].Checks[1].Attempts = -1 }, "patches[0]: PL-2026-0007: checks[1]: attempts -1 is not between 0 and 1000"},
		{"check ok with exit code", func(r *Record) { r.Patches[0].Checks[0].ExitCode = 1 }, "patches[0]: PL-2026-0007: checks[0]: ok with exit code 1"},
		{"check output", func(r *Record) { r.Patches[0].Checks[0].Output = strings.Repeat("x", MaxOutput+1) },
			"patches[0]: PL-2026-0007: checks[0]: output is over 8192 bytes"},
		{"too many checks", func(r *Record) { r.Patches[0].Checks = make([]CheckOutcome, MaxChecks+1) },
			"patches[0]: PL-2026-0007: 1001 checks, at most 1000"},
		{"confirmed by nobody", func(r *Record) { r.Patches[0].Confirmations[0].By = " " },
			"patches[0]: PL-2026-0007: confirmations[0]: by is empty"},
		{"confirmation time", func(r *Record) { r.Patches[0].Confirmations[0].At = time.Time{} },
			"patches[0]: PL-2026-0007: confirmations[0]: at is missing"},
		{"confirmation note", func(r *Record) { r.Patches[0].Confirmations[0].Note = "ok\u202e" },
			"patches[0]: PL-2026-0007: confirmations[0]: note has a control character (U+202E) at character 3"},
		{"confirmation note too long", func(r *Record) { r.Patches[0].Confirmations[0].Note = strings.Repeat("x", MaxNote+1) },
			"patches[0]: PL-2026-0007: confirmations[0]: note is over 4096 bytes"},
		{"too many confirmations", func(r *Record) {
			r.Patches[0].Confirmations = make([]Confirmation, MaxConfirmations+1)
		}, "patches[0]: PL-2026-0007: 101 confirmations, at most 100"},
		{"too many patches", func(r *Record) { r.Patches = make([]RecordPatch, MaxPatches+1) }, "10001 patches, at most 10000"},
	}
	for _, tt := range tests {
		r := validRecord()
		tt.edit(r)
		data, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeRecord(data)
		want := "bad install record: " + tt.want
		if err == nil || err.Error() != want || !errors.Is(err, ErrBadRecord) || got != nil {
			t.Errorf("%s: DecodeRecord = %v\nwant %s", tt.name, err, want)
		}
		if _, err := r.Encode(); err == nil || err.Error() != want {
			t.Errorf("%s: Encode = %v, want the same error", tt.name, err)
		}
	}
}

func TestDecodeRecordMalformed(t *testing.T) {
	t.Parallel()
	valid, err := validRecord().Encode()
	if err != nil {
		t.Fatal(err)
	}
	replace := func(old, new string) []byte {
		if !bytes.Contains(valid, []byte(old)) {
			t.Fatalf("%q not in the record", old)
		}
		return bytes.Replace(valid, []byte(old), []byte(new), 1)
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "the file is empty"},
		{"not JSON", []byte("site = \"acme\"\n"), "line 1: invalid character 's' looking for beginning of value"},
		{"cut short", valid[:len(valid)/2], "unexpected EOF"},
		{"unknown field", replace(`"schema": 1,`, `"schema": 1, "customer": "acme",`), `unknown field "customer" (line 2)`},
		{"unknown nested field", replace(`"ok": true,`, `"ok": true, "passed": true,`), `unknown field "passed" (line 29)`},
		{"wrong type", replace(`"schema": 1,`, `"schema": "1",`), "schema must be an integer, got string (line 2)"},
		{"wrong nested type", replace(`"ok": true,`, `"ok": "yes",`), "patches.checks.ok must be true or false, got string (line 29)"},
		{"bad time", replace(`"exported_at": "2026-03-11T08:00:00Z"`, `"exported_at": "yesterday"`),
			`time "yesterday" is not RFC 3339, e.g. "2026-03-04T10:00:00+01:00" (line 80)`},
		{"two records", append(append([]byte{}, valid...), valid...), "data after the record"},
		{"an array", []byte(`[` + string(valid) + `]`), "the record must be an object, got array (line 1)"},
		{"too large", append(append([]byte{}, valid...), bytes.Repeat([]byte(" "), MaxRecordSize)...), "over 8388608 bytes"},
	}
	for _, tt := range tests {
		got, err := DecodeRecord(tt.data)
		want := "bad install record: " + tt.want
		if err == nil || err.Error() != want || !errors.Is(err, ErrBadRecord) || got != nil {
			t.Errorf("%s: DecodeRecord = %v\nwant %s", tt.name, err, want)
		}
	}
}

func golden(t *testing.T, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", t.Name()+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestRecordPatchAppliedAgain: a patch rolled back and applied again is
// listed twice, the rolled-back delivery first, and the record is sound.
func TestRecordPatchAppliedAgain(t *testing.T) {
	t.Parallel()
	r := validRecord()
	again := r.Patches[1] // PL-2026-0009, rolled back by apply
	again.RolledBackAt, again.AutoRolledBack = nil, false
	again.AppliedAt = r.Patches[1].RolledBackAt.Add(time.Hour)
	r.Patches = append(r.Patches, again)
	data, err := r.Encode()
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if _, err := DecodeRecord(data); err != nil {
		t.Fatalf("DecodeRecord: %v", err)
	}
}

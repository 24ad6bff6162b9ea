package manifest

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/patchline/patchline/internal/textsafe"
)

func FuzzDecodeManifest(f *testing.F) {
	f.Add([]byte(valid))
	for _, m := range roundTripManifests() {
		f.Add(m.Encode())
	}
	for _, s := range []string{
		"",
		"schema = 1",
		"\xff\xfe",
		"[[approval]]\n[[approval]]\nrole = 1\n",
		"approval = [{role = \"qa\", by = \"x\", at = 2026-01-01T00:00:00Z}]",
		"modules = [[[[[[1]]]]]]",
		"x = { a = { b = [1, {c = 2}] } }",
		"reported = 1979-05-27\nsummary = '''\nx = 1\n'''",
		"title = \"\\u0000\\e\\x41\"",
		"title = \"\\u202e::x\"\nsummary = \"\"\"\n::warning::pwned\r\n##[x]\t\"\"\"",
		edit("reported", "reported = 9999-12-31T23:59:59-01:00"),
		edit("urgency", `urgency = "emergency"`),
		valid + "dependencies = [\"golang.org/x/net v0.38.0: CVE-2025-22870\", \"example.com/old none\", \"go 1.24.0\", \"toolchain go1.24.4\"]\n",
		valid + "dependencies = [\"example.com/lib v1.2.0 => ../lib: local fix\", \"example.com/x => example.com/fork v1.0.1\", \"example.com/y => none\"]\n",
		valid + "dependencies = [\"golang.org/x/net v0.38\", \"x@v1\", \"a v1.0.0:\", \"a v1.0.0: \\u001b\", \"a v1.0.0: x\", \"a v1.0.0: y\"]\n",
		valid + "requires = [\"PL-2026-0003\"]\nknown_issues = '''\n::x\x1b'''\nservices = [\"a.service\"]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, problems := Decode("f.toml", data)
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, p := range problems {
			if p.Line < 1 || p.Line > lines || p.Col < 1 || p.Code == "" || p.Rule == "" || p.Message == "" {
				t.Errorf("malformed problem %+v", p)
			}
			if strings.Contains(p.Message, "internal error") {
				t.Errorf("Decode panicked: %s", p)
			}
		}
		text := CheckText("f.toml", data)
		for _, p := range text {
			if p.Line < 1 || p.Line > lines || p.Col < 1 || p.Code != CodeBadValue || p.Message == "" {
				t.Errorf("malformed text problem %+v", p)
			}
		}
		if m == nil && len(text) > 0 {
			t.Errorf("CheckText found problems in a manifest Decode cannot read: %s", join(text))
		}
		if len(problems) > 0 {
			return
		}
		if m == nil {
			t.Fatal("Decode returned neither a manifest nor a problem")
		}
		if len(text) == 0 {
			// What validate accepts prints unchanged.
			for _, s := range slices.Concat([]string{m.ID, m.Title, m.Base}, m.Modules, m.Requires, m.Services, m.Dependencies) {
				if textsafe.Line(s) != s {
					t.Errorf("CheckText accepts %q, which prints as %q", s, textsafe.Line(s))
				}
			}
			for _, s := range []string{m.Summary, m.Justification, m.Rollback, m.KnownIssues} {
				if textsafe.Text(s) != s {
					t.Errorf("CheckText accepts %q, which prints as %q", s, textsafe.Text(s))
				}
			}
		}
		// Every entry Decode accepts means one change, written back as it was.
		if parsed := m.ParsedDependencies(); len(parsed) != len(m.Dependencies) {
			t.Errorf("Decode accepts dependencies %q, of which only %v parse", m.Dependencies, parsed)
		} else {
			for i, e := range parsed {
				if e.String() != m.Dependencies[i] {
					t.Errorf("dependency %q reads back as %q", m.Dependencies[i], e.String())
				}
			}
		}
		enc := m.Encode()
		again, problems := Decode("f.toml", enc)
		if len(problems) > 0 {
			t.Fatalf("Decode(Encode(m)) problems:\n%s\nencoded:\n%s", join(problems), enc)
		}
		if !reflect.DeepEqual(again, m) {
			t.Fatalf("Decode(Encode(m)) = %+v\nwant %+v\nencoded:\n%s", again, m, enc)
		}
		if enc2 := again.Encode(); !bytes.Equal(enc, enc2) {
			t.Fatalf("Encode is not stable:\n%s\nthen\n%s", enc, enc2)
		}
	})
}

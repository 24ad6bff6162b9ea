package advisory_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/patchline/patchline/internal/advisory"
)

// The official schemas in testdata/schemas (README.md there says where
// each comes from), registered under their $id so that the compiler never
// fetches anything: the CSAF schema's $refs to FIRST's CVSS schemas
// resolve to the copies beside it.
var schemaFiles = []struct {
	file, id string
	format   advisory.Format // the documents it validates; "" for a $ref'd schema
}{
	{"osv/schema.json", "https://raw.githubusercontent.com/ossf/osv-schema/main/validation/schema.json", advisory.OSV},
	{"csaf/cvss-v2.0.json", "https://www.first.org/cvss/cvss-v2.0.json", ""},
	{"csaf/cvss-v3.0.json", "https://www.first.org/cvss/cvss-v3.0.json", ""},
	{"csaf/cvss-v3.1.json", "https://www.first.org/cvss/cvss-v3.1.json", ""},
	{"csaf/csaf_json_schema.json", "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json", advisory.CSAF},
	{"openvex/openvex_json_schema.json", "https://github.com/openvex/spec/openvex_json_schema_0.2.0.json", advisory.OpenVEX},
}

type schemas map[advisory.Format]*jsonschema.Schema

// offline refuses every load the compiler did not get with AddResource.
type offline struct{}

func (offline) Load(url string) (any, error) {
	return nil, errors.New("not registered, and the tests fetch nothing: " + url)
}

func loadSchemas(t *testing.T) schemas {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.UseLoader(offline{})
	c.AssertFormat() // date-time, uri, iri are checked, not only noted
	for _, s := range schemaFiles {
		data, err := os.ReadFile(filepath.Join("testdata", "schemas", filepath.FromSlash(s.file)))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", s.file, err)
		}
		if err := c.AddResource(s.id, doc); err != nil {
			t.Fatalf("%s: %v", s.file, err)
		}
	}
	out := schemas{}
	for _, s := range schemaFiles {
		if s.format == "" {
			continue
		}
		sch, err := c.Compile(s.id)
		if err != nil {
			t.Fatalf("compile %s: %v", s.file, err)
		}
		out[s.format] = sch
	}
	return out
}

func (s schemas) validate(t *testing.T, f advisory.Format, data []byte) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not JSON: %v\n%s", err, data)
	}
	if err := s[f].Validate(doc); err != nil {
		t.Errorf("not a valid %s document: %v\n%s", f, err, data)
	}
}

// TestSchemasReject: the validation is real: documents that break each
// schema are refused.
func TestSchemasReject(t *testing.T) {
	t.Parallel()
	s := loadSchemas(t)
	for _, tt := range []struct {
		f        advisory.Format
		why, doc string
	}{
		{advisory.OSV, "no x_ prefix", `{"id": "PL-2026-0001", "modified": "2026-01-01T00:00:00Z"}`},
		{advisory.OSV, "not a date-time", `{"id": "x_PL-2026-0001", "modified": "2026-01-01"}`},
		{advisory.CSAF, "no publisher, title or tracking", `{"document": {"category": "csaf_security_advisory", "csaf_version": "2.0"}}`},
		{advisory.CSAF, "a CVSS score FIRST's schema refuses", `{"document": {"category": "csaf_security_advisory", "csaf_version": "2.0",
			"publisher": {"category": "vendor", "name": "a", "namespace": "https://a.example"}, "title": "t",
			"tracking": {"current_release_date": "2026-01-01T00:00:00Z", "id": "x", "initial_release_date": "2026-01-01T00:00:00Z",
				"revision_history": [{"date": "2026-01-01T00:00:00Z", "number": "1", "summary": "s"}], "status": "final", "version": "1"}},
			"vulnerabilities": [{"scores": [{"products": ["p"], "cvss_v3": {"version": "3.1", "vectorString": "nope", "baseScore": 1, "baseSeverity": "LOW"}}]}]}`},
		{advisory.OpenVEX, "affected without an action statement", `{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://a.example/x",
			"author": "a", "timestamp": "2026-01-01T00:00:00Z", "version": 1, "statements": [{"vulnerability": {"name": "CVE-2026-1"}, "status": "affected"}]}`},
	} {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(tt.doc)))
		if err != nil {
			t.Fatal(err)
		}
		if err := s[tt.f].Validate(doc); err == nil {
			t.Errorf("%s schema accepted a document with %s", tt.f, tt.why)
		}
	}
}

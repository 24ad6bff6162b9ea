package forgetest

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
)

func TestSpecVersion(t *testing.T) {
	t.Parallel()
	s, err := LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/OPENAPI_VERSION")
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != strings.TrimSpace(string(want)) {
		t.Errorf("description is from @octokit/openapi %q, OPENAPI_VERSION says %q: run testdata/regen.sh", s.Version, want)
	}
}

// TestRefusesWhatTheDescriptionDoesNot checks the checker: each request
// breaks the description one way and must be reported.
func TestRefusesWhatTheDescriptionDoesNot(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, path, body string
		want                     string
	}{
		{"unknown path", "GET", "/repos/acme/inventory/nope", "", "no operation in the OpenAPI description matches"},
		{"method not described", "DELETE", "/repos/acme/inventory/pulls", "", "no operation"},
		{"unknown query parameter", "GET", "/repos/acme/inventory/pulls?colour=red", "", `query parameter "colour" is not in the description`},
		{"bad enum", "GET", "/repos/acme/inventory/pulls?state=merged", "", "merged is not one of"},
		{"integer path parameter", "GET", "/repos/acme/inventory/pulls/seven", "", "is not an integer"},
		{"missing required property", "POST", "/repos/acme/inventory/git/refs", `{"ref":"refs/heads/x"}`, `missing required property "sha"`},
		{"unknown property", "POST", "/repos/acme/inventory/statuses/abc", `{"state":"success","colour":"green"}`, `property "colour" is not in the description`},
		{"wrong type", "POST", "/repos/acme/inventory/statuses/abc", `{"state":1}`, "want string"},
		{"body where none is taken", "GET", "/repos/acme/inventory/pulls", `{"x":1}`, "takes none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewServer("acme", "inventory")
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			req, _ := http.NewRequest(tt.method, strings.TrimSuffix(s.URL, "/")+tt.path, strings.NewReader(tt.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			problems := strings.Join(s.Problems(), "\n")
			if !strings.Contains(problems, tt.want) {
				t.Errorf("problems:\n%s\nwant one saying %q", problems, tt.want)
			}
		})
	}
}

func TestUnhitFaultIsAProblem(t *testing.T) {
	t.Parallel()
	s, err := NewServer("acme", "inventory")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Inject(Fault{Method: "GET", Path: "/repos/acme/inventory/pulls", Status: 502})
	if p := s.Problems(); len(p) != 1 || !strings.Contains(p[0], "hit 0") {
		t.Errorf("problems = %v, want the unhit fault", p)
	}
}

// TestInstancesAreValid: the smallest value of each schema the fake answers
// with satisfies the description itself.
func TestInstancesAreValid(t *testing.T) {
	t.Parallel()
	s, err := LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"pull-request", "pull-request-simple", "pull-request-review", "git-ref", "git-tag", "status", "content-file", "team-membership", "commit", "simple-user", "label"} {
		v := s.Instance(name)
		if p := s.Validate(map[string]any{"$ref": "#/components/schemas/" + name}, roundTrip(t, v), name, false); len(p) > 0 {
			t.Errorf("%s: %v", name, p)
		}
	}
}

// roundTrip turns Go values into what decoding JSON gives, numbers as json.Number.
func roundTrip(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

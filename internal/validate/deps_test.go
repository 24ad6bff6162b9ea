package validate_test

import (
	"strings"
	"testing"
	"time"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/repotest"
	"github.com/patchline/patchline/internal/validate"
)

// depsConfig puts the Go module files in the importer module, which every
// patch of these tests lists, so that only the dependency rule speaks.
const depsConfig = `[project]
name = "inventory"

[modules]
importer = ["importer/**", "go.mod", "go.sum", "vendor/**", "tools/**", "testdata/**"]
cli = ["main.go"]
`

const (
	goMod = `module example.com/inventory

go 1.22

require (
	golang.org/x/net v0.37.0
	golang.org/x/text v0.20.0
)
`
	goSum = `golang.org/x/net v0.37.0 h1:AAAA=
golang.org/x/net v0.37.0/go.mod h1:BBBB=
golang.org/x/text v0.20.0 h1:CCCC=
golang.org/x/text v0.20.0/go.mod h1:DDDD=
`
	toolsMod = `module example.com/inventory/tools

go 1.22

require golang.org/x/net v0.37.0
`
)

// netBump is the fix of the tests: golang.org/x/net v0.37.0 to v0.38.0 in
// go.mod and go.sum.
var netBump = map[string]string{
	"go.mod": strings.Replace(goMod, "golang.org/x/net v0.37.0", "golang.org/x/net v0.38.0", 1),
	"go.sum": strings.Replace(goSum, "golang.org/x/net v0.37.0", "golang.org/x/net v0.38.0", 2),
}

// depsProduct makes a repository whose release v2026.3.0 is a Go module
// with a vendor directory and a second module under tools/.
func depsProduct(t *testing.T) (*repotest.Repo, gitrepo.Hash) {
	r := repotest.New(t)
	tag := r.Commit("release", map[string]string{
		".patchline.toml":                     depsConfig,
		"go.mod":                              goMod,
		"go.sum":                              goSum,
		"main.go":                             "package main\n",
		"importer/importer.go":                "package importer\n\nfunc Parse() {}\n",
		"vendor/modules.txt":                  "# golang.org/x/net v0.37.0\n## explicit\ngolang.org/x/net/http2\n",
		"vendor/golang.org/x/net/http2/h2.go": "package http2\n",
		"tools/go.mod":                        toolsMod,
		"testdata/mod/go.mod":                 "module example.com/fixture\n",
	})
	r.Tag("v2026.3.0")
	r.Branch("release/v2026.3", tag)
	return r, tag
}

func runDeps(t *testing.T, r *repotest.Repo, id string) []validate.Finding {
	t.Helper()
	cfg, err := config.Decode(".patchline.toml", []byte(depsConfig))
	if err != nil {
		t.Fatal(err)
	}
	reg := &registry.Registry{Repo: r.Repo, Config: cfg}
	p, err := reg.Load(id)
	if err != nil {
		t.Fatal(err)
	}
	v, err := validate.New(reg, time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := v.Check(p)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func with(files map[string]string, more map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range files {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

func TestValidateDependencies(t *testing.T) {
	t.Parallel()
	const id = "PL-2026-0001"
	tests := []struct {
		name  string
		fix   map[string]string
		extra string // manifest lines
		want  string // the codes found
	}{
		{"go.mod and go.sum bump, unlisted", netBump, "", "PL200"},
		{"listed", netBump, `dependencies = ["golang.org/x/net v0.38.0: CVE-2025-22870"]` + "\n", ""},
		{"listed without a reason", netBump, `dependencies = ["golang.org/x/net v0.38.0"]` + "\n", ""},
		{"listed with another version", netBump, `dependencies = ["golang.org/x/net v0.39.0: CVE-2025-22870"]` + "\n", "PL201"},
		{"listed and an extra entry", netBump, `dependencies = ["golang.org/x/net v0.38.0", "golang.org/x/text v0.21.0"]` + "\n", "PL202"},
		{"listed, no go.mod change", map[string]string{"importer/importer.go": "package importer\n\nfunc Parse() { /* fixed */ }\n"},
			`dependencies = ["golang.org/x/net v0.38.0"]` + "\n", "PL202"},
		{"go.sum only", map[string]string{"go.sum": goSum + "golang.org/x/crypto v0.40.0 h1:EEEE=\n"}, "", "PL203"},
		{"vendor only", map[string]string{"vendor/golang.org/x/net/http2/h2.go": "package http2 // patched\n"}, "", "PL203"},
		{"vendor with its go.mod change", with(netBump, map[string]string{
			"vendor/modules.txt":                  "# golang.org/x/net v0.38.0\n## explicit\ngolang.org/x/net/http2\n",
			"vendor/golang.org/x/net/http2/h2.go": "package http2 // v0.38.0\n"}),
			`dependencies = ["golang.org/x/net v0.38.0"]` + "\n", ""},
		{"go.mod with only a comment, and go.sum", map[string]string{"go.mod": "// inventory\n" + goMod, "go.sum": goSum + "x h1:=\n"}, "", "PL203"},
		{"a second module", map[string]string{"tools/go.mod": strings.Replace(toolsMod, "v0.37.0", "v0.38.0", 1)}, "", "PL200"},
		{"both modules, one entry", with(netBump, map[string]string{"tools/go.mod": strings.Replace(toolsMod, "v0.37.0", "v0.38.0", 1)}),
			`dependencies = ["golang.org/x/net v0.38.0"]` + "\n", ""},
		{"a removal", map[string]string{"go.mod": strings.Replace(goMod, "\tgolang.org/x/text v0.20.0\n", "", 1)},
			`dependencies = ["golang.org/x/text none: no longer used"]` + "\n", ""},
		{"a replace directive and the go line", map[string]string{"go.mod": strings.Replace(goMod, "go 1.22", "go 1.23.0", 1) + "\nreplace golang.org/x/text => ./third_party/text\n"},
			`dependencies = ["go 1.23.0", "golang.org/x/text => ./third_party/text: local fix"]` + "\n", ""},
		{"a go.mod that does not parse", map[string]string{"go.mod": goMod + "require golang.org/x/crypto\n"}, "", "PL204"},
		{"an entry that does not parse: the manifest's finding only", netBump, `dependencies = ["golang.org/x/net@v0.38.0"]` + "\n", "PL104"},
		{"a fixture under testdata", map[string]string{"testdata/mod/go.mod": "module example.com/fixture\n\nrequire example.com/x v1.0.0\n"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, tag := depsProduct(t)
			cutPatch(t, r, id, tag, tt.fix, tt.extra)
			fs := runDeps(t, r, id)
			if got := codes(fs); got != tt.want {
				t.Errorf("codes = %q, want %q\n%v", got, tt.want, fs)
			}
		})
	}
}

// TestValidateDependenciesFindings checks what each finding says, where,
// and the line to write.
func TestValidateDependenciesFindings(t *testing.T) {
	t.Parallel()
	const id = "PL-2026-0001"
	const toml = "patches/PL-2026-0001/patch.toml"
	const diff = "patches/PL-2026-0001/patch.diff"
	tests := []struct {
		name  string
		fix   map[string]string
		extra string
		want  []validate.Finding
	}{
		{"unlisted, no key", netBump, "", []validate.Finding{{Code: "PL200", Rule: "deps.unlisted", File: toml, Line: 1, Col: 1,
			Message: "go.mod upgrades golang.org/x/net from v0.37.0 to v0.38.0, and dependencies does not list it",
			Hint:    `list it in the manifest: dependencies = ["golang.org/x/net v0.38.0"], with the reason after a colon if you like: "golang.org/x/net v0.38.0: <why>"`}}},
		{"one of two listed", with(netBump, map[string]string{"tools/go.mod": strings.Replace(toolsMod, "v0.37.0", "v0.39.0", 1)}),
			`dependencies = ["golang.org/x/net v0.38.0"]` + "\n",
			[]validate.Finding{{Code: "PL200", Rule: "deps.unlisted", File: toml, Line: 13, Col: 1,
				Message: "tools/go.mod upgrades golang.org/x/net from v0.37.0 to v0.39.0, and dependencies does not list it",
				Hint:    `add "golang.org/x/net v0.39.0" to dependencies, with the reason after a colon if you like: "golang.org/x/net v0.39.0: <why>"`}}},
		{"wrong version", netBump, "dependencies = [\n  \"golang.org/x/text v0.20.0\",\n  \"golang.org/x/net v0.39.0: CVE-2025-22870\",\n]\n", []validate.Finding{
			{Code: "PL201", Rule: "deps.mismatch", File: toml, Line: 15, Col: 3,
				Message: "dependencies lists golang.org/x/net v0.39.0, but go.mod upgrades golang.org/x/net from v0.37.0 to v0.38.0",
				Hint:    "write \"golang.org/x/net v0.38.0: CVE-2025-22870\", or change go.mod to match: go get golang.org/x/net@v0.39.0, then run `patchline diff`"},
			{Code: "PL202", Rule: "deps.not-in-diff", File: toml, Line: 14, Col: 3,
				Message: "dependencies lists golang.org/x/text v0.20.0, but no go.mod file in patch.diff makes that change",
				Hint:    "remove the entry, or make the change (go get golang.org/x/text@v0.20.0), commit it and run `patchline diff`"}}},
		{"vendor only", map[string]string{"vendor/golang.org/x/net/http2/h2.go": "package http2 // patched\n", "vendor/golang.org/x/net/http2/h3.go": "package http2\n"}, "",
			[]validate.Finding{{Code: "PL203", Rule: "deps.without-go-mod", File: diff, Line: 1,
				Message: "patch.diff changes vendor/golang.org/x/net/http2/h2.go and 1 more under vendor/, but no dependency in go.mod",
				Hint:    "go.sum and vendor/ follow go.mod: change the dependency in go.mod (go get <module>@<version>, or a replace directive for a fork with a local fix), run go mod tidy and go mod vendor and `patchline diff`, and list the change in dependencies; or undo it: git checkout v2026.3.0 -- vendor"}}},
		{"go.sum only, in the second module", map[string]string{"tools/go.sum": "golang.org/x/net v0.37.0 h1:AAAA=\n"}, "",
			[]validate.Finding{{Code: "PL203", Rule: "deps.without-go-mod", File: diff, Line: 1,
				Message: "patch.diff changes tools/go.sum, but no dependency in tools/go.mod",
				Hint:    "go.sum and vendor/ follow go.mod: change the dependency in tools/go.mod (go get <module>@<version>, or a replace directive for a fork with a local fix), run go mod tidy and `patchline diff`, and list the change in dependencies; or undo it: git checkout v2026.3.0 -- tools/go.sum"}}},
		{"broken go.mod", map[string]string{"go.mod": goMod + "require golang.org/x/crypto\n"}, "",
			[]validate.Finding{{Code: "PL204", Rule: "deps.go-mod", File: diff, Line: 1,
				Message: "cannot read the dependencies of go.mod after the patch: go.mod:9: usage: require module/path v1.2.3",
				Hint:    "the go command must read go.mod before and after the patch: fix it on the branch and run `patchline diff`"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, tag := depsProduct(t)
			cutPatch(t, r, id, tag, tt.fix, tt.extra)
			var got []validate.Finding
			for _, f := range runDeps(t, r, id) {
				if f.Severity != validate.Notice {
					f.Patch, f.Severity = "", ""
					got = append(got, f)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("findings:\n%v\nwant:\n%v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("finding %d:\ngot  %+v\nwant %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

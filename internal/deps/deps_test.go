package deps

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseEntry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Entry
		cmd  string
	}{
		{"golang.org/x/net v0.38.0: CVE-2025-22870",
			Entry{Change{Module: "golang.org/x/net", Version: "v0.38.0"}, "CVE-2025-22870"}, "go get golang.org/x/net@v0.38.0"},
		{"golang.org/x/net v0.38.0", Entry{Change: Change{Module: "golang.org/x/net", Version: "v0.38.0"}}, ""},
		{"example.com/old none: no longer used", Entry{Change{Module: "example.com/old", Version: None}, "no longer used"}, "go get example.com/old@none"},
		{"example.com/m/v2 v2.1.0-rc.1", Entry{Change: Change{Module: "example.com/m/v2", Version: "v2.1.0-rc.1"}}, ""},
		{"github.com/old/lib v3.0.0+incompatible", Entry{Change: Change{Module: "github.com/old/lib", Version: "v3.0.0+incompatible"}}, ""},
		{"gopkg.in/yaml.v3 v3.0.1", Entry{Change: Change{Module: "gopkg.in/yaml.v3", Version: "v3.0.1"}}, ""},
		{"example.com/m v0.0.0-20250101000000-abcdefabcdef", Entry{Change: Change{Module: "example.com/m", Version: "v0.0.0-20250101000000-abcdefabcdef"}}, ""},
		{"inventory/lib v0.0.0: a module of this repository", Entry{Change{Module: "inventory/lib", Version: "v0.0.0"}, "a module of this repository"}, ""},
		{"go 1.24.0: the CVE fix needs it", Entry{Change{Module: Go, Version: "1.24.0"}, "the CVE fix needs it"}, "go get go@1.24.0"},
		{"toolchain go1.24.4", Entry{Change: Change{Module: Toolchain, Version: "go1.24.4"}}, "go get toolchain@go1.24.4"},
		{"toolchain none", Entry{Change: Change{Module: Toolchain, Version: None}}, ""},
		{"example.com/lib => example.com/fork v1.2.1: fork with the fix",
			Entry{Change{Module: "example.com/lib", Replace: true, With: "example.com/fork", WithVersion: "v1.2.1"}, "fork with the fix"},
			"go mod edit -replace=example.com/lib=example.com/fork@v1.2.1"},
		{"example.com/lib v1.2.0 => ../lib", Entry{Change: Change{Module: "example.com/lib", Version: "v1.2.0", Replace: true, With: "../lib"}},
			"go mod edit -replace=example.com/lib@v1.2.0=../lib"},
		{"example.com/lib => none", Entry{Change: Change{Module: "example.com/lib", Replace: true, With: None}}, "go mod edit -dropreplace=example.com/lib"},
		{"example.com/lib => /opt/src/lib", Entry{Change: Change{Module: "example.com/lib", Replace: true, With: "/opt/src/lib"}}, ""},
		{"example.com/m v1.0.0: reason: with a colon", Entry{Change{Module: "example.com/m", Version: "v1.0.0"}, "reason: with a colon"}, ""},
	}
	for _, tt := range tests {
		got, err := ParseEntry(tt.in)
		if err != nil {
			t.Errorf("ParseEntry(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseEntry(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if s := got.String(); s != tt.in {
			t.Errorf("ParseEntry(%q).String() = %q", tt.in, s)
		}
		if tt.cmd != "" && got.GoCommand() != tt.cmd {
			t.Errorf("GoCommand of %q = %q, want %q", tt.in, got.GoCommand(), tt.cmd)
		}
	}
}

func TestParseEntryErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, msg, hint string
	}{
		{"golang.org/x/net", `"golang.org/x/net" has no version`,
			`write the version the patch sets after the module, e.g. "golang.org/x/net v1.2.3", or "golang.org/x/net none" when it removes the requirement`},
		{"golang.org/x/net@v0.38.0", `"golang.org/x/net@v0.38.0": separate the module and the version with a space, not @`, `write "golang.org/x/net v0.38.0"`},
		{"golang.org/x/net 0.38.0", `"golang.org/x/net 0.38.0": "0.38.0" is not a canonical module version`, `did you mean "golang.org/x/net v0.38.0"?`},
		{"golang.org/x/net v0.38", `"golang.org/x/net v0.38": "v0.38" is not a canonical module version`, `did you mean "golang.org/x/net v0.38.0"?`},
		{"golang.org/x/net latest", `"golang.org/x/net latest": "latest" is not a canonical module version`, "versions are semantic versions as go.mod writes them, e.g. v1.2.3, or none for a removal"},
		{"example.com/m v2.0.0", `"example.com/m v2.0.0": version v2.0.0 does not match module example.com/m`,
			"major version v2 is module example.com/m/v2, or v2.0.0+incompatible for a module without a go.mod"},
		{"example.com/m/v2 v1.0.0", `"example.com/m/v2 v1.0.0": version v1.0.0 does not match module example.com/m/v2`,
			"a module path ending in /vN takes versions vN.x.y, and gopkg.in/m.vN takes vN.x.y"},
		{"example.com//m v1.0.0", `"example.com//m v1.0.0": "example.com//m" is not a module path: double slash`, "write the module path as go.mod does, e.g. golang.org/x/net"},
		{"golang.org/x/net  v0.38.0", `"golang.org/x/net  v0.38.0": separate the fields with single spaces, with none before the colon`, `write "golang.org/x/net v0.38.0"`},
		{"golang.org/x/net v0.38.0 : why", `"golang.org/x/net v0.38.0 : why": separate the fields with single spaces, with none before the colon`, `write "golang.org/x/net v0.38.0: why"`},
		{"golang.org/x/net v0.38.0:why", `"golang.org/x/net v0.38.0:why": write one space after the colon and none at the end`, `write "golang.org/x/net v0.38.0: why"`},
		{"golang.org/x/net v0.38.0:  ", `"golang.org/x/net v0.38.0:  " has a colon but no reason after it`, `say why after the colon, or remove it: "golang.org/x/net v0.38.0"`},
		{": why", `": why" names no module`, grammar},
		{"golang.org/x/net v0.38.0 v0.39.0", `"golang.org/x/net v0.38.0 v0.39.0": want a module and a version, got 3 fields`, grammar},
		{"go 1.24.x", `"go 1.24.x": "1.24.x" is not a Go version`, `write the go line's version as go.mod does, e.g. "go 1.24.0"`},
		{"toolchain 1.24.4", `"toolchain 1.24.4": "1.24.4" is not a toolchain name`, `write the toolchain line's name as go.mod does, e.g. "toolchain go1.24.4"`},
		{"example.com/lib =>", `"example.com/lib =>" is not a replace directive`,
			`write "<module> [<version>] => <module> <version>", "<module> [<version>] => <directory>" or "<module> [<version>] => none", as a replace directive in go.mod`},
		{"example.com/lib => example.com/fork", `"example.com/lib => example.com/fork": the replacement example.com/fork has no version`,
			`a replacement module needs its version, e.g. "example.com/lib => example.com/fork v1.2.3"; a directory starts with ./, ../ or /`},
		{"example.com/lib => ../lib v1.0.0", `"example.com/lib => ../lib v1.0.0": a directory takes no version`, `write "example.com/lib => ../lib"`},
		{"example.com/lib => none v1.0.0", `"example.com/lib => none v1.0.0": none takes no version`, `write "example.com/lib => none"`},
		{`example.com/lib => ..\lib`, `"example.com/lib => ..\\lib": "..\\lib" is a Windows path`, "write the directory with forward slashes, relative to the go.mod file, e.g. ../lib"},
		{"example.com/lib none => ../lib", `"example.com/lib none => ../lib": a replace directive cannot replace version none`, `a replace directive replaces one version or every one: write "example.com/lib => ../lib"`},
		{"example.com/lib => example.com/fork v1.2", `"example.com/lib => example.com/fork v1.2": "v1.2" is not a canonical module version`, `did you mean "example.com/fork v1.2.0"?`},
	}
	for _, tt := range tests {
		_, err := ParseEntry(tt.in)
		var ee *EntryError
		if !errors.As(err, &ee) {
			t.Errorf("ParseEntry(%q) = %v, want an *EntryError", tt.in, err)
			continue
		}
		if ee.Message != tt.msg || ee.Hint != tt.hint {
			t.Errorf("ParseEntry(%q):\ngot  %s (hint: %s)\nwant %s (hint: %s)", tt.in, ee.Message, ee.Hint, tt.msg, tt.hint)
		}
	}
}

func FuzzParseEntry(f *testing.F) {
	for _, s := range []string{
		"golang.org/x/net v0.38.0: CVE-2025-22870", "example.com/old none", "go 1.24.0", "toolchain go1.24.4",
		"example.com/lib v1.2.0 => ../lib", "example.com/lib => example.com/fork v1.2.1: x", "a => none", ":", "=> =>", "x v1.0.0:\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseEntry(s)
		if err != nil {
			var ee *EntryError
			if !errors.As(err, &ee) || ee.Message == "" || ee.Hint == "" {
				t.Fatalf("ParseEntry(%q) = %v, want an *EntryError with a hint", s, err)
			}
			return
		}
		// What parses is written back as it was, and means the same.
		if e.String() != s {
			t.Fatalf("ParseEntry(%q).String() = %q", s, e.String())
		}
		again, err := ParseEntry(e.Change.String())
		if err != nil || again.Change != e.Change {
			t.Fatalf("ParseEntry(%q) = %+v, %v; want %+v", e.Change.String(), again, err, e.Change)
		}
		if strings.ContainsAny(e.Change.String(), "\t\n") {
			t.Fatalf("change %q holds a character no go.mod writes", e.Change.String())
		}
	})
}

func TestEdits(t *testing.T) {
	t.Parallel()
	const before = `module example.com/inventory

go 1.22

require (
	golang.org/x/net v0.37.0
	golang.org/x/text v0.20.0 // indirect
	example.com/old v1.0.0
	example.com/down v1.5.0
)

replace example.com/lib => ../lib

replace example.com/fork v1.0.0 => example.com/fork2 v1.0.1
`
	const after = `// the same module, edited
module example.com/inventory

go 1.23.0

toolchain go1.23.4

require (
	golang.org/x/net v0.38.0
	golang.org/x/text v0.20.0
	example.com/down v1.4.0
	example.com/new v0.1.0
)

replace example.com/lib => example.com/lib-fork v1.2.1

replace example.com/gone v1.0.0 => ../gone
`
	got, err := Edits("go.mod", []byte(before), []byte(after))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"go.mod changes go from 1.22 to 1.23.0",
		"go.mod adds the line toolchain go1.23.4",
		"go.mod downgrades example.com/down from v1.5.0 to v1.4.0",
		"go.mod adds example.com/new v0.1.0",
		"go.mod removes example.com/old v1.0.0",
		"go.mod upgrades golang.org/x/net from v0.37.0 to v0.38.0",
		"go.mod drops the replacement of example.com/fork v1.0.0 with example.com/fork2 v1.0.1",
		"go.mod replaces example.com/gone v1.0.0 with ../gone",
		"go.mod replaces example.com/lib with example.com/lib-fork v1.2.1 instead of ../lib",
	}
	var gotText []string
	for _, e := range got {
		gotText = append(gotText, e.Describe())
	}
	if !reflect.DeepEqual(gotText, want) {
		t.Errorf("Edits:\ngot  %s\nwant %s", strings.Join(gotText, "\n     "), strings.Join(want, "\n     "))
	}
	var changes []string
	for _, e := range got {
		changes = append(changes, e.Change.String())
	}
	wantChanges := []string{"go 1.23.0", "toolchain go1.23.4", "example.com/down v1.4.0", "example.com/new v0.1.0", "example.com/old none",
		"golang.org/x/net v0.38.0", "example.com/fork v1.0.0 => none", "example.com/gone v1.0.0 => ../gone", "example.com/lib => example.com/lib-fork v1.2.1"}
	if !reflect.DeepEqual(changes, wantChanges) {
		t.Errorf("changes:\ngot  %q\nwant %q", changes, wantChanges)
	}
	// Every change reads back as an entry.
	for _, c := range changes {
		if e, err := ParseEntry(c); err != nil || e.Change.String() != c {
			t.Errorf("ParseEntry(%q) = %v, %v", c, e, err)
		}
	}
}

func TestEditsFiles(t *testing.T) {
	t.Parallel()
	mod := []byte("module example.com/tools\n\ngo 1.22\n\nrequire golang.org/x/tools v0.30.0\n")
	added, err := Edits("tools/go.mod", nil, mod)
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 2 || added[0].Describe() != "tools/go.mod adds the line go 1.22" || added[1].Describe() != "tools/go.mod adds golang.org/x/tools v0.30.0" {
		t.Errorf("a new go.mod: %v", added)
	}
	removed, err := Edits("tools/go.mod", mod, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 2 || removed[1].Change.String() != "golang.org/x/tools none" {
		t.Errorf("a removed go.mod: %v", removed)
	}
	same, err := Edits("go.mod", mod, []byte("// a comment\nmodule example.com/tools\n\ngo 1.22\n\nrequire golang.org/x/tools v0.30.0 // indirect\n\nexclude golang.org/x/tools v0.29.0\n"))
	if err != nil || len(same) != 0 {
		t.Errorf("comments, indirect marks and exclude lines: %v, %v; want no edit", same, err)
	}
	_, err = Edits("go.mod", mod, []byte("module example.com/tools\nrequire golang.org/x/tools\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "go.mod after the patch: go.mod:2:") {
		t.Errorf("a broken go.mod: %v", err)
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	edit := func(file, entry, was string) Edit {
		e, err := ParseEntry(entry)
		if err != nil {
			t.Fatal(err)
		}
		return Edit{File: file, Change: e.Change, Was: was}
	}
	entries := func(ss ...string) []Entry {
		var out []Entry
		for _, s := range ss {
			e, err := ParseEntry(s)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, e)
		}
		return out
	}
	net := edit("go.mod", "golang.org/x/net v0.38.0", "v0.37.0")
	netTools := edit("tools/go.mod", "golang.org/x/net v0.38.0", "v0.36.0")
	text := edit("go.mod", "golang.org/x/text v0.21.0", "v0.20.0")
	tests := []struct {
		name    string
		entries []Entry
		edits   []Edit
		want    Result
	}{
		{"all listed, one entry for two go.mod files", entries("golang.org/x/net v0.38.0: CVE-2025-22870", "golang.org/x/text v0.21.0"),
			[]Edit{net, netTools, text}, Result{}},
		{"nothing listed", nil, []Edit{net, netTools, text}, Result{Unlisted: []Edit{net, text}}},
		{"a wrong version", entries("golang.org/x/net v0.39.0", "golang.org/x/text v0.21.0"),
			[]Edit{net, text}, Result{Mismatched: []Mismatch{{Entry: 0, Edit: net}}}},
		{"listed, not changed", entries("golang.org/x/net v0.38.0", "golang.org/x/crypto v0.40.0"),
			[]Edit{net}, Result{Unchanged: []int{1}}},
		{"two versions in two go.mod files, one listed", entries("golang.org/x/net v0.38.0"),
			[]Edit{net, edit("tools/go.mod", "golang.org/x/net v0.39.0", "v0.36.0")},
			Result{Unlisted: []Edit{edit("tools/go.mod", "golang.org/x/net v0.39.0", "v0.36.0")}}},
		{"no go.mod change at all", entries("golang.org/x/net v0.38.0"), nil, Result{Unchanged: []int{0}}},
	}
	for _, tt := range tests {
		got := Match(tt.entries, tt.edits)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Match = %+v, want %+v", tt.name, got, tt.want)
		}
		if got.OK() != tt.want.OK() {
			t.Errorf("%s: OK = %v", tt.name, got.OK())
		}
	}
	if got := Files([]Edit{net, text, netTools}, net.Change); !reflect.DeepEqual(got, []string{"go.mod", "tools/go.mod"}) {
		t.Errorf("Files = %q", got)
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		kind Kind
		dir  string
	}{
		{"go.mod", GoMod, "."},
		{"go.sum", GoSum, "."},
		{"tools/go.mod", GoMod, "tools"},
		{"services/api/go.sum", GoSum, "services/api"},
		{"vendor/modules.txt", Vendor, "."},
		{"vendor/golang.org/x/net/http2/frame.go", Vendor, "."},
		{"tools/vendor/example.com/m/go.mod", Vendor, "tools"},
		{"vendor/example.com/m/testdata/x", Vendor, "."},
		{"internal/testdata/go.mod", Other, ""},
		{"testdata/mod/vendor/x.go", Other, ""},
		{"vendor", Other, ""},
		{"main.go", Other, ""},
		{"go.work", Other, ""},
		{"docs/go.mod.md", Other, ""},
	}
	for _, tt := range tests {
		if kind, dir := Classify(tt.path); kind != tt.kind || dir != tt.dir {
			t.Errorf("Classify(%q) = %v, %q; want %v, %q", tt.path, kind, dir, tt.kind, tt.dir)
		}
	}
}

package rollup

import (
	"bytes"
	"strings"
	"testing"

	"github.com/patchline/patchline/internal/patchdiff"
)

// lines makes a file of numbered lines with some replaced: lines(10, 3, "x")
// is "line 1\n" … "line 10\n" with line 3 reading "x".
func lines(n int, repl ...any) string {
	var b strings.Builder
	set := map[int]string{}
	for i := 0; i+1 < len(repl); i += 2 {
		set[repl[i].(int)] = repl[i+1].(string)
	}
	for i := 1; i <= n; i++ {
		if s, ok := set[i]; ok {
			if s != "" {
				b.WriteString(s + "\n")
			}
			continue
		}
		b.WriteString("line " + string(rune('a'+i%26)) + strings.Repeat("!", i/26) + "\n")
	}
	return b.String()
}

func diffOf(t *testing.T, changes ...patchdiff.Change) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := patchdiff.Write(&buf, changes); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestContains(t *testing.T) {
	t.Parallel()
	base := lines(40)
	fixed := lines(40, 10, "the fix", 30, "second fix")
	modify := patchdiff.Change{OldPath: "a.go", NewPath: "a.go", OldMode: patchdiff.ModeRegular, NewMode: patchdiff.ModeRegular,
		OldData: []byte(base), NewData: []byte(fixed)}
	top := modify
	top.NewData = []byte(lines(40, 2, "the fix", 30, "second fix"))
	added := patchdiff.Change{NewPath: "new.go", NewMode: patchdiff.ModeRegular, NewData: []byte("package x\n\nfunc New() {}\n")}
	deleted := patchdiff.Change{OldPath: "old.go", OldMode: patchdiff.ModeRegular, OldData: []byte("package x\n")}
	binOld, binNew := []byte("\x00\x01binary one"), []byte("\x00\x02binary two")
	binary := patchdiff.Change{OldPath: "logo.png", NewPath: "logo.png", OldMode: patchdiff.ModeRegular, NewMode: patchdiff.ModeRegular, OldData: binOld, NewData: binNew}
	chmod := patchdiff.Change{OldPath: "run.sh", NewPath: "run.sh", OldMode: patchdiff.ModeRegular, NewMode: patchdiff.ModeExecutable, OldData: []byte("echo\n"), NewData: []byte("echo\n")}

	tests := []struct {
		name    string
		change  patchdiff.Change
		tree    patchdiff.MapSource
		want    bool
		method  string
		missing string // a reason, when not contained
	}{
		{"applies in reverse", modify, patchdiff.MapSource{"a.go": {Data: []byte(fixed)}}, true, MethodReverse, ""},
		{"moved by lines above", modify,
			patchdiff.MapSource{"a.go": {Data: []byte("new header\nmore\n" + fixed)}}, true, MethodReverse, ""},
		{"a line above a hunk anchored at the start: post-image", top,
			// The first hunk starts at line 1, so it applies in reverse only
			// at the top of the file; its post-image is still there.
			patchdiff.MapSource{"a.go": {Data: []byte("// header\n" + lines(40, 2, "the fix", 30, "second fix"))}}, true, MethodPostImage, ""},
		{"context changed: added lines", modify,
			patchdiff.MapSource{"a.go": {Data: []byte(lines(40, 9, "changed context", 10, "the fix", 30, "second fix"))}}, true, MethodAddedLines, ""},
		{"one hunk missing", modify,
			patchdiff.MapSource{"a.go": {Data: []byte(lines(40, 10, "the fix"))}}, false, "", "1 of 2 hunks not found"},
		{"file gone", modify, patchdiff.MapSource{}, false, "", "the release has no such file"},
		{"new file present", added, patchdiff.MapSource{"new.go": {Data: added.NewData}}, true, MethodReverse, ""},
		{"new file grew", added, patchdiff.MapSource{"new.go": {Data: []byte("package x\n\nfunc New() {}\n\nfunc More() {}\n")}}, true, MethodPostImage, ""},
		{"deleted file gone", deleted, patchdiff.MapSource{}, true, MethodReverse, ""},
		{"deleted file back", deleted, patchdiff.MapSource{"old.go": {Data: []byte("package x\n\nvar y int\n")}}, false, "", "the patch deletes it, the release still has it"},
		{"binary present", binary, patchdiff.MapSource{"logo.png": {Data: binNew}}, true, MethodReverse, ""},
		{"binary differs", binary, patchdiff.MapSource{"logo.png": {Data: binOld}}, false, "", "binary content is blob"},
		{"mode present", chmod, patchdiff.MapSource{"run.sh": {Data: []byte("echo hi\n"), Mode: patchdiff.ModeExecutable}}, true, MethodReverse, ""},
		{"mode missing", chmod, patchdiff.MapSource{"run.sh": {Data: []byte("echo\n")}}, false, "", "mode is 100644, the patch sets 100755"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files, err := patchdiff.Parse(bytes.NewReader(diffOf(t, tt.change)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Contains(files, tt.tree)
			if err != nil {
				t.Fatal(err)
			}
			if got.Contained != tt.want || got.Method != tt.method {
				t.Fatalf("got contained=%v method=%q (%+v), want %v %q", got.Contained, got.Method, got.Files, tt.want, tt.method)
			}
			if tt.missing != "" {
				m := got.Missing()
				if len(m) != 1 || !strings.Contains(m[0].Reason, tt.missing) {
					t.Fatalf("got missing %+v, want one with %q", m, tt.missing)
				}
			}
		})
	}
}

func TestAddedLinesNeedSubstance(t *testing.T) {
	t.Parallel()
	// A hunk that only adds a closing brace proves nothing when its
	// context is gone: braces are everywhere.
	old := "func a() {\n\tx()\n\ty()\n\tz()\n"
	new := "func a() {\n\tx()\n\ty()\n\tz()\n}\n"
	files, err := patchdiff.Parse(bytes.NewReader(diffOf(t, patchdiff.Change{OldPath: "a.go", NewPath: "a.go",
		OldMode: patchdiff.ModeRegular, NewMode: patchdiff.ModeRegular, OldData: []byte(old), NewData: []byte(new)})))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Contains(files, patchdiff.MapSource{"a.go": {Data: []byte("func b() {\n}\n")}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Contained {
		t.Fatalf("got contained by %s, want missing", got.Method)
	}
}

// TestAddedLinesLayout is containerd's backport of "local: avoid writing to
// content root on readonly store" (release/1.7, ddf2b03edf74) as its newer
// release holds it: the struct gained fields, so gofmt aligned them anew and
// the blank line before the new field went; the blank line after the
// literal went too; and "}, nil", which the fix deleted, still ends other
// functions of the file.
func TestAddedLinesLayout(t *testing.T) {
	t.Parallel()
	const tail = "\nfunc (s *store) Status() (*Status, error) {\n\treturn &Status{\n\t\tRef: s.root,\n\t}, nil\n}\n"
	old := "type store struct {\n\troot string\n\tls   LabelStore\n}\n\n" +
		"func NewLabeledStore(root string, ls LabelStore) (*store, error) {\n" +
		"\tif err := os.MkdirAll(root, 0777); err != nil {\n\t\treturn nil, err\n\t}\n\n" +
		"\treturn &store{\n\t\troot: root,\n\t\tls:   ls,\n\t}, nil\n}\n"
	fixed := "type store struct {\n\troot string\n\tls   LabelStore\n\n\tensureRootOnce func() error\n}\n\n" +
		"func NewLabeledStore(root string, ls LabelStore) (*store, error) {\n" +
		"\ts := &store{\n\t\troot: root,\n\t\tls:   ls,\n\t}\n\n" +
		"\ts.ensureRootOnce = sync.OnceValue(s.ensureRoot)\n\treturn s, nil\n}\n"
	newer := "type store struct {\n\troot      string\n\tls        LabelStore\n\tsupported bool\n\tensureRootOnce func() error\n}\n\n" +
		"func NewLabeledStore(root string, ls LabelStore) (*store, error) {\n\tsupported := check(root)\n\n" +
		"\ts := &store{\n\t\troot:      root,\n\t\tls:        ls,\n\t\tsupported: supported,\n\t}\n" +
		"\ts.ensureRootOnce = sync.OnceValue(s.ensureRoot)\n\treturn s, nil\n}\n"
	change := patchdiff.Change{OldPath: "store.go", NewPath: "store.go", OldMode: patchdiff.ModeRegular, NewMode: patchdiff.ModeRegular,
		OldData: []byte(old + tail), NewData: []byte(fixed + tail)}
	files, err := patchdiff.Parse(bytes.NewReader(diffOf(t, change)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, tree string
		want       bool
	}{
		{"the fix, laid out anew", newer + tail, true},
		// Where the added lines are, the deleted ones must be gone.
		{"the fix beside the old code", strings.Replace(newer, "\ts := &store{", "\tif err := os.MkdirAll(root, 0777); err != nil {\n\t\treturn nil, err\n\t}\n\ts := &store{", 1) + tail, false},
		{"without the fix", old + tail, false},
	} {
		got, err := Contains(files, patchdiff.MapSource{"store.go": {Data: []byte(tc.tree)}})
		if err != nil {
			t.Fatal(err)
		}
		if got.Contained != tc.want {
			t.Errorf("%s: got contained=%v (%+v), want %v", tc.name, got.Contained, got.Files, tc.want)
		}
	}
}

// TestAddedLinesLayoutOnly: a fix that only changes spacing inside a line
// is not found by its layout-free form, which the old line shares.
func TestAddedLinesLayoutOnly(t *testing.T) {
	t.Parallel()
	old := lines(20, 10, `	msg := "disk  full"`)
	fixed := lines(20, 10, `	msg := "disk full"`)
	files, err := patchdiff.Parse(bytes.NewReader(diffOf(t, patchdiff.Change{OldPath: "a.go", NewPath: "a.go",
		OldMode: patchdiff.ModeRegular, NewMode: patchdiff.ModeRegular, OldData: []byte(old), NewData: []byte(fixed)})))
	if err != nil {
		t.Fatal(err)
	}
	// The release moved lines around the hunk, so only the weaker checks can find it.
	got, err := Contains(files, patchdiff.MapSource{"a.go": {Data: []byte(lines(20, 9, "// moved", 10, `	msg := "disk  full"`))}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Contained {
		t.Fatalf("got contained by %s, want missing: the release still has the old spacing", got.Method)
	}
}

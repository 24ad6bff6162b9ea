package rollup

import (
	"bytes"
	"testing"

	"github.com/patchline/patchline/internal/patchdiff"
)

// FuzzContains hands Contains a diff patchline wrote from two versions of
// a file, and a tree holding some third version: it must never fail or
// panic on what a diff and a tree can hold, and it must always find the
// change in a tree that holds the new version itself. A diff from history
// is untrusted input too, so any text that parses as a diff is checked
// against the tree as well.
func FuzzContains(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nB\nc\n", "x\na\nB\nc\n", "")
	f.Add("type s struct {\n\troot string\n}\n", "type s struct {\n\troot string\n\n\tonce func()\n}\n",
		"type s struct {\n\troot      string\n\tsupported bool\n\tonce      func()\n}\n", "")
	f.Add("x := f()\n\treturn &s{\n\t}, nil\n}\n", "s := &s{\n\t}\n\treturn s, nil\n}\n", "\t}, nil\n", "")
	f.Add("", "", "a\n", "--- a/a.go\n+++ b/a.go\n@@ -1 +1 @@\n-a\n+b\n")
	f.Fuzz(func(t *testing.T, old, new, tree, text string) {
		if len(old)+len(new)+len(tree)+len(text) > 1<<16 {
			return
		}
		var diff bytes.Buffer
		change := patchdiff.Change{OldPath: "a.go", NewPath: "a.go", OldMode: patchdiff.ModeRegular, NewMode: patchdiff.ModeRegular,
			OldData: []byte(old), NewData: []byte(new)}
		if old != new && patchdiff.Write(&diff, []patchdiff.Change{change}) == nil {
			files, err := patchdiff.Parse(bytes.NewReader(diff.Bytes()))
			if err != nil {
				t.Fatalf("patchline's own diff does not parse: %v\n%s", err, diff.Bytes())
			}
			if _, err := Contains(files, patchdiff.MapSource{"a.go": {Data: []byte(tree)}}); err != nil {
				t.Fatalf("Contains against a tree: %v", err)
			}
			got, err := Contains(files, patchdiff.MapSource{"a.go": {Data: []byte(new)}})
			if err != nil || !got.Contained {
				t.Fatalf("the new version does not contain its own change: %v %+v\n%s", err, got.Files, diff.Bytes())
			}
		}
		if files, err := patchdiff.Parse(bytes.NewReader([]byte(text))); err == nil {
			src := patchdiff.MapSource{}
			for _, f := range files {
				src[f.NewName] = patchdiff.Entry{Data: []byte(tree)}
				src[f.OldName] = patchdiff.Entry{Data: []byte(tree)}
			}
			_, _ = Contains(files, src)
		}
	})
}

package patchdiff

import (
	"bytes"
	"compress/zlib"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
)

func writeDiff(t testing.TB, changes ...Change) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, changes); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// binaryLiteral is a "GIT binary patch" section for a new file whose
// literal says size bytes but holds data, zlib-compressed.
func binaryLiteral(size int, data []byte) string {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(data)
	zw.Close()
	f := &gitdiff.File{
		NewName: "b.bin", IsNew: true, NewMode: 0o100644, IsBinary: true,
		OldOIDPrefix: nullOID, NewOIDPrefix: strings.Repeat("1", 40),
		BinaryFragment: &gitdiff.BinaryFragment{Method: gitdiff.BinaryPatchLiteral, Size: int64(size), RawData: z.Bytes()},
	}
	return f.String()
}

func TestParseRejectsMalformed(t *testing.T) {
	t.Parallel()
	text := writeDiff(t, Change{OldPath: "f", NewPath: "f", OldMode: ModeRegular, NewMode: ModeRegular,
		OldData: []byte("1\n2\n3\n4\n5\n"), NewData: []byte("1\n2\nthree\n4\n5\n")})
	bin := writeDiff(t, Change{NewPath: "b.bin", NewMode: ModeRegular, NewData: binaryData(500, 3)})
	binLines := strings.Split(bin, "\n")
	small := Limits{MaxPatchBytes: 1 << 20, MaxFileBytes: 1 << 16, MaxFiles: 3}

	cases := []struct {
		name, diff string
		limits     Limits
		want       string // part of the error message
	}{
		{"not a diff", "hello world\n", DefaultLimits(), `expected a "diff --git" line`},
		{"traditional unified diff", "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n", DefaultLimits(), `expected a "diff --git" line`},
		{"preamble", "From: someone\n\n" + text, DefaultLimits(), `expected a "diff --git" line`},
		{"no final newline", strings.TrimSuffix(text, "\n"), DefaultLimits(), "does not end with a newline"},
		{"hunk counts too many lines", strings.Replace(text, "@@ -1,5 +1,5 @@", "@@ -1,6 +1,6 @@", 1), DefaultLimits(), "ends before its header's line counts"},
		{"hunk counts too few lines", strings.Replace(text, "@@ -1,5 +1,5 @@", "@@ -1,4 +1,4 @@", 1), DefaultLimits(), "after the end of a file section"},
		{"hunk old count lies", strings.Replace(text, "@@ -1,5 +1,5 @@", "@@ -1,4 +1,5 @@", 1), DefaultLimits(), "more lines than its header says"},
		{"bad hunk header", strings.Replace(text, "@@ -1,5 +1,5 @@", "@@ -x,5 +1,5 @@", 1), DefaultLimits(), "bad hunk header"},
		{"negative hunk start", strings.Replace(text, "@@ -1,5 +1,5 @@", "@@ --1,5 +1,5 @@", 1), DefaultLimits(), "bad hunk header"},
		{"garbage in header", strings.Replace(text, "index ", "frobnicate\nindex ", 1), DefaultLimits(), "unexpected \"frobnicate"},
		{"garbage between files", text + "junk\n" + text, DefaultLimits(), "after the end of a file section"},
		{"bad line in hunk", strings.Replace(text, "-3\n", "*3\n", 1), DefaultLimits(), "fewer lines than its header says"},
		{"missing +++", strings.Replace(text, "+++ b/f\n", "", 1), DefaultLimits(), `expected a "+++" line`},
		{"binary without data", "diff --git a/b b/b\nindex 1111111..2222222 100644\nBinary files a/b and b/b differ\n", DefaultLimits(), "without data"},
		{"truncated binary patch", strings.Join(binLines[:6], "\n") + "\n", DefaultLimits(), "truncated"},
		{"bad base85", strings.Replace(bin, binLines[5][:8], binLines[5][:3]+"\"\"\"\"\"", 1), DefaultLimits(), "base85"},
		{"bad binary line length", strings.Replace(bin, binLines[5], "z"+binLines[5][1:len(binLines[5])-5], 1), DefaultLimits(), "incorrect byte count"},
		{"corrupt zlib", corruptZlib(), DefaultLimits(), "binary fragment"},
		{"inflates past its size (zlib bomb)", binaryLiteral(10, make([]byte, 10<<20)), DefaultLimits(), "incorrect inflated size"},
		{"declared size over the limit", binaryLiteral(1<<17, make([]byte, 1<<17)), small, "exceeds the 65536 byte limit"},
		{"unsupported gitlink mode", "diff --git a/sub b/sub\nnew file mode 160000\nindex 0000000000000000000000000000000000000000..1111111111111111111111111111111111111111\n--- /dev/null\n+++ b/sub\n@@ -0,0 +1 @@\n+Subproject commit 1111111111111111111111111111111111111111\n", DefaultLimits(), "unsupported mode 160000"},
		{"non-hex index", strings.Replace(text, "index ", "index zz", 1), DefaultLimits(), "not a SHA-1"},
		{"new file with old lines", "diff --git a/n b/n\nnew file mode 100644\n--- /dev/null\n+++ b/n\n@@ -1 +1 @@\n-a\n+b\n", DefaultLimits(), "new file depends on old contents"},
		{"out of order hunks", twoHunks(t, true), DefaultLimits(), "overlaps or comes before"},
		{"newline marker mid-hunk", strings.Replace(text, " 2\n", " 2\n\\ No newline at end of file\n", 1), DefaultLimits(), "before the end has no newline"},
		{"too large", text, Limits{MaxPatchBytes: 10, MaxFileBytes: 1 << 20, MaxFiles: 10}, "larger than 10 bytes"},
		{"too many files", text + text + text + text, small, "more than 3 files"},
		{"rename without names", "diff --git a/x b/y\nsimilarity index 100%\nrename from x\n", DefaultLimits(), "missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files, err := tc.limits.Parse(strings.NewReader(tc.diff))
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse error = %v (files %d), want ErrMalformed\ndiff:\n%s", err, len(files), clip([]byte(tc.diff)))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse error = %q, want it to mention %q", err, tc.want)
			}
		})
	}
}

// corruptZlib is a binary section whose base85 decodes fine but whose bytes
// are not a zlib stream.
func corruptZlib() string {
	f := &gitdiff.File{
		NewName: "b.bin", IsNew: true, NewMode: 0o100644, IsBinary: true,
		OldOIDPrefix: nullOID, NewOIDPrefix: strings.Repeat("1", 40),
		BinaryFragment: &gitdiff.BinaryFragment{Method: gitdiff.BinaryPatchLiteral, Size: 4, RawData: []byte("not zlib at all")},
	}
	return f.String()
}

// twoHunks is a diff with two hunks, optionally swapped.
func twoHunks(t testing.TB, swap bool) string {
	old := lines(30, "%d\n")
	diff := writeDiff(t, Change{OldPath: "f", NewPath: "f", OldMode: ModeRegular, NewMode: ModeRegular,
		OldData: old, NewData: replaceLine(replaceLine(old, 3, "three\n"), 25, "twenty-five\n")})
	if !swap {
		return diff
	}
	i := strings.Index(diff, "@@ -1,")
	j := strings.Index(diff, "@@ -22,")
	return diff[:i] + diff[j:] + diff[i:j]
}

func TestApplyConflicts(t *testing.T) {
	t.Parallel()
	base := lines(60, "line %d\n")
	edited := replaceLine(replaceLine(base, 10, "ten\n"), 45, "forty-five\n")
	diff := writeDiff(t, Change{OldPath: "src/importer/csv.go", NewPath: "src/importer/csv.go",
		OldMode: ModeRegular, NewMode: ModeRegular, OldData: base, NewData: edited})
	files, err := Parse(strings.NewReader(diff))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("second hunk context changed", func(t *testing.T) {
		t.Parallel()
		src := MapSource{"src/importer/csv.go": {Data: replaceLine(base, 44, "someone else's edit\n")}}
		rs, err := Apply(files, src)
		var ce *ConflictError
		if !errors.Is(err, ErrConflict) || !errors.As(err, &ce) || rs != nil {
			t.Fatalf("Apply = %v, %v; want a *ConflictError and no results", rs, err)
		}
		want := `src/importer/csv.go: hunk 2 (@@ -42,7 +42,7 @@) does not apply: its pre-image is nowhere in the file; line 44 is "someone else's edit\n", the patch expects "line 44\n"`
		if err.Error() != want || ce.Hunk != 2 || ce.Path != "src/importer/csv.go" {
			t.Fatalf("error = %q\nwant    %q", err, want)
		}
	})
	t.Run("file missing", func(t *testing.T) {
		t.Parallel()
		_, err := Apply(files, MapSource{})
		if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "src/importer/csv.go: does not apply: does not exist") {
			t.Fatalf("Apply error = %v", err)
		}
	})
	t.Run("applies at an offset", func(t *testing.T) {
		t.Parallel()
		shifted := append([]byte("new first line\nand another\n"), base...)
		rs, err := Apply(files, MapSource{"src/importer/csv.go": {Data: shifted}})
		if err != nil {
			t.Fatal(err)
		}
		if want := append([]byte("new first line\nand another\n"), edited...); !bytes.Equal(rs[0].Data, want) {
			t.Fatalf("got\n%s", rs[0].Data)
		}
	})
	t.Run("binary pre-image differs", func(t *testing.T) {
		t.Parallel()
		old, new := binaryData(100, 5), binaryData(120, 6)
		files := mustParse(t, writeDiff(t, Change{OldPath: "b", NewPath: "b", OldMode: ModeRegular, NewMode: ModeRegular, OldData: old, NewData: new}))
		_, err := Apply(files, MapSource{"b": {Data: binaryData(100, 7)}})
		if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "the diff expects") {
			t.Fatalf("Apply error = %v", err)
		}
	})
	t.Run("binary without full index", func(t *testing.T) {
		t.Parallel()
		old, new := binaryData(100, 5), binaryData(120, 6)
		d := writeDiff(t, Change{OldPath: "b", NewPath: "b", OldMode: ModeRegular, NewMode: ModeRegular, OldData: old, NewData: new})
		i := strings.Index(d, "index ")
		d = d[:i+13] + d[i+46:i+56] + d[i+88:] // index <7hex>..<7hex> 100644
		files := mustParse(t, d)
		_, err := Apply(files, MapSource{"b": {Data: old}})
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "full index") {
			t.Fatalf("Apply error = %v\n%s", err, clip([]byte(d)))
		}
	})
	t.Run("rename onto an existing file", func(t *testing.T) {
		t.Parallel()
		files := mustParse(t, writeDiff(t, Change{OldPath: "a", OldMode: ModeRegular, OldData: base},
			Change{NewPath: "b", NewMode: ModeRegular, NewData: base}))
		_, err := Apply(files, MapSource{"a": {Data: base}, "b": {Data: []byte("x\n")}})
		if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "b: does not apply: already exists") {
			t.Fatalf("Apply error = %v", err)
		}
	})
	t.Run("tampered hunk on an exact pre-image", func(t *testing.T) {
		t.Parallel()
		tampered := strings.Replace(diff, "+ten\n", "+TEN\n", 1)
		_, err := Apply(mustParse(t, tampered), MapSource{"src/importer/csv.go": {Data: base}})
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "index line promises") {
			t.Fatalf("Apply error = %v", err)
		}
	})
	t.Run("delete of a changed file", func(t *testing.T) {
		t.Parallel()
		files := mustParse(t, writeDiff(t, Change{OldPath: "e", OldMode: ModeRegular, OldData: []byte{}}))
		_, err := Apply(files, MapSource{"e": {Data: []byte("not empty any more\n")}})
		if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "leaves content behind") {
			t.Fatalf("Apply error = %v", err)
		}
	})
	t.Run("binary delta bomb", func(t *testing.T) {
		t.Parallel()
		// A git delta that claims a 1 TiB result from a tiny instruction stream.
		delta := []byte{0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x01, 'x'}
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(delta)
		zw.Close()
		f := &gitdiff.File{OldName: "b", NewName: "b", OldMode: 0o100644, IsBinary: true,
			OldOIDPrefix: blobID("b", nil), NewOIDPrefix: strings.Repeat("1", 40),
			BinaryFragment: &gitdiff.BinaryFragment{Method: gitdiff.BinaryPatchDelta, Size: int64(len(delta)), RawData: z.Bytes()}}
		_, err := Apply(mustParse(t, f.String()), MapSource{"b": {Data: nil}})
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "exceeds") {
			t.Fatalf("Apply error = %v", err)
		}
	})
}

func mustParse(t testing.TB, diff string) []*gitdiff.File {
	t.Helper()
	files, err := Parse(strings.NewReader(diff))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, clip([]byte(diff)))
	}
	return files
}

// unsafeDiff is a diff adding one file at path p, written by hand since
// Write refuses such paths.
func unsafeDiff(p string) string {
	f := &gitdiff.File{NewName: p, IsNew: true, NewMode: 0o100644,
		OldOIDPrefix: nullOID, NewOIDPrefix: blobID(p, []byte("x\n")),
		TextFragments: []*gitdiff.TextFragment{{
			OldPosition: 0, OldLines: 0, NewPosition: 1, NewLines: 1, LinesAdded: 1,
			Lines: []gitdiff.Line{{Op: gitdiff.OpAdd, Line: "x\n"}},
		}}}
	return f.String()
}

func TestUnsafePaths(t *testing.T) {
	t.Parallel()
	cases := []struct{ path, reason string }{
		{"/etc/passwd", "absolute path"},
		{"../x", `has a ".." component`},
		{"a/../../x", `has a ".." component`},
		{"./x", `has a "." component`},
		{".git/config", ".git component"},
		{".GIT/hooks/x", ".git component"},
		{"sub/.Git/hooks/post-checkout", ".git component"},
		{".git./config", ".git component"},
		{".git /config", ".git component"},
		{"GIT~1/config", ".git component"},
		{".git::$INDEX_ALLOCATION/config", ".git component"},
		{".g\u200cit/config", ".git component"},
		{"a\\b", "backslash"},
		{"a//b", "empty path component"},
		{"a/", "empty path component"},
		{"C:/Windows/x", "drive letter"},
		{"nul\x00byte", "NUL byte"},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			files, err := Parse(strings.NewReader(unsafeDiff(tc.path)))
			if err != nil {
				// A parser may also refuse it outright; that is fine too, if it says malformed.
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("Parse error = %v", err)
				}
				return
			}
			problems := CheckPaths(files, nil)
			if len(problems) != 1 || !strings.Contains(problems[0].Reason, tc.reason) {
				t.Fatalf("CheckPaths(%q) = %v, want one problem about %q", tc.path, problems, tc.reason)
			}
			rs, err := Apply(files, MapSource{})
			var ue *UnsafePathError
			if !errors.Is(err, ErrUnsafePath) || !errors.As(err, &ue) || rs != nil {
				t.Fatalf("Apply = %v, %v; want ErrUnsafePath and nothing applied", rs, err)
			}
		})
	}

	for _, ok := range []string{".github/workflows/ci.yml", ".gitignore", "a.git/x", "git/x", "x.git", "...", "a b/c d"} {
		if p := CheckPaths(mustParse(t, unsafeDiff(ok)), MapSource{}); len(p) != 0 {
			t.Errorf("CheckPaths(%q) = %v, want none", ok, p)
		}
	}
}

func TestSymlinkPaths(t *testing.T) {
	t.Parallel()
	link := Entry{Data: []byte("/etc"), Mode: ModeSymlink}
	t.Run("parent is a symlink in the source", func(t *testing.T) {
		t.Parallel()
		files := mustParse(t, unsafeDiff("lnk/passwd"))
		src := MapSource{"lnk": link}
		assertUnsafe(t, files, src, `"lnk/passwd": parent "lnk" is a symlink`)
	})
	t.Run("deeper parent", func(t *testing.T) {
		t.Parallel()
		files := mustParse(t, unsafeDiff("a/lnk/b/c"))
		assertUnsafe(t, files, MapSource{"a/lnk": link}, `parent "a/lnk" is a symlink`)
	})
	t.Run("symlink the diff creates", func(t *testing.T) {
		t.Parallel()
		d := writeDiff(t, Change{NewPath: "d", NewMode: ModeSymlink, NewData: []byte("/tmp")}) + unsafeDiff("d/x")
		assertUnsafe(t, mustParse(t, d), MapSource{}, `parent "d" is a symlink the diff creates`)
	})
	t.Run("symlink changed as a regular file", func(t *testing.T) {
		t.Parallel()
		d := writeDiff(t, Change{OldPath: "l", NewPath: "l", OldMode: ModeRegular, NewMode: ModeRegular,
			OldData: []byte("/etc/passwd"), NewData: []byte("pwned\n")})
		assertUnsafe(t, mustParse(t, d), MapSource{"l": {Data: []byte("/etc/passwd"), Mode: ModeSymlink}},
			"is a symlink in the tree but the diff changes it as a regular file")
	})
	t.Run("symlink replaced by a directory is fine", func(t *testing.T) {
		t.Parallel()
		old := MapSource{"d": {Data: []byte("elsewhere"), Mode: ModeSymlink}}
		new := MapSource{"d/x": {Data: []byte("x\n")}}
		roundTrip(t, old, new)
	})
	t.Run("symlink replaced by a directory on disk", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		old := MapSource{"d": {Data: []byte(t.TempDir()), Mode: ModeSymlink}}
		writeTree(t, root, old)
		new := MapSource{"d/x": {Data: []byte("x\n")}}
		rs, err := Apply(mustParse(t, writeDiff(t, changesBetween(old, new)...)), DirSource(root))
		if err != nil {
			t.Fatal(err)
		}
		if d := diffTrees(withResults(old, rs), new); d != "" {
			t.Fatal(d)
		}
	})
	t.Run("through a symlink directory on disk", func(t *testing.T) {
		t.Parallel()
		root, outside := t.TempDir(), t.TempDir()
		if err := os.Symlink(outside, filepath.Join(root, "lnk")); err != nil {
			t.Skip("no symlinks here:", err)
		}
		files := mustParse(t, unsafeDiff("lnk/x"))
		assertUnsafe(t, files, DirSource(root), `parent "lnk" is a symlink`)
		if _, err := os.Stat(filepath.Join(outside, "x")); !os.IsNotExist(err) {
			t.Fatalf("something was written through the link: %v", err)
		}
		if _, _, _, err := DirSource(root).Lookup("lnk/x"); !errors.Is(err, ErrUnsafePath) {
			t.Fatalf("DirSource.Lookup through a link: err = %v, want ErrUnsafePath", err)
		}
	})
}

func assertUnsafe(t *testing.T, files []*gitdiff.File, src Source, want string) {
	t.Helper()
	problems := CheckPaths(files, src)
	found := false
	for _, p := range problems {
		found = found || strings.Contains(p.String(), want)
	}
	if !found {
		t.Fatalf("CheckPaths = %v, want a problem containing %q", problems, want)
	}
	rs, err := Apply(files, src)
	if !errors.Is(err, ErrUnsafePath) || rs != nil {
		t.Fatalf("Apply = %v, %v; want ErrUnsafePath and nothing applied", rs, err)
	}
}

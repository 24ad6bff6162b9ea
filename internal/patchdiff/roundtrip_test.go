package patchdiff

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// lines makes a file of n numbered lines.
func lines(n int, format string) []byte {
	var b bytes.Buffer
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, format, i)
	}
	return b.Bytes()
}

// replaceLine changes line i (1-based) of data.
func replaceLine(data []byte, i int, with string) []byte {
	ls := strings.SplitAfter(string(data), "\n")
	ls[i-1] = with
	return []byte(strings.Join(ls, ""))
}

func binaryData(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	b[0] = 0 // git decides "binary" on a NUL in the first 8000 bytes
	return b
}

type treeCase struct {
	name     string
	old, new MapSource
}

func treeCases() []treeCase {
	base := lines(40, "line %d\n")
	bin := binaryData(3000, 1)
	binChanged := append(bytes.Clone(bin[:1500]), binaryData(2000, 2)...)
	return []treeCase{
		{"add", MapSource{}, MapSource{"a.txt": {Data: []byte("hello\nworld\n")}}},
		{"add one line", MapSource{}, MapSource{"a.txt": {Data: []byte("hello\n")}}},
		{"delete", MapSource{"a.txt": {Data: []byte("hello\nworld\n")}}, MapSource{}},
		{"modify one line", MapSource{"f": {Data: base}}, MapSource{"f": {Data: replaceLine(base, 20, "changed\n")}}},
		{"modify first and last", MapSource{"f": {Data: base}},
			MapSource{"f": {Data: replaceLine(replaceLine(base, 1, "first\n"), 40, "last\n")}}},
		{"modify far apart", MapSource{"f": {Data: base}},
			MapSource{"f": {Data: replaceLine(replaceLine(base, 5, "five\n"), 30, "thirty\n")}}},
		{"modify close together", MapSource{"f": {Data: base}},
			MapSource{"f": {Data: replaceLine(replaceLine(base, 10, "ten\n"), 16, "sixteen\n")}}},
		{"insert and delete", MapSource{"f": {Data: base}},
			MapSource{"f": {Data: []byte(strings.Replace(strings.Replace(string(base), "line 3\n", "", 1), "line 33\n", "line 33\nnew\nnew\n", 1))}}},
		{"no newline at end, old", MapSource{"f": {Data: []byte("a\nb")}}, MapSource{"f": {Data: []byte("a\nb\n")}}},
		{"no newline at end, new", MapSource{"f": {Data: []byte("a\nb\n")}}, MapSource{"f": {Data: []byte("a\nb")}}},
		{"no newline at end, both", MapSource{"f": {Data: []byte("a\nb")}}, MapSource{"f": {Data: []byte("a\nc")}}},
		{"no newline at end, both, change before", MapSource{"f": {Data: []byte("x\ny\nz\nw\nv\nlast")}},
			MapSource{"f": {Data: []byte("X\ny\nz\nw\nv\nlast")}}},
		{"no newline, add", MapSource{}, MapSource{"f": {Data: []byte("only")}}},
		{"no newline, delete", MapSource{"f": {Data: []byte("only")}}, MapSource{}},
		{"crlf", MapSource{"w.txt": {Data: []byte("one\r\ntwo\r\nthree\r\n")}},
			MapSource{"w.txt": {Data: []byte("one\r\n2\r\nthree\r\n")}}},
		{"crlf to lf", MapSource{"w.txt": {Data: []byte("one\r\ntwo\r\n")}}, MapSource{"w.txt": {Data: []byte("one\ntwo\n")}}},
		{"mixed line ends and lone cr", MapSource{"w.txt": {Data: []byte("a\rb\r\nc\n")}}, MapSource{"w.txt": {Data: []byte("a\rb\nc\r\n")}}},
		{"mode change", MapSource{"run.sh": {Data: []byte("echo hi\n")}},
			MapSource{"run.sh": {Data: []byte("echo hi\n"), Mode: ModeExecutable}}},
		{"mode change back", MapSource{"run.sh": {Data: []byte("echo hi\n"), Mode: ModeExecutable}},
			MapSource{"run.sh": {Data: []byte("echo hi\n")}}},
		{"mode and content", MapSource{"run.sh": {Data: []byte("echo hi\n")}},
			MapSource{"run.sh": {Data: []byte("echo bye\n"), Mode: ModeExecutable}}},
		{"executable modify", MapSource{"run.sh": {Data: []byte("echo hi\n"), Mode: ModeExecutable}},
			MapSource{"run.sh": {Data: []byte("echo bye\n"), Mode: ModeExecutable}}},
		{"symlink add", MapSource{"target.txt": {Data: []byte("t\n")}},
			MapSource{"target.txt": {Data: []byte("t\n")}, "link": {Data: []byte("target.txt"), Mode: ModeSymlink}}},
		{"symlink change", MapSource{"link": {Data: []byte("a/target"), Mode: ModeSymlink}},
			MapSource{"link": {Data: []byte("b/target"), Mode: ModeSymlink}}},
		{"symlink delete", MapSource{"link": {Data: []byte("x"), Mode: ModeSymlink}}, MapSource{}},
		{"symlink to file", MapSource{"p": {Data: []byte("x"), Mode: ModeSymlink}}, MapSource{"p": {Data: []byte("x\n")}}},
		{"file to symlink", MapSource{"p": {Data: []byte("x\n")}}, MapSource{"p": {Data: []byte("x"), Mode: ModeSymlink}}},
		{"binary add", MapSource{}, MapSource{"b.bin": {Data: bin}}},
		{"binary modify", MapSource{"b.bin": {Data: bin}}, MapSource{"b.bin": {Data: binChanged}}},
		{"binary delete", MapSource{"b.bin": {Data: bin}}, MapSource{}},
		{"binary to text", MapSource{"b": {Data: []byte("a\x00b")}}, MapSource{"b": {Data: []byte("ab\n")}}},
		{"text to binary", MapSource{"b": {Data: []byte("ab\n")}}, MapSource{"b": {Data: []byte("a\x00b")}}},
		{"binary to empty", MapSource{"b": {Data: []byte("a\x00b")}}, MapSource{"b": {Data: []byte{}}}},
		{"NUL after 8000 bytes is text", MapSource{"t": {Data: append(lines(1000, "%08d\n"), 0, '\n')}},
			MapSource{"t": {Data: append(lines(1000, "%08d\n"), 1, '\n')}}},
		{"exact rename", MapSource{"old/name.go": {Data: base}}, MapSource{"new/name.go": {Data: base}}},
		{"rename with mode change", MapSource{"a.sh": {Data: base}}, MapSource{"b.sh": {Data: base, Mode: ModeExecutable}}},
		{"rename of binary", MapSource{"img/a.png": {Data: bin}}, MapSource{"img/b.png": {Data: bin}}},
		{"rename of symlink", MapSource{"l1": {Data: []byte("t"), Mode: ModeSymlink}}, MapSource{"l2": {Data: []byte("t"), Mode: ModeSymlink}}},
		{"two renames of equal files", MapSource{"x/a": {Data: base}, "x/b": {Data: base}},
			MapSource{"y/a": {Data: base}, "y/b": {Data: base}}},
		{"rename and modify elsewhere", MapSource{"a": {Data: base}, "m": {Data: []byte("1\n")}},
			MapSource{"z": {Data: base}, "m": {Data: []byte("2\n")}}},
		{"empty file add", MapSource{}, MapSource{"empty": {Data: []byte{}}}},
		{"empty file delete", MapSource{"empty": {Data: []byte{}}}, MapSource{}},
		{"empty to content", MapSource{"e": {Data: []byte{}}}, MapSource{"e": {Data: []byte("now\n")}}},
		{"content to empty", MapSource{"e": {Data: []byte("was\n")}}, MapSource{"e": {Data: []byte{}}}},
		{"names with spaces", MapSource{"dir with space/a file.txt": {Data: []byte("1\n")}},
			MapSource{"dir with space/a file.txt": {Data: []byte("2\n")}, "new file.txt": {Data: []byte("n\n")}}},
		{"non-ASCII names", MapSource{"naïve/résumé.txt": {Data: []byte("1\n")}},
			MapSource{"naïve/résumé.txt": {Data: []byte("2\n")}, "日本語.txt": {Data: []byte("n\n")}}},
		{"quote and tab in names", MapSource{},
			MapSource{"say \"hi\".txt": {Data: []byte("1\n")}, "tab\there": {Data: []byte("2\n")}}},
		{"rename with non-ASCII", MapSource{"ä b.txt": {Data: base}}, MapSource{"ö c.txt": {Data: base}}},
		{"file becomes directory", MapSource{"a": {Data: []byte("file\n")}}, MapSource{"a/b": {Data: []byte("nested\n")}}},
		{"directory becomes file", MapSource{"a/b": {Data: []byte("nested\n")}}, MapSource{"a": {Data: []byte("file\n")}}},
		{"sorting like git", MapSource{"a-b": {Data: []byte("1\n")}, "a/b": {Data: []byte("1\n")}, "a.b": {Data: []byte("1\n")}},
			MapSource{"a-b": {Data: []byte("2\n")}, "a/b": {Data: []byte("2\n")}, "a.b": {Data: []byte("2\n")}}},
		{"function names in hunk headers", MapSource{"m.go": {Data: []byte(goSource)}},
			MapSource{"m.go": {Data: []byte(strings.Replace(goSource, "return x * 2", "return x * 3", 1))}}},
		{"unchanged", MapSource{"same": {Data: []byte("s\n")}}, MapSource{"same": {Data: []byte("s\n")}}},
	}
}

const goSource = `package m

import "fmt"

// Double doubles.
func Double(x int) int {
	fmt.Println("doubling")
	y := x
	_ = y
	return x * 2
}

func main() {
	fmt.Println(Double(2))
}
`

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range treeCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			diff := roundTrip(t, tc.old, tc.new)
			// Byte-stable: a second Write gives the same bytes.
			var again bytes.Buffer
			if err := Write(&again, changesBetween(tc.old, tc.new)); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(diff, again.Bytes()) {
				t.Fatalf("Write is not deterministic:\n%s\n---\n%s", diff, again.Bytes())
			}
		})
	}
}

// TestGitApplyAgrees checks that git accepts what Write writes: `git apply`
// turns the old tree into the new one and `git apply -R` turns it back.
func TestGitApplyAgrees(t *testing.T) {
	t.Parallel()
	requireGit(t)
	for _, tc := range treeCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var diff bytes.Buffer
			if err := Write(&diff, changesBetween(tc.old, tc.new)); err != nil {
				t.Fatal(err)
			}
			if diff.Len() == 0 {
				return // git apply refuses an empty patch; there is nothing to compare
			}
			forward := t.TempDir()
			writeTree(t, forward, tc.old)
			if _, err := gitCmd(t, forward, diff.Bytes(), "apply", "--binary", "-"); err != nil {
				t.Fatalf("%v\ndiff:\n%s", err, clip(diff.Bytes()))
			}
			if d := diffTrees(readTree(t, forward), tc.new); d != "" {
				t.Fatalf("git apply gives a different tree:\n%s", d)
			}
			backward := t.TempDir()
			writeTree(t, backward, tc.new)
			if _, err := gitCmd(t, backward, diff.Bytes(), "apply", "-R", "--binary", "-"); err != nil {
				t.Fatalf("%v\ndiff:\n%s", err, clip(diff.Bytes()))
			}
			if d := diffTrees(readTree(t, backward), tc.old); d != "" {
				t.Fatalf("git apply -R gives a different tree:\n%s", d)
			}
		})
	}
}

// TestWriteMatchesGitDiff checks that where Myers finds git's hunks, Write's
// bytes are git's bytes: headers, quoting, modes, index lines, hunk headers
// with function names. Binary sections are left out: git picks delta or
// literal by size and its zlib output is its own.
func TestWriteMatchesGitDiff(t *testing.T) {
	t.Parallel()
	requireGit(t)
	for _, tc := range treeCases() {
		if strings.Contains(tc.name, "binary") || tc.name == "text to binary" || tc.name == "rename of binary" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want := gitDiffTrees(t, tc.old, tc.new)
			var got bytes.Buffer
			if err := Write(&got, changesBetween(tc.old, tc.new)); err != nil {
				t.Fatal(err)
			}
			if got.String() != string(want) {
				t.Errorf("Write differs from git diff:\n--- got\n%s\n--- git\n%s", got.String(), want)
			}
		})
	}
}

// gitDiffTrees commits both trees in a scratch repository and returns
// `git diff --binary --full-index` between the commits.
func gitDiffTrees(t *testing.T, old, new MapSource) []byte {
	t.Helper()
	dir := t.TempDir()
	git := func(args ...string) []byte {
		out, err := gitCmd(t, dir, nil, args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	git("init", "-q")
	writeTree(t, dir, old)
	git("add", "-A")
	git("commit", "-q", "--allow-empty", "-m", "old")
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != ".git" {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	writeTree(t, dir, new)
	git("add", "-A")
	git("commit", "-q", "--allow-empty", "-m", "new")
	return git("diff", "--binary", "--full-index", "HEAD~", "HEAD")
}

// TestLargeFileOneLineChange: a 50 MB file with one changed line must diff
// and apply in about the time it takes to read it, not in O(N*D).
func TestLargeFileOneLineChange(t *testing.T) {
	t.Parallel()
	old := make([]byte, 0, 50<<20+100)
	n := 0
	for len(old) < 50<<20 {
		old = append(old, "this is line number "...)
		old = strconv.AppendInt(old, int64(n), 10)
		old = append(old, " of a large generated file\n"...)
		n++
	}
	changed := replaceLine(old, n/2, "this line was changed in the middle of a large file\n")

	start := time.Now()
	diff := roundTrip(t, MapSource{"big.txt": {Data: old}}, MapSource{"big.txt": {Data: changed}})
	t.Logf("50 MB file, one line changed: write+parse+apply in %v, diff is %d bytes", time.Since(start), len(diff))
	if len(diff) > 2000 {
		t.Errorf("diff of one changed line is %d bytes:\n%s", len(diff), clip(diff))
	}
}

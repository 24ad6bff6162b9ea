package patchdiff

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestWriteRefuses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change Change
		want   string
	}{
		{"no paths", Change{}, "no old or new path"},
		{"missing mode", Change{NewPath: "a", NewData: []byte("x")}, "mode 0"},
		{"directory mode", Change{NewPath: "a", NewMode: 0o040000}, "mode 40000"},
		{"unsafe path", Change{NewPath: "../a", NewMode: ModeRegular}, `".." component`},
		{"NUL in path", Change{NewPath: "a\x00b", NewMode: ModeRegular}, "NUL"},
	}
	for _, tc := range cases {
		var b bytes.Buffer
		err := Write(&b, []Change{tc.change})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Write error = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
	dup := []Change{{NewPath: "a", NewMode: ModeRegular}, {NewPath: "a", NewMode: ModeRegular}}
	if err := Write(&bytes.Buffer{}, dup); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Errorf("duplicate path: Write error = %v", err)
	}
	if err := Write(&bytes.Buffer{}, []Change{{NewPath: ".git/x", NewMode: ModeRegular}}); !errors.Is(err, ErrUnsafePath) {
		t.Errorf("Write error = %v, want ErrUnsafePath", err)
	}
}

// TestWriteMove: a change that names two paths is a move; with the same
// content it is written as a rename, otherwise as a deletion and an addition.
func TestWriteMove(t *testing.T) {
	t.Parallel()
	data := []byte("same\n")
	var b bytes.Buffer
	if err := Write(&b, []Change{{OldPath: "a", NewPath: "b", OldMode: ModeRegular, NewMode: ModeRegular, OldData: data, NewData: data}}); err != nil {
		t.Fatal(err)
	}
	want := "diff --git a/a b/b\nsimilarity index 100%\nrename from a\nrename to b\n"
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	if err := Write(&b, []Change{{OldPath: "a", NewPath: "b", OldMode: ModeRegular, NewMode: ModeRegular, OldData: data, NewData: []byte("other\n")}}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(b.String(), "diff --git"); got != 2 || !strings.Contains(b.String(), "deleted file mode") {
		t.Fatalf("got\n%s", b.String())
	}
}

// TestWriteError: a failing writer's error comes back, wrapped.
func TestWriteError(t *testing.T) {
	t.Parallel()
	err := Write(failingWriter{}, []Change{{NewPath: "a", NewMode: ModeRegular, NewData: []byte("x\n")}})
	if !errors.Is(err, errDiskFull) {
		t.Fatalf("Write error = %v", err)
	}
}

var errDiskFull = errors.New("disk full")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

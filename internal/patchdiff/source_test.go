package patchdiff

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/go-git/go-git/v5"
)

func TestDirSource(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeTree(t, root, MapSource{
		"a.txt":      {Data: []byte("a\n")},
		"bin/run.sh": {Data: []byte("#!/bin/sh\n"), Mode: ModeExecutable},
		"link":       {Data: []byte("a.txt"), Mode: ModeSymlink},
		"dirlink":    {Data: []byte("bin"), Mode: ModeSymlink},
	})
	src := DirSource(root)
	cases := []struct {
		path string
		data string
		mode Mode
		ok   bool
	}{
		{"a.txt", "a\n", ModeRegular, true},
		{"bin/run.sh", "#!/bin/sh\n", ModeExecutable, true},
		{"link", "a.txt", ModeSymlink, true},
		{"dirlink", "bin", ModeSymlink, true},
		{"bin", "", 0, false},
		{"missing", "", 0, false},
		{"a.txt/below", "", 0, false},
	}
	for _, tc := range cases {
		data, mode, ok, err := src.Lookup(tc.path)
		if err != nil || ok != tc.ok || mode != tc.mode || string(data) != tc.data {
			t.Errorf("Lookup(%q) = %q, %o, %v, %v; want %q, %o, %v", tc.path, data, mode, ok, err, tc.data, tc.mode, tc.ok)
		}
	}
	for _, bad := range []string{"dirlink/run.sh", "../etc/passwd", "/etc/passwd"} {
		if _, _, _, err := src.Lookup(bad); !errors.Is(err, ErrUnsafePath) {
			t.Errorf("Lookup(%q) error = %v, want ErrUnsafePath", bad, err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err == nil {
		if _, _, _, err := src.Lookup("fifo"); err == nil {
			t.Error("Lookup of a FIFO succeeded; it must refuse rather than block")
		}
	}
}

// TestTreeSource applies a diff to a git tree read with go-git, the way
// validate checks a patch against a release tag.
func TestTreeSource(t *testing.T) {
	t.Parallel()
	requireGit(t)
	old := MapSource{
		"main.go":     {Data: []byte(goSource)},
		"run.sh":      {Data: []byte("echo\n"), Mode: ModeExecutable},
		"docs/link":   {Data: []byte("../main.go"), Mode: ModeSymlink},
		"assets/logo": {Data: binaryData(300, 11)},
	}
	dir := t.TempDir()
	writeTree(t, dir, old)
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"commit", "-q", "-m", "base"}} {
		if _, err := gitCmd(t, dir, nil, args...); err != nil {
			t.Fatal(err)
		}
	}
	repo, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	head, err := repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	commit, err := repo.CommitObject(head.Hash())
	if err != nil {
		t.Fatal(err)
	}
	tree, err := commit.Tree()
	if err != nil {
		t.Fatal(err)
	}
	src := TreeSource(tree)
	for p, want := range old {
		data, mode, ok, err := src.Lookup(p)
		if err != nil || !ok || mode != norm(want).Mode || !bytes.Equal(data, want.Data) {
			t.Errorf("Lookup(%q) = %d bytes, %o, %v, %v", p, len(data), mode, ok, err)
		}
	}
	for _, absent := range []string{"docs", "nope", "main.go/x", "docs/link/x"} {
		if _, _, ok, err := src.Lookup(absent); ok || err != nil {
			t.Errorf("Lookup(%q) = ok %v, err %v; want absent", absent, ok, err)
		}
	}

	new := MapSource{
		"main.go":     {Data: []byte(goSource + "\n// more\n")},
		"run.sh":      {Data: []byte("echo\n")},
		"docs/link":   {Data: []byte("../README"), Mode: ModeSymlink},
		"assets/logo": {Data: binaryData(310, 12)},
	}
	files := mustParse(t, writeDiff(t, changesBetween(old, new)...))
	rs, err := Apply(files, src)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffTrees(withResults(old, rs), new); d != "" {
		t.Fatal(d)
	}
	if _, err := os.Stat(filepath.Join(dir, "main.go")); err != nil {
		t.Fatal(err)
	}
}

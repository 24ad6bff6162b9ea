package patchdiff

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Source gives read access to the pre-image tree (a git tree, a directory, a
// map in tests).
type Source interface {
	// Lookup returns the file at path; ok=false if absent. Mode 0o120000
	// means symlink (Data = target). A directory is not a file: ok=false.
	Lookup(path string) (data []byte, mode Mode, ok bool, err error)
}

// Entry is one file of a MapSource.
type Entry struct {
	Data []byte
	Mode Mode // 0 means ModeRegular, to keep test tables short
}

// MapSource is a simple in-memory Source keyed by slash-separated path.
type MapSource map[string]Entry

// Lookup implements Source.
func (m MapSource) Lookup(path string) ([]byte, Mode, bool, error) {
	e, ok := m[path]
	if !ok {
		return nil, 0, false, nil
	}
	if e.Mode == 0 {
		e.Mode = ModeRegular
	}
	return e.Data, e.Mode, true, nil
}

// DirSource reads the tree rooted at root on disk. It never follows a
// symlink: a link is returned as mode 120000 with its target as data, and a
// path below a link is an error wrapping ErrUnsafePath. Executable means
// the owner's execute bit, as git decides.
func DirSource(root string) Source {
	return dirSource{root: root}
}

type dirSource struct {
	root string
}

// Lookup implements Source.
func (d dirSource) Lookup(path string) ([]byte, Mode, bool, error) {
	if reason := pathProblem(path); reason != "" {
		return nil, 0, false, fmt.Errorf("%s: %s: %w", path, reason, ErrUnsafePath)
	}
	parts := strings.Split(path, "/")
	full := d.root
	for i, part := range parts {
		full = filepath.Join(full, part)
		info, err := os.Lstat(full)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, 0, false, nil
		}
		if err != nil {
			return nil, 0, false, fmt.Errorf("look up %s: %w", path, err)
		}
		last := i == len(parts)-1
		switch {
		case info.Mode()&fs.ModeSymlink != 0 && !last:
			return nil, 0, false, fmt.Errorf("look up %s: parent %s is a symlink: %w",
				path, strings.Join(parts[:i+1], "/"), ErrUnsafePath)
		case !last && !info.IsDir():
			return nil, 0, false, nil // a file where a directory would be
		case !last:
			continue
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(full)
			if err != nil {
				return nil, 0, false, fmt.Errorf("look up %s: %w", path, err)
			}
			return []byte(filepath.ToSlash(target)), ModeSymlink, true, nil
		case info.IsDir():
			return nil, 0, false, nil
		case !info.Mode().IsRegular():
			// A FIFO or device would block or lie; a product tree has none.
			return nil, 0, false, fmt.Errorf("look up %s: not a regular file (%s)", path, info.Mode().Type())
		}
		data, err := os.ReadFile(full)
		if err != nil {
			return nil, 0, false, fmt.Errorf("look up %s: %w", path, err)
		}
		mode := ModeRegular
		if info.Mode().Perm()&0o100 != 0 {
			mode = ModeExecutable
		}
		return data, mode, true, nil
	}
	return nil, 0, false, nil
}

// TreeSource reads files from a git tree, such as a release tag's.
func TreeSource(tree *object.Tree) Source {
	return treeSource{tree: tree}
}

type treeSource struct {
	tree *object.Tree
}

// Lookup implements Source.
func (t treeSource) Lookup(path string) ([]byte, Mode, bool, error) {
	if reason := pathProblem(path); reason != "" {
		return nil, 0, false, fmt.Errorf("%s: %s: %w", path, reason, ErrUnsafePath)
	}
	e, err := t.tree.FindEntry(path)
	switch {
	case errors.Is(err, object.ErrEntryNotFound), errors.Is(err, object.ErrDirectoryNotFound),
		errors.Is(err, plumbing.ErrObjectNotFound):
		// ErrObjectNotFound: a parent is a blob (a file or symlink), not a tree.
		return nil, 0, false, nil
	case err != nil:
		return nil, 0, false, fmt.Errorf("look up %s: %w", path, err)
	}
	var mode Mode
	switch e.Mode {
	case filemode.Dir:
		return nil, 0, false, nil
	case filemode.Regular, filemode.Deprecated:
		mode = ModeRegular
	case filemode.Executable:
		mode = ModeExecutable
	case filemode.Symlink:
		mode = ModeSymlink
	default:
		return nil, 0, false, fmt.Errorf("look up %s: unsupported tree entry mode %s", path, e.Mode)
	}
	f, err := t.tree.TreeEntryFile(e)
	if err != nil {
		return nil, 0, false, fmt.Errorf("look up %s: %w", path, err)
	}
	r, err := f.Reader()
	if err != nil {
		return nil, 0, false, fmt.Errorf("look up %s: %w", path, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, 0, false, fmt.Errorf("look up %s: %w", path, err)
	}
	return data, mode, true, nil
}

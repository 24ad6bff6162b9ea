package rollup

import (
	"errors"
	"io"
	"path"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchline/patchline/internal/patchdiff"
)

// TreeSource reads a release's tree as the proof's source, decoding each
// directory and blob once however many patches look at it: a rollup checks
// hundreds of diffs against the same tree.
func TreeSource(root *object.Tree) patchdiff.Source {
	return &treeSource{dirs: map[string]*object.Tree{"": root}, files: map[string]file{}}
}

type file struct {
	data []byte
	mode patchdiff.Mode
	ok   bool
}

type treeSource struct {
	dirs  map[string]*object.Tree // nil: not a directory
	files map[string]file
}

func (s *treeSource) dir(p string) (*object.Tree, error) {
	if t, ok := s.dirs[p]; ok {
		return t, nil
	}
	parent, err := s.dir(dirOf(p))
	if err != nil || parent == nil {
		s.dirs[p] = nil
		return nil, err
	}
	var sub *object.Tree
	for _, e := range parent.Entries {
		if e.Name == path.Base(p) && e.Mode == filemode.Dir {
			if sub, err = parent.Tree(e.Name); err != nil {
				return nil, err
			}
		}
	}
	s.dirs[p] = sub
	return sub, nil
}

func dirOf(p string) string {
	d := path.Dir(p)
	if d == "." {
		return ""
	}
	return d
}

// Lookup implements patchdiff.Source.
func (s *treeSource) Lookup(p string) ([]byte, patchdiff.Mode, bool, error) {
	if f, ok := s.files[p]; ok {
		return f.data, f.mode, f.ok, nil
	}
	f, err := s.lookup(p)
	if err != nil {
		return nil, 0, false, err
	}
	s.files[p] = f
	return f.data, f.mode, f.ok, nil
}

func (s *treeSource) lookup(p string) (file, error) {
	if p == "" || path.Clean(p) != p || p[0] == '/' || p == ".." || len(p) > 2 && p[:3] == "../" {
		return file{}, patchdiff.ErrUnsafePath
	}
	d, err := s.dir(dirOf(p))
	if err != nil || d == nil {
		return file{}, err
	}
	for i := range d.Entries {
		e := &d.Entries[i]
		if e.Name != path.Base(p) {
			continue
		}
		var mode patchdiff.Mode
		switch e.Mode {
		case filemode.Regular, filemode.Deprecated:
			mode = patchdiff.ModeRegular
		case filemode.Executable:
			mode = patchdiff.ModeExecutable
		case filemode.Symlink:
			mode = patchdiff.ModeSymlink
		default:
			return file{}, nil // a directory or a submodule is not a file
		}
		blob, err := d.TreeEntryFile(e)
		if err != nil {
			if errors.Is(err, plumbing.ErrObjectNotFound) {
				return file{}, nil
			}
			return file{}, err
		}
		r, err := blob.Reader()
		if err != nil {
			return file{}, err
		}
		defer r.Close()
		data, err := io.ReadAll(r)
		if err != nil {
			return file{}, err
		}
		return file{data: data, mode: mode, ok: true}, nil
	}
	return file{}, nil
}

// listFiles lists every regular file, executable and symlink under dir,
// recursively, as slash paths.
func (s *treeSource) listFiles(dir string) ([]string, error) {
	d, err := s.dir(dir)
	if err != nil || d == nil {
		return nil, err
	}
	var out []string
	for _, e := range d.Entries {
		p := path.Join(dir, e.Name)
		switch e.Mode {
		case filemode.Dir:
			sub, err := s.listFiles(p)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		case filemode.Regular, filemode.Deprecated, filemode.Executable, filemode.Symlink:
			out = append(out, p)
		}
	}
	return out, nil
}

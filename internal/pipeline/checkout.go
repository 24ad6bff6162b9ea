package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchline/patchline/internal/patchdiff"
)

// Checkout exports the old release and the patched tree into the work
// directory, never touching the user's working copy.
type Checkout struct{}

func (Checkout) String() string { return "export the release and patched trees" }

func (Checkout) Run(ctx context.Context, s *State) error {
	s.OldTree = filepath.Join(s.Work, "tree-old")
	s.PatchedTree = filepath.Join(s.Work, "tree-patched")
	oldTree, err := s.Repo.Tree(s.FromTag.Commit)
	if err != nil {
		return err
	}
	if err := ExportTree(oldTree, s.OldTree); err != nil {
		return err
	}
	baseTree, err := s.Repo.Tree(s.BaseTag.Commit)
	if err != nil {
		return err
	}
	if err := ExportTree(baseTree, s.PatchedTree); err != nil {
		return err
	}
	files, err := patchdiff.Parse(bytes.NewReader(s.Patch.Diff))
	if err != nil {
		return err
	}
	if err := ApplyToDir(files, s.PatchedTree); err != nil {
		return fmt.Errorf("patch.diff on %s: %w", s.BaseTag.Name, err)
	}
	fmt.Fprintf(s.Log, "  %s (%s) and %s + patch.diff\n", s.FromTag.Name, s.FromTag.Commit.String()[:7], s.BaseTag.Name)
	return nil
}

// ExportTree writes a git tree's files into dir, with their modes; symlinks
// are made as symlinks, submodules are left out.
func ExportTree(t *object.Tree, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return t.Files().ForEach(func(f *object.File) error {
		target := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		rd, err := f.Reader()
		if err != nil {
			return fmt.Errorf("read %s: %w", f.Name, err)
		}
		defer rd.Close()
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(rd); err != nil {
			return fmt.Errorf("read %s: %w", f.Name, err)
		}
		switch f.Mode {
		case filemode.Symlink:
			return os.Symlink(buf.String(), target)
		case filemode.Executable:
			return os.WriteFile(target, buf.Bytes(), 0o755)
		default:
			return os.WriteFile(target, buf.Bytes(), 0o644)
		}
	})
}

// ApplyToDir applies a parsed diff to a directory in place.
func ApplyToDir(files []*gitdiff.File, dir string) error {
	results, err := patchdiff.Apply(files, patchdiff.DirSource(dir))
	if err != nil {
		return err
	}
	for _, r := range results {
		target := filepath.Join(dir, filepath.FromSlash(r.Path))
		if r.OldPath != "" && r.OldPath != r.Path {
			if err := os.Remove(filepath.Join(dir, filepath.FromSlash(r.OldPath))); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
		if r.Deleted {
			if err := os.Remove(target); err != nil && !os.IsNotExist(err) {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		os.Remove(target)
		if r.Mode.IsSymlink() {
			if err := os.Symlink(string(r.Data), target); err != nil {
				return err
			}
			continue
		}
		perm := os.FileMode(0o644)
		if r.Mode == patchdiff.ModeExecutable {
			perm = 0o755
		}
		if err := os.WriteFile(target, r.Data, perm); err != nil {
			return err
		}
	}
	return nil
}

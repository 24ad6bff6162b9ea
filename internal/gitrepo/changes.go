package gitrepo

import (
	"fmt"
	"io"
	"path"
	"sort"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchline/patchline/internal/patchdiff"
)

// Changes returns what changed between two commits' trees, as patchdiff
// changes with their contents, sorted by path, skipping paths (files or
// whole directories) for which skip returns true. Subtrees with the same id
// on both sides are never read, so the cost is that of the change, not of
// the tree. Submodule entries are skipped: a patch ships files, not gitlinks.
func (r *Repo) Changes(from, to Hash, skip func(path string) bool) ([]patchdiff.Change, error) {
	a, err := r.Tree(from)
	if err != nil {
		return nil, err
	}
	b, err := r.Tree(to)
	if err != nil {
		return nil, err
	}
	if skip == nil {
		skip = func(string) bool { return false }
	}
	var out []patchdiff.Change
	if err := r.diffTrees(a, b, "", skip, &out); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return changePath(out[i]) < changePath(out[j]) })
	return out, nil
}

func (r *Repo) diffTrees(a, b *object.Tree, dir string, skip func(string) bool, out *[]patchdiff.Change) error {
	entries := map[string][2]*object.TreeEntry{}
	if a != nil {
		for i := range a.Entries {
			e := &a.Entries[i]
			pair := entries[e.Name]
			pair[0] = e
			entries[e.Name] = pair
		}
	}
	if b != nil {
		for i := range b.Entries {
			e := &b.Entries[i]
			pair := entries[e.Name]
			pair[1] = e
			entries[e.Name] = pair
		}
	}
	for name, pair := range entries {
		p := path.Join(dir, name)
		ea, eb := pair[0], pair[1]
		if skip(p) || (ea != nil && eb != nil && ea.Hash == eb.Hash && ea.Mode == eb.Mode) {
			continue
		}
		isDir := func(e *object.TreeEntry) bool { return e != nil && e.Mode == filemode.Dir }
		isFile := func(e *object.TreeEntry) bool {
			return e != nil && e.Mode != filemode.Dir && e.Mode != filemode.Submodule
		}
		if isDir(ea) || isDir(eb) {
			var sa, sb *object.Tree
			var err error
			if isDir(ea) {
				if sa, err = r.git.TreeObject(ea.Hash); err != nil {
					return fmt.Errorf("read tree %s: %w", p, err)
				}
			}
			if isDir(eb) {
				if sb, err = r.git.TreeObject(eb.Hash); err != nil {
					return fmt.Errorf("read tree %s: %w", p, err)
				}
			}
			if err := r.diffTrees(sa, sb, p, skip, out); err != nil {
				return err
			}
		}
		var c patchdiff.Change
		if isFile(ea) {
			data, err := r.blob(ea.Hash)
			if err != nil {
				return fmt.Errorf("read %s: %w", p, err)
			}
			c.OldPath, c.OldMode, c.OldData = p, patchdiff.Mode(ea.Mode), data
		}
		if isFile(eb) {
			data, err := r.blob(eb.Hash)
			if err != nil {
				return fmt.Errorf("read %s: %w", p, err)
			}
			c.NewPath, c.NewMode, c.NewData = p, patchdiff.Mode(eb.Mode), data
		}
		if c.OldPath != "" || c.NewPath != "" {
			*out = append(*out, c)
		}
	}
	return nil
}

func (r *Repo) blob(h Hash) ([]byte, error) {
	b, err := r.git.BlobObject(h)
	if err != nil {
		return nil, err
	}
	rd, err := b.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return io.ReadAll(rd)
}

func changePath(c patchdiff.Change) string {
	if c.NewPath != "" {
		return c.NewPath
	}
	return c.OldPath
}

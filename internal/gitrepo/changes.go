package gitrepo

import (
	"fmt"
	"io"
	"sort"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchline/patchline/internal/patchdiff"
)

// Changes returns what changed between two commits' trees, as patchdiff
// changes with their contents, skipping paths for which skip returns true.
// Submodule entries are skipped: a patch ships files, not gitlinks.
func (r *Repo) Changes(from, to Hash, skip func(path string) bool) ([]patchdiff.Change, error) {
	a, err := r.Tree(from)
	if err != nil {
		return nil, err
	}
	b, err := r.Tree(to)
	if err != nil {
		return nil, err
	}
	return TreeChanges(a, b, skip)
}

// TreeChanges is Changes on two trees.
func TreeChanges(a, b *object.Tree, skip func(path string) bool) ([]patchdiff.Change, error) {
	diff, err := object.DiffTree(a, b)
	if err != nil {
		return nil, fmt.Errorf("compare trees: %w", err)
	}
	var out []patchdiff.Change
	for _, ch := range diff {
		var c patchdiff.Change
		if ch.From.Name != "" {
			if ch.From.TreeEntry.Mode == filemode.Submodule || (skip != nil && skip(ch.From.Name)) {
				ch.From = object.ChangeEntry{}
			}
		}
		if ch.To.Name != "" {
			if ch.To.TreeEntry.Mode == filemode.Submodule || (skip != nil && skip(ch.To.Name)) {
				ch.To = object.ChangeEntry{}
			}
		}
		if ch.From.Name == "" && ch.To.Name == "" {
			continue
		}
		if ch.From.Name != "" {
			c.OldPath, c.OldMode = ch.From.Name, patchdiff.Mode(ch.From.TreeEntry.Mode)
			if c.OldData, err = blobOf(ch.From); err != nil {
				return nil, err
			}
		}
		if ch.To.Name != "" {
			c.NewPath, c.NewMode = ch.To.Name, patchdiff.Mode(ch.To.TreeEntry.Mode)
			if c.NewData, err = blobOf(ch.To); err != nil {
				return nil, err
			}
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return changePath(out[i]) < changePath(out[j]) })
	return out, nil
}

func changePath(c patchdiff.Change) string {
	if c.NewPath != "" {
		return c.NewPath
	}
	return c.OldPath
}

func blobOf(e object.ChangeEntry) ([]byte, error) {
	f, err := e.Tree.TreeEntryFile(&e.TreeEntry)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", e.Name, err)
	}
	rd, err := f.Reader()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", e.Name, err)
	}
	defer rd.Close()
	data, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", e.Name, err)
	}
	return data, nil
}

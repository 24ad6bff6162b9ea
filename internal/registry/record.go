package registry

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/patchdiff"
)

// ErrNothingToRecord is wrapped when a patch branch changes nothing outside
// patches/ since its base tag: there is no fix to record yet.
var ErrNothingToRecord = errors.New("nothing to record")

// NotCheckedOutError is returned when Record is to write patch.diff and the
// patch branch is not checked out: the file belongs in that branch's work tree.
type NotCheckedOutError struct {
	Branch string
}

func (e *NotCheckedOutError) Error() string {
	return fmt.Sprintf("check out %s first (git switch %s)", e.Branch, e.Branch)
}

// RecordOptions say what Record does besides computing the diff.
type RecordOptions struct {
	// DryRun computes the diff and writes nothing, so the patch branch
	// need not be checked out.
	DryRun bool
}

// Recorded is a patch's patch.diff as Record made it.
type Recorded struct {
	File string // repository-relative: patches/<ID>/patch.diff
	Diff []byte
	Stat DiffStat
	// Changed reports that the file was written: it was missing or held
	// another diff. Always false for a DryRun.
	Changed bool
}

// DiffStat counts what a diff changes.
type DiffStat struct {
	Files   int `json:"files"`
	Added   int `json:"added"`
	Removed int `json:"removed"`
}

// Record computes what p's branch changes since its base tag, outside
// patches/, as a byte-stable patch.diff, and writes it to patches/<ID>/ in
// the work tree unless it already holds exactly that. p must have its branch
// and a decoded manifest. Nothing changed returns an error wrapping
// ErrNothingToRecord; writing with the branch not checked out, a
// *NotCheckedOutError.
func (r *Registry) Record(p *Patch, opts RecordOptions) (*Recorded, error) {
	if !p.HasBranch() {
		return nil, fmt.Errorf("%s has no patch branch to record from", p.ID)
	}
	if p.Manifest == nil {
		return nil, fmt.Errorf("%s does not decode: run `patchline validate %s`", p.ManifestPath, p.ID)
	}
	tags, err := r.LoadTags()
	if err != nil {
		return nil, err
	}
	tag, err := tags.ReleaseTag(p.Manifest.Base)
	if err != nil {
		return nil, fmt.Errorf("%s: base: %w", p.ManifestPath, err)
	}
	changes, err := r.Repo.Changes(tag.Commit, p.Branch.Commit, func(name string) bool {
		return name == Dir || strings.HasPrefix(name, Dir+"/")
	})
	if err != nil {
		return nil, err
	}
	if len(changes) == 0 {
		return nil, fmt.Errorf("%w: %s changes nothing outside %s/ since %s; commit the fix first", ErrNothingToRecord, p.Branch.Name, Dir, p.Manifest.Base)
	}
	var buf bytes.Buffer
	if err := patchdiff.Write(&buf, changes); err != nil {
		return nil, err
	}
	rec := &Recorded{
		File: path.Join(PatchDir(p.ID), DiffName),
		Diff: buf.Bytes(),
		Stat: diffStat(changes, buf.Bytes()),
	}
	if opts.DryRun {
		return rec, nil
	}
	root := r.Repo.Root()
	head, _, _ := r.Repo.Head()
	if root == "" || head != p.Branch.Name {
		return nil, &NotCheckedOutError{Branch: p.Branch.Name}
	}
	full := filepath.Join(root, filepath.FromSlash(rec.File))
	old, err := os.ReadFile(full)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err == nil && bytes.Equal(old, rec.Diff) {
		return rec, nil
	}
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return nil, err
	}
	if err := gitrepo.WriteFileAtomic(full, rec.Diff, 0o644); err != nil {
		return nil, err
	}
	rec.Changed = true
	return rec, nil
}

// diffStat counts the files of changes and the lines that diff, their
// rendering, adds and removes.
func diffStat(changes []patchdiff.Change, diff []byte) DiffStat {
	st := DiffStat{Files: len(changes)}
	// Only lines inside hunks count: a removed line "-- x" reads "--- x",
	// like a file header.
	inHunk := false
	for _, l := range bytes.Split(diff, []byte("\n")) {
		switch {
		case bytes.HasPrefix(l, []byte("diff --git ")):
			inHunk = false
		case bytes.HasPrefix(l, []byte("@@ ")):
			inHunk = true
		case !inHunk:
		case bytes.HasPrefix(l, []byte("+")):
			st.Added++
		case bytes.HasPrefix(l, []byte("-")):
			st.Removed++
		}
	}
	return st
}

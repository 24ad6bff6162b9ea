package patchdiff

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
	"github.com/go-git/go-git/v5/plumbing"
)

// Result of applying: the post-image of every touched path.
type Result struct {
	Path    string
	Mode    Mode // 0 when deleted
	Data    []byte
	Deleted bool
	OldPath string // for renames and copies: where the content came from
}

// Apply applies files to src with DefaultLimits. See Limits.Apply.
func Apply(files []*gitdiff.File, src Source) ([]Result, error) {
	return DefaultLimits().Apply(files, src)
}

// Apply applies files to src and returns the post-image of each touched
// path, sorted by path. A rename yields the new path (with OldPath set) and
// the old path as Deleted. Nothing is written anywhere: the caller commits
// the results, all or nothing, removing the Deleted paths (and directories
// they leave empty) before writing the others, since a file may replace a
// directory or the other way round. Data may share memory with the source.
// A nil src is an empty tree.
//
// Like git apply, files apply in order and a later patch to the same path
// sees the result of the earlier one. Hunks need their whole pre-image:
// tried at the stated line first, then at other offsets, nearest first (see
// applyText). Where the index line has full ids, a binary pre-image must
// hash to the old id exactly and its result to the new id; a text file may
// differ from the old id if its hunks still apply, as git allows, but a text
// file that matches the old id must then produce the new one.
//
// Errors: ErrUnsafePath (with every problem of CheckPaths) before anything
// is applied, ErrMalformed for a file git apply would refuse to read, and
// *ConflictError, wrapping ErrConflict, naming the file and hunk that failed.
func (l Limits) Apply(files []*gitdiff.File, src Source) ([]Result, error) {
	if src == nil {
		src = MapSource{}
	}
	if problems := CheckPaths(files, src); len(problems) > 0 {
		return nil, &UnsafePathError{Problems: problems}
	}
	if len(files) > l.MaxFiles {
		return nil, malformed("diff has more than %d files", l.MaxFiles)
	}
	for i, f := range files {
		if f == nil {
			return nil, malformed("file %d is missing", i+1)
		}
		if err := l.validateFile(f, false); err != nil {
			return nil, err
		}
	}
	t := &tree{src: src, touched: map[string]*node{}}
	for _, f := range files {
		if err := l.applyFile(t, f); err != nil {
			return nil, err
		}
	}
	return t.results(), nil
}

// node is the current state of a touched path.
type node struct {
	data    []byte
	mode    Mode
	exists  bool
	oldPath string
	inSrc   bool // the source has a file or symlink at this path
}

// tree is the pre-image as the diff has changed it so far.
type tree struct {
	src     Source
	touched map[string]*node
}

// lookup returns the current file at p. Below a path that is a file or
// symlink in the source nothing exists; asking the source would only find
// out that a symlink the diff removes was there.
func (t *tree) lookup(p string) (node, error) {
	if n, ok := t.touched[p]; ok {
		return *n, nil
	}
	for i := 0; i < len(p); i++ {
		if p[i] == '/' {
			if n, ok := t.touched[p[:i]]; ok && n.inSrc {
				return node{}, nil
			}
		}
	}
	data, mode, ok, err := t.src.Lookup(p)
	if err != nil {
		return node{}, fmt.Errorf("read %s: %w", p, err)
	}
	return node{data: data, mode: mode, exists: ok, inSrc: ok}, nil
}

// checkCreate fails when p exists or a parent directory of p is a file.
func (t *tree) checkCreate(p string) error {
	n, err := t.lookup(p)
	if err != nil {
		return err
	}
	if n.exists {
		return &ConflictError{Path: p, Reason: "already exists"}
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		parent, err := t.lookup(p[:i])
		if err != nil {
			return err
		}
		if parent.exists {
			return &ConflictError{Path: p, Reason: fmt.Sprintf("parent %q is a file", p[:i])}
		}
	}
	return nil
}

// set records the new state of p, remembering whether the source had it.
func (t *tree) set(p string, n node) {
	if prev, ok := t.touched[p]; ok {
		n.inSrc = prev.inSrc
	} else if cur, err := t.lookup(p); err == nil {
		n.inSrc = cur.inSrc
	}
	t.touched[p] = &n
}

func (t *tree) results() []Result {
	out := make([]Result, 0, len(t.touched))
	for p, n := range t.touched {
		r := Result{Path: p, Deleted: !n.exists, OldPath: n.oldPath}
		if n.exists {
			r.Mode, r.Data = n.mode, n.data
		} else {
			r.OldPath = ""
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// applyFile applies one file patch to t.
func (l Limits) applyFile(t *tree, f *gitdiff.File) error {
	name := f.NewName
	if f.IsDelete {
		name = f.OldName
	}
	old, err := l.preimage(t, f)
	if err != nil {
		return err
	}
	data, err := l.postimage(f, name, old.data)
	if err != nil {
		return err
	}
	if f.IsDelete {
		t.set(f.OldName, node{})
		return nil
	}

	oldMode, _ := canonicalMode(f.OldMode)
	mode, _ := canonicalMode(f.NewMode)
	switch {
	case mode != 0:
	case oldMode != 0:
		mode = oldMode // the mode on the index line, which git keeps
	default:
		mode = os.FileMode(old.mode)
	}
	if !f.IsNew && Mode(mode).IsSymlink() != old.mode.IsSymlink() {
		return malformed("%s: one patch cannot turn a symlink into a file or back; "+
			"git writes that as a deletion and an addition", name)
	}
	if Mode(mode).IsSymlink() && (len(data) == 0 || bytes.IndexByte(data, 0) >= 0) {
		return malformed("%s: symlink target is empty or has a NUL byte", name)
	}

	n := node{data: data, mode: Mode(mode), exists: true}
	if f.IsRename || f.IsCopy {
		n.oldPath = f.OldName
	}
	if f.IsRename && f.NewName != f.OldName {
		t.set(f.OldName, node{})
	}
	t.set(f.NewName, n)
	return nil
}

// preimage returns what f patches: nothing for a new file, which must not
// exist yet, else the current file at OldName, which must exist and be of
// the type the diff says. A rename or copy target must be free.
func (l Limits) preimage(t *tree, f *gitdiff.File) (node, error) {
	var old node
	if f.IsNew {
		return old, t.checkCreate(f.NewName)
	}
	old, err := t.lookup(f.OldName)
	if err != nil {
		return old, err
	}
	if !old.exists {
		return old, &ConflictError{Path: f.OldName, Reason: "does not exist"}
	}
	if oldMode, _ := canonicalMode(f.OldMode); oldMode != 0 && Mode(oldMode).IsSymlink() != old.mode.IsSymlink() {
		return old, &ConflictError{Path: f.OldName, Reason: fmt.Sprintf(
			"is a %s, the diff expects a %s", kind(old.mode), kind(Mode(oldMode)))}
	}
	if int64(len(old.data)) > l.MaxFileBytes {
		return old, malformed("%s: file is larger than %d bytes", f.OldName, l.MaxFileBytes)
	}
	if (f.IsRename || f.IsCopy) && f.NewName != f.OldName {
		return old, t.checkCreate(f.NewName)
	}
	return old, nil
}

// postimage computes the new content from old and checks it against the
// blob ids of the index line where they are full: a binary pre-image must
// match exactly, a deletion must leave nothing of exactly the old blob, and
// a result must be the new blob when the pre-image was exact.
func (l Limits) postimage(f *gitdiff.File, name string, old []byte) ([]byte, error) {
	exactOld := false
	var wrongOld error
	if isFullID(f.OldOIDPrefix) && !f.IsNew {
		oldID := plumbing.ComputeHash(plumbing.BlobObject, old).String()
		exactOld = f.OldOIDPrefix == oldID
		wrongOld = &ConflictError{Path: f.OldName, Reason: fmt.Sprintf(
			"content is blob %s, the diff expects %s", oldID, f.OldOIDPrefix)}
	}

	data := old
	var err error
	switch {
	case f.IsBinary:
		if !isFullID(f.OldOIDPrefix) || !isFullID(f.NewOIDPrefix) {
			return nil, malformed("%s: binary patch without a full index line; write the diff with --full-index", name)
		}
		if wrongOld != nil && !exactOld {
			return nil, wrongOld
		}
		data, err = l.applyBinary(name, old, f.BinaryFragment)
	case len(f.TextFragments) > 0:
		data, err = applyText(name, old, f.TextFragments, l.MaxFileBytes)
	}
	if err != nil {
		return nil, err
	}

	if f.IsDelete {
		// Checked after the hunks, whose conflict says more than a blob id.
		if len(data) > 0 {
			return nil, &ConflictError{Path: f.OldName, Reason: "the deletion leaves content behind"}
		}
		if wrongOld != nil && !exactOld {
			return nil, wrongOld
		}
		return nil, nil
	}
	if isFullID(f.NewOIDPrefix) && (f.IsBinary || exactOld || f.IsNew) {
		if id := plumbing.ComputeHash(plumbing.BlobObject, data).String(); id != f.NewOIDPrefix {
			return nil, malformed("%s: the result is blob %s, the index line promises %s", name, id, f.NewOIDPrefix)
		}
	}
	return data, nil
}

func kind(m Mode) string {
	if m.IsSymlink() {
		return "symlink"
	}
	return "regular file"
}

// isFullID reports whether an index line id is a whole SHA-1, null included.
func isFullID(id string) bool { return len(id) == 40 }

// applyBinary runs go-gitdiff's binary applier (literal or git delta) into
// a buffer that refuses to grow past MaxFileBytes.
func (l Limits) applyBinary(name string, old []byte, frag *gitdiff.BinaryFragment) ([]byte, error) {
	out := &cappedBuffer{max: l.MaxFileBytes}
	a := gitdiff.NewBinaryApplier(out, bytes.NewReader(old), gitdiff.WithMaxBinaryFragmentBytes(l.MaxFileBytes))
	err := a.ApplyFragment(frag)
	if err == nil {
		err = a.Close()
	}
	switch {
	case err == nil:
		return out.buf.Bytes(), nil
	case errors.Is(err, &gitdiff.Conflict{}):
		return nil, &ConflictError{Path: name, Reason: fmt.Sprintf("binary patch: %v", err)}
	default:
		return nil, malformed("%s: binary patch: %v", name, err)
	}
}

type cappedBuffer struct {
	buf bytes.Buffer
	max int64
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if int64(c.buf.Len())+int64(len(p)) > c.max {
		return 0, fmt.Errorf("result is larger than %d bytes", c.max)
	}
	return c.buf.Write(p)
}

package gitrepo

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Note is one git note: the object it annotates and its text.
type Note struct {
	Object Hash
	Data   []byte
}

// ErrNoteTooLarge is returned by Notes for a note over the size asked.
var ErrNoteTooLarge = errors.New("note too large")

// Notes reads every note on a notes ref such as refs/notes/patchline, as
// `git notes --ref=patchline list` lists them: a blob named by the
// annotated object's id, at the top of the notes commit's tree or split
// into fan-out directories (ab/cdef…). Other entries are not notes and are
// skipped, as git skips them. A ref that does not exist has no notes. A
// note larger than max bytes is an error wrapping ErrNoteTooLarge.
func (r *Repo) Notes(ref string, max int64) ([]Note, error) {
	tip, ok, err := r.reference(plumbing.ReferenceName(ref))
	if err != nil || !ok {
		return nil, err
	}
	c, err := r.Commit(tip)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	t, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("%s: read tree of %s: %w", ref, tip, err)
	}
	var out []Note
	if err := r.notesIn(ref, t, "", max, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// notesIn collects the notes under a tree of a notes commit; prefix is the
// hex digits its fan-out directories already took.
func (r *Repo) notesIn(ref string, t *object.Tree, prefix string, max int64, out *[]Note) error {
	for i := range t.Entries {
		e := &t.Entries[i]
		name := prefix + e.Name
		if !isHex(e.Name) || len(name) > 2*len(plumbing.ZeroHash) {
			continue
		}
		switch {
		case e.Mode.IsFile() && len(name) == 2*len(plumbing.ZeroHash):
			data, err := r.noteBlob(ref, name, e.Hash, max)
			if err != nil {
				return err
			}
			var h Hash
			hex.Decode(h[:], []byte(name))
			*out = append(*out, Note{Object: h, Data: data})
		case !e.Mode.IsFile() && len(e.Name) == 2:
			sub, err := t.Tree(e.Name)
			if err != nil {
				return fmt.Errorf("%s: read %s/: %w", ref, name, err)
			}
			if err := r.notesIn(ref, sub, name, max, out); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *Repo) noteBlob(ref, object string, h Hash, max int64) ([]byte, error) {
	b, err := r.git.BlobObject(h)
	if err != nil {
		return nil, fmt.Errorf("%s: read the note on %s: %w", ref, object, err)
	}
	if b.Size > max {
		return nil, fmt.Errorf("%s: the note on %s is %d bytes, more than %d: %w", ref, object, b.Size, max, ErrNoteTooLarge)
	}
	rd, err := b.Reader()
	if err != nil {
		return nil, fmt.Errorf("%s: read the note on %s: %w", ref, object, err)
	}
	defer rd.Close()
	data, err := io.ReadAll(io.LimitReader(rd, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: read the note on %s: %w", ref, object, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: the note on %s is more than %d bytes: %w", ref, object, max, ErrNoteTooLarge)
	}
	return data, nil
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	return strings.Trim(strings.ToLower(s), "0123456789abcdef") == ""
}

// Message is an annotated tag's message, without its signature; "" for a
// lightweight tag.
func (t Tag) Message() string {
	if !t.Annotated {
		return ""
	}
	obj, err := t.object()
	if err != nil {
		return ""
	}
	return obj.Message
}

// AddNote makes data the note of object on a notes ref, in a new notes
// commit on top of the ref, as `git notes --ref add -f` does: the note
// sits at the top of the notes tree, named by the object's id (a note the
// object had there is replaced; fan-out directories are kept as they are).
func (r *Repo) AddNote(ref string, obj Hash, data []byte, sig *object.Signature) (Hash, error) {
	defer r.refsChanged()
	st := r.git.Storer
	var parents []Hash
	var entries []object.TreeEntry
	if tip, ok, err := r.reference(plumbing.ReferenceName(ref)); err != nil {
		return plumbing.ZeroHash, err
	} else if ok {
		c, err := r.Commit(tip)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		t, err := c.Tree()
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("%s: read tree of %s: %w", ref, tip, err)
		}
		parents = []Hash{tip}
		for _, e := range t.Entries {
			if e.Name != obj.String() {
				entries = append(entries, e)
			}
		}
	}
	blob := st.NewEncodedObject()
	blob.SetType(plumbing.BlobObject)
	w, err := blob.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(data); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	bh, err := st.SetEncodedObject(blob)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("%s: write the note: %w", ref, err)
	}
	entries = append(entries, object.TreeEntry{Name: obj.String(), Mode: filemode.Regular, Hash: bh})
	// git's order: by name, a tree's name as if it ended in a slash.
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
	tree := st.NewEncodedObject()
	if err := (&object.Tree{Entries: entries}).Encode(tree); err != nil {
		return plumbing.ZeroHash, err
	}
	th, err := st.SetEncodedObject(tree)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("%s: write the notes tree: %w", ref, err)
	}
	commit := st.NewEncodedObject()
	c := &object.Commit{Author: *sig, Committer: *sig, Message: "Notes added by 'git notes add'\n", TreeHash: th, ParentHashes: parents}
	if err := c.Encode(commit); err != nil {
		return plumbing.ZeroHash, err
	}
	ch, err := st.SetEncodedObject(commit)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("%s: write the notes commit: %w", ref, err)
	}
	if err := st.SetReference(plumbing.NewHashReference(plumbing.ReferenceName(ref), ch)); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("%s: %w", ref, err)
	}
	return ch, nil
}

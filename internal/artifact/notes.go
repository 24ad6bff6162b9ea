package artifact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchline/patchline/internal/gitrepo"
)

// NotesRef is where the repository keeps release records: one git note
// per tagged commit, as `git notes --ref=patchline-releases` reads them.
// A note, not a commit: a tag is immutable and the main branch is usually
// protected, while a notes ref is pushed like any other
// (docs/decisions.md, "Releases").
const NotesRef = "refs/notes/patchline-releases"

// notesDoc is one note: the records of every release tag on the commit it
// annotates (usually one).
type notesDoc struct {
	Schema   int      `json:"schema"`
	Releases []Record `json:"releases"`
}

// Load returns the record of the release tag at commit, or nil when the
// repository has none.
func Load(repo *gitrepo.Repo, tag string, commit gitrepo.Hash) (*Record, error) {
	doc, err := loadDoc(repo, commit)
	if err != nil || doc == nil {
		return nil, err
	}
	for i := range doc.Releases {
		if doc.Releases[i].Tag == tag {
			return &doc.Releases[i], nil
		}
	}
	return nil, nil
}

func loadDoc(repo *gitrepo.Repo, commit gitrepo.Hash) (*notesDoc, error) {
	notes, err := repo.Notes(NotesRef, MaxRecordSize)
	if err != nil {
		return nil, fmt.Errorf("read the release records: %w", err)
	}
	for _, n := range notes {
		if n.Object != commit {
			continue
		}
		doc, err := decodeDoc(n.Data)
		if err != nil {
			return nil, fmt.Errorf("%s, the note on %s: %w", NotesRef, commit.String()[:12], err)
		}
		return doc, nil
	}
	return nil, nil
}

func decodeDoc(data []byte) (*notesDoc, error) {
	var doc notesDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRecord, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the note", ErrBadRecord)
	}
	if doc.Schema != Schema {
		return nil, fmt.Errorf("%w: note schema %d; this patchline reads schema %d", ErrBadRecord, doc.Schema, Schema)
	}
	seen := map[string]bool{}
	for i := range doc.Releases {
		r := &doc.Releases[i]
		if err := r.Check(); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrBadRecord, r.Tag, err)
		}
		if r.Platform != "" {
			return nil, fmt.Errorf("%w: %s: an archive's copy of the record, with its platform", ErrBadRecord, r.Tag)
		}
		if seen[r.Tag] {
			return nil, fmt.Errorf("%w: %s is recorded twice", ErrBadRecord, r.Tag)
		}
		seen[r.Tag] = true
	}
	return &doc, nil
}

// Keep records rec as a git note on commit, its tag's commit, beside the records of
// other tags there. A record already kept for the tag stays as it is when
// rec does not differ from it, and is never replaced: then Keep returns
// a *MismatchError. It reports whether it wrote a note.
func Keep(repo *gitrepo.Repo, commit gitrepo.Hash, rec *Record, sig *object.Signature) (bool, error) {
	if err := rec.Check(); err != nil {
		return false, fmt.Errorf("%w: %v", ErrBadRecord, err)
	}
	if rec.Commit != commit.String() {
		return false, fmt.Errorf("the record of %s is of commit %s, not %s", rec.Tag, rec.Commit, commit)
	}
	doc, err := loadDoc(repo, commit)
	if err != nil {
		return false, err
	}
	if doc == nil {
		doc = &notesDoc{Schema: Schema}
	}
	for i := range doc.Releases {
		if doc.Releases[i].Tag != rec.Tag {
			continue
		}
		if d := Diff(&doc.Releases[i], rec); len(d) > 0 {
			return false, &MismatchError{Tag: rec.Tag, Differences: d}
		}
		return false, nil
	}
	kept := *rec
	kept.Platform = ""
	doc.Releases = append(doc.Releases, kept)
	sort.Slice(doc.Releases, func(a, b int) bool { return doc.Releases[a].Tag < doc.Releases[b].Tag })
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return false, err
	}
	if _, err := repo.AddNote(NotesRef, commit, append(data, '\n'), sig); err != nil {
		return false, err
	}
	return true, nil
}

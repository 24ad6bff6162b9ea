package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/lazyre"
	"github.com/patchline/patchline/internal/registry"
)

// NotesRef is where `patchline pr --merged` records the approval chain: a
// git note on each merge commit. It is not a branch, so branch protection
// does not block it; docs/approvals.md describes the note.
const NotesRef = "refs/notes/patchline"

// NoteSchema is the version of the note format.
const NoteSchema = 1

// MaxNoteSize is the largest note read; one patch's approvals take a few
// hundred bytes.
const MaxNoteSize = 64 << 10

// ApprovalNote is the note on a merge commit: the approval chain of each
// patch the commit merged, as JSON.
type ApprovalNote struct {
	Schema  int         `json:"schema"`
	Patches []NotePatch `json:"patches"`
}

// NotePatch is one patch's approvals in a note.
type NotePatch struct {
	ID        string     `json:"id"`
	Pull      string     `json:"pull,omitempty"` // the merged pull request's URL
	Approvals []Approval `json:"approvals"`
}

var (
	noteID    = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	noteLogin = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9._\[\]-]{0,63}$`)
	noteRole  = lazyre.New(`^[a-z][a-z0-9-]{0,31}$`)
)

// DecodeApprovalNote reads a note strictly: the fields above and no
// others, schema 1, ids, logins and roles of the shapes patchline writes,
// review links that are http(s) URLs without spaces. Anyone who can push
// to the repository can write a note, so it is read as input, like a
// manifest.
func DecodeApprovalNote(data []byte) (*ApprovalNote, error) {
	if len(data) > MaxNoteSize {
		return nil, fmt.Errorf("%d bytes, more than %d", len(data), MaxNoteSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var n ApprovalNote
	if err := dec.Decode(&n); err != nil {
		return nil, fmt.Errorf("not an approval note: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("not an approval note: data after the JSON object")
	}
	if n.Schema != NoteSchema {
		return nil, fmt.Errorf("schema %d: patchline reads schema %d", n.Schema, NoteSchema)
	}
	seen := map[string]bool{}
	for i, p := range n.Patches {
		if !noteID.MatchString(p.ID) {
			return nil, fmt.Errorf("patches[%d].id %q is not a patch id", i, p.ID)
		}
		if seen[p.ID] {
			return nil, fmt.Errorf("patches[%d]: %s is named twice", i, p.ID)
		}
		seen[p.ID] = true
		if p.Pull != "" && !isWebURL(p.Pull) {
			return nil, fmt.Errorf("patches[%d].pull %q is not an http(s) URL", i, p.Pull)
		}
		for j, a := range p.Approvals {
			where := fmt.Sprintf("patches[%d].approvals[%d]", i, j)
			switch {
			case !noteRole.MatchString(a.Role):
				return nil, fmt.Errorf("%s.role %q: want a word such as qa", where, a.Role)
			case !noteLogin.MatchString(a.By):
				return nil, fmt.Errorf("%s.by %q is not a GitHub login", where, a.By)
			case a.At.IsZero():
				return nil, fmt.Errorf("%s.at is missing", where)
			case a.Ref != "" && !isWebURL(a.Ref):
				return nil, fmt.Errorf("%s.ref %q is not an http(s) URL", where, a.Ref)
			}
		}
	}
	return &n, nil
}

func isWebURL(s string) bool {
	return (strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")) && len(s) <= 2048 &&
		!strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f })
}

// Encode writes the note as patchline writes it: indented JSON, one
// trailing newline, so `git notes show` reads well.
func (n *ApprovalNote) Encode() []byte {
	out := *n
	out.Schema = NoteSchema
	if out.Patches == nil {
		out.Patches = []NotePatch{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
	return b.Bytes()
}

// Add records a patch's approvals in the note, keeping what it holds, and
// reports whether anything was added. An approval already there (same
// role, login and review) is not added twice.
func (n *ApprovalNote) Add(id, pull string, approvals []Approval) bool {
	i := slices.IndexFunc(n.Patches, func(p NotePatch) bool { return p.ID == id })
	if i < 0 {
		n.Patches = append(n.Patches, NotePatch{ID: id, Pull: pull, Approvals: []Approval{}})
		i = len(n.Patches) - 1
	}
	p := &n.Patches[i]
	if p.Pull == "" {
		p.Pull = pull
	}
	added := false
	for _, a := range approvals {
		if !slices.ContainsFunc(p.Approvals, func(b Approval) bool { return sameApproval(a, b) }) {
			a.At = a.At.UTC()
			p.Approvals = append(p.Approvals, a)
			added = true
		}
	}
	return added
}

// sameApproval: the same person's same review, whatever else one record
// lacks (a trailer has no time; an old one no review link).
func sameApproval(a, b Approval) bool {
	return strings.EqualFold(a.By, b.By) && (a.Ref == b.Ref || a.Ref == "" || b.Ref == "") &&
		(a.Role == b.Role || a.Role == "" || b.Role == "")
}

// MergeApprovals joins approval chains read from several places into one,
// each approval once, in the order first seen: the first list wins, and a
// later record of the same approval fills what the earlier one lacks.
func MergeApprovals(lists ...[]Approval) []Approval {
	out := []Approval{}
	for _, list := range lists {
		for _, a := range list {
			if a.By == "" {
				continue
			}
			i := slices.IndexFunc(out, func(b Approval) bool { return sameApproval(a, b) })
			if i < 0 {
				out = append(out, a)
				continue
			}
			e := &out[i]
			if e.Role == "" {
				e.Role = a.Role
			}
			if e.At.IsZero() {
				e.At = a.At
			}
			if e.Ref == "" {
				e.Ref = a.Ref
			}
		}
	}
	return out
}

// Recorded is the approval chain recorded outside the manifests: the notes
// on refs/notes/patchline and the trailers of annotated release tags.
type Recorded struct {
	byID  map[string][]Approval
	pulls map[string]string // id -> the merged pull request a note names
	// Problems are notes that could not be read, which were skipped: what
	// they said is not counted.
	Problems []string
}

// For returns a patch's recorded approvals, notes first, then tag
// trailers, each approval once.
func (r *Recorded) For(id string) []Approval {
	if r == nil {
		return nil
	}
	return r.byID[id]
}

// Pull returns the merged pull request's URL a note names for the patch,
// or "".
func (r *Recorded) Pull(id string) string {
	if r == nil {
		return ""
	}
	return r.pulls[id]
}

// ReadRecorded reads the approvals in repo's refs/notes/patchline (fetch it
// with `git fetch origin refs/notes/patchline:refs/notes/patchline`) and in
// the Patch-Id / Approved-by trailers of the annotated release tags.
func ReadRecorded(repo *gitrepo.Repo, tags *registry.Tags) (*Recorded, error) {
	r := &Recorded{byID: map[string][]Approval{}, pulls: map[string]string{}}
	notes, err := repo.Notes(NotesRef, MaxNoteSize)
	if errors.Is(err, gitrepo.ErrNoteTooLarge) {
		r.Problems = append(r.Problems, err.Error()+": its approvals are not counted")
		notes, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	fromNotes := map[string][]Approval{}
	for _, n := range notes {
		note, err := DecodeApprovalNote(n.Data)
		if err != nil {
			r.Problems = append(r.Problems, fmt.Sprintf("%s: the note on %s: %v: its approvals are not counted", NotesRef, n.Object, err))
			continue
		}
		for _, p := range note.Patches {
			fromNotes[p.ID] = append(fromNotes[p.ID], p.Approvals...)
			if p.Pull != "" && r.pulls[p.ID] == "" {
				r.pulls[p.ID] = p.Pull
			}
		}
	}
	fromTags := map[string][]Approval{}
	if tags != nil {
		for _, name := range tags.Release() {
			t, _ := tags.Get(name)
			ids, approvals := trailers(t.Message())
			// A tag message is free text: only approvals of the shapes a
			// note takes count.
			approvals = slices.DeleteFunc(approvals, func(a Approval) bool {
				return !noteLogin.MatchString(a.By) || !noteRole.MatchString(a.Role) || (a.Ref != "" && !isWebURL(a.Ref))
			})
			for _, id := range ids {
				if noteID.MatchString(id) {
					fromTags[id] = append(fromTags[id], approvals...)
				}
			}
		}
	}
	for id, list := range fromNotes {
		r.byID[id] = MergeApprovals(list, fromTags[id])
	}
	for id, list := range fromTags {
		if _, ok := r.byID[id]; !ok {
			r.byID[id] = MergeApprovals(list)
		}
	}
	return r, nil
}

// Recorded reads the recorded approvals once per History.
func (h *History) Recorded() (*Recorded, error) {
	if h.recorded == nil {
		r, err := ReadRecorded(h.Reg.Repo, h.Tags)
		if err != nil {
			return nil, err
		}
		h.recorded = r
	}
	return h.recorded, nil
}

// ApprovalTrailer is the Approved-by trailer patchline writes for an
// approval: "<login> <review url> (<role>, <time>)"; the parts after the
// login are left out when unknown.
func ApprovalTrailer(a Approval) string {
	var b strings.Builder
	b.WriteString("Approved-by: ")
	b.WriteString(a.By)
	if a.Ref != "" {
		b.WriteString(" " + a.Ref)
	}
	var extra []string
	if a.Role != "" {
		extra = append(extra, a.Role)
	}
	if !a.At.IsZero() {
		extra = append(extra, a.At.UTC().Format(time.RFC3339))
	}
	if len(extra) > 0 {
		b.WriteString(" (" + strings.Join(extra, ", ") + ")")
	}
	return b.String()
}

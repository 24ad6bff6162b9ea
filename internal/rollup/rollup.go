// Package rollup proves that every patch merged on a release line reached
// the next quarterly release: its change is in the new release's tree,
// checked by content and never by commit id, or it is named as missing with
// the files involved, or as superseded by a patch of the new release.
package rollup

import (
	"bytes"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/release"
)

// Status is what became of one patch of the old line in the new release.
type Status string

// The statuses, in the order a reader cares about them.
const (
	Missing    Status = "missing"    // merged, released or not, and its change is not in the new release
	Contained  Status = "contained"  // its change is in the new release, by ancestry or content
	Adapted    Status = "adapted"    // every hunk outside test files is in the new release; some test hunks differ
	Accepted   Status = "accepted"   // not found, but a release manager signed it off for the new release
	Superseded Status = "superseded" // a manifest of the new release replaces it
	Reverted   Status = "reverted"   // shipped on the line, then taken out again
	Withdrawn  Status = "withdrawn"  // taken out of the line before it shipped
	Later      Status = "later"      // merged after the new release was tagged; not expected in it
)

// Patch is one patch of the old line.
type Patch struct {
	ID           string      `json:"id"`
	Title        string      `json:"title"`
	Status       Status      `json:"status"`
	Commit       string      `json:"merged_commit,omitempty"`
	MergedAt     time.Time   `json:"merged_at,omitzero"`
	ShippedIn    string      `json:"shipped_in,omitempty"` // the line's first tag holding it
	Diff         string      `json:"diff,omitempty"`       // which diff was checked
	Method       string      `json:"method,omitempty"`     // how it was found, when contained
	Evidence     string      `json:"evidence,omitempty"`   // what the verdict rests on, strongest first
	SupersededBy []string    `json:"superseded_by,omitempty"`
	RemovedBy    string      `json:"removed_by,omitempty"` // the commit that took it out of the line
	RemovedIn    string      `json:"removed_in,omitempty"` // the first tag without it
	Files        []FileProof `json:"files,omitempty"`      // the files not found, or found moved
	Note         string      `json:"note,omitempty"`
}

// Result is a whole rollup.
type Result struct {
	From     string    `json:"from"`
	To       string    `json:"to"`
	Line     string    `json:"line"`
	Tip      string    `json:"tip"` // the branch or tag the line was read at
	TaggedAt time.Time `json:"to_committed_at"`
	OK       bool      `json:"ok"`
	Counts   Counts    `json:"counts"`
	Patches  []Patch   `json:"patches"`
	Problems []string  `json:"problems,omitempty"` // manifests that do not decode, with commit and path
}

// Counts is how many patches ended in each status.
type Counts struct {
	Total      int `json:"total"`
	Contained  int `json:"contained"`
	Adapted    int `json:"adapted"`
	Accepted   int `json:"accepted"`
	Missing    int `json:"missing"`
	Superseded int `json:"superseded"`
	Reverted   int `json:"reverted"`
	Withdrawn  int `json:"withdrawn"`
	Later      int `json:"later"`
}

// Missing lists the ids whose change did not reach the new release.
func (r *Result) Missing() []string {
	var ids []string
	for _, p := range r.Patches {
		if p.Status == Missing {
			ids = append(ids, p.ID)
		}
	}
	return ids
}

// Get returns the patch with an id.
func (r *Result) Get(id string) (Patch, bool) {
	for _, p := range r.Patches {
		if p.ID == id {
			return p, true
		}
	}
	return Patch{}, false
}

// Run checks every patch merged on from's line after from against the tree
// of to. The line is read at its maintenance branch (its newest tag when it
// has none); patches merged there after to was committed are listed as
// Later when to does not have them.
func Run(h *history.History, from, to gitrepo.Tag) (*Result, error) {
	repo := h.Reg.Repo
	line, ok := h.LineOf(from.Name)
	if !ok {
		if _, err := h.Reg.Config.SupportedLineOf(from.Name); err != nil {
			return nil, err // not a supported line: [release] lines says which are
		}
		return nil, fmt.Errorf("tag %s belongs to no release line", from.Name)
	}
	toCommit, err := repo.Commit(to.Commit)
	if err != nil {
		return nil, err
	}
	tip, tipName := line.Tip()
	res := &Result{From: from.Name, To: to.Name, Line: line.Name, Tip: tipName, TaggedAt: toCommit.Committer.When.UTC()}
	w, err := h.Walk(history.Span{Tip: tip, Stop: from.Commit})
	if err != nil {
		return nil, err
	}
	pres, err := h.Track(line, w, history.Window{})
	if err != nil {
		return nil, err
	}
	accepted, err := LoadAccepted(h.Reg)
	if err != nil {
		return nil, err
	}
	checker, err := NewChecker(h, to, Options{Accepted: accepted, Tests: h.Reg.Config.TestGlobs()})
	if err != nil {
		return nil, err
	}
	for _, id := range history.IDs(pres) {
		pr := pres[id]
		p := Patch{ID: id, ShippedIn: pr.ShippedIn}
		if pr.Merged != nil {
			p.Commit, p.MergedAt = pr.Merged.Commit.String(), pr.Merged.When
		}
		patch, found, err := h.Patch(id, pr.ReadAt, line.Name)
		if err != nil {
			return nil, err
		}
		if found {
			res.Problems = append(res.Problems, Problems(patch, pr.ReadAt, tipName)...)
			if patch.Manifest != nil {
				p.Title = patch.Manifest.Title
			}
		}
		if !pr.Present() {
			p.Status, p.RemovedBy, p.RemovedIn = Withdrawn, pr.Removed.Commit.String(), pr.RemovedIn
			if pr.ShippedIn != "" || pr.Removed.Revert {
				p.Status = Reverted
			}
			p.Note = pr.Removed.Subject
			res.add(p)
			continue
		}
		var diff []byte
		if found && (patch.Diff != nil || len(patch.Adapted) > 0) {
			var diffName string
			diff, diffName = DiffFor(patch, h.Reg, line.Name)
			p.Diff = path.Join(registry.PatchDir(id), diffName)
		}
		fix, err := FixCommits(h, pr.Merged)
		if err != nil {
			return nil, err
		}
		v, err := checker.Prove(id, diff, fix, from.Commit)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		p.Status, p.Method, p.Evidence, p.SupersededBy, p.Files = v.Status, v.Method, v.Evidence, v.SupersededBy, v.Files
		if v.Status == Missing && pr.Merged != nil && pr.Merged.When.After(res.TaggedAt) {
			p.Status = Later
			p.Note = fmt.Sprintf("merged on %s after %s was made", line.Name, to.Name)
			if on, tag, err := reachedNewer(h, id, to.Name); err != nil {
				return nil, err
			} else if on != "" {
				p.Note = fmt.Sprintf("a backport: on %s since %s", on, tag)
			}
		}
		res.add(p)
	}
	res.OK = res.Counts.Missing == 0
	if res.Patches == nil {
		res.Patches = []Patch{}
	}
	return res, nil
}

func (r *Result) add(p Patch) {
	r.Patches = append(r.Patches, p)
	r.Counts.Total++
	switch p.Status {
	case Contained:
		r.Counts.Contained++
	case Adapted:
		r.Counts.Adapted++
	case Accepted:
		r.Counts.Accepted++
	case Missing:
		r.Counts.Missing++
	case Superseded:
		r.Counts.Superseded++
	case Reverted:
		r.Counts.Reverted++
	case Withdrawn:
		r.Counts.Withdrawn++
	case Later:
		r.Counts.Later++
	}
}

// reachedNewer finds the first release tag, on the line of tag or a newer
// one, that holds the patch's folder.
func reachedNewer(h *history.History, id, tag string) (line, first string, err error) {
	own, ok := h.Reg.Config.LineOf(tag)
	if !ok {
		return "", "", nil
	}
	for _, l := range h.Lines() {
		if release.CompareTags(l.Name, own) < 0 {
			continue
		}
		for _, t := range l.Tags {
			listing, err := h.ListingAt(t.Commit)
			if err != nil {
				return "", "", err
			}
			if _, ok := listing[id]; ok {
				return l.Name, t.Name, nil
			}
		}
	}
	return "", "", nil
}

// DiffFor picks the diff that a line holds for a patch: patch.diff, or the
// adapted <tag>.diff for one of the line's tags when the manifest's base is
// on another line.
func DiffFor(p *registry.Patch, reg *registry.Registry, line string) ([]byte, string) {
	if p.Manifest != nil {
		if base, ok := reg.Config.LineOf(p.Manifest.Base); ok && base != line {
			tags := make([]string, 0, len(p.Adapted))
			for tag := range p.Adapted {
				tags = append(tags, tag)
			}
			sort.Strings(tags)
			for _, tag := range tags {
				if l, ok := reg.Config.LineOf(tag); ok && l == line {
					return p.Adapted[tag], tag + ".diff"
				}
			}
		}
	}
	return p.Diff, registry.DiffName
}

// Superseders reads the manifests of a release that declare `supersedes`:
// superseded id -> the ids that replace it, sorted.
func Superseders(h *history.History, commit gitrepo.Hash) (map[string][]string, error) {
	listing, err := h.ListingAt(commit)
	if err != nil {
		return nil, err
	}
	tree, err := h.Reg.Repo.Tree(commit)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for id := range listing {
		file := path.Join(registry.PatchDir(id), registry.ManifestName)
		data, ok, err := gitrepo.ReadTreeFile(tree, file)
		if err != nil {
			return nil, err
		}
		if !ok || !bytes.Contains(data, []byte("supersedes")) {
			continue
		}
		m, _ := manifest.Decode(file, data)
		if m == nil {
			continue
		}
		for _, old := range m.Supersedes {
			out[old] = append(out[old], id)
		}
	}
	for _, by := range out {
		sort.Strings(by)
	}
	return out, nil
}

// Problems describes a patch's manifest problems as read from history:
// "<place>@<commit>:<file>:<line>:<col>: <code> <rule>: <message>".
func Problems(p *registry.Patch, at gitrepo.Hash, place string) []string {
	var out []string
	for _, pr := range p.Problems {
		s := pr.String()
		out = append(out, fmt.Sprintf("%s@%s:%s", place, at.String()[:7], s))
	}
	return out
}

// ShortStatus is the word the text report prints for a status.
func ShortStatus(s Status) string {
	if s == Missing {
		return "MISSING"
	}
	return string(s)
}

func joinOr(s []string, none string) string {
	if len(s) == 0 {
		return none
	}
	return strings.Join(s, ", ")
}

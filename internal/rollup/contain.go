package rollup

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/patchline/patchline/internal/patchdiff"
)

// How a change was found in a tree, strongest first.
const (
	// MethodAncestry: the commits of the fix (or the originals they were
	// cherry-picked from) are in the release's history.
	MethodAncestry = "ancestry"
	// MethodReverse: the whole diff applies in reverse to the tree, as
	// `git apply --check -R` would say.
	MethodReverse = "reverse-apply"
	// MethodPostImage: every hunk's post-image (its context and added
	// lines) is in the file, though the file moved on around them.
	MethodPostImage = "post-image"
	// MethodAddedLines: for some hunk the context changed too, but its
	// added lines are there, in order, and its deleted lines are gone.
	MethodAddedLines = "added-lines"
)

// Proof is the answer to "is this diff's change present in that tree?".
type Proof struct {
	Contained bool
	Method    string      // how, when Contained
	Files     []FileProof // every file of the diff, in diff order
}

// FileProof is one file of the diff.
type FileProof struct {
	Path   string   `json:"path"`
	Found  bool     `json:"found"`
	Method string   `json:"method,omitempty"`
	Reason string   `json:"reason,omitempty"` // why not, when not found
	Hunks  []string `json:"missing_hunks,omitempty"`
	// MovedFrom is the diff's path when the release keeps the file
	// elsewhere (Path) and it was checked there.
	MovedFrom string `json:"moved_from,omitempty"`
}

// Missing returns the files whose change is not in the tree.
func (p Proof) Missing() []FileProof {
	var out []FileProof
	for _, f := range p.Files {
		if !f.Found {
			out = append(out, f)
		}
	}
	return out
}

// Contains checks whether the change files describe is present in src: the
// diff applies in reverse, or else, file by file, each hunk's post-image is
// found (then its added lines, in order, with its deleted lines gone), each
// new or changed binary file has the diff's new blob, each deleted file is
// gone and each mode change is there. It never looks at commit ids.
func Contains(files []*gitdiff.File, src patchdiff.Source) (Proof, error) {
	// git apply does not check modes, so a reverse apply alone would take a
	// mode the release never got for one it has.
	modesOK := true
	for _, f := range files {
		if ok, err := modeOK(f, src); err != nil {
			return Proof{}, err
		} else if !ok {
			modesOK = false
		}
	}
	if rev, ok := reverse(files); ok && modesOK {
		if _, err := patchdiff.Apply(rev, src); err == nil {
			p := Proof{Contained: true, Method: MethodReverse}
			for _, f := range files {
				p.Files = append(p.Files, FileProof{Path: name(f), Found: true, Method: MethodReverse})
			}
			return p, nil
		}
	}
	p := Proof{Contained: true, Method: MethodPostImage}
	for _, f := range files {
		fp, err := containsFile(f, src)
		if err != nil {
			return Proof{}, err
		}
		if !fp.Found {
			p.Contained = false
		} else if fp.Method == MethodAddedLines {
			p.Method = MethodAddedLines
		}
		p.Files = append(p.Files, fp)
	}
	if !p.Contained {
		p.Method = ""
	}
	return p, nil
}

func name(f *gitdiff.File) string {
	if f.IsDelete {
		return f.OldName
	}
	return f.NewName
}

// reverse turns a diff around, so that applying it undoes the change.
// Copies have no reverse in git's format.
func reverse(files []*gitdiff.File) ([]*gitdiff.File, bool) {
	out := make([]*gitdiff.File, 0, len(files))
	for i := len(files) - 1; i >= 0; i-- {
		f := files[i]
		if f == nil || f.IsCopy {
			return nil, false
		}
		r := &gitdiff.File{
			OldName: f.NewName, NewName: f.OldName,
			IsNew: f.IsDelete, IsDelete: f.IsNew, IsRename: f.IsRename,
			OldMode: f.NewMode, NewMode: f.OldMode,
			OldOIDPrefix: f.NewOIDPrefix, NewOIDPrefix: f.OldOIDPrefix,
			Score: f.Score, IsBinary: f.IsBinary,
		}
		if f.IsNew {
			r.OldName = f.NewName
		}
		if f.IsDelete {
			r.NewName = f.OldName
		}
		if f.IsBinary {
			if f.ReverseBinaryFragment == nil {
				return nil, false
			}
			r.BinaryFragment, r.ReverseBinaryFragment = f.ReverseBinaryFragment, f.BinaryFragment
		}
		for _, frag := range f.TextFragments {
			rf := &gitdiff.TextFragment{
				Comment:     frag.Comment,
				OldPosition: frag.NewPosition, OldLines: frag.NewLines,
				NewPosition: frag.OldPosition, NewLines: frag.OldLines,
				LinesAdded: frag.LinesDeleted, LinesDeleted: frag.LinesAdded,
				LeadingContext: frag.LeadingContext, TrailingContext: frag.TrailingContext,
				Lines: make([]gitdiff.Line, len(frag.Lines)),
			}
			for j, l := range frag.Lines {
				switch l.Op {
				case gitdiff.OpAdd:
					l.Op = gitdiff.OpDelete
				case gitdiff.OpDelete:
					l.Op = gitdiff.OpAdd
				}
				rf.Lines[j] = l
			}
			r.TextFragments = append(r.TextFragments, rf)
		}
		out = append(out, r)
	}
	return out, true
}

func containsFile(f *gitdiff.File, src patchdiff.Source) (FileProof, error) {
	fp := FileProof{Path: name(f)}
	if f.IsDelete {
		_, _, ok, err := src.Lookup(f.OldName)
		if err != nil {
			return fp, err
		}
		if ok {
			fp.Reason = "the patch deletes it, the release still has it"
			return fp, nil
		}
		fp.Found, fp.Method = true, MethodPostImage
		return fp, nil
	}
	data, mode, ok, err := src.Lookup(f.NewName)
	if err != nil {
		return fp, err
	}
	if !ok {
		fp.Reason = "the release has no such file"
		if f.IsRename {
			fp.Reason = fmt.Sprintf("the release has no such file (the patch renames %s to it)", f.OldName)
		}
		return fp, nil
	}
	if changesMode(f) && patchdiff.Mode(f.NewMode) != mode {
		fp.Reason = fmt.Sprintf("mode is %s, the patch sets %s", mode, patchdiff.Mode(f.NewMode))
		return fp, nil
	}
	if f.IsBinary {
		if id := plumbing.ComputeHash(plumbing.BlobObject, data).String(); id != f.NewOIDPrefix {
			fp.Reason = fmt.Sprintf("binary content is blob %s, the patch makes %s", short(id), short(f.NewOIDPrefix))
			return fp, nil
		}
		fp.Found, fp.Method = true, MethodPostImage
		return fp, nil
	}
	lines := splitLines(data)
	var laidOut []string // layout(lines), once a hunk needs it
	fp.Method = MethodPostImage
	for i, frag := range f.TextFragments {
		if find(lines, image(frag, true), 0) >= 0 {
			continue
		}
		if laidOut == nil {
			laidOut = layout(lines)
		}
		if addedLinesPresent(lines, laidOut, frag) {
			fp.Method = MethodAddedLines
			continue
		}
		fp.Hunks = append(fp.Hunks, fmt.Sprintf("hunk %d %s", i+1, strings.TrimSpace(frag.Header())))
	}
	if len(fp.Hunks) > 0 {
		fp.Method = ""
		fp.Reason = fmt.Sprintf("%d of %d hunks not found", len(fp.Hunks), len(f.TextFragments))
		return fp, nil
	}
	fp.Found = true
	return fp, nil
}

// changesMode reports whether a file's diff changes its mode.
func changesMode(f *gitdiff.File) bool {
	return !f.IsNew && !f.IsDelete && f.NewMode != 0 && f.OldMode != 0 && f.OldMode != f.NewMode
}

// modeOK reports whether the tree has the mode a diff gives a file.
func modeOK(f *gitdiff.File, src patchdiff.Source) (bool, error) {
	if !changesMode(f) {
		return true, nil
	}
	_, mode, ok, err := src.Lookup(f.NewName)
	if err != nil || !ok {
		return false, err
	}
	return patchdiff.Mode(f.NewMode) == mode, nil
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// splitLines splits data into lines without their line ends, so that a
// last line with or without a newline compares equal.
func splitLines(data []byte) []string {
	s := strings.TrimSuffix(string(data), "\n")
	if s == "" && len(data) == 0 {
		return nil
	}
	return strings.Split(s, "\n")
}

func trimEOL(s string) string { return strings.TrimSuffix(s, "\n") }

// image returns a hunk's post-image (post) or pre-image, without line ends.
func image(frag *gitdiff.TextFragment, post bool) []string {
	var out []string
	for _, l := range frag.Lines {
		if (post && l.New()) || (!post && l.Old()) {
			out = append(out, trimEOL(l.Line))
		}
	}
	return out
}

// find returns the first index at or after from where want occurs as a run
// of lines, -1 if nowhere. An empty want is found at from.
func find(lines, want []string, from int) int {
	if len(want) == 0 {
		return from
	}
	for i := from; i+len(want) <= len(lines); i++ {
		if lines[i] != want[0] {
			continue
		}
		match := true
		for k := 1; k < len(want); k++ {
			if lines[i+k] != want[k] {
				match = false
				break
			}
		}
		if match {
			return i
		}
	}
	return -1
}

// addedLinesPresent is the weaker check for a hunk whose context changed:
// its runs of added lines are in the file in order, at least one of them
// more than punctuation and blanks, and its runs of deleted lines are not
// where the added ones were found. Lines are compared by their layout-free
// form (layout): a backport that lost or gained a blank line, or whose
// struct fields gofmt aligned anew next to a field the newer release has,
// is the same change. A deleted run is looked for only around the added
// lines, as far as the hunk reaches: "}, nil" or "return err" elsewhere in
// the file is not the line the fix removed.
//
// file is layout(lines), computed once for all of a file's hunks.
func addedLinesPresent(lines, file []string, frag *gitdiff.TextFragment) bool {
	var added, deleted [][]string
	var run []string
	var op gitdiff.LineOp = -1
	flush := func() {
		switch op {
		case gitdiff.OpAdd:
			added = append(added, run)
		case gitdiff.OpDelete:
			deleted = append(deleted, run)
		}
		run = nil
	}
	for _, l := range frag.Lines {
		if l.Op != op {
			flush()
			op = l.Op
		}
		run = append(run, trimEOL(l.Line))
	}
	flush()
	if len(added) == 0 {
		// A pure deletion: what it deleted must be gone.
		for _, d := range deleted {
			if substantial(d) && find(lines, d, 0) >= 0 {
				return false
			}
		}
		return len(deleted) > 0 && anySubstantial(deleted)
	}
	if !anySubstantial(added) {
		return false
	}
	if slices.Equal(layout(slices.Concat(added...)), layout(slices.Concat(deleted...))) {
		return false // the hunk only changes layout: only its post-image shows it
	}
	for i := range added {
		added[i] = layout(added[i])
	}
	first, at := -1, 0
	for _, a := range added {
		if len(a) == 0 {
			continue // blank lines only
		}
		i := find(file, a, at)
		if i < 0 {
			return false
		}
		if first < 0 {
			first = i
		}
		at = i + len(a)
	}
	reach := len(frag.Lines)
	lo, hi := max(first-reach, 0), min(at+reach, len(file))
	for _, d := range deleted {
		d = layout(d)
		if substantial(d) && find(file[lo:hi], d, 0) >= 0 && !containsRun(added, d) {
			return false
		}
	}
	return true
}

// layout drops blank lines and trailing blanks, and turns every run of
// blanks after a line's indentation into one space: what gofmt and an
// editor change without changing the code.
func layout(lines []string) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		l = strings.TrimRight(l, " \t\r")
		if l == "" {
			continue
		}
		body := strings.TrimLeft(l, " \t")
		indent := l[:len(l)-len(body)]
		if strings.ContainsAny(body, "\t") || strings.Contains(body, "  ") {
			body = strings.Join(strings.Fields(body), " ")
		}
		out = append(out, indent+body)
	}
	return out
}

func anySubstantial(runs [][]string) bool {
	for _, r := range runs {
		if substantial(r) {
			return true
		}
	}
	return false
}

// substantial reports whether a run of lines holds more than blanks and
// punctuation, so that finding it somewhere means something.
func substantial(run []string) bool {
	for _, l := range run {
		if strings.IndexFunc(l, func(r rune) bool {
			return r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r > 127
		}) >= 0 {
			return true
		}
	}
	return false
}

// containsRun reports whether some added run holds the deleted one too
// (a line moved within the hunk).
func containsRun(runs [][]string, d []string) bool {
	for _, r := range runs {
		if find(r, d, 0) >= 0 {
			return true
		}
	}
	return false
}

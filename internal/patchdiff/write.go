package patchdiff

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
	"github.com/go-git/go-git/v5/plumbing"
)

const (
	// contextLines is git diff's default -U3.
	contextLines = 3
	// binarySniffBytes is how much of a file git reads to decide it is binary.
	binarySniffBytes = 8000
	// funcNameMax is the longest hunk-header function name git writes.
	funcNameMax = 80
)

// nullOID is what git writes on the index line for an absent side.
var nullOID = strings.Repeat("0", 40)

// filePatch is one "diff --git" section to write.
type filePatch struct {
	oldPath, newPath string // "" when absent
	oldMode, newMode Mode
	oldData, newData []byte
	rename           bool
}

// sortKey orders sections as git does: by the path the change leads to,
// and by the old path for a deletion.
func (p *filePatch) sortKey() string {
	if p.newPath != "" {
		return p.newPath
	}
	return p.oldPath
}

// Write writes the changes as `git diff --binary --full-index` would: sorted
// by path, exact renames detected, binary files as forward and reverse
// literals, text files as unified hunks with 3 lines of context. The output
// is byte-stable and is accepted by `git apply` and `git apply -R`.
//
// Unchanged files are skipped. A change between a symlink and a regular file
// is written as a deletion followed by an addition, as git does.
func Write(w io.Writer, changes []Change) error {
	patches, err := planPatches(changes)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	for _, p := range patches {
		buf.Reset()
		if err := formatPatch(&buf, p); err != nil {
			return err
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return fmt.Errorf("write diff: %w", err)
		}
	}
	return nil
}

// planPatches validates the changes and turns them into sorted sections.
func planPatches(changes []Change) ([]*filePatch, error) {
	var mods, dels, adds []*filePatch
	seenOld, seenNew := map[string]bool{}, map[string]bool{}
	for i, c := range changes {
		if c.OldPath == "" && c.NewPath == "" {
			return nil, fmt.Errorf("change %d: no old or new path", i)
		}
		if err := checkChangeSide(c.OldPath, c.OldMode, seenOld); err != nil {
			return nil, fmt.Errorf("change %d: old side: %w", i, err)
		}
		if err := checkChangeSide(c.NewPath, c.NewMode, seenNew); err != nil {
			return nil, fmt.Errorf("change %d: new side: %w", i, err)
		}
		switch {
		case c.OldPath == "":
			adds = append(adds, &filePatch{newPath: c.NewPath, newMode: c.NewMode, newData: c.NewData})
		case c.NewPath == "":
			dels = append(dels, &filePatch{oldPath: c.OldPath, oldMode: c.OldMode, oldData: c.OldData})
		case c.OldPath != c.NewPath || c.OldMode.IsSymlink() != c.NewMode.IsSymlink():
			// A move or a type change: git shows it as a deletion and an
			// addition (the move may pair up again as a rename below).
			dels = append(dels, &filePatch{oldPath: c.OldPath, oldMode: c.OldMode, oldData: c.OldData})
			adds = append(adds, &filePatch{newPath: c.NewPath, newMode: c.NewMode, newData: c.NewData})
		case c.OldMode == c.NewMode && bytes.Equal(c.OldData, c.NewData):
			// unchanged: git shows nothing
		default:
			mods = append(mods, &filePatch{
				oldPath: c.OldPath, newPath: c.NewPath,
				oldMode: c.OldMode, newMode: c.NewMode,
				oldData: c.OldData, newData: c.NewData,
			})
		}
	}
	dels, adds, renames := pairRenames(dels, adds)
	all := append(append(append(mods, dels...), adds...), renames...)
	sort.SliceStable(all, func(i, j int) bool {
		ki, kj := all[i].sortKey(), all[j].sortKey()
		if ki != kj {
			return ki < kj
		}
		// A type change of one path: the deletion comes first.
		return all[i].newPath == "" && all[j].newPath != ""
	})
	return all, nil
}

func checkChangeSide(p string, m Mode, seen map[string]bool) error {
	if p == "" {
		return nil
	}
	if !m.valid() {
		return fmt.Errorf("%q: mode %o is not 100644, 100755 or 120000", p, uint32(m))
	}
	if reason := pathProblem(p); reason != "" {
		return fmt.Errorf("%q: %s: %w", p, reason, ErrUnsafePath)
	}
	if seen[p] {
		return fmt.Errorf("%q: listed twice", p)
	}
	seen[p] = true
	return nil
}

// pairRenames finds exact renames: a deleted and an added path with the
// same content and file type. Each addition, in path order, takes the
// deletion with the same mode and base name if there is one, else the
// first one in path order, so the pairing is deterministic.
func pairRenames(dels, adds []*filePatch) (leftDels, leftAdds, renames []*filePatch) {
	sort.Slice(dels, func(i, j int) bool { return dels[i].oldPath < dels[j].oldPath })
	sort.Slice(adds, func(i, j int) bool { return adds[i].newPath < adds[j].newPath })
	byContent := map[plumbing.Hash][]*filePatch{}
	for _, d := range dels {
		h := plumbing.ComputeHash(plumbing.BlobObject, d.oldData)
		byContent[h] = append(byContent[h], d)
	}
	used := map[*filePatch]bool{}
	for _, a := range adds {
		var best *filePatch
		bestScore := -1
		for _, d := range byContent[plumbing.ComputeHash(plumbing.BlobObject, a.newData)] {
			if used[d] || d.oldMode.IsSymlink() != a.newMode.IsSymlink() || d.oldPath == a.newPath ||
				!bytes.Equal(d.oldData, a.newData) {
				continue
			}
			score := 0
			if d.oldMode == a.newMode {
				score += 2
			}
			if path.Base(d.oldPath) == path.Base(a.newPath) {
				score++
			}
			if score > bestScore {
				best, bestScore = d, score
			}
		}
		if best == nil {
			leftAdds = append(leftAdds, a)
			continue
		}
		used[best] = true
		renames = append(renames, &filePatch{
			oldPath: best.oldPath, newPath: a.newPath,
			oldMode: best.oldMode, newMode: a.newMode,
			oldData: best.oldData, newData: a.newData,
			rename: true,
		})
	}
	for _, d := range dels {
		if !used[d] {
			leftDels = append(leftDels, d)
		}
	}
	return leftDels, leftAdds, renames
}

// formatPatch writes one section. The header and any binary patch come from
// go-gitdiff's formatter; text hunks are written here because git's hunk
// headers differ from go-gitdiff's (",1" is omitted, a function name follows)
// and git ends "---"/"+++" names that contain a space with a tab.
func formatPatch(buf *bytes.Buffer, p *filePatch) error {
	f := &gitdiff.File{
		OldName:  p.oldPath,
		NewName:  p.newPath,
		IsNew:    p.oldPath == "",
		IsDelete: p.newPath == "",
		IsRename: p.rename,
	}
	switch {
	case f.IsNew:
		f.NewMode = os.FileMode(p.newMode)
	case f.IsDelete:
		f.OldMode = os.FileMode(p.oldMode)
	case p.oldMode != p.newMode:
		f.OldMode, f.NewMode = os.FileMode(p.oldMode), os.FileMode(p.newMode)
	case !p.rename:
		// Unchanged mode: go-gitdiff then writes it on the index line, as git does.
		f.OldMode = os.FileMode(p.oldMode)
	}
	if p.rename {
		f.Score = 100
	}

	changed := f.IsNew || f.IsDelete || !bytes.Equal(p.oldData, p.newData)
	binary := isBinary(p.oldData) || isBinary(p.newData)
	if changed {
		f.OldOIDPrefix, f.NewOIDPrefix = blobID(p.oldPath, p.oldData), blobID(p.newPath, p.newData)
		if binary && (len(p.oldData) > 0 || len(p.newData) > 0) {
			fwd, err := literalFragment(p.newData)
			if err != nil {
				return err
			}
			rev, err := literalFragment(p.oldData)
			if err != nil {
				return err
			}
			f.IsBinary, f.BinaryFragment, f.ReverseBinaryFragment = true, fwd, rev
		}
	}
	buf.WriteString(f.String())
	if changed && !f.IsBinary {
		writeTextHunks(buf, p)
	}
	return nil
}

// blobID is the full git blob id of data, or the null id for an absent side.
func blobID(p string, data []byte) string {
	if p == "" {
		return nullOID
	}
	return plumbing.ComputeHash(plumbing.BlobObject, data).String()
}

// isBinary decides as git does: a NUL in the first 8000 bytes.
func isBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), binarySniffBytes)], 0) >= 0
}

func literalFragment(data []byte) (*gitdiff.BinaryFragment, error) {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	if _, err := zw.Write(data); err != nil {
		return nil, fmt.Errorf("compress binary literal: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress binary literal: %w", err)
	}
	return &gitdiff.BinaryFragment{
		Method:  gitdiff.BinaryPatchLiteral,
		Size:    int64(len(data)),
		RawData: z.Bytes(),
	}, nil
}

func writeTextHunks(buf *bytes.Buffer, p *filePatch) {
	a, b := splitLines(p.oldData), splitLines(p.newData)
	hs := hunks(diffLines(a, b), a.len(), b.len(), contextLines)
	if len(hs) == 0 {
		return // an empty file added or deleted
	}
	writeFileLine(buf, "--- ", "a/", p.oldPath)
	writeFileLine(buf, "+++ ", "b/", p.newPath)
	funcLine, searchedTo := "", -1
	for _, h := range hs {
		// Like xdiff, look back from the hunk for a line that starts with a
		// letter, '_' or '$', only as far as the previous hunk looked.
		for l := h.a0 - 1; l > searchedTo; l-- {
			if name, ok := funcName(a.line(l)); ok {
				funcLine = name
				break
			}
		}
		searchedTo = h.a0 - 1
		buf.WriteString("@@ -")
		writeRange(buf, h.a0, h.a1-h.a0)
		buf.WriteString(" +")
		writeRange(buf, h.b0, h.b1-h.b0)
		buf.WriteString(" @@")
		if funcLine != "" {
			buf.WriteByte(' ')
			buf.WriteString(funcLine)
		}
		buf.WriteByte('\n')
		at := h.a0
		for _, e := range h.edits {
			writeLines(buf, ' ', a, at, e.a0)
			writeLines(buf, '-', a, e.a0, e.a1)
			writeLines(buf, '+', b, e.b0, e.b1)
			at = e.a1
		}
		writeLines(buf, ' ', a, at, h.a1)
	}
}

// writeFileLine writes a "---" or "+++" line; git adds a tab after a name
// with a space in it so that the name's end is unambiguous.
func writeFileLine(buf *bytes.Buffer, marker, prefix, name string) {
	buf.WriteString(marker)
	if name == "" {
		buf.WriteString("/dev/null\n")
		return
	}
	q := quoteName(prefix + name)
	buf.WriteString(q)
	if strings.Contains(q, " ") {
		buf.WriteByte('\t')
	}
	buf.WriteByte('\n')
}

// quoteName quotes a path as git does with core.quotePath on (the same
// rule go-gitdiff's formatter uses for the "diff --git" line): C-style, with
// control characters, '"', backslash and every byte outside ASCII escaped.
func quoteName(name string) string {
	var b strings.Builder
	quoted := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
			continue
		case c == '\a', c == '\b', c == '\t', c == '\n', c == '\v', c == '\f', c == '\r':
			b.WriteByte('\\')
			b.WriteByte("abtnvfr"[strings.IndexByte("\a\b\t\n\v\f\r", c)])
		default:
			fmt.Fprintf(&b, "\\%03o", c)
		}
		quoted = true
	}
	if !quoted {
		return name
	}
	return `"` + b.String() + `"`
}

// writeRange writes a hunk range as xdiff does: "start,count", the count
// left out when it is 1, the start one lower when the range is empty.
func writeRange(buf *bytes.Buffer, start, count int) {
	if count == 0 {
		buf.WriteString(strconv.Itoa(start))
	} else {
		buf.WriteString(strconv.Itoa(start + 1))
	}
	if count != 1 {
		buf.WriteByte(',')
		buf.WriteString(strconv.Itoa(count))
	}
}

func writeLines(buf *bytes.Buffer, op byte, l lineSet, from, to int) {
	for i := from; i < to; i++ {
		line := l.line(i)
		buf.WriteByte(op)
		buf.Write(line)
		if len(line) == 0 || line[len(line)-1] != '\n' {
			buf.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

// funcName is xdiff's default function-name rule: a line starting with a
// letter, '_' or '$', cut to 80 bytes, trailing white space removed.
func funcName(line []byte) (string, bool) {
	if len(line) == 0 {
		return "", false
	}
	c := line[0]
	if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '$') {
		return "", false
	}
	line = line[:min(len(line), funcNameMax)]
	for len(line) > 0 {
		switch line[len(line)-1] {
		case ' ', '\t', '\n', '\r':
			line = line[:len(line)-1]
			continue
		}
		break
	}
	return string(line), true
}

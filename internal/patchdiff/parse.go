package patchdiff

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
)

// Parse reads a diff with DefaultLimits. See Limits.Parse.
func Parse(r io.Reader) ([]*gitdiff.File, error) {
	return DefaultLimits().Parse(r)
}

// Parse reads a diff in the format of `git diff --binary --full-index`.
//
// go-gitdiff alone is lenient by design: it skips lines it does not
// recognise, accepts traditional unified diffs, and ignores lines after a
// hunk whose header undercounts them. A patch pipeline must not guess, so
// the whole text is first checked line by line to be git diff sections and
// nothing else, and every file is then checked for sane modes, ids, hunk
// positions and binary sizes (each binary fragment is inflated once, within
// MaxFileBytes). Errors wrap ErrMalformed. Empty input is an empty diff.
func (l Limits) Parse(r io.Reader) ([]*gitdiff.File, error) {
	data, err := io.ReadAll(io.LimitReader(r, l.MaxPatchBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read diff: %w", err)
	}
	if int64(len(data)) > l.MaxPatchBytes {
		return nil, malformed("diff is larger than %d bytes", l.MaxPatchBytes)
	}
	if len(data) == 0 {
		return nil, nil
	}
	sections, err := checkFraming(data, l.MaxFiles)
	if err != nil {
		return nil, err
	}
	files, _, err := gitdiff.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if len(files) != sections {
		return nil, malformed("found %d file sections but parsed %d files", sections, len(files))
	}
	for _, f := range files {
		if err := l.validateFile(f, true); err != nil {
			return nil, err
		}
		// git apply reads any regular mode as 100644 or 100755; so do we.
		f.OldMode, _ = canonicalMode(f.OldMode)
		f.NewMode, _ = canonicalMode(f.NewMode)
	}
	return files, nil
}

// extendedHeaders are the lines git may write between "diff --git" and the
// content of a section.
var extendedHeaders = []string{
	"old mode ", "new mode ", "deleted file mode ", "new file mode ",
	"copy from ", "copy to ", "rename from ", "rename to ",
	"similarity index ", "dissimilarity index ", "index ",
}

// framing walks the lines of a diff.
type framing struct {
	data   []byte
	line   string // current line with its "\n"; "" at the end
	lineno int
}

func (f *framing) next() {
	if len(f.data) == 0 {
		f.line = ""
		return
	}
	i := bytes.IndexByte(f.data, '\n') + 1
	if i == 0 {
		i = len(f.data)
	}
	f.line, f.data = string(f.data[:i]), f.data[i:]
	f.lineno++
}

func (f *framing) eof() bool { return f.line == "" }

func (f *framing) errorf(format string, args ...any) error {
	return malformed("line %d: %s", f.lineno, fmt.Sprintf(format, args...))
}

// checkFraming accepts only a sequence of git diff sections and returns how
// many there are.
func checkFraming(data []byte, maxFiles int) (int, error) {
	if data[len(data)-1] != '\n' {
		return 0, malformed("diff does not end with a newline; it may be truncated")
	}
	f := &framing{data: data}
	f.next()
	sections := 0
	for !f.eof() {
		if !strings.HasPrefix(f.line, "diff --git ") {
			return 0, f.errorf("expected a \"diff --git\" line, found %.60q", f.line)
		}
		sections++
		if sections > maxFiles {
			return 0, malformed("diff has more than %d files", maxFiles)
		}
		f.next()
		for !f.eof() && hasAnyPrefix(f.line, extendedHeaders) {
			f.next()
		}
		var err error
		switch {
		case f.eof() || strings.HasPrefix(f.line, "diff --git "):
			continue // a header-only section: mode change, rename, empty file
		case strings.HasPrefix(f.line, "--- "):
			err = checkTextFraming(f)
		case f.line == "GIT binary patch\n":
			err = checkBinaryFraming(f)
		case strings.HasPrefix(f.line, "Binary files ") && strings.HasSuffix(f.line, " differ\n"):
			err = f.errorf("binary change without data; write the diff with git diff --binary")
		default:
			err = f.errorf("unexpected %.60q in a file header", f.line)
		}
		if err != nil {
			return 0, err
		}
		if !f.eof() && !strings.HasPrefix(f.line, "diff --git ") {
			return 0, f.errorf("unexpected %.60q after the end of a file section "+
				"(does a hunk header count its lines right?)", f.line)
		}
	}
	return sections, nil
}

func checkTextFraming(f *framing) error {
	f.next()
	if !strings.HasPrefix(f.line, "+++ ") {
		return f.errorf("expected a \"+++\" line after \"---\"")
	}
	f.next()
	if !strings.HasPrefix(f.line, "@@ -") {
		return f.errorf("expected a hunk header after \"+++\"")
	}
	for strings.HasPrefix(f.line, "@@ -") {
		oldN, newN, err := hunkCounts(f.line)
		if err != nil {
			return f.errorf("%v", err)
		}
		start := f.lineno
		f.next()
		for oldN > 0 || newN > 0 {
			if f.eof() {
				return f.errorf("hunk at line %d ends before its header's line counts", start)
			}
			switch f.line[0] {
			case ' ', '\n':
				oldN--
				newN--
			case '-':
				oldN--
			case '+':
				newN--
			case '\\':
				if !isNoNewline(f.line) {
					return f.errorf("bad line %.60q in hunk at line %d", f.line, start)
				}
			default:
				return f.errorf("hunk at line %d has fewer lines than its header says", start)
			}
			if oldN < 0 || newN < 0 {
				return f.errorf("hunk at line %d has more lines than its header says", start)
			}
			f.next()
		}
		if isNoNewline(f.line) {
			f.next()
		}
	}
	return nil
}

func checkBinaryFraming(f *framing) error {
	f.next()
	for frag := 0; frag < 2; frag++ {
		if !strings.HasPrefix(f.line, "literal ") && !strings.HasPrefix(f.line, "delta ") {
			if frag == 1 {
				return nil // the reverse fragment is optional
			}
			return f.errorf("expected \"literal\" or \"delta\" after \"GIT binary patch\"")
		}
		start := f.lineno
		f.next()
		for f.line != "\n" {
			if f.eof() {
				return f.errorf("binary fragment at line %d is truncated", start)
			}
			f.next()
		}
		f.next()
	}
	return nil
}

// hunkCounts reads the old and new line counts of "@@ -a[,b] +c[,d] @@".
func hunkCounts(line string) (oldN, newN int64, err error) {
	rest, ok := strings.CutPrefix(line, "@@ -")
	if !ok {
		return 0, 0, errors.New("bad hunk header")
	}
	ranges, _, ok := strings.Cut(rest, " @@")
	if !ok {
		return 0, 0, fmt.Errorf("bad hunk header %.60q", line)
	}
	oldR, newR, ok := strings.Cut(ranges, " +")
	if !ok {
		return 0, 0, fmt.Errorf("bad hunk header %.60q", line)
	}
	if oldN, err = rangeCount(oldR); err == nil {
		newN, err = rangeCount(newR)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("bad hunk header %.60q: %v", line, err)
	}
	return oldN, newN, nil
}

func rangeCount(r string) (int64, error) {
	start, count, hasCount := strings.Cut(r, ",")
	if _, err := strconv.ParseUint(start, 10, 40); err != nil {
		return 0, errors.New("bad start line")
	}
	if !hasCount {
		return 1, nil
	}
	n, err := strconv.ParseUint(count, 10, 40)
	if err != nil {
		return 0, errors.New("bad line count")
	}
	return int64(n), nil
}

func isNoNewline(line string) bool {
	// go-gitdiff's rule: git localises the text, so only the prefix is fixed.
	return len(line) >= 12 && strings.HasPrefix(line, "\\ ")
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// validateFile checks one file for what git apply would refuse and for what
// this package cannot apply safely. inflate makes it also inflate binary
// fragments; Apply skips that since it inflates them anyway.
func (l Limits) validateFile(f *gitdiff.File, inflate bool) error {
	name := f.NewName
	if name == "" {
		name = f.OldName
	}
	bad := func(format string, args ...any) error {
		return malformed("%s: %s", name, fmt.Sprintf(format, args...))
	}
	switch {
	case f.IsNew && f.IsDelete:
		return bad("both a new and a deleted file")
	case (f.IsNew || f.IsDelete) && (f.IsRename || f.IsCopy):
		return bad("a rename or copy cannot add or delete")
	case f.IsRename && f.IsCopy:
		return bad("both a rename and a copy")
	case !f.IsNew && f.OldName == "", !f.IsDelete && f.NewName == "":
		return bad("missing file name")
	case !f.IsNew && !f.IsDelete && !f.IsRename && !f.IsCopy && f.OldName != f.NewName:
		return bad("old name %q differs from new name without a rename", f.OldName)
	case f.IsNew && f.NewMode == 0:
		return bad("new file without a mode")
	}
	if _, err := canonicalMode(f.OldMode); err != nil {
		return bad("%v", err)
	}
	if _, err := canonicalMode(f.NewMode); err != nil {
		return bad("%v", err)
	}
	if f.IsDelete && f.NewMode != 0 {
		return bad("deleted file with a new mode")
	}
	for _, oid := range []string{f.OldOIDPrefix, f.NewOIDPrefix} {
		if len(oid) > 40 || strings.Trim(oid, "0123456789abcdef") != "" {
			return bad("index line id %.60q is not a SHA-1 in hex", oid)
		}
	}
	if f.IsBinary {
		if len(f.TextFragments) > 0 {
			return bad("binary file with text hunks")
		}
		if f.BinaryFragment == nil {
			return bad("binary change without data; write the diff with git diff --binary")
		}
		for _, frag := range []*gitdiff.BinaryFragment{f.BinaryFragment, f.ReverseBinaryFragment} {
			if err := l.checkBinaryFragment(frag, inflate); err != nil {
				return bad("%v", err)
			}
		}
		return nil
	}
	if f.BinaryFragment != nil || f.ReverseBinaryFragment != nil {
		return bad("text file with a binary patch")
	}
	prevEnd := int64(0)
	for i, frag := range f.TextFragments {
		if err := checkTextFragment(f, frag, prevEnd); err != nil {
			return bad("hunk %d (%s): %v", i+1, hunkHeader(frag), err)
		}
		prevEnd = fragStart(frag) + frag.OldLines
	}
	return nil
}

// maxLineNumber keeps hunk positions far from integer overflow.
const maxLineNumber = 1 << 40

func checkTextFragment(f *gitdiff.File, frag *gitdiff.TextFragment, prevEnd int64) error {
	if frag == nil {
		return errors.New("missing hunk")
	}
	if err := frag.Validate(); err != nil {
		return err
	}
	switch {
	case frag.OldPosition < 0 || frag.NewPosition < 0 ||
		frag.OldPosition > maxLineNumber || frag.NewPosition > maxLineNumber:
		return errors.New("line number out of range")
	case frag.OldLines > 0 && frag.OldPosition == 0:
		return errors.New("hunk with old lines starts at line 0")
	case f.IsNew && frag.OldLines > 0:
		return errors.New("new file depends on old contents")
	case f.IsDelete && frag.NewLines > 0:
		return errors.New("deleted file still has contents")
	case fragStart(frag) < prevEnd:
		return errors.New("hunk overlaps or comes before the previous one")
	}
	// Only the last line of each side may lack its newline.
	var oldSeen, newSeen int64
	for _, line := range frag.Lines {
		if line.Old() {
			oldSeen++
			if line.NoEOL() && oldSeen < frag.OldLines {
				return errors.New("a line before the end has no newline")
			}
		}
		if line.New() {
			newSeen++
			if line.NoEOL() && newSeen < frag.NewLines {
				return errors.New("a line before the end has no newline")
			}
		}
	}
	return nil
}

// fragStart is the 0-based index of the first old line a hunk covers; a hunk
// without old lines inserts after line OldPosition.
func fragStart(frag *gitdiff.TextFragment) int64 {
	if frag.OldLines == 0 {
		return frag.OldPosition
	}
	return frag.OldPosition - 1
}

// hunkHeader formats a hunk's header as git writes it, for messages.
func hunkHeader(frag *gitdiff.TextFragment) string {
	side := func(start, count int64) string {
		if count == 1 {
			return strconv.FormatInt(start, 10)
		}
		return fmt.Sprintf("%d,%d", start, count)
	}
	return fmt.Sprintf("@@ -%s +%s @@", side(frag.OldPosition, frag.OldLines), side(frag.NewPosition, frag.NewLines))
}

// checkBinaryFragment bounds the declared size and, if asked, inflates the
// data once: the reader stops one byte past the declared size, so a zlib
// bomb costs at most MaxFileBytes of work.
func (l Limits) checkBinaryFragment(frag *gitdiff.BinaryFragment, inflate bool) error {
	if frag == nil {
		return nil
	}
	if frag.Method != gitdiff.BinaryPatchLiteral && frag.Method != gitdiff.BinaryPatchDelta {
		return errors.New("unknown binary patch method")
	}
	if frag.Size < 0 || frag.Size > l.MaxFileBytes {
		return fmt.Errorf("binary fragment of %d bytes exceeds the %d byte limit", frag.Size, l.MaxFileBytes)
	}
	if !inflate {
		return nil
	}
	if _, err := io.Copy(io.Discard, frag.Data()); err != nil {
		return fmt.Errorf("binary fragment: %v", err)
	}
	return nil
}

// canonicalMode maps a mode from a diff to one of the three blob modes, as
// git apply does, and refuses directories and gitlinks.
func canonicalMode(m os.FileMode) (os.FileMode, error) {
	switch {
	case m == 0:
		return 0, nil
	case Mode(m).IsRegular() && m&^0o177777 == 0:
		if m&0o100 != 0 {
			return os.FileMode(ModeExecutable), nil
		}
		return os.FileMode(ModeRegular), nil
	case Mode(m).IsSymlink() && m&^0o177777 == 0:
		return os.FileMode(ModeSymlink), nil
	}
	return 0, fmt.Errorf("unsupported mode %o: only regular files and symlinks can be patched", uint32(m))
}

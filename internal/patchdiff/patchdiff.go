// Package patchdiff writes, parses and applies patches in the format of
// `git diff --binary --full-index`, entirely in-process.
//
// patchline stores every fix as such a diff and applies it on machines that
// have no git, so this package must agree with git byte for byte on what it
// writes and must treat every diff it reads as untrusted: sizes are bounded
// before anything is allocated or inflated, paths that could leave the tree
// or write through a symlink are refused, and a hunk applies only where its
// whole pre-image matches exactly (git apply without fuzz).
package patchdiff

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors, for errors.Is. Every error this package returns about a
// diff wraps exactly one of them, so a command can map it to an exit code.
var (
	// ErrMalformed: the input is not a well-formed git diff, or breaks a limit.
	ErrMalformed = errors.New("malformed diff")
	// ErrConflict: the diff is well formed but does not apply to the source.
	ErrConflict = errors.New("patch does not apply")
	// ErrUnsafePath: a path would leave the tree, touch .git or go through a symlink.
	ErrUnsafePath = errors.New("unsafe path")
)

// Mode is a git file mode: 0o100644, 0o100755, 0o120000 (symlink). 0 = absent.
type Mode uint32

// The file modes git records for blobs; everything else (trees, gitlinks)
// is outside what a patch of a product tree may carry.
const (
	ModeRegular    Mode = 0o100644
	ModeExecutable Mode = 0o100755
	ModeSymlink    Mode = 0o120000
)

const modeTypeMask = 0o170000

// IsSymlink reports whether m is a symbolic link.
func (m Mode) IsSymlink() bool { return m&modeTypeMask == ModeSymlink&modeTypeMask }

// IsRegular reports whether m is a regular file, executable or not.
func (m Mode) IsRegular() bool { return m&modeTypeMask == 0o100000 }

// valid reports whether m is one of the three blob modes git writes.
func (m Mode) valid() bool {
	return m == ModeRegular || m == ModeExecutable || m == ModeSymlink
}

// String formats m the way git does in a diff header.
func (m Mode) String() string { return fmt.Sprintf("%06o", uint32(m)) }

// Change is one file's change between two trees. OldPath=="" means added,
// NewPath=="" means deleted.
type Change struct {
	OldPath, NewPath string
	OldMode, NewMode Mode
	OldData, NewData []byte
}

// Limits bounds what Parse and Apply accept, so that a hostile or corrupt
// diff costs at most a known amount of memory and time.
type Limits struct {
	// MaxPatchBytes bounds the whole diff text.
	MaxPatchBytes int64
	// MaxFileBytes bounds any one file: a binary literal or delta once
	// inflated, a pre-image read from the source, a post-image produced.
	MaxFileBytes int64
	// MaxFiles bounds the number of file patches in one diff.
	MaxFiles int
}

// DefaultLimits fits a product's source tree: a diff up to 1 GiB, files up
// to 256 MiB each (above GitHub's 100 MiB file limit), 100,000 files.
func DefaultLimits() Limits {
	return Limits{
		MaxPatchBytes: 1 << 30,
		MaxFileBytes:  256 << 20,
		MaxFiles:      100_000,
	}
}

// ConflictError says which file and hunk of a diff did not apply and why.
// It wraps ErrConflict.
type ConflictError struct {
	Path   string
	Hunk   int    // 1-based; 0 when the conflict is not about one hunk
	Header string // "@@ -40,7 +40,8 @@" when Hunk > 0
	Reason string
}

func (e *ConflictError) Error() string {
	if e.Hunk > 0 {
		return fmt.Sprintf("%s: hunk %d (%s) does not apply: %s", e.Path, e.Hunk, e.Header, e.Reason)
	}
	return fmt.Sprintf("%s: does not apply: %s", e.Path, e.Reason)
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// UnsafePathError lists every unsafe path of a diff at once, so the author
// can fix them in one go. It wraps ErrUnsafePath.
type UnsafePathError struct {
	Problems []Problem
}

func (e *UnsafePathError) Error() string {
	var b strings.Builder
	b.WriteString("unsafe path in diff: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrUnsafePath) true.
func (e *UnsafePathError) Unwrap() error { return ErrUnsafePath }

// malformed wraps ErrMalformed with a message.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

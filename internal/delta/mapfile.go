package delta

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// ApplyFile is Apply with old read from a file. Where the system can
// (unix), the file is mapped rather than read into memory, and the pages
// Apply has read are handed back as it goes, so applying takes the same
// few MiB whatever the file's size; elsewhere the file is read whole.
//
// A mapped file that another process truncates while it is applied makes
// the reads past its new end fail: Apply then returns an error rather
// than crashing.
func ApplyFile(old *os.File, delta io.Reader, w io.Writer, maxOut int64) (err error) {
	fi, err := old.Stat()
	if err != nil {
		return fmt.Errorf("read old file: %w", err)
	}
	if !fi.Mode().IsRegular() || fi.Size() == 0 || fi.Size() > maxOld {
		// Not mappable (or nothing to map): read it.
		b, err := io.ReadAll(old)
		if err != nil {
			return fmt.Errorf("read old file: %w", err)
		}
		return Apply(b, delta, w, maxOut)
	}
	m, err := mapFile(old, fi.Size())
	if errors.Is(err, errNoMap) {
		b, err := io.ReadAll(old)
		if err != nil {
			return fmt.Errorf("read old file: %w", err)
		}
		return Apply(b, delta, w, maxOut)
	}
	if err != nil {
		return fmt.Errorf("map old file: %w", err)
	}
	defer m.unmap()
	// A fault reading the mapping (the file was truncated under it)
	// becomes a panic here instead of killing the process.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("read old file %s: it changed while the delta was applied (%v)", old.Name(), r)
		}
	}()
	return apply(source{b: m.b, release: m.release, mapped: true}, delta, w, maxOut)
}

// errNoMap says the system cannot map files.
var errNoMap = errors.New("files cannot be mapped here")

// mapping is a read-only mapping of a whole file.
type mapping struct {
	b       []byte
	release func() // drop the pages from the resident set
	unmap   func()
}

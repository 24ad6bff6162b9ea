package cli

import (
	"os"

	"github.com/patchline/patchline/internal/bundle"
)

// openBundle opens and checks a bundle file; close releases it.
func openBundle(path string) (b *bundle.Bundle, close func() error, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, usageError("%w", err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = usageError("%s is not a regular file", path)
	}
	if err == nil {
		b, err = bundle.Read(f, fi.Size())
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return b, f.Close, nil
}

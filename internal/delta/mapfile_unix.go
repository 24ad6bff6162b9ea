//go:build unix

package delta

import (
	"os"
	"syscall"
)

func mapFile(f *os.File, size int64) (*mapping, error) {
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	return &mapping{
		b:       b,
		release: func() { releasePages(b) },
		unmap:   func() { _ = syscall.Munmap(b) },
	}, nil
}

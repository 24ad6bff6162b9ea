//go:build unix

package gitrepo

import (
	"fmt"
	"os"
	"syscall"
)

const canMap = true

// mapFile maps a whole file read-only. Git replaces pack files by renaming
// new ones into place, never by rewriting them, so a mapping stays valid.
func mapFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	if size <= 0 || size != int64(int(size)) {
		return nil, fmt.Errorf("%s: cannot map %d bytes", name, size)
	}
	return syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
}

func unmapFile(b []byte) { _ = syscall.Munmap(b) }

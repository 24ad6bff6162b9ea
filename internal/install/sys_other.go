//go:build !unix

package install

import (
	"errors"
	"io/fs"
)

const (
	openNoFollow = 0
	openNonBlock = 0
)

// lock needs flock(2): installing is supported on unix systems only.
func (in *installer) lock() (unlock func(), err error) {
	return nil, errors.New("installing patches is supported on unix systems only")
}

func linkCount(fs.FileInfo) uint64 { return 1 }

func owner(fs.FileInfo) (uid, gid int) { return -1, -1 }

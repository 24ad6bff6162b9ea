//go:build !unix

package install

import (
	"context"
	"errors"
	"io/fs"
	"time"
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

func runCheck(context.Context, string, string, time.Duration, []string) (string, int, error) {
	return "", -1, errors.New("health checks run on unix systems only")
}

func freeBytes(string) (int64, error) { return -1, errors.New("not supported") }

func device(string) (uint64, bool) { return 0, false }

func writable(string) error { return nil }

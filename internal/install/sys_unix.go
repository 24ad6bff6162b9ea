//go:build unix

package install

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
)

const (
	openNoFollow = syscall.O_NOFOLLOW
	openNonBlock = syscall.O_NONBLOCK // a FIFO planted in the state directory must not hang a read
)

// lock takes the exclusive flock(2) on .patchline/lock, waiting for the
// holder (and saying so) when another patchline has it. The lock file stays:
// removing it while another process waits on it would let two hold a lock.
func (in *installer) lock() (unlock func(), err error) {
	if err := in.ensureStateDir(); err != nil {
		return nil, err
	}
	name := in.state(lockFile)
	if err := in.fs.check("open", name); err != nil {
		return nil, fmt.Errorf("take the lock (is the install root writable?): %w", err)
	}
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|openNoFollow, 0o644)
	if err != nil {
		return nil, fmt.Errorf("take the lock (is the install root writable?): %w", err)
	}
	fd := int(f.Fd())
	err = syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		in.logf("waiting for the lock held by pid %s", lockHolder(f))
		for err = syscall.Flock(fd, syscall.LOCK_EX); errors.Is(err, syscall.EINTR); {
			err = syscall.Flock(fd, syscall.LOCK_EX)
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	// Who holds the lock, for the message of the next one to wait.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() {
		syscall.Flock(fd, syscall.LOCK_UN)
		f.Close()
	}, nil
}

func lockHolder(f *os.File) string {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	if pid := strings.TrimSpace(string(buf[:n])); pid != "" {
		return pid
	}
	return "(unknown)"
}

func linkCount(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

func owner(fi fs.FileInfo) (uid, gid int) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), int(st.Gid)
	}
	return -1, -1
}

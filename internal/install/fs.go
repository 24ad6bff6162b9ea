package install

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// fsys makes every change patchline makes to the file system, so that a
// test can fail any of them (fault) the way a full disk or a read-only
// mount would.
type fsys struct {
	fault func(op, name string) error
}

func (f fsys) check(op, name string) error {
	if f.fault == nil {
		return nil
	}
	if err := f.fault(op, name); err != nil {
		return &os.PathError{Op: op, Path: name, Err: err}
	}
	return nil
}

// mkdirAll makes dir and its missing parents with mode 0755 whatever the
// umask, and fsyncs each parent so the new entries survive a power cut.
func (f fsys) mkdirAll(dir string) error {
	fi, err := os.Lstat(dir)
	if err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a directory", dir)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := f.mkdirAll(parent); err != nil {
			return err
		}
	}
	if err := f.check("mkdir", dir); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	return syncDir(parent)
}

// rename moves oldname to newname and fsyncs both directories.
func (f fsys) rename(oldname, newname string) error {
	if err := f.check("rename", newname); err != nil {
		return err
	}
	if err := os.Rename(oldname, newname); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(newname)); err != nil {
		return err
	}
	if filepath.Dir(oldname) != filepath.Dir(newname) {
		return syncDir(filepath.Dir(oldname))
	}
	return nil
}

// remove removes a file or an empty directory; one already gone is fine.
func (f fsys) remove(name string) error {
	if err := f.check("remove", name); err != nil {
		return err
	}
	if err := os.Remove(name); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	return syncDir(filepath.Dir(name))
}

func (f fsys) removeAll(name string) error {
	if err := f.check("remove", name); err != nil {
		return err
	}
	return os.RemoveAll(name)
}

// create makes a new file for writing; it never opens an existing one.
func (f fsys) create(name string) (*os.File, error) {
	if err := f.check("create", name); err != nil {
		return nil, err
	}
	return os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|openNoFollow, 0o600)
}

// createTemp makes a temporary file beside name, named so sweep finds it.
func (f fsys) createTemp(name string) (*os.File, error) {
	if err := f.check("create", name); err != nil {
		return nil, err
	}
	return os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
}

// writer wraps w so its writes can fail, and remembers the first failure:
// a write error (ENOSPC) must not be mistaken for a corrupt payload.
func (f fsys) writer(name string, w io.Writer) *faultWriter {
	return &faultWriter{w: w, check: func() error { return f.check("write", name) }}
}

type faultWriter struct {
	w     io.Writer
	check func() error
	err   error
}

func (fw *faultWriter) Write(p []byte) (int, error) {
	if fw.err != nil {
		return 0, fw.err
	}
	if err := fw.check(); err != nil {
		fw.err = err
		return 0, err
	}
	n, err := fw.w.Write(p)
	if err != nil {
		fw.err = err
	}
	return n, err
}

// writeJSON replaces name atomically: temp file, fsync, rename, fsync dir.
func (f fsys) writeJSON(name string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if err := f.mkdirAll(filepath.Dir(name)); err != nil {
		return err
	}
	tmp, err := f.createTemp(name)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	_, err = f.writer(tmp.Name(), tmp).Write(data)
	if err == nil {
		err = tmp.Chmod(0o644) // receipts are for anyone to read
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = f.rename(tmp.Name(), name)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// syncDir makes the entries of dir (created, renamed, removed) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// pruneEmpty removes the empty directories under and including dir,
// deepest first, and never a file: it is how leftovers of backups go
// without any risk to a backup still needed.
func (f fsys) pruneEmpty(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	left := len(entries)
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		sub := filepath.Join(dir, e.Name())
		if err := f.pruneEmpty(sub); err != nil {
			return err
		}
		if _, err := os.Lstat(sub); errors.Is(err, fs.ErrNotExist) {
			left--
		}
	}
	if left > 0 {
		return nil
	}
	return f.remove(dir)
}

// found is what inspect saw at a path of the install tree.
type found struct {
	exists   bool
	sha      string // hex SHA-256 when exists and hashed
	size     int64
	mode     fs.FileMode // permission bits
	uid, gid int
	missing  string // the first missing parent directory, when one is
}

// unsafePath is a refusal about a path: the same with or without --force.
func unsafePath(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrPrecondition, fmt.Sprintf(format, args...))
}

// inspect looks at rel under the root with os.Lstat on every parent, so a
// symlinked directory anywhere on the way (which could point out of the
// root) is refused, as is a symlinked, hard-linked or special target. A
// missing file is not an error: found.exists says so.
func (in *installer) inspect(rel string, hash bool) (found, error) {
	var fd found
	parts := strings.Split(rel, "/")
	cur := in.root
	for i, part := range parts[:len(parts)-1] {
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			fd.missing = strings.Join(parts[:i+1], "/")
			return fd, nil
		}
		if err != nil {
			return fd, err
		}
		dir := strings.Join(parts[:i+1], "/")
		if fi.Mode()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(cur)
			return fd, unsafePath("%s: its directory %s is a symlink (to %s); patchline never writes through a symlink", rel, dir, target)
		}
		if !fi.IsDir() {
			return fd, unsafePath("%s: %s is a %s, expected a directory", rel, dir, kind(fi.Mode()))
		}
	}
	name := in.path(rel)
	fi, err := os.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return fd, nil
	}
	if err != nil {
		return fd, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, _ := os.Readlink(name)
		return fd, unsafePath("%s: expected a regular file, found a symlink (to %s); patchline never writes through a symlink", rel, target)
	}
	if !fi.Mode().IsRegular() {
		return fd, unsafePath("%s: expected a regular file, found a %s", rel, kind(fi.Mode()))
	}
	if n := linkCount(fi); n > 1 {
		return fd, unsafePath("%s: the file has %d hard links; replacing it would leave the other names on the old content", rel, n)
	}
	fd.exists, fd.size, fd.mode = true, fi.Size(), fi.Mode().Perm()
	fd.uid, fd.gid = owner(fi)
	if hash {
		if fd.sha, err = hashFile(name); err != nil {
			return fd, err
		}
	}
	return fd, nil
}

// safeDir reports whether the directory rel exists under the root, every
// part of it a real directory, never a symlink.
func (in *installer) safeDir(rel string) (bool, error) {
	cur := in.root
	for _, part := range strings.Split(rel, "/") {
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if !fi.IsDir() || fi.Mode()&fs.ModeSymlink != 0 {
			return false, unsafePath("%s: expected a directory, found a %s", rel, kind(fi.Mode()))
		}
	}
	return true, nil
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m.IsRegular():
		return "regular file"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// hashFile returns the hex SHA-256 of a regular file, never following a
// symlink.
func hashFile(name string) (string, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|openNoFollow, 0)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashIfExists is hashFile that says "" for a missing file.
func hashIfExists(name string) (string, error) {
	sum, err := hashFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	return sum, err
}

func exists(name string) (bool, error) {
	_, err := os.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// shortSum keeps messages readable; 12 hex digits identify a file well.
func shortSum(sum string) string {
	if sum == "" {
		return "none"
	}
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}

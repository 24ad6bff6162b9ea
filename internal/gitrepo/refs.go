package gitrepo

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// refsSnapshot is every ref that names an object directly, and for the
// annotated tags that packed-refs records peeled, the object they peel to.
type refsSnapshot struct {
	hashes map[plumbing.ReferenceName]Hash
	peeled map[plumbing.ReferenceName]Hash
}

// readRefFiles reads the refs of a repository in git's "files" format
// straight from gitDir: packed-refs, then the loose refs under refs/, which
// override it. go-git reads the same files through a virtual file system at
// a few tens of microseconds a ref, which on a clone with hundreds of tags
// and branches is a good part of what `validate ID` costs; and it drops the
// peeled ids packed-refs records, which spare reading the tag objects.
//
// ok is false when the layout is not one this reads whole (a linked work
// tree, a reftable, a ref file it does not understand): go-git is asked then.
func readRefFiles(gitDir string) (snap refsSnapshot, ok bool) {
	if gitDir == "" {
		return snap, false
	}
	for _, other := range []string{"commondir", "reftable"} {
		if _, err := os.Lstat(filepath.Join(gitDir, other)); !errors.Is(err, fs.ErrNotExist) {
			return snap, false
		}
	}
	packed, err := os.ReadFile(filepath.Join(gitDir, "packed-refs"))
	// Sized once: a map grown a table at a time touches new memory at each
	// step, and each new page costs a fault.
	n := bytes.Count(packed, []byte("\n")) + 16
	snap = refsSnapshot{hashes: make(map[plumbing.ReferenceName]Hash, n), peeled: map[plumbing.ReferenceName]Hash{}}
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return snap, false
	default:
		if !parsePackedRefs(packed, snap) {
			return snap, false
		}
	}
	refsDir := filepath.Join(gitDir, "refs")
	err = filepath.WalkDir(refsDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || strings.HasSuffix(path, ".lock") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(gitDir, path)
		if err != nil {
			return err
		}
		name := plumbing.ReferenceName(filepath.ToSlash(rel))
		line := bytes.TrimRight(data, "\r\n")
		if bytes.HasPrefix(line, []byte("ref: ")) {
			delete(snap.hashes, name) // a symbolic ref: go-git resolves those
			delete(snap.peeled, name)
			return nil
		}
		if !isHexID(line) {
			return errBadRef
		}
		var h Hash
		hex.Decode(h[:], line)
		if old, packed := snap.hashes[name]; !packed || old != h {
			delete(snap.peeled, name) // recorded for the packed value only
		}
		snap.hashes[name] = h
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return snap, false
	}
	return snap, true
}

var errBadRef = errors.New("not a ref file patchline reads")

// parseHexID reads an object id in lowercase hex, as git writes them.
func parseHexID(s string) (Hash, bool) {
	var h Hash
	if len(s) != 2*len(h) {
		return h, false
	}
	for i := range h {
		hi, ok1 := hexDigit(s[2*i])
		lo, ok2 := hexDigit(s[2*i+1])
		if !ok1 || !ok2 {
			return h, false
		}
		h[i] = hi<<4 | lo
	}
	return h, true
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// parsePackedRefs reads packed-refs as git writes it: an optional
// "# pack-refs with: TRAITS" line, then "ID NAME" lines, each optionally
// followed by "^ID", the object an annotated tag peels to. Peeled ids are
// kept only when the traits promise every tag carries one ("peeled" or
// "fully-peeled"); without the promise a tag may lack its line.
func parsePackedRefs(data []byte, snap refsSnapshot) bool {
	// One string holds every name: a clone's packed-refs has thousands,
	// and a string each cost more than the parsing in a fresh process.
	text := string(data)
	trusted := false
	var last plumbing.ReferenceName
	for len(text) > 0 {
		line, rest, _ := strings.Cut(text, "\n")
		text = rest
		if len(line) > 1<<20 {
			return false
		}
		line = strings.TrimSuffix(line, "\r")
		switch {
		case len(line) == 0:
		case line[0] == '#':
			if traits, ok := strings.CutPrefix(line, "# pack-refs with:"); ok {
				for _, t := range strings.Fields(traits) {
					trusted = trusted || t == "peeled" || t == "fully-peeled"
				}
			}
		case line[0] == '^':
			h, ok := parseHexID(line[1:])
			if last == "" || !ok {
				return false
			}
			if trusted {
				snap.peeled[last] = h
			}
			last = ""
		default:
			id, name, ok := strings.Cut(line, " ")
			h, hexOK := parseHexID(id)
			if !ok || !hexOK || !strings.HasPrefix(name, "refs/") {
				return false
			}
			last = plumbing.ReferenceName(name)
			snap.hashes[last] = h
		}
	}
	return true
}

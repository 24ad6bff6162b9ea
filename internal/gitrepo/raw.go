package gitrepo

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// CommitInfo is what a walk over a line's history reads of a commit. A
// history walk reads hundreds of commits and their root trees; decoding
// each whole with go-git (every header, signature and tree entry as its own
// allocation) was most of what `notes` cost on a real repository.
type CommitInfo struct {
	Hash      Hash
	Tree      Hash
	Parents   []Hash
	Committed time.Time // the committer's time, in the committer's zone
	Message   string    // as go-git gives it: everything after the headers
}

// rawObject is object h's type and content. The content may be shared with
// the pack cache: callers only read it.
func (r *Repo) rawObject(h Hash) (plumbing.ObjectType, []byte, error) {
	obj, err := r.git.Storer.EncodedObject(plumbing.AnyObject, h)
	if err != nil {
		return plumbing.InvalidObject, nil, err
	}
	if po, ok := obj.(*packedObject); ok {
		return po.typ, po.data, nil
	}
	rd, err := obj.Reader()
	if err != nil {
		return plumbing.InvalidObject, nil, err
	}
	defer rd.Close()
	data, err := io.ReadAll(rd)
	return obj.Type(), data, err
}

// CommitInfo reads commit h's tree, parents, committer time and message.
func (r *Repo) CommitInfo(h Hash) (CommitInfo, error) {
	typ, data, err := r.rawObject(h)
	if err == nil && typ != plumbing.CommitObject {
		err = fmt.Errorf("%s is a %s", h, typ)
	}
	if err != nil {
		return CommitInfo{}, fmt.Errorf("read commit %s: %w", h, err)
	}
	c, ok := parseCommitInfo(data)
	if !ok {
		// Something this parser does not expect: go-git decides.
		oc, err := r.Commit(h)
		if err != nil {
			return CommitInfo{}, err
		}
		c = CommitInfo{Tree: oc.TreeHash, Parents: oc.ParentHashes, Committed: oc.Committer.When, Message: oc.Message}
	}
	c.Hash = h
	return c, nil
}

// parseCommitInfo reads a commit object as git writes it: "tree", then
// "parent" lines, "author", "committer", other headers (continued on lines
// that start with a space), a blank line and the message.
func parseCommitInfo(data []byte) (CommitInfo, bool) {
	var c CommitInfo
	rest := data
	seenTree, seenCommitter := false, false
	for {
		line, after, ok := bytes.Cut(rest, []byte("\n"))
		if !ok {
			return c, false // no blank line: git always writes one
		}
		rest = after
		if len(line) == 0 {
			break
		}
		key, val, _ := bytes.Cut(line, []byte(" "))
		switch string(key) {
		case "tree":
			if seenTree || !isHexID(val) {
				return c, false
			}
			hex.Decode(c.Tree[:], val)
			seenTree = true
		case "parent":
			if !isHexID(val) {
				return c, false
			}
			var p Hash
			hex.Decode(p[:], val)
			c.Parents = append(c.Parents, p)
		case "committer":
			t, ok := signatureTime(val)
			if !ok || seenCommitter {
				return c, false
			}
			c.Committed, seenCommitter = t, true
		}
	}
	if !seenTree || !seenCommitter {
		return c, false
	}
	c.Message = string(rest)
	return c, true
}

// signatureTime reads the time of "NAME <EMAIL> SECONDS ZONE" as go-git's
// Signature.Decode does: the seconds and zone follow the last '>'.
func signatureTime(sig []byte) (time.Time, bool) {
	gt := bytes.LastIndexByte(sig, '>')
	if gt < 0 || gt+2 >= len(sig) || sig[gt+1] != ' ' {
		return time.Time{}, false
	}
	secs, zone, _ := bytes.Cut(sig[gt+2:], []byte(" "))
	sec, err := strconv.ParseInt(string(secs), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	t := time.Unix(sec, 0)
	if len(zone) != 5 || (zone[0] != '+' && zone[0] != '-') {
		return t.UTC(), true
	}
	hh, err1 := strconv.Atoi(string(zone[1:3]))
	mm, err2 := strconv.Atoi(string(zone[3:5]))
	if err1 != nil || err2 != nil {
		return t.UTC(), true
	}
	off := hh*3600 + mm*60
	if zone[0] == '-' {
		off = -off
	}
	return t.In(time.FixedZone("", off)), true
}

// TreeEntry is one entry of a tree object.
type TreeEntry struct {
	Name string
	Hash Hash
	Dir  bool // a subtree; anything else (file, link, submodule) is not
}

// TreeEntries reads tree h's entries. With name set, only the entry of
// that name is returned (none when it has none), and no other entry's name
// is copied.
func (r *Repo) TreeEntries(h Hash, name string) ([]TreeEntry, error) {
	typ, data, err := r.rawObject(h)
	if err == nil && typ != plumbing.TreeObject {
		err = fmt.Errorf("%s is a %s", h, typ)
	}
	if err != nil {
		return nil, fmt.Errorf("read tree %s: %w", h, err)
	}
	var out []TreeEntry
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		nul := bytes.IndexByte(data, 0)
		if sp <= 0 || nul <= sp+1 || nul+21 > len(data) {
			return nil, fmt.Errorf("read tree %s: %w", h, object.ErrMalformedTree)
		}
		mode, entry := data[:sp], data[sp+1:nul]
		if name == "" || string(entry) == name {
			e := TreeEntry{Name: string(entry), Dir: string(mode) == "40000"}
			copy(e.Hash[:], data[nul+1:nul+21])
			out = append(out, e)
			if name != "" {
				break
			}
		}
		data = data[nul+21:]
	}
	return out, nil
}

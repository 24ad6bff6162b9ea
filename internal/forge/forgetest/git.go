package forgetest

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// object is a git object the fake holds in git's own encoding: blobs, trees
// and commits made through the git data API, annotated tags, and merge
// commits made from a real tree. Their ids are git's, so a fetch from the
// fake's git remote (GitURL) brings them back into a real repository.
type object struct {
	kind string // blob, tree, commit or tag
	data []byte
}

func objectID(kind string, data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "%s %d\x00", kind, len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// store keeps an object and returns its id.
func (s *Server) store(kind string, data []byte) string {
	id := objectID(kind, data)
	if _, ok := s.objects[id]; !ok {
		s.objects[id] = &object{kind: kind, data: bytes.Clone(data)}
	}
	return id
}

func (s *Server) object(id, kind string) ([]byte, bool) {
	o, ok := s.objects[id]
	if !ok || o.kind != kind {
		return nil, false
	}
	return o.data, true
}

// treeEntry is one entry of a tree object; mode is as git writes it in the
// object (40000 for a tree, without the API's leading zero).
type treeEntry struct {
	mode, name, sha string
}

func (e treeEntry) kind() string {
	switch e.mode {
	case "40000":
		return "tree"
	case "160000":
		return "commit"
	}
	return "blob"
}

// apiMode is the mode as the REST API writes it.
func (e treeEntry) apiMode() string {
	if e.mode == "40000" {
		return "040000"
	}
	return e.mode
}

func parseTree(data []byte) ([]treeEntry, error) {
	var out []treeEntry
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		nul := bytes.IndexByte(data, 0)
		if sp < 0 || nul < sp || len(data) < nul+21 {
			return nil, fmt.Errorf("malformed tree object")
		}
		out = append(out, treeEntry{mode: string(data[:sp]), name: string(data[sp+1 : nul]), sha: hex.EncodeToString(data[nul+1 : nul+21])})
		data = data[nul+21:]
	}
	return out, nil
}

// encodeTree writes entries in git's order: by name, a tree's name
// compared as if it ended in a slash.
func encodeTree(entries []treeEntry) []byte {
	key := func(e treeEntry) string {
		if e.mode == "40000" {
			return e.name + "/"
		}
		return e.name
	}
	sorted := append([]treeEntry(nil), entries...)
	sort.Slice(sorted, func(i, j int) bool { return key(sorted[i]) < key(sorted[j]) })
	var b bytes.Buffer
	for _, e := range sorted {
		raw, _ := hex.DecodeString(e.sha)
		fmt.Fprintf(&b, "%s %s\x00", e.mode, e.name)
		b.Write(raw)
	}
	return b.Bytes()
}

// editTree returns the id of base (an empty tree when "") with the entry at
// path set, or removed when e.sha is "", making the trees between as
// GitHub's create-tree does.
func (s *Server) editTree(base string, path []string, e treeEntry) (string, error) {
	var entries []treeEntry
	if base != "" {
		data, ok := s.object(base, "tree")
		if !ok {
			return "", fmt.Errorf("%s is not a tree the repository has", base)
		}
		var err error
		if entries, err = parseTree(data); err != nil {
			return "", err
		}
	}
	name := path[0]
	var sub string
	kept := entries[:0]
	for _, x := range entries {
		if x.name == name {
			if x.mode == "40000" {
				sub = x.sha
			}
			continue
		}
		kept = append(kept, x)
	}
	entries = kept
	if len(path) == 1 {
		if e.sha != "" {
			e.name = name
			entries = append(entries, e)
		}
	} else {
		id, err := s.editTree(sub, path[1:], e)
		if err != nil {
			return "", err
		}
		if data, _ := s.object(id, "tree"); len(data) > 0 {
			entries = append(entries, treeEntry{mode: "40000", name: name, sha: id})
		}
	}
	return s.store("tree", encodeTree(entries)), nil
}

// walkTree calls fn for every entry under a tree, paths joined with "/",
// depth first; recursive false stays at the top.
func (s *Server) walkTree(id, prefix string, recursive bool, fn func(path string, e treeEntry)) error {
	data, ok := s.object(id, "tree")
	if !ok {
		return fmt.Errorf("no tree %s", id)
	}
	entries, err := parseTree(data)
	if err != nil {
		return err
	}
	for _, e := range entries {
		fn(prefix+e.name, e)
		if recursive && e.mode == "40000" {
			if err := s.walkTree(e.sha, prefix+e.name+"/", true, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// rawCommit is what the fake reads of a commit object.
type rawCommit struct {
	tree, message             string
	parents                   []string
	author, committer         string // "Name <email> unix +0000"
	authorDate, committerDate time.Time
}

func parseCommit(data []byte) rawCommit {
	var c rawCommit
	head, msg, _ := bytes.Cut(data, []byte("\n\n"))
	c.message = string(msg)
	for _, line := range strings.Split(string(head), "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "tree":
			c.tree = v
		case "parent":
			c.parents = append(c.parents, v)
		case "author":
			c.author, c.authorDate = v, signatureTime(v)
		case "committer":
			c.committer, c.committerDate = v, signatureTime(v)
		}
	}
	return c
}

func signatureTime(sig string) time.Time {
	f := strings.Fields(sig)
	if len(f) < 2 {
		return time.Time{}
	}
	secs, err := strconv.ParseInt(f[len(f)-2], 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(secs, 0).UTC()
}

func signature(name, email string, t time.Time) string {
	return fmt.Sprintf("%s <%s> %d +0000", name, email, t.Unix())
}

// botEmail is the address GitHub gives the commits and tags of the token's
// bot user.
func (s *Server) botEmail() string { return s.Bot + "@users.noreply.github.com" }

// Note returns the note an object has on a notes ref (refs/notes/…), as
// `git notes --ref show` would print it after a fetch.
func (s *Server) Note(ref, objectID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tip, ok := s.refs[ref]
	if !ok {
		return "", false
	}
	data, ok := s.object(tip, "commit")
	if !ok {
		return "", false
	}
	var note string
	found := false
	_ = s.walkTree(parseCommit(data).tree, "", true, func(path string, e treeEntry) {
		if e.kind() == "blob" && strings.ReplaceAll(path, "/", "") == objectID {
			b, _ := s.object(e.sha, "blob")
			note, found = string(b), true
		}
	})
	return note, found
}

// serveGit answers git's dumb HTTP protocol under GitURL, read-only: the
// refs whose objects a clone of the repository has or the fake holds
// (pushed history, and what the API made), and the fake's own objects as
// loose objects. git falls back to this protocol on its own when the smart
// one is not offered.
func (s *Server) serveGit(w http.ResponseWriter, rest string) {
	switch {
	case rest == "info/refs":
		var names []string
		for r := range s.refs {
			names = append(names, r)
		}
		sort.Strings(names)
		var b strings.Builder
		for _, r := range names {
			sha := s.refs[r]
			if s.madeUp(sha) {
				continue
			}
			fmt.Fprintf(&b, "%s\t%s\n", sha, r)
			if t, ok := s.tags[sha]; ok {
				fmt.Fprintf(&b, "%s\t%s^{}\n", t.target, r)
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte(b.String()))
	case rest == "HEAD":
		if _, ok := s.refs["refs/heads/main"]; !ok {
			http.NotFound(w, nil)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("ref: refs/heads/main\n"))
	case strings.HasPrefix(rest, "objects/") && len(rest) == len("objects/")+41 && rest[len("objects/")+2] == '/':
		id := rest[len("objects/"):len("objects/")+2] + rest[len("objects/")+3:]
		o, ok := s.objects[id]
		if !ok {
			http.NotFound(w, nil)
			return
		}
		var b bytes.Buffer
		zw := zlib.NewWriter(&b)
		fmt.Fprintf(zw, "%s %d\x00", o.kind, len(o.data))
		zw.Write(o.data)
		zw.Close()
		w.Header().Set("Content-Type", "application/x-git-loose-object")
		w.Write(b.Bytes())
	default:
		http.NotFound(w, nil)
	}
}

// madeUp reports whether an id is one the fake invented (a commit pushed
// with Push, or a merge made without a tree), which no git repository has.
func (s *Server) madeUp(sha string) bool {
	if t, ok := s.tags[sha]; ok {
		sha = t.target
	}
	if _, ok := s.objects[sha]; ok {
		return false
	}
	c, ok := s.commits[sha]
	return ok && c.madeUp
}

// descends reports whether commit a has b among its ancestors (or is b).
func (s *Server) descends(a, b string) bool {
	seen := map[string]bool{}
	queue := []string{a}
	for len(queue) > 0 {
		sha := queue[0]
		queue = queue[1:]
		if sha == b {
			return true
		}
		if seen[sha] {
			continue
		}
		seen[sha] = true
		if c, ok := s.commits[sha]; ok {
			queue = append(queue, c.Parents...)
		}
	}
	return false
}

func (s *Server) gitURL(kind, sha string) string {
	return s.apiURL("repos/" + s.Owner + "/" + s.Name + "/git/" + kind + "/" + sha)
}

func (s *Server) blobJSON(sha string, data []byte) map[string]any {
	return map[string]any{"sha": sha, "url": s.gitURL("blobs", sha), "node_id": "B_" + sha[:12], "size": len(data),
		"content": base64.StdEncoding.EncodeToString(data), "encoding": "base64"}
}

func (s *Server) treeJSON(id string, recursive bool) map[string]any {
	entries := []any{}
	_ = s.walkTree(id, "", recursive, func(path string, e treeEntry) {
		v := map[string]any{"path": path, "mode": e.apiMode(), "type": e.kind(), "sha": e.sha}
		if e.kind() != "commit" {
			v["url"] = s.gitURL(e.kind()+"s", e.sha)
		}
		if data, ok := s.object(e.sha, "blob"); ok {
			v["size"] = len(data)
		}
		entries = append(entries, v)
	})
	return map[string]any{"sha": id, "url": s.gitURL("trees", id), "tree": entries, "truncated": false}
}

// gitCommitObjectJSON is a commit the fake holds as an object, as the git
// data API shows it.
func (s *Server) gitCommitObjectJSON(sha string) map[string]any {
	data, _ := s.object(sha, "commit")
	c := parseCommit(data)
	person := func(sig string, when time.Time) map[string]any {
		name, rest, _ := strings.Cut(sig, " <")
		email, _, _ := strings.Cut(rest, ">")
		return map[string]any{"name": name, "email": email, "date": when.Format(time.RFC3339)}
	}
	parents := []any{}
	for _, p := range c.parents {
		parents = append(parents, map[string]any{"sha": p, "url": s.gitURL("commits", p), "html_url": s.htmlURL("commit/" + p)})
	}
	return map[string]any{
		"sha": sha, "node_id": "C_" + sha[:12], "url": s.gitURL("commits", sha), "html_url": s.htmlURL("commit/" + sha),
		"author": person(c.author, c.authorDate), "committer": person(c.committer, c.committerDate),
		"tree":    map[string]any{"sha": c.tree, "url": s.gitURL("trees", c.tree)},
		"message": c.message, "parents": parents,
		"verification": map[string]any{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil, "verified_at": nil},
	}
}

// SetNote makes content an object's note on a notes ref, in a new notes
// commit on top of the ref, as someone pushing the notes ref by hand would.
func (s *Server) SetNote(ref, objectID, content string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var base string
	var parents []string
	if tip, ok := s.refs[ref]; ok {
		data, ok := s.object(tip, "commit")
		if !ok {
			return fmt.Errorf("%s names no commit the fake holds", ref)
		}
		base, parents = parseCommit(data).tree, []string{tip}
	}
	tree, err := s.editTree(base, []string{objectID}, treeEntry{mode: "100644", sha: s.store("blob", []byte(content))})
	if err != nil {
		return err
	}
	s.clock = s.clock.Add(time.Minute)
	var b strings.Builder
	fmt.Fprintf(&b, "tree %s\n", tree)
	for _, p := range parents {
		fmt.Fprintf(&b, "parent %s\n", p)
	}
	sig := signature("Dana Developer", "dana@example.com", s.clock)
	fmt.Fprintf(&b, "author %s\ncommitter %s\n\nNotes added by 'git notes add'\n", sig, sig)
	sha := s.store("commit", []byte(b.String()))
	s.addCommit(Commit{SHA: sha, Parents: parents, Author: "dana", Message: "Notes added by 'git notes add'\n"})
	s.refs[ref] = sha
	return nil
}

// PushTag records an annotated tag object as a push of the tag brings it
// (raw is the object as `git cat-file tag` prints it) and points
// refs/tags/<name> at it. The commit it names must be pushed first.
func (s *Server) PushTag(name string, raw []byte) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	head, msg, _ := bytes.Cut(raw, []byte("\n\n"))
	t := &tagObject{message: string(msg)}
	for _, line := range strings.Split(string(head), "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "object":
			t.target = v
		case "type":
			if v != "commit" {
				return "", fmt.Errorf("tag of a %s: the fake keeps tags of commits only", v)
			}
		case "tag":
			t.name = v
		case "tagger":
			t.date = signatureTime(v)
		}
	}
	if _, ok := s.commits[t.target]; !ok || t.name == "" {
		return "", fmt.Errorf("tag %q names %q, which is not a pushed commit", t.name, t.target)
	}
	t.sha = s.store("tag", raw)
	s.tags[t.sha] = t
	s.refs["refs/tags/"+name] = t.sha
	return t.sha, nil
}

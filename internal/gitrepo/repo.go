// Package gitrepo is patchline's window on a git repository: tags, branches,
// trees, blobs and ancestry, read in-process with go-git so that validating a
// patch never needs a git binary.
package gitrepo

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// ErrNotRepository is returned by Open for a directory outside any git repository.
var ErrNotRepository = errors.New("not a git repository")

// Hash is a git object id.
type Hash = plumbing.Hash

// Repo is an open repository.
type Repo struct {
	root string // the work tree, "" for a bare repository
	git  *git.Repository
	// graph is the commit-graph, when the repository has one, read and
	// checked in the background from Open on; commitGraph waits for it.
	graph      *graph
	graphReady chan struct{}                            // closed once graph is set; nil: no graph
	refs       map[plumbing.ReferenceName]plumbing.Hash // read once; nil until needed
	// peeled is what packed-refs says the annotated tags among refs peel to.
	peeled map[plumbing.ReferenceName]plumbing.Hash
	gitDir string // the .git directory when patchline reads its ref files itself
}

// objectCache is how much decoded object data a Repo keeps: enough for the
// trees and commits of a validate --all over thousands of patches.
const objectCache = 128 * cache.MiByte

// Open opens the repository that contains dir.
func Open(dir string) (*Repo, error) {
	r, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if err != nil {
		if errors.Is(err, git.ErrRepositoryNotExists) {
			return nil, fmt.Errorf("%s: %w (run `git init` first, or pass --repo)", dir, ErrNotRepository)
		}
		return nil, fmt.Errorf("open repository %s: %w", dir, err)
	}
	repo := &Repo{git: r}
	var worktree billy.Filesystem
	st := r.Storer
	if wt, err := r.Worktree(); err == nil {
		repo.root, worktree = wt.Filesystem.Root(), wt.Filesystem
		// The common layout, a .git directory: reopen it keeping pack files
		// open and with a larger object cache, which a walk over thousands
		// of objects needs (go-git's defaults reopen the pack per object).
		if fi, err := os.Stat(filepath.Join(repo.root, ".git")); err == nil && fi.IsDir() {
			st = filesystem.NewStorageWithOptions(osfs.New(filepath.Join(repo.root, ".git")), cache.NewObjectLRU(objectCache), filesystem.Options{KeepDescriptors: true})
		}
	}
	if fs, ok := st.(*filesystem.Storage); ok {
		if root, ok := fs.Filesystem().(interface{ Root() string }); ok {
			// A commit-graph file (written by `git gc` and `git commit-graph
			// write`) makes ancestry walks cheap and its generation numbers
			// bound them exactly. Checking it (its SHA-1 and every record)
			// takes milliseconds that the refs, the config and the patch
			// files are read in meanwhile, on another core.
			repo.graphReady = make(chan struct{})
			go func(gitDir string) {
				repo.graph, _ = loadGraph(gitDir)
				close(repo.graphReady)
			}(root.Root())
			repo.gitDir = root.Root()
			st = newPackStore(fs, filepath.Join(root.Root(), "objects"))
		}
	}
	if st != r.Storer {
		if fast, err := git.Open(st, worktree); err == nil {
			repo.git = fast
		}
	}
	return repo, nil
}

// commitGraph is the repository's commit-graph, or nil, once Open's
// background read of it has finished.
func (r *Repo) commitGraph() *graph {
	if r.graphReady == nil {
		return r.graph
	}
	<-r.graphReady
	return r.graph
}

// graphIfReady is the commit-graph if Open's background read of it has
// finished, else nil.
func (r *Repo) graphIfReady() *graph {
	if r.graphReady == nil {
		return r.graph
	}
	select {
	case <-r.graphReady:
		return r.graph
	default:
		return nil
	}
}

// reference resolves a ref from a snapshot of all refs taken on first use:
// go-git rereads packed-refs on every lookup, which costs a run over
// thousands of patch branches the square of their number.
func (r *Repo) reference(name plumbing.ReferenceName) (plumbing.Hash, bool, error) {
	if r.refs == nil {
		if snap, ok := readRefFiles(r.gitDir); ok {
			r.refs, r.peeled = snap.hashes, snap.peeled
			h, ok := r.refs[name]
			return h, ok, nil
		}
		iter, err := r.git.References()
		if err != nil {
			return plumbing.ZeroHash, false, fmt.Errorf("list refs: %w", err)
		}
		refs := map[plumbing.ReferenceName]plumbing.Hash{}
		err = iter.ForEach(func(ref *plumbing.Reference) error {
			if ref.Type() == plumbing.HashReference {
				refs[ref.Name()] = ref.Hash()
			}
			return nil
		})
		if err != nil {
			return plumbing.ZeroHash, false, fmt.Errorf("list refs: %w", err)
		}
		r.refs, r.peeled = refs, nil
	}
	h, ok := r.refs[name]
	return h, ok, nil
}

// shortName is a ref's name without refs/heads/, refs/tags/ or
// refs/remotes/, as go-git's ReferenceName.Short gives it, without the
// fmt.Sscanf per rule that costs a run over thousands of refs.
func shortName(name plumbing.ReferenceName) string {
	s := string(name)
	for _, prefix := range []string{"refs/heads/", "refs/tags/", "refs/remotes/", "refs/"} {
		if rest, ok := strings.CutPrefix(s, prefix); ok {
			return rest
		}
	}
	return s
}

// refsChanged drops the refs snapshot after patchline itself moved a ref.
func (r *Repo) refsChanged() { r.refs, r.peeled = nil, nil }

// Root is the work tree's top directory, "" for a bare repository.
func (r *Repo) Root() string { return r.root }

// Tag is a tag peeled to the commit it names.
type Tag struct {
	Name      string
	Commit    Hash
	Annotated bool
	id        Hash // the tag object of an annotated tag
	repo      *Repo
}

// Tags lists every tag that points (possibly through tag objects) at a commit,
// sorted by name. What packed-refs records peeled costs no object read but
// the type of the object it peels to; another annotated tag costs the
// headers of its tag object. Messages, signatures and tagger times are read
// only when Message, Signed, VerifyTag or Tagged asks.
func (r *Repo) Tags() ([]Tag, error) {
	if _, _, err := r.reference(plumbing.HEAD); err != nil { // the refs snapshot
		return nil, fmt.Errorf("list tags: %w", err)
	}
	ps, _ := r.git.Storer.(*packStore)
	var tags []Tag
	peel := func(name plumbing.ReferenceName, h Hash) {
		t := Tag{Name: shortName(name), Commit: h, repo: r}
		if p, ok := r.peeled[name]; ok && p != h {
			// packed-refs says h is a tag object that peels to p. The
			// commit-graph, once checked, knows a commit without touching
			// the pack; tags are listed early, so it is not waited for.
			if g := r.graphIfReady(); g != nil {
				if _, ok := g.lookup(p); ok {
					t.Annotated, t.id, t.Commit = true, h, p
					tags = append(tags, t)
					return
				}
			}
			if typ, ok := r.objectType(ps, p); ok {
				if typ == plumbing.CommitObject {
					t.Annotated, t.id, t.Commit = true, h, p
					tags = append(tags, t)
				}
				return // a tag of a tree or blob is not a release
			}
		}
		// Peel tags of tags down to the commit, as git does.
		for depth := 0; depth < 16; depth++ {
			th, ok := r.tagHead(ps, h)
			if !ok {
				if depth == 0 {
					break // not an object this repository has: listed as it is
				}
				return
			}
			if th.typ != plumbing.TagObject {
				if depth > 0 && th.typ != plumbing.CommitObject {
					return // a tag of a tree or blob is not a release
				}
				break
			}
			if depth == 0 {
				t.Annotated, t.id = true, h
			}
			h = th.target
			if th.targetType != plumbing.TagObject {
				if th.targetType != plumbing.CommitObject {
					return
				}
				t.Commit = h
				break
			}
		}
		tags = append(tags, t)
	}
	for name, h := range r.refs {
		if name.IsTag() {
			peel(name, h)
		}
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Name < tags[j].Name })
	return tags, nil
}

// objectType is the type of object h without reading its content when it is
// packed. ok is false when the repository does not have it.
func (r *Repo) objectType(ps *packStore, h Hash) (plumbing.ObjectType, bool) {
	if ps != nil {
		if typ, ok := ps.objectType(h); ok {
			return typ, true
		}
	}
	obj, err := r.git.Storer.EncodedObject(plumbing.AnyObject, h)
	if err != nil {
		return plumbing.InvalidObject, false
	}
	return obj.Type(), true
}

// tagHead reads the head of object h: from the packs when it can, else
// through go-git (loose objects), decoding the whole tag.
func (r *Repo) tagHead(ps *packStore, h Hash) (tagHead, bool) {
	if ps != nil {
		if th, ok := ps.tagHead(h); ok {
			return th, true
		}
	}
	obj, err := r.git.Storer.EncodedObject(plumbing.AnyObject, h)
	if err != nil {
		return tagHead{}, false
	}
	if obj.Type() != plumbing.TagObject {
		return tagHead{typ: obj.Type()}, true
	}
	tag, err := object.DecodeTag(r.git.Storer, obj)
	if err != nil {
		return tagHead{}, false
	}
	return tagHead{typ: plumbing.TagObject, target: tag.Target, targetType: tag.TargetType, tagged: tag.Tagger.When.UTC()}, true
}

// Tagged is the tagger's time of an annotated tag, read from its headers;
// zero for a lightweight tag and for an annotated tag made before git
// recorded a tagger.
func (t Tag) Tagged() (time.Time, error) {
	if !t.Annotated || t.repo == nil {
		return time.Time{}, nil
	}
	ps, _ := t.repo.git.Storer.(*packStore)
	th, ok := t.repo.tagHead(ps, t.id)
	if !ok || th.typ != plumbing.TagObject {
		return time.Time{}, fmt.Errorf("read tag %s: its tag object %s is missing or unreadable", t.Name, t.id)
	}
	return th.tagged, nil
}

// object reads the whole tag object of an annotated tag.
func (t Tag) object() (*object.Tag, error) {
	if !t.Annotated || t.repo == nil {
		return nil, fmt.Errorf("tag %s is not an annotated tag", t.Name)
	}
	obj, err := t.repo.git.TagObject(t.id)
	if err != nil {
		return nil, fmt.Errorf("read tag %s: %w", t.Name, err)
	}
	return obj, nil
}

// Signed reports whether an annotated tag carries a PGP or SSH signature.
func (t Tag) Signed() (bool, error) {
	if !t.Annotated {
		return false, nil
	}
	obj, err := t.object()
	if err != nil {
		return false, err
	}
	return obj.PGPSignature != "", nil
}

// VerifyTag checks an annotated tag's PGP signature against an armored key ring.
func (t Tag) VerifyTag(armoredKeyRing string) error {
	obj, err := t.object()
	if err != nil || obj.PGPSignature == "" {
		return fmt.Errorf("tag %s is not signed", t.Name)
	}
	if _, err := obj.Verify(armoredKeyRing); err != nil {
		return fmt.Errorf("tag %s: bad signature: %w", t.Name, err)
	}
	return nil
}

// Ref is a branch tip.
type Ref struct {
	Name   string // short name, e.g. patch/PL-2026-0001 (remote branches without their remote)
	Full   string // refs/heads/… or refs/remotes/origin/…
	Commit Hash
	Remote bool
}

// Branches lists local branches, then branches of the remote "origin" that
// have no local branch of the same name, whose short name starts with prefix.
func (r *Repo) Branches(prefix string) ([]Ref, error) {
	if _, _, err := r.reference(plumbing.HEAD); err != nil {
		return nil, err
	}
	local := map[string]Ref{}
	remote := map[string]Ref{}
	for name, h := range r.refs {
		switch {
		case name.IsBranch():
			if s := shortName(name); strings.HasPrefix(s, prefix) {
				local[s] = Ref{Name: s, Full: name.String(), Commit: h}
			}
		case name.IsRemote() && strings.HasPrefix(name.String(), "refs/remotes/origin/"):
			s := strings.TrimPrefix(name.String(), "refs/remotes/origin/")
			if s != "HEAD" && strings.HasPrefix(s, prefix) {
				remote[s] = Ref{Name: s, Full: name.String(), Commit: h, Remote: true}
			}
		}
	}
	for s, ref := range remote {
		if _, ok := local[s]; !ok {
			local[s] = ref
		}
	}
	out := make([]Ref, 0, len(local))
	for _, ref := range local {
		out = append(out, ref)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Branch finds a branch by short name, local first, then origin's.
func (r *Repo) Branch(name string) (Ref, bool, error) {
	for _, full := range []string{"refs/heads/" + name, "refs/remotes/origin/" + name} {
		h, ok, err := r.reference(plumbing.ReferenceName(full))
		if err != nil {
			return Ref{}, false, err
		}
		if ok {
			return Ref{Name: name, Full: full, Commit: h, Remote: strings.HasPrefix(full, "refs/remotes/")}, true, nil
		}
	}
	return Ref{}, false, nil
}

// Head returns the checked-out branch's short name ("" when detached) and commit.
func (r *Repo) Head() (string, Hash, error) {
	head, err := r.git.Storer.Reference(plumbing.HEAD)
	if err != nil {
		return "", plumbing.ZeroHash, fmt.Errorf("read HEAD: %w", err)
	}
	if head.Type() == plumbing.HashReference {
		return "", head.Hash(), nil
	}
	h, _, err := r.reference(head.Target())
	if err != nil {
		return "", plumbing.ZeroHash, err
	}
	return shortName(head.Target()), h, nil
}

// Resolve turns a revision (tag, branch, hash) into a commit id.
func (r *Repo) Resolve(rev string) (Hash, error) {
	h, err := r.git.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("resolve %s: %w", rev, err)
	}
	return *h, nil
}

// Commit reads a commit object.
func (r *Repo) Commit(h Hash) (*object.Commit, error) {
	c, err := r.git.CommitObject(h)
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", h, err)
	}
	return c, nil
}

// Tree reads a commit's tree.
func (r *Repo) Tree(commit Hash) (*object.Tree, error) {
	c, err := r.Commit(commit)
	if err != nil {
		return nil, err
	}
	t, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("read tree of %s: %w", commit, err)
	}
	return t, nil
}

// TreeObject reads tree h.
func (r *Repo) TreeObject(h Hash) (*object.Tree, error) {
	t, err := r.git.TreeObject(h)
	if err != nil {
		return nil, fmt.Errorf("read tree %s: %w", h, err)
	}
	return t, nil
}

// File is one blob of a tree.
type File struct {
	Path string
	Mode filemode.FileMode
	Hash Hash
}

// ReadFile returns the contents of path at commit; ok is false when absent.
func (r *Repo) ReadFile(commit Hash, p string) (data []byte, ok bool, err error) {
	t, err := r.Tree(commit)
	if err != nil {
		return nil, false, err
	}
	return ReadTreeFile(t, p)
}

// ReadTreeFile returns the contents of path in a tree; ok is false when absent
// or when the path names a directory.
func ReadTreeFile(t *object.Tree, p string) (data []byte, ok bool, err error) {
	e, err := t.FindEntry(p)
	if err != nil {
		if errors.Is(err, object.ErrEntryNotFound) || errors.Is(err, object.ErrDirectoryNotFound) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("find %s: %w", p, err)
	}
	if !e.Mode.IsFile() {
		return nil, false, nil
	}
	data, err = readBlob(t, e)
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", p, err)
	}
	return data, true, nil
}

func readBlob(t *object.Tree, e *object.TreeEntry) ([]byte, error) {
	f, err := t.TreeEntryFile(e)
	if err != nil {
		return nil, err
	}
	rd, err := f.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return io.ReadAll(rd)
}

// ListDir lists the names of the entries directly inside dir at a tree, with
// whether each is a directory.
func ListDir(t *object.Tree, dir string) (map[string]bool, error) {
	sub := t
	if dir != "" && dir != "." {
		var err error
		sub, err = t.Tree(dir)
		if err != nil {
			if errors.Is(err, object.ErrDirectoryNotFound) || errors.Is(err, object.ErrEntryNotFound) {
				return map[string]bool{}, nil
			}
			return nil, fmt.Errorf("read %s: %w", dir, err)
		}
	}
	out := make(map[string]bool, len(sub.Entries))
	for _, e := range sub.Entries {
		out[e.Name] = e.Mode == filemode.Dir
	}
	return out, nil
}

// CreateBranch points refs/heads/name at commit; it refuses to move an existing branch.
func (r *Repo) CreateBranch(name string, commit Hash) error {
	ref := plumbing.NewBranchReferenceName(name)
	if _, err := r.git.Reference(ref, false); err == nil {
		return fmt.Errorf("branch %s already exists", name)
	}
	if err := r.git.Storer.SetReference(plumbing.NewHashReference(ref, commit)); err != nil {
		return fmt.Errorf("create branch %s: %w", name, err)
	}
	r.refsChanged()
	return nil
}

// Identity is who a commit is by, taken as git takes it: the GIT_AUTHOR_* and
// GIT_COMMITTER_* variables first, then user.name and user.email.
func (r *Repo) Identity(getenv func(string) string, now time.Time) (author, committer *object.Signature, err error) {
	cfg, err := r.git.ConfigScoped(config.SystemScope)
	if err != nil {
		return nil, nil, fmt.Errorf("read git config: %w", err)
	}
	sig := func(kind string) (*object.Signature, error) {
		s := &object.Signature{Name: cfg.User.Name, Email: cfg.User.Email, When: now}
		if kind == "COMMITTER" && cfg.Committer.Name != "" {
			s.Name, s.Email = cfg.Committer.Name, cfg.Committer.Email
		}
		if kind == "AUTHOR" && cfg.Author.Name != "" {
			s.Name, s.Email = cfg.Author.Name, cfg.Author.Email
		}
		if v := getenv("GIT_" + kind + "_NAME"); v != "" {
			s.Name = v
		}
		if v := getenv("GIT_" + kind + "_EMAIL"); v != "" {
			s.Email = v
		}
		if v := getenv("GIT_" + kind + "_DATE"); v != "" {
			when, err := ParseGitDate(v)
			if err != nil {
				return nil, fmt.Errorf("GIT_%s_DATE: %w", kind, err)
			}
			s.When = when
		}
		if s.Name == "" || s.Email == "" {
			return nil, errors.New("no git identity: run `git config --global user.name \"Your Name\"` and `git config --global user.email you@example.com`")
		}
		return s, nil
	}
	if author, err = sig("AUTHOR"); err != nil {
		return nil, nil, err
	}
	if committer, err = sig("COMMITTER"); err != nil {
		return nil, nil, err
	}
	return author, committer, nil
}

// ParseGitDate reads the date forms git accepts in GIT_*_DATE that scripts use:
// RFC 3339, RFC 2822, and "@<unix seconds> [+zone]".
func ParseGitDate(v string) (time.Time, error) {
	if strings.HasPrefix(v, "@") {
		var secs int64
		var zone string
		n, _ := fmt.Sscanf(v, "@%d %s", &secs, &zone)
		if n >= 1 {
			return time.Unix(secs, 0).UTC(), nil
		}
	}
	for _, layout := range []string{time.RFC3339, time.RFC1123Z, "Mon, 2 Jan 2006 15:04:05 -0700", "2006-01-02 15:04:05 -0700", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised date %q (use RFC 3339, e.g. 2026-03-01T12:00:00Z)", v)
}

// ErrDirtyWorktree is returned when a checkout would overwrite uncommitted changes.
var ErrDirtyWorktree = errors.New("the work tree has uncommitted changes")

// CheckoutNewBranch creates branch at commit and checks it out, as
// `git switch -c branch commit` does. When tracked files have uncommitted
// changes it refuses and leaves HEAD and the branches as they were.
func (r *Repo) CheckoutNewBranch(branch string, commit Hash) error {
	wt, err := r.git.Worktree()
	if err != nil {
		return fmt.Errorf("no work tree to check %s out into: %w", branch, err)
	}
	head, err := r.git.Storer.Reference(plumbing.HEAD)
	if err != nil {
		return fmt.Errorf("read HEAD: %w", err)
	}
	ref := plumbing.NewBranchReferenceName(branch)
	defer r.refsChanged()
	err = wt.Checkout(&git.CheckoutOptions{Branch: ref, Hash: commit, Create: true, Keep: false})
	if err == nil {
		return nil
	}
	// go-git creates the branch and moves HEAD before it finds the work
	// tree dirty: put both back, so a refused checkout changes nothing.
	if rerr := r.git.Storer.SetReference(head); rerr != nil {
		return fmt.Errorf("check out %s: %w (and restoring HEAD failed: %v)", branch, err, rerr)
	}
	_ = r.git.Storer.RemoveReference(ref)
	if errors.Is(err, git.ErrUnstagedChanges) {
		return fmt.Errorf("cannot switch to %s: %w; commit or stash them first", branch, ErrDirtyWorktree)
	}
	return fmt.Errorf("check out %s: %w", branch, err)
}

// CommitFiles writes files (path relative to the work tree -> contents) into the
// work tree, stages exactly them and commits on the current branch.
func (r *Repo) CommitFiles(files map[string][]byte, message string, author, committer *object.Signature) (Hash, error) {
	wt, err := r.git.Worktree()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("no work tree: %w", err)
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		full := path.Join(r.root, p)
		if err := os.MkdirAll(path.Dir(full), 0o755); err != nil {
			return plumbing.ZeroHash, err
		}
		if err := WriteFileAtomic(full, files[p], 0o644); err != nil {
			return plumbing.ZeroHash, err
		}
		if _, err := wt.Add(p); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("stage %s: %w", p, err)
		}
	}
	h, err := wt.Commit(message, &git.CommitOptions{Author: author, Committer: committer})
	r.refsChanged()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("commit: %w", err)
	}
	return h, nil
}

// WriteFileAtomic writes data to a temporary file beside name and renames it
// into place, so a crash never leaves a half-written file.
func WriteFileAtomic(name string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(path.Dir(name), "."+path.Base(name)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, perm)
	}
	if werr == nil {
		werr = os.Rename(tmp, name)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, werr)
	}
	return nil
}

// GitHubRemote returns "owner/repo" when the origin remote is on GitHub.
func (r *Repo) GitHubRemote() string {
	rem, err := r.git.Remote("origin")
	if err != nil || len(rem.Config().URLs) == 0 {
		return ""
	}
	u := rem.Config().URLs[0]
	for _, prefix := range []string{"https://github.com/", "git@github.com:", "ssh://git@github.com/"} {
		if rest, ok := strings.CutPrefix(u, prefix); ok {
			rest = strings.TrimSuffix(strings.TrimSuffix(rest, "/"), ".git")
			if strings.Count(rest, "/") == 1 {
				return rest
			}
		}
	}
	return ""
}

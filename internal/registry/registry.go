// Package registry finds the patches of a product repository: the open ones
// on their patch branches and the merged ones on the release lines, each with
// its manifest and diffs.
package registry

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/release"
)

// Dir is where patches live in the product repository.
const Dir = "patches"

// ManifestName and DiffName are the two files of every patch.
const (
	ManifestName = "patch.toml"
	DiffName     = "patch.diff"
)

// ErrUnknownPatch is returned for an id that no branch or release line holds.
var ErrUnknownPatch = errors.New("unknown patch")

// Patch is one patch as the repository holds it.
type Patch struct {
	ID     string
	Branch gitrepo.Ref // zero when the patch branch is gone (merged and deleted)
	// Where names the place the patch files were read from: "work tree",
	// a branch, or a maintenance branch it was merged into.
	Where string
	// Commit is the commit the files were read from (the branch tip).
	Commit gitrepo.Hash

	ManifestPath string // repository-relative, for findings
	ManifestData []byte
	Manifest     *manifest.Manifest // nil when it does not decode
	Problems     []manifest.Problem

	Diff    []byte // nil when patch.diff is missing
	Adapted map[string][]byte
}

// HasBranch reports whether the patch still has its branch.
func (p *Patch) HasBranch() bool { return p.Branch.Full != "" }

// Registry reads patches from a repository.
type Registry struct {
	Repo   *gitrepo.Repo
	Config *config.Config

	branchNames []string // the supported lines' maintenance branches, newest first; see maintenanceBranches
}

// PatchDir is patches/<ID>.
func PatchDir(id string) string { return path.Join(Dir, id) }

// Branches returns the patch branches by id.
func (r *Registry) Branches() (map[string]gitrepo.Ref, error) {
	prefix := r.Config.Release.PatchBranch
	refs, err := r.Repo.Branches(prefix)
	if err != nil {
		return nil, err
	}
	out := make(map[string]gitrepo.Ref, len(refs))
	for _, ref := range refs {
		id := strings.TrimPrefix(ref.Name, prefix)
		if strings.Contains(id, BackportSep) {
			continue // a backport branch: see Backports
		}
		out[id] = ref
	}
	return out, nil
}

// BackportSep joins a patch id and a release line in the name of a backport
// branch: patch/PL-2026-0007@v2026.2.
const BackportSep = "@"

// SplitBranchID splits the id part of a patch branch name into the patch
// id and, for a backport branch, its line.
func SplitBranchID(name string) (id, line string) {
	id, line, _ = strings.Cut(name, BackportSep)
	return id, line
}

// Backports returns the backport branches of every patch, by id.
func (r *Registry) Backports() (map[string][]gitrepo.Ref, error) {
	prefix := r.Config.Release.PatchBranch
	refs, err := r.Repo.Branches(prefix)
	if err != nil {
		return nil, err
	}
	out := map[string][]gitrepo.Ref{}
	for _, ref := range refs {
		if id, line := SplitBranchID(strings.TrimPrefix(ref.Name, prefix)); line != "" {
			out[id] = append(out[id], ref)
		}
	}
	return out, nil
}

// LoadBranch reads a patch from one of its branches (its own or a backport
// branch): from the work tree when that branch is checked out.
func (r *Registry) LoadBranch(id string, ref gitrepo.Ref) (*Patch, error) {
	p := &Patch{ID: id, Branch: ref, Commit: ref.Commit, Where: ref.Name}
	if head, _, err := r.Repo.Head(); err == nil && head == ref.Name && !ref.Remote && r.Repo.Root() != "" {
		p.Where = "work tree"
		return p, r.readWorktree(p)
	}
	return p, r.readCommit(p, ref.Commit)
}

// mergedPlaces are the branches whose patches/ folder holds merged patches:
// the maintenance branch of every supported line, newest first, then the
// main line.
func (r *Registry) mergedPlaces() ([]gitrepo.Ref, error) {
	refs, err := r.maintenanceBranches()
	if err != nil {
		return nil, err
	}
	if main, ok, err := r.Repo.Branch(r.Config.Release.MainBranch); err != nil {
		return nil, err
	} else if ok {
		refs = append(refs, main)
	}
	return refs, nil
}

// IDs lists every patch id the repository knows: patch branches, and the
// patches/ folders of the maintenance branches, the main line and the work tree.
func (r *Registry) IDs() ([]string, error) {
	seen := map[string]bool{}
	branches, err := r.Branches()
	if err != nil {
		return nil, err
	}
	for id := range branches {
		seen[id] = true
	}
	places, err := r.mergedPlaces()
	if err != nil {
		return nil, err
	}
	for _, ref := range places {
		t, err := r.Repo.Tree(ref.Commit)
		if err != nil {
			return nil, err
		}
		names, err := gitrepo.ListDir(t, Dir)
		if err != nil {
			return nil, err
		}
		for name, isDir := range names {
			if isDir {
				seen[name] = true
			}
		}
	}
	if root := r.Repo.Root(); root != "" {
		entries, _ := os.ReadDir(filepath.Join(root, Dir))
		for _, e := range entries {
			if e.IsDir() {
				seen[e.Name()] = true
			}
		}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}

// NextID returns the next free id for the year: one past the highest
// sequence number any branch or release line has used.
func (r *Registry) NextID(year int) (string, error) {
	ids, err := r.IDs()
	if err != nil {
		return "", err
	}
	highest := 0
	for _, id := range ids {
		prefix, y, seq, err := manifest.ParseID(id)
		if err != nil || prefix != r.Config.IDs.Prefix || y != year {
			continue
		}
		highest = max(highest, seq)
	}
	return manifest.FormatID(r.Config.IDs.Prefix, year, highest+1), nil
}

// Load reads one patch: from the work tree when its branch is checked out,
// else from its branch, else from the newest release line that merged it.
//
// When a backport branch of the patch (patch/<ID>@<line>) is checked out,
// that branch is the patch: its manifest names the older base.
func (r *Registry) Load(id string) (*Patch, error) {
	branchName := r.Config.PatchBranchFor(id)
	if head, _, err := r.Repo.Head(); err == nil && strings.HasPrefix(head, branchName+BackportSep) {
		if ref, ok, err := r.Repo.Branch(head); err != nil {
			return nil, err
		} else if ok {
			return r.LoadBranch(id, ref)
		}
	}
	ref, ok, err := r.Repo.Branch(branchName)
	if err != nil {
		return nil, err
	}
	if ok {
		return r.LoadBranch(id, ref)
	}
	places, err := r.mergedPlaces()
	if err != nil {
		return nil, err
	}
	for _, place := range places {
		t, err := r.Repo.Tree(place.Commit)
		if err != nil {
			return nil, err
		}
		if _, ok, err := gitrepo.ReadTreeFile(t, path.Join(PatchDir(id), ManifestName)); err != nil {
			return nil, err
		} else if ok {
			p := &Patch{ID: id, Commit: place.Commit, Where: place.Name}
			return p, r.readTree(p, t)
		}
	}
	if root := r.Repo.Root(); root != "" {
		if _, err := os.Stat(filepath.Join(root, PatchDir(id), ManifestName)); err == nil {
			p := &Patch{ID: id, Where: "work tree"}
			return p, r.readWorktree(p)
		}
	}
	return nil, fmt.Errorf("%w %s: no branch %s and no %s on any release line", ErrUnknownPatch, id, branchName, PatchDir(id))
}

// All loads every patch that has a branch (the open ones), sorted by id,
// each backport branch after its patch. With merged set, patches that only
// live on release lines are included too, once per id.
func (r *Registry) All(merged bool) ([]*Patch, error) {
	if merged {
		ids, err := r.IDs()
		if err != nil {
			return nil, err
		}
		out := make([]*Patch, 0, len(ids))
		for _, id := range ids {
			p, err := r.Load(id)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
		return out, nil
	}
	branches, err := r.Branches()
	if err != nil {
		return nil, err
	}
	backports, err := r.Backports()
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(branches)+len(backports))
	for id := range branches {
		ids = append(ids, id)
	}
	for id := range backports {
		if _, ok := branches[id]; !ok {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	var out []*Patch
	for _, id := range ids {
		refs := backports[id]
		if ref, ok := branches[id]; ok {
			refs = append([]gitrepo.Ref{ref}, refs...)
		}
		for _, ref := range refs {
			p, err := r.LoadBranch(id, ref)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
	}
	return out, nil
}

func (r *Registry) readCommit(p *Patch, commit gitrepo.Hash) error {
	t, err := r.Repo.Tree(commit)
	if err != nil {
		return err
	}
	return r.readTree(p, t)
}

func (r *Registry) readTree(p *Patch, t *object.Tree) error {
	return r.fill(p, func(name string) ([]byte, bool, error) {
		return gitrepo.ReadTreeFile(t, path.Join(PatchDir(p.ID), name))
	}, func() ([]string, error) {
		names, err := gitrepo.ListDir(t, PatchDir(p.ID))
		if err != nil {
			return nil, err
		}
		out := make([]string, 0, len(names))
		for n, isDir := range names {
			if !isDir {
				out = append(out, n)
			}
		}
		return out, nil
	})
}

func (r *Registry) readWorktree(p *Patch) error {
	dir := filepath.Join(r.Repo.Root(), PatchDir(p.ID))
	return r.fill(p, func(name string) ([]byte, bool, error) {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			return nil, false, nil
		}
		return data, err == nil, err
	}, func() ([]string, error) {
		entries, err := os.ReadDir(dir)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		var out []string
		for _, e := range entries {
			if e.Type().IsRegular() {
				out = append(out, e.Name())
			}
		}
		return out, nil
	})
}

func (r *Registry) fill(p *Patch, read func(string) ([]byte, bool, error), list func() ([]string, error)) error {
	p.ManifestPath = path.Join(PatchDir(p.ID), ManifestName)
	data, ok, err := read(ManifestName)
	if err != nil {
		return fmt.Errorf("%s: %w", p.ManifestPath, err)
	}
	if !ok {
		p.Problems = []manifest.Problem{{
			File: p.ManifestPath, Line: 1, Col: 1, Code: manifest.CodeMissingField, Rule: "manifest.missing",
			Message: fmt.Sprintf("%s has no manifest", p.Where),
			Hint:    "run `patchline new` to start a patch, or restore " + p.ManifestPath,
		}}
	} else {
		p.ManifestData = data
		p.Manifest, p.Problems = manifest.Decode(p.ManifestPath, data)
	}
	if p.Diff, _, err = read(DiffName); err != nil {
		return fmt.Errorf("%s/%s: %w", PatchDir(p.ID), DiffName, err)
	}
	names, err := list()
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, n := range names {
		tag, isDiff := strings.CutSuffix(n, ".diff")
		if !isDiff || n == DiffName {
			continue
		}
		data, _, err := read(n)
		if err != nil {
			return err
		}
		if p.Adapted == nil {
			p.Adapted = map[string][]byte{}
		}
		p.Adapted[tag] = data
	}
	return nil
}

// Reported is when the patch's issue was reported, zero when unknown.
func (p *Patch) Reported() time.Time {
	if p.Manifest == nil {
		return time.Time{}
	}
	return p.Manifest.Reported
}

// NotReleaseTagError explains why a name is not a release tag and offers the
// nearest ones.
type NotReleaseTagError struct {
	Name    string
	Exists  bool
	Pattern string
	Nearest []string
}

func (e *NotReleaseTagError) Error() string {
	nearest := ""
	if len(e.Nearest) > 0 {
		nearest = " — nearest: " + strings.Join(e.Nearest, ", ")
	}
	if !e.Exists {
		return fmt.Sprintf("no tag %q in this repository%s", e.Name, nearest)
	}
	return fmt.Sprintf("tag %s is not a release tag; release tags match %s%s", e.Name, e.Pattern, nearest)
}

// Tags reads the repository's tags once and answers questions about them.
type Tags struct {
	byName  map[string]gitrepo.Tag
	release []string // oldest first
	pattern string
}

// LoadTags reads every tag and picks out the release tags.
func (r *Registry) LoadTags() (*Tags, error) {
	all, err := r.Repo.Tags()
	if err != nil {
		return nil, err
	}
	t := &Tags{byName: make(map[string]gitrepo.Tag, len(all)), pattern: r.Config.Release.Tags}
	for _, tag := range all {
		t.byName[tag.Name] = tag
		if r.Config.IsReleaseTag(tag.Name) {
			t.release = append(t.release, tag.Name)
		}
	}
	release.Sort(t.release)
	return t, nil
}

// Release returns the release tags, oldest first.
func (t *Tags) Release() []string { return t.release }

// Get returns any tag by name.
func (t *Tags) Get(name string) (gitrepo.Tag, bool) {
	tag, ok := t.byName[name]
	return tag, ok
}

// ReleaseTag returns the named release tag, or a *NotReleaseTagError.
func (t *Tags) ReleaseTag(name string) (gitrepo.Tag, error) {
	tag, ok := t.byName[name]
	if ok && slices.Contains(t.release, name) {
		return tag, nil
	}
	return gitrepo.Tag{}, &NotReleaseTagError{Name: name, Exists: ok, Pattern: t.pattern, Nearest: release.Nearest(name, t.release, 3)}
}

// NewerOnLine lists the release tags of tag's line that sort after it.
func (t *Tags) NewerOnLine(tag string) []string {
	line, ok := release.Line(tag)
	if !ok {
		return nil
	}
	var out []string
	for _, r := range t.release {
		if l, ok := release.Line(r); ok && l == line && release.CompareTags(r, tag) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// LoadFolder reads one patch from the tree of its patches/<ID>/ folder,
// as found at commit; where names the place for messages. Callers that
// read many patches of one commit look the folders up once.
func (r *Registry) LoadFolder(id string, folder *object.Tree, commit gitrepo.Hash, where string) (*Patch, error) {
	p := &Patch{ID: id, Commit: commit, Where: where}
	err := r.fill(p, func(name string) ([]byte, bool, error) {
		return gitrepo.ReadTreeFile(folder, name)
	}, func() ([]string, error) {
		out := make([]string, 0, len(folder.Entries))
		for _, e := range folder.Entries {
			if e.Mode.IsFile() {
				out = append(out, e.Name)
			}
		}
		return out, nil
	})
	return p, err
}

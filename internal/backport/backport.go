// Package backport starts the backport of a merged or open patch to another
// release line: the same id, the same manifest with the line's release tag
// as its base, and the original fix applied when it applies as it is.
//
// A backport lives on its own patch branch, <patch branch><ID>@<line>
// (patch/PL-2026-0007@v2026.2), because patch/<ID> is the original's.
package backport

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/patchdiff"
	"github.com/patchline/patchline/internal/pipeline"
	"github.com/patchline/patchline/internal/registry"
)

// Sep separates the id from the line in a backport branch's name.
const Sep = "@"

// Branch is the backport branch of a patch for a release line.
func Branch(cfg *config.Config, id, line string) string {
	return cfg.PatchBranchFor(id) + Sep + line
}

// ParseBranch splits a patch branch's name into the patch id and, for a
// backport branch, its line.
func ParseBranch(cfg *config.Config, branch string) (id, line string, ok bool) {
	rest, ok := strings.CutPrefix(branch, cfg.Release.PatchBranch)
	if !ok || rest == "" {
		return "", "", false
	}
	id, line, _ = strings.Cut(rest, Sep)
	return id, line, true
}

// Plan is a backport worked out before anything is written.
type Plan struct {
	ID       string
	Base     gitrepo.Tag
	Line     string
	Branch   string
	Manifest *manifest.Manifest
	// Diff is the fix that applies to Base (the original's patch.diff or
	// an adapted <tag>.diff), nil when none does.
	Diff     []byte
	DiffName string
	Files    []*gitdiff.File
	// Conflict says why the original fix does not apply, when Diff is nil.
	Conflict error
}

// ErrSameLine is returned for a backport to the line the patch is on.
var ErrSameLine = errors.New("not a backport")

// Prepare works out a backport of orig to base: the manifest and which of
// the original's diffs applies to base's tree, trying an adapted diff for
// base first, then patch.diff, then adapted diffs for other tags of the line.
func Prepare(reg *registry.Registry, orig *registry.Patch, base gitrepo.Tag) (*Plan, error) {
	if orig.Manifest == nil {
		return nil, fmt.Errorf("%s does not decode: run `patchline validate %s`", orig.ManifestPath, orig.ID)
	}
	line, err := reg.Config.SupportedLineOf(base.Name)
	if err != nil {
		return nil, fmt.Errorf("backport to %w", err)
	}
	if own, _ := reg.Config.LineOf(orig.Manifest.Base); own == line {
		return nil, fmt.Errorf("%w: %s is based on %s, on the same line %s as %s; rebase the patch instead", ErrSameLine, orig.ID, orig.Manifest.Base, line, base.Name)
	}
	m := *orig.Manifest
	m.Base, m.Also, m.Approvals = base.Name, nil, nil
	p := &Plan{ID: orig.ID, Base: base, Line: line, Branch: Branch(reg.Config, orig.ID, line), Manifest: &m}

	type candidate struct {
		name string
		data []byte
	}
	var cands []candidate
	if d, ok := orig.Adapted[base.Name]; ok {
		cands = append(cands, candidate{base.Name + ".diff", d})
	}
	if orig.Diff != nil {
		cands = append(cands, candidate{registry.DiffName, orig.Diff})
	}
	tags := make([]string, 0, len(orig.Adapted))
	for tag := range orig.Adapted {
		if l, ok := reg.Config.LineOf(tag); ok && l == line && tag != base.Name {
			tags = append(tags, tag)
		}
	}
	sort.Strings(tags)
	for _, tag := range tags {
		cands = append(cands, candidate{tag + ".diff", orig.Adapted[tag]})
	}
	if len(cands) == 0 {
		p.Conflict = fmt.Errorf("%s has no patch.diff yet", orig.ID)
		return p, nil
	}
	tree, err := reg.Repo.Tree(base.Commit)
	if err != nil {
		return nil, err
	}
	for _, c := range cands {
		files, err := patchdiff.Parse(bytes.NewReader(c.data))
		if err != nil {
			if p.Conflict == nil {
				p.Conflict = fmt.Errorf("%s: %w", c.name, err)
			}
			continue
		}
		if _, err := patchdiff.Apply(files, patchdiff.TreeSource(tree)); err != nil {
			if p.Conflict == nil {
				p.Conflict = fmt.Errorf("%s does not apply to %s: %w", c.name, base.Name, err)
			}
			continue
		}
		p.Diff, p.DiffName, p.Files, p.Conflict = c.data, c.name, files, nil
		return p, nil
	}
	return p, nil
}

// Start cuts the plan's branch at its base, checks it out and commits the
// manifest, and with it the fix and patch.diff when the fix applies. It
// refuses a work tree with uncommitted changes (gitrepo.ErrDirtyWorktree).
func Start(repo *gitrepo.Repo, p *Plan, author, committer *object.Signature) (gitrepo.Hash, error) {
	root := repo.Root()
	if root == "" {
		return gitrepo.Hash{}, errors.New("a backport needs a work tree to leave the branch in")
	}
	if err := repo.CheckoutNewBranch(p.Branch, p.Base.Commit); err != nil {
		return gitrepo.Hash{}, err
	}
	dir := registry.PatchDir(p.ID)
	files := map[string][]byte{path.Join(dir, registry.ManifestName): p.Manifest.Encode()}
	var touched []string
	msg := fmt.Sprintf("%s: start the backport to %s\n\nThe fix does not apply to %s as it is: adapt it on this branch.\n\nPatch-Id: %s\n", p.ID, p.Base.Name, p.Base.Name, p.ID)
	if p.Diff != nil {
		if err := pipeline.ApplyToDir(p.Files, root); err != nil {
			return gitrepo.Hash{}, fmt.Errorf("apply %s: %w", p.DiffName, err)
		}
		for _, f := range p.Files {
			for _, name := range []string{f.OldName, f.NewName} {
				if name != "" {
					touched = append(touched, name)
				}
			}
		}
		files[path.Join(dir, registry.DiffName)] = p.Diff
		msg = fmt.Sprintf("%s: backport to %s\n\n%s applied as it is.\n\nPatch-Id: %s\n", p.ID, p.Base.Name, p.DiffName, p.ID)
	}
	// CommitFiles stages what it writes; the fix's files (with their modes,
	// and deletions) are staged here first, through the same repository.
	if err := repo.Stage(touched...); err != nil {
		return gitrepo.Hash{}, err
	}
	return repo.CommitFiles(files, msg, author, committer)
}

package registry

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/manifest/stricttoml"
)

// InputError is a patch asked of Create that cannot be made as given: a
// value the manifest refuses, a module the config does not declare, a tag
// that is not a release tag. The user fixes the input.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputError(format string, args ...any) error {
	return &InputError{Err: fmt.Errorf(format, args...)}
}

// NewPatch is what Create makes a patch from: the manifest's fields, the
// release tag it starts from, and who makes it when.
type NewPatch struct {
	Base          gitrepo.Tag // a release tag (Tags.ReleaseTag)
	Title         string
	Kind          string
	Severity      string
	Urgency       string
	Modules       []string // empty: the config's only module
	Cases         []string
	CVEs          []string
	Also          []string // release tags of other lines that need the fix
	Summary       string   // empty: the title
	Justification string
	Risk          string
	Rollback      string    // empty: patchline rollback <ID>
	Reported      time.Time // zero: Now

	// Now is when the patch is made: the id takes its year.
	Now time.Time
	// Identity gives the commit's author and committer; it is asked only
	// once the patch is known to be good, so a bad flag is told first.
	Identity gitrepo.Signer
}

// Created is a patch as Create left it: its branch checked out, with one
// commit on the base tag holding the manifest.
type Created struct {
	ID       string
	Branch   string
	Manifest string // repository-relative: patches/<ID>/patch.toml
	Commit   gitrepo.Hash
	Base     gitrepo.Tag
	// DefaultModule is the module taken because none was given, "" when
	// modules were given.
	DefaultModule string
}

// Create takes the next free id of in.Now's year, cuts the patch branch at
// the base tag, checks it out and commits patches/<ID>/patch.toml. Bad
// input is an *InputError, returned before anything is written; a work
// tree with uncommitted changes is gitrepo.ErrDirtyWorktree.
func (r *Registry) Create(in NewPatch) (*Created, error) {
	if len(in.Also) > 0 {
		tags, err := r.LoadTags()
		if err != nil {
			return nil, err
		}
		for _, also := range in.Also {
			if _, err := tags.ReleaseTag(also); err != nil {
				return nil, inputError("--also: %w", err)
			}
		}
	}
	c := &Created{Base: in.Base}
	modules, err := defaultModules(in.Modules, r.Config.Modules)
	if err != nil {
		return nil, err
	}
	if len(in.Modules) == 0 {
		c.DefaultModule = modules[0]
	}
	now := in.Now.UTC()
	reported := in.Reported
	if reported.IsZero() {
		reported = now.Truncate(time.Second)
	}
	// The id's year is the year the patch is made, not the year of the
	// report: a case filed years ago and fixed today gets this year's id.
	if c.ID, err = r.NextID(now.Year()); err != nil {
		return nil, err
	}
	m := &manifest.Manifest{
		Schema: 1, ID: c.ID, Title: in.Title, Base: in.Base.Name, Also: in.Also,
		Kind: in.Kind, Severity: in.Severity, Urgency: in.Urgency,
		Modules: modules, Cases: in.Cases, CVEs: in.CVEs, Reported: reported,
		Summary: in.Summary, Justification: in.Justification, Risk: in.Risk, Rollback: in.Rollback,
	}
	if m.Summary == "" {
		m.Summary = m.Title
	}
	if m.Rollback == "" {
		m.Rollback = fmt.Sprintf("patchline rollback %s restores the previous files byte for byte", c.ID)
	}
	data := m.Encode()
	c.Manifest = path.Join(PatchDir(c.ID), ManifestName)
	// Decode what we are about to commit: a bad value is refused here,
	// with the manifest's own message, rather than committed.
	if _, problems := manifest.Decode(c.Manifest, data); len(problems) > 0 {
		p := problems[0]
		msg := p.Message
		if p.Hint != "" {
			msg += " (" + p.Hint + ")"
		}
		return nil, inputError("%s", msg)
	}
	for _, mod := range m.Modules {
		if _, ok := r.Config.Modules[mod]; !ok {
			return nil, inputError("--module %q: %s", mod, unknownModule(mod, r.Config.Modules))
		}
	}
	c.Branch = r.Config.PatchBranchFor(c.ID)
	author, committer, err := in.Identity()
	if err != nil {
		return nil, err
	}
	if err := r.Repo.CheckoutNewBranch(c.Branch, in.Base.Commit); err != nil {
		return nil, err
	}
	msg := fmt.Sprintf("%s: open patch: %s\n\nPatch-Id: %s\n", c.ID, m.Title, c.ID)
	if c.Commit, err = r.Repo.CommitFiles(map[string][]byte{c.Manifest: data}, msg, author, committer); err != nil {
		return nil, err
	}
	return c, nil
}

// defaultModules is the given modules, or, when none is given, the
// config's only module; with several to choose from the user must name them.
func defaultModules(given []string, declared map[string][]string) ([]string, error) {
	if len(given) > 0 {
		return given, nil
	}
	known := slices.Sorted(maps.Keys(declared))
	switch len(known) {
	case 0:
		return nil, inputError("no modules under [modules] in .patchline.toml: declare one (name = [\"path/glob/**\"]), then give --module")
	case 1:
		return known, nil
	}
	return nil, inputError("give --module, one of: %s", strings.Join(known, ", "))
}

// unknownModule says what the modules of the config are, and which one a
// misspelt name most likely meant.
func unknownModule(name string, modules map[string][]string) string {
	known := slices.Sorted(maps.Keys(modules))
	msg := fmt.Sprintf("not declared under [modules] in .patchline.toml (known: %s)", strings.Join(known, ", "))
	if near := stricttoml.Suggest(name, known, nil); near != "" {
		msg += fmt.Sprintf("; did you mean %q?", near)
	}
	return msg
}

package install

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/patchline/patchline/internal/artifact"
	"github.com/patchline/patchline/internal/bundle"
	"github.com/patchline/patchline/internal/release"
)

// freshStaging is where a fresh install unpacks the archive, under staging/
// like an apply's new files (sweep removes what a crash leaves there).
const freshStaging = stagingDir + "/release"

// FreshResult is what a fresh install did.
type FreshResult struct {
	Root      string     `json:"root"`
	Product   string     `json:"product"`
	Release   bundle.Ref `json:"release"`
	Platform  string     `json:"platform"`
	Toolchain string     `json:"toolchain,omitempty"`
	Files     int        `json:"files"`
	Bytes     int64      `json:"bytes"`
	// Replaced counts the files that were there and were replaced
	// (--force).
	Replaced int `json:"replaced,omitempty"`
}

// Fresh installs the release archive of size bytes read from r into
// opts.Root (made when it does not exist) and records the release in
// .patchline/release.json, so that bundles built against it apply.
//
// Nothing is written before the whole archive has been read and checked
// (artifact.ReadArchive: the record, every path, type, mode, size and
// SHA-256; exit 3 when it is damaged or unsafe), before the platform is
// this system's, and before the root is known empty: only an empty
// .patchline may be there, unless opts.Force, which installs over what is
// there (the archive's files replace those of the same name, others stay)
// but never over applied patches or an interrupted apply. The files are
// unpacked into .patchline/staging and checked again on the way, then
// renamed into place; release.json is written last. A fresh install is not
// journaled: interrupted, it is run again with Force.
func Fresh(r io.ReaderAt, size int64, opts Options) (*FreshResult, error) {
	a, err := artifact.ReadArchive(r, size, artifact.Limits{})
	switch {
	case errors.Is(err, artifact.ErrNotArchive):
		return nil, fmt.Errorf("%w: %w", ErrBadArgument, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrVerification, err)
	}
	rec := a.Record
	ref := bundle.Ref{Tag: rec.Tag, Commit: rec.Commit}
	if err := makeRoot(opts.Root); err != nil {
		return nil, err
	}
	in, err := newInstaller(opts)
	if err != nil {
		return nil, err
	}
	if rec.Platform != in.platform() {
		return nil, fmt.Errorf("%w: the archive is %s %s for %s, this system is %s; install %s", ErrPrecondition,
			rec.Product, rec.Tag, rec.Platform, in.platform(), artifact.ArchiveName(rec.Product, rec.Tag, in.platform()))
	}
	unlock, err := in.begin()
	if err != nil {
		return nil, err
	}
	defer unlock()
	prev, err := in.checkFreshRoot(ref)
	if err != nil {
		return nil, err
	}
	if _, err := in.sweep(); err != nil {
		return nil, err
	}
	res := &FreshResult{Root: in.root, Product: rec.Product, Release: ref, Platform: rec.Platform, Toolchain: rec.Toolchain,
		Files: len(a.Platform.Files), Bytes: a.Platform.TotalSize()}
	if res.Replaced, err = in.planFresh(a.Platform.Files); err != nil {
		return nil, err
	}
	if free, err := freeBytes(in.dir); err == nil && res.Bytes+slack > free {
		return nil, fmt.Errorf("%w: %s needs %s free to unpack %s, and its file system has %s; free some space and install again",
			ErrPrecondition, in.root, human(res.Bytes+slack), rec.Tag, human(free))
	}
	in.logf("unpacking %d files (%s) of %s %s", res.Files, human(res.Bytes), rec.Product, rec.Tag)
	entries, err := in.unpack(a)
	if err != nil {
		in.discardFresh()
		return nil, fmt.Errorf("install %s: %w (nothing was installed)", rec.Tag, err)
	}
	if err := in.placeFresh(entries); err != nil {
		return nil, fmt.Errorf("install %s: %w (%s holds part of it: run the install again with --force)", rec.Tag, err, in.root)
	}
	next := ReleaseRecord{Ref: ref}
	if prev != nil {
		if h := prev.highest(); release.CompareTags(h, ref.Tag) > 0 {
			next.Highest = h // a reinstall of an older release keeps the downgrade bar
		}
	}
	if err := in.fs.writeJSON(in.state(releaseFile), next); err != nil {
		return nil, fmt.Errorf("install %s: %w (run the install again with --force)", rec.Tag, err)
	}
	in.discardFresh()
	in.logf("installed %s %s (%s) in %s", rec.Product, rec.Tag, rec.Platform, in.root)
	return res, nil
}

// makeRoot makes the install root when it does not exist; its parent
// must.
func makeRoot(root string) error {
	if root == "" {
		return fmt.Errorf("%w: no install root given", ErrBadArgument)
	}
	err := os.Mkdir(root, 0o755)
	switch {
	case err == nil, errors.Is(err, os.ErrExist):
		return nil
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%w: install root %s: its parent directory does not exist", ErrBadArgument, root)
	}
	return fmt.Errorf("make the install root: %w", err)
}

// checkFreshRoot refuses a root that is not empty (without Force), one
// with patches applied or an apply interrupted, and returns the release
// recorded there, if any.
func (in *installer) checkFreshRoot(ref bundle.Ref) (*ReleaseRecord, error) {
	inv, err := Read(in.root)
	if err != nil {
		return nil, err
	}
	if j := inv.Interrupted; j != nil {
		return nil, fmt.Errorf("%w: the %s of %s did not finish: run `patchline apply --recover` first", ErrInterrupted, j.Kind, j.Patch)
	}
	var applied []string
	for _, r := range inv.Receipts {
		if r.RolledBackAt == nil {
			applied = append(applied, r.Patch)
		}
	}
	if len(applied) > 0 {
		return nil, fmt.Errorf("%w: %s has patches applied (%s): a fresh install would leave their receipts describing files it replaced; roll them back first (patchline rollback ID --to %s), or install into an empty directory",
			ErrPrecondition, in.root, strings.Join(applied, ", "), in.root)
	}
	if inv.Release != nil && !in.opts.Force {
		return nil, fmt.Errorf("%w: %s already holds %s; patches go on with `patchline apply`, and --force installs %s over it",
			ErrPrecondition, in.root, describe(inv.Release.Ref), ref.Tag)
	}
	entries, err := os.ReadDir(in.root)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.Name() != stateDir {
			names = append(names, e.Name())
		}
	}
	if len(names) > 0 && !in.opts.Force {
		if len(names) > 3 {
			names = append(names[:3], "…")
		}
		return nil, fmt.Errorf("%w: %s is not empty (%s): a release is installed into an empty directory; --force installs over what is there (the release's files replace those of the same name, nothing else is removed)",
			ErrPrecondition, in.root, strings.Join(names, ", "))
	}
	return inv.Release, nil
}

// planFresh checks, before anything is unpacked, that every file can go
// where the archive puts it: no symlinked directory on the way, nothing but
// a regular file (Force) where a file goes. It returns how many files are
// already there.
func (in *installer) planFresh(files []artifact.File) (int, error) {
	var problems []string
	replaced := 0
	for _, f := range files {
		cur, err := in.inspect(f.Path, false)
		if errors.Is(err, ErrPrecondition) {
			problems = append(problems, strings.TrimPrefix(err.Error(), ErrPrecondition.Error()+": "))
			continue
		}
		if err != nil {
			return 0, err
		}
		if cur.exists {
			replaced++
		}
	}
	if len(problems) > 0 {
		return 0, fmt.Errorf("%w: %s", ErrPrecondition, listProblems(problems, "paths cannot be installed"))
	}
	return replaced, nil
}

// unpack writes the archive's directories and files into staging, each
// file checked against the record as it is written, and returns them.
func (in *installer) unpack(a *artifact.Archive) ([]artifact.Entry, error) {
	dir := in.state(freshStaging)
	if err := in.fs.mkdirAll(dir); err != nil {
		return nil, fmt.Errorf("make the staging directory: %w", err)
	}
	var entries []artifact.Entry
	err := a.Extract(func(e artifact.Entry, r io.Reader) error {
		name := filepath.Join(dir, filepath.FromSlash(e.Path))
		if e.Dir {
			entries = append(entries, e)
			return in.fs.mkdirAll(name)
		}
		if err := in.fs.mkdirAll(filepath.Dir(name)); err != nil {
			return err
		}
		out, err := in.fs.create(name)
		if err != nil {
			return fmt.Errorf("stage %s: %w", e.Path, err)
		}
		fw := in.fs.writer(name, out)
		_, err = io.Copy(fw, r)
		if err == nil {
			err = in.fs.check("chmod", name)
		}
		if err == nil {
			err = out.Chmod(os.FileMode(e.File.Mode))
		}
		if err == nil {
			err = out.Sync()
		}
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			if errors.Is(err, artifact.ErrCorrupt) {
				return fmt.Errorf("%w: %w", ErrVerification, err)
			}
			return fmt.Errorf("stage %s: %w", e.Path, err)
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		if errors.Is(err, artifact.ErrCorrupt) && !errors.Is(err, ErrVerification) {
			err = fmt.Errorf("%w: %w", ErrVerification, err)
		}
		return nil, err
	}
	return entries, syncDir(dir)
}

// placeFresh renames the unpacked files into the root, making their
// directories first, never through a symlink.
func (in *installer) placeFresh(entries []artifact.Entry) error {
	dirs := map[string]bool{}
	for _, e := range entries {
		if e.Dir {
			dirs[e.Path] = true
			continue
		}
		for _, d := range dirsOf(e.Path) {
			dirs[d] = true
		}
	}
	names := make([]string, 0, len(dirs))
	for d := range dirs {
		names = append(names, d)
	}
	sort.Strings(names) // parents first
	for _, d := range names {
		ok, err := in.safeDir(d)
		if err != nil {
			return err
		}
		if !ok {
			if err := in.fs.mkdirAll(in.path(d)); err != nil {
				return err
			}
		}
	}
	for _, e := range entries {
		if e.Dir {
			continue
		}
		if _, err := in.inspect(e.Path, false); err != nil {
			return err
		}
		if err := in.fs.rename(in.state(freshStaging+"/"+e.Path), in.path(e.Path)); err != nil {
			return err
		}
	}
	return nil
}

// discardFresh removes the staging of a fresh install; what it cannot
// remove, the next sweep does.
func (in *installer) discardFresh() {
	if err := in.fs.removeAll(in.state(freshStaging)); err != nil {
		in.logf("warning: could not remove %s: %v", in.state(freshStaging), err)
	}
	in.fs.pruneEmpty(in.state(stagingDir))
}

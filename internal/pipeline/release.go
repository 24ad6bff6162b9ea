package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/patchline/patchline/internal/artifact"
	"github.com/patchline/patchline/internal/gitrepo"
)

// ExportRelease exports the release tag's tree into the work directory.
type ExportRelease struct{}

func (ExportRelease) String() string { return "export the release tree" }

func (ExportRelease) Run(ctx context.Context, s *State) error {
	s.OldTree = filepath.Join(s.Work, "tree-old")
	t, err := s.Repo.Tree(s.FromTag.Commit)
	if err != nil {
		return err
	}
	if err := ExportTree(t, s.OldTree); err != nil {
		return err
	}
	fmt.Fprintf(s.Log, "  %s (%s)\n", s.FromTag.Name, s.FromTag.Commit.String()[:7])
	return nil
}

// CompileRelease builds the old release for every platform: the release
// of `patchline release`, the base of `patchline build`, one way for both.
type CompileRelease struct{}

func (CompileRelease) String() string { return "build the release for every platform" }

func (CompileRelease) Run(ctx context.Context, s *State) error {
	b, err := s.startBuild(ctx)
	if err != nil {
		return err
	}
	s.Builds = map[string]*Platform{}
	for _, plat := range s.Platform {
		p, err := s.buildRelease(ctx, b, plat)
		if err != nil {
			return err
		}
		s.Builds[plat] = p
	}
	return nil
}

// record describes the builds of the old release in s.Builds.
func (s *State) record() (*artifact.Record, error) {
	cfg := s.Config.Build
	if cfg.Builder == "" {
		cfg.Builder = s.BuilderName
	}
	rec := &artifact.Record{
		Schema: artifact.Schema, Product: s.Config.Project.Name,
		Tag: s.FromTag.Name, Commit: s.FromTag.Commit.String(), SourceDateEpoch: s.FromTime.Unix(),
		Builder:   artifact.Builder{Name: s.BuilderName, Version: s.BuilderVer},
		Toolchain: s.Toolchain,
		Config: artifact.BuildConfig{Builder: cfg.Builder, Packages: cfg.Packages, Platforms: cfg.Platforms,
			Command: cfg.Command, Artifacts: cfg.Artifacts},
		Flags:     s.BuilderFlags,
		Patchline: s.Version,
	}
	for _, plat := range s.Platform {
		files, err := hashTree(s.Builds[plat].Old)
		if err != nil {
			return nil, err
		}
		p := artifact.Platform{Platform: plat, Archive: artifact.ArchiveName(rec.Product, rec.Tag, plat)}
		for name, f := range files {
			if name == artifact.RecordName {
				return nil, fmt.Errorf("%s %s: the build writes %s, the name of the release record in archives", s.FromTag.Name, plat, name)
			}
			p.Files = append(p.Files, artifact.File{Path: name, Mode: f.mode, Size: f.size, SHA256: hex.EncodeToString(f.sum[:])})
		}
		sort.Slice(p.Files, func(a, b int) bool { return p.Files[a].Path < p.Files[b].Path })
		rec.Platforms = append(rec.Platforms, p)
	}
	if err := rec.Check(); err != nil {
		return nil, fmt.Errorf("the release record of %s: %w", s.FromTag.Name, err)
	}
	return rec, nil
}

// RecordRelease makes the release record. A release already recorded must
// come out the same: a tag is released once, and a rebuild that differs
// is refused, naming what differs.
type RecordRelease struct{}

func (RecordRelease) String() string { return "make the release record" }

func (RecordRelease) Run(ctx context.Context, s *State) error {
	rec, err := s.record()
	if err != nil {
		return err
	}
	kept, err := artifact.Load(s.Repo, s.FromTag.Name, s.FromTag.Commit)
	if err != nil {
		return err
	}
	if kept != nil {
		if d := artifact.Diff(kept, rec); len(d) > 0 {
			return &artifact.MismatchError{Tag: s.FromTag.Name, Differences: d,
				Hint: fmt.Sprintf("%s was released before, and its record is in %s: build it again with %s", s.FromTag.Name, artifact.NotesRef, recordedAs(kept))}
		}
		fmt.Fprintf(s.Log, "  the same as the record kept in %s\n", artifact.NotesRef)
	}
	s.Record = rec
	n := 0
	for _, p := range rec.Platforms {
		n += len(p.Files)
	}
	fmt.Fprintf(s.Log, "  %s %s, %s builder, %d files on %d platforms\n", rec.Tag, orNone(rec.Toolchain), rec.Builder.Name, n, len(rec.Platforms))
	return nil
}

// Archive writes one archive per platform, the record and the checksums
// file into Out.
type Archive struct{}

func (Archive) String() string { return "write the archives, the record and the checksums" }

func (Archive) Run(ctx context.Context, s *State) error {
	if err := os.MkdirAll(s.Out, 0o755); err != nil {
		return err
	}
	rec := s.Record
	sums := map[string]string{}
	for _, plat := range s.Platform {
		p := rec.Find(plat)
		name := filepath.Join(s.Out, p.Archive)
		sum, err := writeAtomic(name, func(w io.Writer) error {
			return artifact.WriteArchive(w, rec, plat, os.DirFS(s.Builds[plat].Old))
		})
		if err != nil {
			return err
		}
		sums[p.Archive] = sum
		s.Archives = append(s.Archives, name)
		fmt.Fprintf(s.Log, "  %s: %s, %d files, sha256 %s\n", plat, p.Archive, len(p.Files), sum)
	}
	data, err := artifact.Encode(rec)
	if err != nil {
		return err
	}
	s.RecordFile = filepath.Join(s.Out, artifact.RecordFileName(rec.Product, rec.Tag))
	if err := gitrepo.WriteFileAtomic(s.RecordFile, data, 0o644); err != nil {
		return err
	}
	recSum := sha256.Sum256(data)
	sums[filepath.Base(s.RecordFile)] = hex.EncodeToString(recSum[:])
	s.Checksums = filepath.Join(s.Out, artifact.ChecksumsName(rec.Product, rec.Tag))
	return gitrepo.WriteFileAtomic(s.Checksums, artifact.Checksums(sums), 0o644)
}

// writeAtomic writes a file through fn into a temporary file beside name,
// renamed into place once complete, and returns its SHA-256.
func writeAtomic(name string, fn func(io.Writer) error) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return "", err
	}
	sum := sha256.New()
	err = fn(io.MultiWriter(f, sum))
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	return hex.EncodeToString(sum.Sum(nil)), nil
}

// KeepRecord keeps the record in the repository, as a git note on the
// tag's commit, where `build` finds it.
type KeepRecord struct{}

func (KeepRecord) String() string { return "keep the record in the repository" }

func (KeepRecord) Run(ctx context.Context, s *State) error {
	if s.Identity == nil {
		return errors.New("no git identity to write the note with")
	}
	kept, err := artifact.Keep(s.Repo, s.FromTag.Commit, s.Record, s.Identity)
	if err != nil {
		return err
	}
	s.RecordKept = kept
	if !kept {
		return Skip{Reason: fmt.Sprintf("%s is already recorded in %s", s.FromTag.Name, artifact.NotesRef)}
	}
	fmt.Fprintf(s.Log, "  a note on %s in %s; publish it with `git push origin %s`\n", s.FromTag.Commit.String()[:7], artifact.NotesRef, artifact.NotesRef)
	return nil
}

// MatchRelease checks the rebuilt old release against its release record:
// the bundle's base must be the very files customers installed, built by
// the same toolchain with the same configuration. Without a record it warns
// and goes on, as builds did before releases were recorded.
type MatchRelease struct{}

func (MatchRelease) String() string { return "check the rebuilt release against its record" }

func (MatchRelease) Run(ctx context.Context, s *State) error {
	rec, err := artifact.Load(s.Repo, s.FromTag.Name, s.FromTag.Commit)
	if err != nil {
		return err
	}
	if rec == nil {
		return Skip{Reason: fmt.Sprintf("warning: %s has no release record in %s, so the rebuilt release is not checked against what customers installed; "+
			"run `patchline release %s`, or fetch the records: git fetch origin %s:%s", s.FromTag.Name, artifact.NotesRef, s.FromTag.Name, artifact.NotesRef, artifact.NotesRef)}
	}
	built, err := s.record()
	if err != nil {
		return err
	}
	if s.Provenance.Change != nil {
		// SameToolchain allowed the change: the files must still be the release's.
		built = artifact.SameBuild(rec, built)
	}
	if d := artifact.Diff(rec, built); len(d) > 0 {
		return &artifact.MismatchError{Tag: s.FromTag.Name, Differences: d,
			Hint: fmt.Sprintf("a bundle built on it would not apply to the release installed: build with %s (the record is in %s)", recordedAs(rec), artifact.NotesRef)}
	}
	s.Record = rec
	n := 0
	for _, plat := range s.Platform {
		n += len(rec.Find(plat).Files)
	}
	fmt.Fprintf(s.Log, "  %s: %d files, byte for byte the release record's (%s, %s builder)\n", s.FromTag.Name, n, orNone(rec.Toolchain), rec.Builder.Name)
	return nil
}

// recordedAs says how a recorded release was built, for hints.
func recordedAs(r *artifact.Record) string {
	how := fmt.Sprintf("the %s builder", r.Builder.Name)
	if r.Toolchain != "" {
		how = fmt.Sprintf("%s (e.g. GOTOOLCHAIN=%s) and %s", r.Toolchain, r.Toolchain, how)
	}
	return how + " and the [build] configuration it records"
}

func orNone(s string) string {
	if s == "" {
		return "no Go toolchain"
	}
	return s
}

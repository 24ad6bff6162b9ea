package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/patchline/patchline/internal/artifact"
	"github.com/patchline/patchline/internal/bundle"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/provenance"
	"github.com/patchline/patchline/internal/release"
)

// Provenance is what the provenance steps need beyond the build, and what
// they found.
type Provenance struct {
	// Repository is the product's repository as a URL
	// (https://github.com/owner/repo); "" when unknown.
	Repository string
	// SourceRef is the ref the source was built from
	// (refs/heads/patch/PL-2026-0007).
	SourceRef string
	// Approvals are the patch's (build); Patches the patches a release tag
	// names, with theirs (release).
	Approvals []provenance.Approval
	Patches   []provenance.PatchApprovals
	// AllowToolchainChange and Reason are build --allow-toolchain-change
	// --reason.
	AllowToolchainChange bool
	Reason               string

	// Toolchain is the Go toolchain the patched tree builds with, as
	// SameToolchain found it.
	Toolchain string
	// Change is the change of toolchain or configuration allowed; nil when
	// there is none.
	Change *bundle.ToolchainChange
	// Statements are the statements written (FILE.provenance.json), one
	// per bundle or archive, in order.
	Statements []string
}

// SameToolchain refuses, before anything is built, a patch that would be
// built with another Go toolchain or build configuration than its base
// release: the release record's toolchain, builder and version, [build]
// and builder flags against what this build would use, and go.mod's go
// and toolchain lines at the base tag against the patched tree's. With
// --allow-toolchain-change the differences are recorded with the reason,
// in the bundle and its provenance. A platform the release was not built
// for is refused either way. Without a record it warns, as MatchRelease
// does (docs/decisions.md, "Provenance and the same toolchain").
type SameToolchain struct{}

func (SameToolchain) String() string {
	return "check the toolchain and build configuration against the base release"
}

func (SameToolchain) Run(ctx context.Context, s *State) error {
	b, err := newBuilder(s)
	if err != nil {
		return err
	}
	tc := goVersion(ctx, s.PatchedTree, buildEnv(s, "", s.SourceTime))
	s.Provenance.Toolchain = tc
	base := s.BaseTag
	var changes []string
	rec, err := artifact.Load(s.Repo, base.Name, base.Commit)
	if err != nil {
		return err
	}
	if rec != nil {
		cfg := s.Config.Build
		if cfg.Builder == "" {
			cfg.Builder = b.name()
		}
		ver := b.version(ctx, s)
		if b.name() == "go" {
			ver = tc
		}
		c, missing := artifact.ConfigDiff(rec, artifact.Planned{
			Product: s.Config.Project.Name, Toolchain: tc,
			Builder: artifact.Builder{Name: b.name(), Version: ver},
			Config: artifact.BuildConfig{Builder: cfg.Builder, Packages: cfg.Packages, Platforms: cfg.Platforms,
				Command: cfg.Command, Artifacts: cfg.Artifacts},
			Flags: b.flags(), Platforms: s.Platform,
		})
		if len(missing) > 0 {
			return &artifact.ChangeError{Patch: s.Patch.ID, Tag: base.Name, Differences: missing,
				Hint: fmt.Sprintf("build only the platforms %s was released for, with --platform", base.Name)}
		}
		changes = c
	}
	mods, err := goModChanges(s, base)
	if err != nil {
		return err
	}
	changes = append(changes, mods...)
	switch {
	case len(changes) > 0 && !s.Provenance.AllowToolchainChange:
		hint := fmt.Sprintf("build the patch as %s was built", base.Name)
		if rec != nil {
			hint = fmt.Sprintf("build the patch as %s was released: with %s", base.Name, recordedAs(rec))
		}
		return &artifact.ChangeError{Patch: s.Patch.ID, Tag: base.Name, Differences: changes,
			Hint: hint + "; or, when the patch must change it (a Go security release), say why: --allow-toolchain-change --reason TEXT (the reason goes into the bundle and its provenance)"}
	case len(changes) > 0:
		s.Provenance.Change = &bundle.ToolchainChange{Reason: s.Provenance.Reason, Changes: changes}
		fmt.Fprintf(s.Log, "  allowed with --allow-toolchain-change (%s):\n    %s\n", s.Provenance.Reason, strings.Join(changes, "\n    "))
	case s.Provenance.AllowToolchainChange:
		fmt.Fprintf(s.Log, "  nothing changed: --allow-toolchain-change is not needed, and no change is recorded\n")
	}
	if rec == nil {
		return Skip{Reason: fmt.Sprintf("warning: %s has no release record in %s, so the patch's toolchain (%s) and build configuration are not checked against the release's; "+
			"run `patchline release %s`, or fetch the records: git fetch origin %s:%s", base.Name, artifact.NotesRef, orNone(tc), base.Name, artifact.NotesRef, artifact.NotesRef)}
	}
	if len(changes) == 0 {
		fmt.Fprintf(s.Log, "  %s and %s's build configuration, as %s was released\n", orNone(tc), rec.Builder.Name, base.Name)
	}
	return nil
}

// goModChanges compares go.mod's go and toolchain lines at the base tag
// with the patched tree's: a patch that moves them changes the language
// version or the toolchain, whatever Go the builder has.
func goModChanges(s *State, base gitrepo.Tag) ([]string, error) {
	before, _, err := s.Repo.ReadFile(base.Commit, "go.mod")
	if err != nil {
		return nil, err
	}
	after, err := os.ReadFile(filepath.Join(s.PatchedTree, "go.mod"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	bg, bt := goDirectives(before)
	ag, at := goDirectives(after)
	var out []string
	if bg != ag {
		out = append(out, fmt.Sprintf("go.mod go: %s at %s, %s in the patch", orNoLine(bg), base.Name, orNoLine(ag)))
	}
	if bt != at {
		out = append(out, fmt.Sprintf("go.mod toolchain: %s at %s, %s in the patch", orNoLine(bt), base.Name, orNoLine(at)))
	}
	return out, nil
}

// goDirectives reads the go and toolchain lines of a go.mod.
func goDirectives(mod []byte) (goLine, toolchain string) {
	for _, l := range strings.Split(string(mod), "\n") {
		if i := strings.Index(l, "//"); i >= 0 {
			l = l[:i]
		}
		f := strings.Fields(l)
		if len(f) != 2 {
			continue
		}
		switch f[0] {
		case "go":
			goLine = f[1]
		case "toolchain":
			toolchain = f[1]
		}
	}
	return goLine, toolchain
}

func orNoLine(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// WriteProvenance writes the provenance statement of every bundle beside
// it: FILE.provenance.json. Signing it is sign's (build --sign).
type WriteProvenance struct{}

func (WriteProvenance) String() string { return "write the provenance of every bundle" }

func (WriteProvenance) Run(ctx context.Context, s *State) error {
	created, err := s.created()
	if err != nil {
		return err
	}
	goSum, err := fileSHA256(filepath.Join(s.PatchedTree, "go.sum"))
	if err != nil {
		return err
	}
	target, _ := release.Next(s.BaseTag.Name)
	toolchain := s.Provenance.Toolchain
	if toolchain == "" {
		toolchain = s.Toolchain
	}
	var change *provenance.ToolchainChange
	if c := s.Provenance.Change; c != nil {
		change = &provenance.ToolchainChange{Reason: c.Reason, Changes: c.Changes}
	}
	written := map[string]bool{}
	for _, p := range s.Bundles {
		written[p] = true
	}
	for _, plat := range s.Platform {
		path := filepath.Join(s.Out, bundle.FileName(s.Patch.ID, s.FromTag.Name, plat))
		if !written[path] {
			continue
		}
		cfg := s.Config.Build
		b := &provenance.Build{
			BuildType: provenance.BuildTypeBundle,
			Params: provenance.Parameters{
				Product: s.Config.Project.Name, Repository: s.Provenance.Repository,
				Source:   provenance.Source{Ref: s.Provenance.SourceRef, Commit: s.Source.String()},
				Platform: plat, Patch: s.Patch.ID,
				Base:   &provenance.Ref{Tag: s.BaseTag.Name, Commit: s.BaseTag.Commit.String()},
				From:   &provenance.Ref{Tag: s.FromTag.Name, Commit: s.FromTag.Commit.String()},
				Target: &provenance.Ref{Tag: target},
				Build: provenance.BuildConfig{Builder: s.BuilderName, Packages: cfg.Packages, Command: cfg.Command,
					Artifacts: cfg.Artifacts, Flags: s.BuilderFlags},
				Approvals: s.Provenance.Approvals, ToolchainChange: change,
			},
			Toolchain: toolchain, GoSum: goSum, Patchline: s.Version, SourceDateEpoch: created,
			InvocationID: fmt.Sprintf("urn:patchline:bundle:%s:%s:%s:%s", s.Patch.ID, s.FromTag.Name, strings.ReplaceAll(plat, "/", "-"), s.Source),
		}
		if err := s.writeStatement(path, b); err != nil {
			return err
		}
	}
	return nil
}

// ReleaseProvenance writes the provenance statement of every archive
// `release` wrote beside it: ARCHIVE.provenance.json.
type ReleaseProvenance struct{}

func (ReleaseProvenance) String() string { return "write the provenance of every archive" }

func (ReleaseProvenance) Run(ctx context.Context, s *State) error {
	rec := s.Record
	goSum, err := fileSHA256(filepath.Join(s.OldTree, "go.sum"))
	if err != nil {
		return err
	}
	for i, path := range s.Archives {
		plat := s.Platform[i]
		b := &provenance.Build{
			BuildType: provenance.BuildTypeRelease,
			Params: provenance.Parameters{
				Product: rec.Product, Repository: s.Provenance.Repository,
				Source:   provenance.Source{Ref: "refs/tags/" + rec.Tag, Commit: rec.Commit},
				Platform: plat, Tag: rec.Tag,
				Build: provenance.BuildConfig{Builder: rec.Builder.Name, Packages: rec.Config.Packages, Command: rec.Config.Command,
					Artifacts: rec.Config.Artifacts, Flags: rec.Flags},
				Patches: s.Provenance.Patches,
			},
			Toolchain: rec.Toolchain, GoSum: goSum, Patchline: s.Version, SourceDateEpoch: s.FromTime,
			InvocationID: fmt.Sprintf("urn:patchline:release:%s:%s:%s", rec.Tag, strings.ReplaceAll(plat, "/", "-"), rec.Commit),
		}
		if err := s.writeStatement(path, b); err != nil {
			return err
		}
	}
	return nil
}

// writeStatement hashes the file at path, makes its statement and writes
// it beside it.
func (s *State) writeStatement(path string, b *provenance.Build) error {
	sum, err := fileSHA256(path)
	if err != nil {
		return err
	}
	b.Name, b.SHA256 = filepath.Base(path), sum
	st, err := provenance.New(b)
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	data, err := provenance.MarshalIndent(st)
	if err != nil {
		return err
	}
	name := path + provenance.StatementSuffix
	if err := gitrepo.WriteFileAtomic(name, data, 0o644); err != nil {
		return err
	}
	s.Provenance.Statements = append(s.Provenance.Statements, name)
	fmt.Fprintf(s.Log, "  %s\n", filepath.Base(name))
	return nil
}

// fileSHA256 is the SHA-256 of a regular file, "" when there is none.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return "", err
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

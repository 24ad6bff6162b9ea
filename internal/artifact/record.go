// Package artifact holds what `patchline release` ships and `patchline
// install` reads: the release record, one archive per platform, and the
// checksums file (docs/release-format.md).
//
// The record says how a release was built (tag, commit, toolchain, builder,
// its [build] configuration and flags) and what came out (every file's
// path, mode, size and SHA-256, per platform). It travels in every archive,
// beside them in the release directory, and in the repository as a git note
// on the tag's commit, where `patchline build` finds it to prove that the
// base it rebuilds is the release customers installed.
package artifact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/patchline/patchline/internal/bundle"
	"github.com/patchline/patchline/internal/lazyre"
	"github.com/patchline/patchline/internal/textsafe"
)

// Schema is the record format version this package writes and reads.
const Schema = 1

// RecordName is the record's name at the root of every archive. It is never
// installed as a file: install keeps the release in .patchline/release.json.
const RecordName = ".patchline-release.json"

// Bounds on a record, checked before anything it says is used.
const (
	MaxRecordSize = 64 << 20 // bytes of JSON: 100,000 files per platform fit
	MaxPlatforms  = 64
	maxText       = 4 << 10 // a flag, a command, a version
	maxFlags      = 64
)

// Errors, for errors.Is.
var (
	// ErrBadRecord: a record does not decode or check.
	ErrBadRecord = errors.New("bad release record")
	// ErrMismatch: a rebuilt release is not the recorded one (exit 4).
	ErrMismatch = errors.New("the rebuilt release is not the recorded release")
)

// Record is a release: how it was built and every file it is made of.
type Record struct {
	Schema  int    `json:"schema"`
	Product string `json:"product"`
	Tag     string `json:"tag"`
	Commit  string `json:"commit"`
	// SourceDateEpoch is the tag's commit time, in Unix seconds: what every
	// build of the release is given as SOURCE_DATE_EPOCH, and the archives'
	// file times.
	SourceDateEpoch int64   `json:"source_date_epoch"`
	Builder         Builder `json:"builder"`
	// Toolchain is `go env GOVERSION` in the release's tree ("" without Go).
	Toolchain string `json:"toolchain,omitempty"`
	// Config is the [build] section the release was built with.
	Config BuildConfig `json:"config"`
	// Flags are the environment and arguments the builder ran with.
	Flags []string `json:"flags"`
	// Patchline is the version of patchline that made the record; it is
	// not compared.
	Patchline string     `json:"patchline,omitempty"`
	Platforms []Platform `json:"platforms"`
	// Platform is set only in the copy inside an archive: the platform
	// whose files that archive holds.
	Platform string `json:"platform,omitempty"`
}

// Builder is what built the release, as bundles name it.
type Builder struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// BuildConfig is [build] of .patchline.toml.
type BuildConfig struct {
	Builder   string   `json:"builder"`
	Packages  []string `json:"packages,omitempty"`
	Platforms []string `json:"platforms,omitempty"`
	Command   string   `json:"command,omitempty"`
	Artifacts []string `json:"artifacts,omitempty"`
}

// Platform is one platform's build: its archive and its files.
type Platform struct {
	Platform string `json:"platform"` // GOOS/GOARCH
	Archive  string `json:"archive"`  // the archive's file name
	Files    []File `json:"files"`
}

// File is one file of a build, as installed.
type File struct {
	Path   string `json:"path"`
	Mode   uint32 `json:"mode"` // 0644 or 0755
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Find returns the build of platform, or nil.
func (r *Record) Find(platform string) *Platform {
	for i := range r.Platforms {
		if r.Platforms[i].Platform == platform {
			return &r.Platforms[i]
		}
	}
	return nil
}

// Version is the tag without its leading "v", as goreleaser names versions.
func Version(tag string) string { return strings.TrimPrefix(tag, "v") }

// ArchiveName is goreleaser's default archive name for one platform:
// <name>_<version>_<os>_<arch>.tar.gz, e.g. hello_1.0.0_linux_amd64.tar.gz.
func ArchiveName(product, tag, platform string) string {
	goos, goarch, _ := strings.Cut(platform, "/")
	return fmt.Sprintf("%s_%s_%s_%s.tar.gz", product, Version(tag), goos, goarch)
}

// ChecksumsName is goreleaser's default checksums file name.
func ChecksumsName(product, tag string) string {
	return fmt.Sprintf("%s_%s_checksums.txt", product, Version(tag))
}

// RecordFileName is the record's name beside the archives.
func RecordFileName(product, tag string) string {
	return fmt.Sprintf("%s_%s_release.json", product, Version(tag))
}

var (
	productName = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	hexSHA256   = lazyre.New(`^[0-9a-f]{64}$`)
)

// Decode reads a record strictly: unknown fields, trailing data, and any
// value Check refuses are errors wrapping ErrBadRecord.
func Decode(data []byte) (*Record, error) {
	if len(data) > MaxRecordSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrBadRecord, len(data), MaxRecordSize)
	}
	var r Record
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRecord, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the record", ErrBadRecord)
	}
	if err := r.Check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRecord, err)
	}
	return &r, nil
}

// Encode writes r as indented JSON, its files sorted by path, after
// checking it.
func Encode(r *Record) ([]byte, error) {
	c := *r
	c.Platforms = slices.Clone(r.Platforms)
	for i := range c.Platforms {
		c.Platforms[i].Files = slices.Clone(c.Platforms[i].Files)
		sort.Slice(c.Platforms[i].Files, func(a, b int) bool { return c.Platforms[i].Files[a].Path < c.Platforms[i].Files[b].Path })
	}
	if err := c.Check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRecord, err)
	}
	data, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// Check refuses a record patchline could not have written: every path is
// checked as a bundle's is, every name that becomes a file name is plain,
// every text is bounded and free of control characters.
func (r *Record) Check() error {
	if r.Schema != Schema {
		return fmt.Errorf("schema %d; this patchline reads schema %d", r.Schema, Schema)
	}
	if !productName.MatchString(r.Product) {
		return fmt.Errorf("product %q is not a plain name (letters, digits, . _ -)", r.Product)
	}
	if err := bundle.CheckRef(bundle.Ref{Tag: r.Tag, Commit: r.Commit}); err != nil {
		return err
	}
	if r.SourceDateEpoch < 0 {
		return fmt.Errorf("source_date_epoch %d is negative", r.SourceDateEpoch)
	}
	switch r.Builder.Name {
	case "go", "goreleaser", "command":
	default:
		return fmt.Errorf("builder %q is not go, goreleaser or command", r.Builder.Name)
	}
	if len(r.Flags) > maxFlags || len(r.Config.Packages) > maxFlags || len(r.Config.Artifacts) > maxFlags || len(r.Config.Platforms) > MaxPlatforms {
		return fmt.Errorf("more than %d flags, packages or artifacts, or %d platforms", maxFlags, MaxPlatforms)
	}
	texts := []struct{ field, value string }{
		{"builder.version", r.Builder.Version}, {"toolchain", r.Toolchain}, {"patchline", r.Patchline},
		{"config.builder", r.Config.Builder}, {"config.command", r.Config.Command},
	}
	for _, list := range []struct {
		field  string
		values []string
	}{{"flags", r.Flags}, {"config.packages", r.Config.Packages}, {"config.artifacts", r.Config.Artifacts}, {"config.platforms", r.Config.Platforms}} {
		for _, v := range list.values {
			texts = append(texts, struct{ field, value string }{list.field, v})
		}
	}
	for _, t := range texts {
		if err := checkText(t.field, t.value); err != nil {
			return err
		}
	}
	if len(r.Platforms) == 0 || len(r.Platforms) > MaxPlatforms {
		return fmt.Errorf("%d platforms, want 1 to %d", len(r.Platforms), MaxPlatforms)
	}
	seen := map[string]bool{}
	for i := range r.Platforms {
		p := &r.Platforms[i]
		if !bundle.PlatformPattern.MatchString(p.Platform) {
			return fmt.Errorf("platform %q is not GOOS/GOARCH", p.Platform)
		}
		if seen[p.Platform] {
			return fmt.Errorf("platform %s is listed twice", p.Platform)
		}
		seen[p.Platform] = true
		if want := ArchiveName(r.Product, r.Tag, p.Platform); p.Archive != want {
			return fmt.Errorf("%s: archive %q, want %q", p.Platform, p.Archive, want)
		}
		if err := CheckFiles(p.Files); err != nil {
			return fmt.Errorf("%s: %v", p.Platform, err)
		}
	}
	if r.Platform != "" && !seen[r.Platform] {
		return fmt.Errorf("platform %q of the archive is not one of the record's", r.Platform)
	}
	return nil
}

// CheckFiles refuses a file list that could not be installed as it is:
// bad or duplicate paths (case-insensitively, as a bundle's), a file that
// is also another's directory, modes other than 0644 and 0755, sizes out
// of bounds, hashes that are not SHA-256.
func CheckFiles(files []File) error {
	if len(files) > bundle.MaxFiles {
		return fmt.Errorf("%d files, at most %d", len(files), bundle.MaxFiles)
	}
	paths := make(map[string]bool, len(files))
	for _, f := range files {
		if err := bundle.CheckPath(f.Path); err != nil {
			return err
		}
		key := strings.ToLower(f.Path)
		if paths[key] {
			return fmt.Errorf("%s is listed twice", f.Path)
		}
		paths[key] = true
		if strings.EqualFold(f.Path, RecordName) {
			return fmt.Errorf("%s is the record's own name", f.Path)
		}
		if f.Mode != 0o644 && f.Mode != 0o755 {
			return fmt.Errorf("%s: mode %o, want 644 or 755", f.Path, f.Mode)
		}
		if f.Size < 0 || f.Size > bundle.MaxFileSize {
			return fmt.Errorf("%s: size %d, want 0 to %d", f.Path, f.Size, int64(bundle.MaxFileSize))
		}
		if !hexSHA256.MatchString(f.SHA256) {
			return fmt.Errorf("%s: sha256 %q is not a SHA-256", f.Path, f.SHA256)
		}
	}
	for _, f := range files {
		for d := parent(f.Path); d != ""; d = parent(d) {
			if paths[strings.ToLower(d)] {
				return fmt.Errorf("%s: %s is a file, not a directory", f.Path, d)
			}
		}
	}
	return nil
}

func parent(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return ""
	}
	return p[:i]
}

func checkText(field, s string) error {
	if len(s) > maxText {
		return fmt.Errorf("%s: %d bytes, at most %d", field, len(s), maxText)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s: not UTF-8", field)
	}
	if _, r, bad := textsafe.FindControl(s, false); bad {
		return fmt.Errorf("%s: control character %s", field, textsafe.Describe(r))
	}
	return nil
}

// TotalSize is the bytes of one platform's files.
func (p *Platform) TotalSize() int64 {
	var n int64
	for _, f := range p.Files {
		n += f.Size
	}
	return n
}

// Package bundle reads and writes patchline's delta bundles: one file per
// patch and platform that takes an installed product from one release to a
// later one. A bundle is deterministic (the same inputs give the same bytes)
// and self-describing; the reader checks every size and path it is told
// before it allocates or lets anything be written.
//
// Layout (all integers big-endian):
//
//	"PLBUNDLE"            8 bytes, magic
//	version               1 byte (1)
//	reserved              3 bytes, zero
//	meta length           4 bytes, at most MaxMetaSize
//	meta                  JSON, the Meta below
//	payloads              each file's payload, in the order of Meta.Files
//	checksum              32 bytes, SHA-256 of everything before it
//
// The checksum catches accidental damage; the cosign signature over the
// whole file is what apply trusts.
package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/patchline/patchline/internal/lazyre"
	"github.com/patchline/patchline/internal/release"
)

// Magic opens every bundle.
const Magic = "PLBUNDLE"

// Version is the format version this package writes and reads.
const Version = 1

// Extension is the file name extension of bundles.
const Extension = ".plb"

// Limits the reader enforces before allocating.
const (
	MaxMetaSize = 16 << 20 // meta JSON
	MaxFiles    = 100_000
	MaxFileSize = 4 << 30 // one reconstructed file
)

const (
	headerSize   = 16
	checksumSize = sha256.Size
)

// Errors, for errors.Is.
var (
	// ErrCorrupt: the bundle is not well formed: bad magic, sizes that do
	// not add up, a bad path or value, a checksum mismatch.
	ErrCorrupt = errors.New("corrupt bundle")
	// ErrNotBundle: the file is not a patchline bundle at all.
	ErrNotBundle = errors.New("not a patchline bundle")
	// ErrUnsupported: a well-formed bundle of a format version this
	// patchline does not read.
	ErrUnsupported = errors.New("unsupported bundle version")
)

// Ops of a file entry.
const (
	OpAdd    = "add"
	OpModify = "modify"
	OpDelete = "delete"
)

// Encodings of a payload.
const (
	EncodingDelta = "delta" // internal/delta against the base file
	EncodingZstd  = "zstd"  // the whole new file, zstd-compressed
)

// Ref names a release: its tag when it has one, and its commit.
type Ref struct {
	Tag    string `json:"tag,omitempty"`
	Commit string `json:"commit"`
}

// Approval is one link of the approval chain, copied from the manifest.
type Approval struct {
	Role string    `json:"role"`
	By   string    `json:"by"`
	At   time.Time `json:"at"`
	Ref  string    `json:"ref,omitempty"`
}

// Builder says what built the release files.
type Builder struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// File is one file the bundle changes, relative to the install root.
type File struct {
	Path        string `json:"path"`
	Op          string `json:"op"`
	Mode        uint32 `json:"mode,omitempty"` // permission bits of the new file: 0644 or 0755
	BaseSHA256  string `json:"base_sha256,omitempty"`
	BaseSize    int64  `json:"base_size,omitempty"`
	NewSHA256   string `json:"new_sha256,omitempty"`
	Size        int64  `json:"size,omitempty"` // of the new file
	Encoding    string `json:"encoding,omitempty"`
	PayloadSize int64  `json:"payload_size,omitempty"`
}

// Meta describes a bundle.
type Meta struct {
	Product   string     `json:"product"`
	Patch     string     `json:"patch"`
	Platform  string     `json:"platform"`
	Base      Ref        `json:"base"`
	Target    Ref        `json:"target"`
	Source    string     `json:"source"` // the commit the patched release was built from
	Approvals []Approval `json:"approvals"`
	Builder   Builder    `json:"builder"`
	Created   time.Time  `json:"created"`
	Files     []File     `json:"files"`
	// TagPattern is the product's release tag regexp ([release] tags) the
	// base and target tags were checked against when the bundle was built.
	TagPattern string `json:"tag_pattern,omitempty"`

	// Urgency is the manifest's: an emergency patch may be applied inside
	// a freeze window.
	Urgency string `json:"urgency,omitempty"`
	// Requires are the patches that must be installed first (manifest
	// requires); Includes are the patches a cumulative bundle brings
	// itself, which satisfy them.
	Requires []string `json:"requires,omitempty"`
	Includes []string `json:"includes,omitempty"`
	// Guide is the installation guide (Markdown) rendered at build time
	// for this platform and base release, signed with the bundle.
	Guide string `json:"guide,omitempty"`
	// HealthCheck is the product's health check ([install]), run in the install
	// root after the swap; a failure rolls the patch back.
	HealthCheck *HealthCheck `json:"check,omitempty"`
	// Rollout is the product's rollout policy ([rollout]).
	Rollout *Rollout `json:"rollout,omitempty"`
	// ToolchainChange says the patched files were built with another
	// toolchain or build configuration than the base release, and why
	// (build --allow-toolchain-change --reason).
	ToolchainChange *ToolchainChange `json:"toolchain_change,omitempty"`
}

// ToolchainChange is an allowed change of toolchain or build
// configuration: the reason given and each difference from the base
// release's record.
type ToolchainChange struct {
	Reason  string   `json:"reason"`
	Changes []string `json:"changes"`
}

// HealthCheck is a health check as the bundle carries it.
type HealthCheck struct {
	Command string `json:"command"`
	Timeout int64  `json:"timeout_seconds,omitempty"` // 0: the default, 60
	// Attempts is how often the check runs before the patch is rolled
	// back: [install] check_retries + 1. 0: the default, 4.
	Attempts int `json:"attempts,omitempty"`
}

// Rollout is the rollout policy as the bundle carries it.
type Rollout struct {
	// RequireTest: a production apply needs evidence of a healthy test
	// install of the same bundle.
	RequireTest bool `json:"require_test,omitempty"`
	// Freeze are freeze windows: weekly ("Fri 18:00-Mon 06:00") or date
	// ranges ("2026-12-20..2027-01-04"), in the site's time zone.
	Freeze []string `json:"freeze,omitempty"`
}

// FileName is the conventional name of a bundle:
// PL-2026-0007_v2026.3.0_linux-amd64.plb.
func FileName(patch, baseTag, platform string) string {
	return fmt.Sprintf("%s_%s_%s%s", patch, baseTag, strings.ReplaceAll(platform, "/", "-"), Extension)
}

// Write writes a bundle: meta, then payloads[i] for meta.Files[i]. It sets
// each file's PayloadSize from payloads and checks meta as Read would.
func Write(w io.Writer, meta Meta, payloads [][]byte) (digest string, err error) {
	if len(payloads) != len(meta.Files) {
		return "", fmt.Errorf("write bundle: %d payloads for %d files", len(payloads), len(meta.Files))
	}
	files := append([]File(nil), meta.Files...)
	for i := range files {
		files[i].PayloadSize = int64(len(payloads[i]))
	}
	meta.Files = files
	meta.Created = meta.Created.UTC()
	if err := meta.Check(); err != nil {
		return "", fmt.Errorf("write bundle: %w", err)
	}
	js, err := json.Marshal(meta)
	if err != nil {
		return "", fmt.Errorf("write bundle: %w", err)
	}
	if len(js) > MaxMetaSize {
		return "", fmt.Errorf("write bundle: metadata of %d bytes exceeds %d", len(js), MaxMetaSize)
	}
	body := sha256.New()
	whole := sha256.New()
	out := io.MultiWriter(w, body, whole)
	var hdr [headerSize]byte
	copy(hdr[:], Magic)
	hdr[8] = Version
	binary.BigEndian.PutUint32(hdr[12:], uint32(len(js)))
	if _, err := out.Write(hdr[:]); err != nil {
		return "", err
	}
	if _, err := out.Write(js); err != nil {
		return "", err
	}
	for _, p := range payloads {
		if _, err := out.Write(p); err != nil {
			return "", err
		}
	}
	if _, err := io.MultiWriter(w, whole).Write(body.Sum(nil)); err != nil {
		return "", err
	}
	return hex.EncodeToString(whole.Sum(nil)), nil
}

var hexSHA256 = lazyre.New(`^[0-9a-f]{64}$`)

// Check validates meta: every path stays inside the install root and names
// a regular file, every op, mode, hash and size makes sense.
func (m *Meta) Check() error {
	if m.Patch == "" || m.Platform == "" || m.Base.Commit == "" || m.Target.Commit == "" {
		return fmt.Errorf("%w: patch, platform, base and target are required", ErrCorrupt)
	}
	if !PatchID.MatchString(m.Patch) {
		return fmt.Errorf("%w: patch id %q is not valid: letters, digits, '.', '_' and '-'", ErrCorrupt, m.Patch)
	}
	if !PlatformPattern.MatchString(m.Platform) {
		return fmt.Errorf("%w: platform %q is not GOOS/GOARCH", ErrCorrupt, m.Platform)
	}
	if err := m.checkReleases(); err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if err := m.checkPatchInfo(); err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if len(m.Files) > MaxFiles {
		return fmt.Errorf("%w: %d files, at most %d", ErrCorrupt, len(m.Files), MaxFiles)
	}
	seen := make(map[string]bool, len(m.Files))
	for i, f := range m.Files {
		if err := CheckPath(f.Path); err != nil {
			return fmt.Errorf("%w: file %d: %v", ErrCorrupt, i, err)
		}
		key := strings.ToLower(f.Path)
		if seen[key] {
			return fmt.Errorf("%w: %s: listed twice", ErrCorrupt, f.Path)
		}
		seen[key] = true
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%w: %s: %s", ErrCorrupt, f.Path, fmt.Sprintf(format, args...))
		}
		if f.PayloadSize < 0 || f.Size < 0 || f.BaseSize < 0 || f.Size > MaxFileSize || f.BaseSize > MaxFileSize {
			return bad("size out of range")
		}
		switch f.Op {
		case OpAdd, OpModify:
			if !hexSHA256.MatchString(f.NewSHA256) {
				return bad("new_sha256 is not a SHA-256")
			}
			if f.Mode != 0o644 && f.Mode != 0o755 {
				return bad("mode %o: only regular files 0644 and 0755 are installed", f.Mode)
			}
			switch f.Encoding {
			case EncodingZstd:
			case EncodingDelta:
				if f.Op == OpAdd {
					return bad("a new file cannot be a delta")
				}
			default:
				return bad("unknown encoding %q", f.Encoding)
			}
			if f.Op == OpModify && !hexSHA256.MatchString(f.BaseSHA256) {
				return bad("base_sha256 is not a SHA-256")
			}
			if f.Op == OpAdd && f.BaseSHA256 != "" {
				return bad("a new file has no base")
			}
		case OpDelete:
			if !hexSHA256.MatchString(f.BaseSHA256) {
				return bad("base_sha256 is not a SHA-256")
			}
			if f.PayloadSize != 0 || f.NewSHA256 != "" || f.Encoding != "" {
				return bad("a deleted file carries no payload")
			}
		default:
			return bad("unknown op %q", f.Op)
		}
	}
	return nil
}

// Bounds of what a bundle says about its patch.
const (
	MaxPatchList = 10_000  // ids in requires or includes
	MaxGuideSize = 1 << 20 // the installation guide, in bytes
)

// checkPatchInfo checks urgency, the prerequisites, the patches a
// cumulative bundle includes and the installation guide.
func (m *Meta) checkPatchInfo() error {
	switch m.Urgency {
	case "", "emergency", "scheduled":
	default:
		return fmt.Errorf("urgency %q is neither emergency nor scheduled", m.Urgency)
	}
	for _, l := range []struct {
		name string
		ids  []string
	}{{"requires", m.Requires}, {"includes", m.Includes}} {
		if len(l.ids) > MaxPatchList {
			return fmt.Errorf("%s lists %d patches, at most %d", l.name, len(l.ids), MaxPatchList)
		}
		seen := make(map[string]bool, len(l.ids))
		for _, id := range l.ids {
			if !PatchID.MatchString(id) {
				return fmt.Errorf("%s: patch id %q is not valid", l.name, id)
			}
			if seen[id] {
				return fmt.Errorf("%s lists %s twice", l.name, id)
			}
			seen[id] = true
		}
	}
	if err := m.ToolchainChange.check(); err != nil {
		return err
	}
	if len(m.Guide) > MaxGuideSize {
		return fmt.Errorf("installation guide of %d bytes, at most %d", len(m.Guide), MaxGuideSize)
	}
	if !utf8.ValidString(m.Guide) {
		return errors.New("installation guide is not valid UTF-8")
	}
	return nil
}

// Bounds of a toolchain change's reason and differences.
const (
	MaxReasonSize = 4 << 10
	maxChanges    = 64
)

// check refuses a toolchain change without a reason, or with texts that are
// out of bounds, not UTF-8 or hold control characters: apply prints them.
func (c *ToolchainChange) check() error {
	if c == nil {
		return nil
	}
	if strings.TrimSpace(c.Reason) == "" {
		return errors.New("toolchain_change has no reason")
	}
	if len(c.Changes) == 0 || len(c.Changes) > maxChanges {
		return fmt.Errorf("toolchain_change lists %d changes, want 1 to %d", len(c.Changes), maxChanges)
	}
	for _, t := range append([]string{c.Reason}, c.Changes...) {
		if len(t) > MaxReasonSize || !utf8.ValidString(t) || strings.ContainsFunc(t, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			return fmt.Errorf("toolchain_change: %q is longer than %d bytes, not UTF-8 or holds a control character", t, MaxReasonSize)
		}
	}
	return nil
}

// MaxTagPattern bounds the tag regexp a bundle may carry.
const MaxTagPattern = 512

// checkReleases insists that base and target are release tags: versions
// (v2026.3.1) that match the product's tag pattern, the target newer than
// the base. A bundle whose target is "latest" or has no tag would switch
// off the downgrade check of every install it reaches.
func (m *Meta) checkReleases() error {
	var re *regexp.Regexp
	if m.TagPattern != "" {
		if len(m.TagPattern) > MaxTagPattern {
			return fmt.Errorf("tag pattern of %d bytes, at most %d", len(m.TagPattern), MaxTagPattern)
		}
		var err error
		if re, err = regexp.Compile(m.TagPattern); err != nil {
			return fmt.Errorf("tag pattern %q: %v", m.TagPattern, err)
		}
	}
	for _, r := range []struct {
		name string
		ref  Ref
	}{{"base", m.Base}, {"target", m.Target}} {
		if err := CheckRef(r.ref); err != nil {
			return fmt.Errorf("%s: %v", r.name, err)
		}
		if re != nil && !re.MatchString(r.ref.Tag) {
			return fmt.Errorf("%s tag %q does not match the product's release tags %s", r.name, r.ref.Tag, m.TagPattern)
		}
	}
	if release.CompareTags(m.Target.Tag, m.Base.Tag) <= 0 {
		return fmt.Errorf("target %s is not newer than base %s", m.Target.Tag, m.Base.Tag)
	}
	return nil
}

var (
	// PatchID is what a patch id may be: it names directories and files
	// under an install's .patchline.
	PatchID = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	// PlatformPattern is GOOS/GOARCH.
	PlatformPattern = lazyre.New(`^[a-z0-9]{1,32}/[a-z0-9]{1,32}$`)
	commitID        = lazyre.New(`^[0-9a-f]{40}([0-9a-f]{24})?$`)
	releaseTag      = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$`)
)

// CheckRef refuses a release that is not a version tag (v2026.3.1, whose
// numbers order releases) with a full git commit id (SHA-1 or SHA-256).
func CheckRef(r Ref) error {
	if !releaseTag.MatchString(r.Tag) {
		return fmt.Errorf("tag %q is not a release tag", r.Tag)
	}
	if v, ok := release.ParseVersion(r.Tag); !ok || len(v) < 2 {
		return fmt.Errorf("tag %q is not a release version such as v2026.3.1", r.Tag)
	}
	if !commitID.MatchString(r.Commit) {
		return fmt.Errorf("commit %q is not a full commit id", r.Commit)
	}
	return nil
}

// CheckPath refuses a path that is empty, absolute, not clean, climbs out
// with "..", uses backslashes or NUL, or reaches into .git or .patchline
// (patchline's own state under the install root).
func CheckPath(p string) error {
	switch {
	case p == "":
		return errors.New("empty path")
	case strings.ContainsAny(p, "\\\x00"):
		return fmt.Errorf("%q: backslash or NUL in path", p)
	case path.IsAbs(p) || (len(p) > 1 && p[1] == ':'):
		return fmt.Errorf("%q: absolute path", p)
	case path.Clean(p) != p:
		return fmt.Errorf("%q: path is not clean", p)
	}
	for _, part := range strings.Split(p, "/") {
		switch strings.ToLower(strings.TrimRight(part, ". ")) {
		case "", "..":
			if part == ".." {
				return fmt.Errorf("%q: path leaves the install root", p)
			}
		case ".git", ".patchline":
			return fmt.Errorf("%q: path reaches into %s", p, part)
		}
	}
	return nil
}

// Bundle is an open, checked bundle.
type Bundle struct {
	Meta    Meta
	Digest  string // SHA-256 of the whole file, hex
	r       io.ReaderAt
	offsets []int64
}

// Read opens a bundle of size bytes: it checks the checksum over the whole
// file first, so nothing of a damaged bundle is trusted, then the metadata.
func Read(r io.ReaderAt, size int64) (*Bundle, error) {
	var hdr [headerSize]byte
	if n, _ := r.ReadAt(hdr[:], 0); n < len(Magic) || string(hdr[:len(Magic)]) != Magic {
		return nil, fmt.Errorf("%w (bad magic)", ErrNotBundle)
	}
	if size < headerSize+checksumSize {
		return nil, fmt.Errorf("%w: %d bytes is too short for a bundle (truncated?)", ErrCorrupt, size)
	}
	if hdr[8] != Version {
		return nil, fmt.Errorf("%w: version %d, this patchline reads version %d", ErrUnsupported, hdr[8], Version)
	}
	if hdr[9]|hdr[10]|hdr[11] != 0 {
		return nil, fmt.Errorf("%w: reserved header bytes are not zero", ErrCorrupt)
	}
	metaLen := int64(binary.BigEndian.Uint32(hdr[12:]))
	if metaLen > MaxMetaSize || headerSize+metaLen+checksumSize > size {
		return nil, fmt.Errorf("%w: metadata of %d bytes does not fit", ErrCorrupt, metaLen)
	}
	whole := sha256.New()
	body := sha256.New()
	if _, err := io.Copy(io.MultiWriter(whole, body), io.NewSectionReader(r, 0, size-checksumSize)); err != nil {
		return nil, fmt.Errorf("%w: read: %v", ErrCorrupt, err)
	}
	var sum [checksumSize]byte
	if _, err := r.ReadAt(sum[:], size-checksumSize); err != nil {
		return nil, fmt.Errorf("%w: read checksum: %v", ErrCorrupt, err)
	}
	if !bytes.Equal(sum[:], body.Sum(nil)) {
		return nil, fmt.Errorf("%w: checksum mismatch: the file was damaged or altered", ErrCorrupt)
	}
	whole.Write(sum[:])
	js := make([]byte, metaLen)
	if _, err := r.ReadAt(js, headerSize); err != nil {
		return nil, fmt.Errorf("%w: read metadata: %v", ErrCorrupt, err)
	}
	b := &Bundle{r: r, Digest: hex.EncodeToString(whole.Sum(nil))}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b.Meta); err != nil {
		return nil, fmt.Errorf("%w: metadata: %v", ErrCorrupt, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: metadata: trailing data", ErrCorrupt)
	}
	if err := b.Meta.Check(); err != nil {
		return nil, err
	}
	off := headerSize + metaLen
	b.offsets = make([]int64, len(b.Meta.Files))
	for i, f := range b.Meta.Files {
		b.offsets[i] = off
		if f.PayloadSize > size-checksumSize-off {
			return nil, fmt.Errorf("%w: %s: payload of %d bytes runs past the end", ErrCorrupt, f.Path, f.PayloadSize)
		}
		off += f.PayloadSize
	}
	if off != size-checksumSize {
		return nil, fmt.Errorf("%w: %d bytes after the last payload", ErrCorrupt, size-checksumSize-off)
	}
	return b, nil
}

// Payload returns a reader of file i's payload.
func (b *Bundle) Payload(i int) io.Reader {
	return io.NewSectionReader(b.r, b.offsets[i], b.Meta.Files[i].PayloadSize)
}

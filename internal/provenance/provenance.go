// Package provenance makes, signs and verifies the SLSA provenance of what
// patchline builds: an in-toto statement (https://in-toto.io/Statement/v1)
// whose predicate is SLSA provenance v1 (https://slsa.dev/provenance/v1),
// one per bundle and per release archive, its subject the file's name and
// SHA-256.
//
// The statement is written beside the file as FILE.provenance.json, and,
// signed, as a DSSE envelope (payload type application/vnd.in-toto+json,
// the signature over the PAE) in FILE.intoto.jsonl, with the cosign key
// patchline signs bundles with: `cosign verify-blob-attestation --key
// cosign.pub --type slsaprovenance1 --signature FILE.intoto.jsonl FILE`
// verifies it, and so does `patchline verify --provenance`.
//
// Nothing in a statement comes from the clock or the machine's paths: its
// times are the source commit's, so the same inputs give the same bytes
// (docs/records.md, "Provenance").
package provenance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	slsa "github.com/in-toto/attestation/go/predicates/provenance/v1"
	attv1 "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/patchline/patchline/internal/textsafe"
)

// The types a statement names.
const (
	StatementType = attv1.StatementTypeUri // https://in-toto.io/Statement/v1
	PredicateType = "https://slsa.dev/provenance/v1"
	// PayloadType is the DSSE payload type of an in-toto statement.
	PayloadType = "application/vnd.in-toto+json"
)

// Patchline's build types and builder. A build type says what the
// parameters mean; docs/records.md describes both.
const (
	BuildTypeBundle  = "https://github.com/patchline/patchline/blob/main/docs/records.md#buildtype-bundle-v1"
	BuildTypeRelease = "https://github.com/patchline/patchline/blob/main/docs/records.md#buildtype-release-v1"
	BuilderID        = "https://github.com/patchline/patchline"
)

// File name suffixes beside the file a statement describes.
const (
	StatementSuffix = ".provenance.json" // the statement, unsigned
	EnvelopeSuffix  = ".intoto.jsonl"    // the DSSE envelope, signed
)

// MaxSize bounds what is read of a statement or an envelope.
const MaxSize = 1 << 20

// Errors, for errors.Is.
var (
	// ErrInvalid: an envelope or statement does not verify: another key
	// signed it, it was altered, it is for other bytes, or it is not SLSA
	// provenance v1.
	ErrInvalid = errors.New("provenance verification failed")
	// ErrMissing: there is no provenance to verify.
	ErrMissing = errors.New("no provenance")
	// ErrBad: a statement patchline was asked to write or sign is not one
	// it can stand behind.
	ErrBad = errors.New("bad provenance statement")
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Ref names a release: its tag and commit.
type Ref struct {
	Tag    string `json:"tag,omitempty"`
	Commit string `json:"commit,omitempty"`
}

// Source is the commit that was built and the ref it was built from.
type Source struct {
	Ref    string `json:"ref,omitempty"` // refs/heads/patch/PL-2026-0007, refs/tags/v2026.3.0
	Commit string `json:"commit"`
}

// Approval is one link of a patch's approval chain.
type Approval struct {
	Role string    `json:"role,omitempty"`
	By   string    `json:"by"`
	At   time.Time `json:"at,omitzero"`
	Ref  string    `json:"ref,omitempty"`
}

// PatchApprovals are the approvals of one patch a release shipped.
type PatchApprovals struct {
	ID        string     `json:"id"`
	Approvals []Approval `json:"approvals"`
}

// BuildConfig is how the files were built: [build] of .patchline.toml and
// the builder's own flags, as the release record keeps them.
type BuildConfig struct {
	Builder   string   `json:"builder"`
	Packages  []string `json:"packages,omitempty"`
	Command   string   `json:"command,omitempty"`
	Artifacts []string `json:"artifacts,omitempty"`
	Flags     []string `json:"flags,omitempty"`
}

// ToolchainChange is a toolchain or build configuration that differs from
// the base release's record, allowed with a reason (build
// --allow-toolchain-change --reason).
type ToolchainChange struct {
	Reason  string   `json:"reason"`
	Changes []string `json:"changes"`
}

// Parameters are the externalParameters of patchline's build types: what
// the repository and whoever ran the build chose.
type Parameters struct {
	Product    string `json:"product"`
	Repository string `json:"repository,omitempty"` // https://github.com/owner/repo
	Source     Source `json:"source"`
	Platform   string `json:"platform"`
	// Tag is the release an archive holds (release).
	Tag string `json:"tag,omitempty"`
	// Patch, Base, From and Target describe a bundle: the patch, the release
	// it was cut from, the release the bundle upgrades from (the base, or an
	// older one of a cumulative bundle) and the release it makes.
	Patch  string      `json:"patch,omitempty"`
	Base   *Ref        `json:"base,omitempty"`
	From   *Ref        `json:"from,omitempty"`
	Target *Ref        `json:"target,omitempty"`
	Build  BuildConfig `json:"build"`
	// Approvals are a bundle's patch's; Patches are the patches a release
	// tag names (Patch-Id trailers) with theirs.
	Approvals       []Approval       `json:"approvals,omitempty"`
	Patches         []PatchApprovals `json:"patches,omitempty"`
	ToolchainChange *ToolchainChange `json:"toolchainChange,omitempty"`
}

// Build is what one statement says: the file, how it was made, from what.
type Build struct {
	BuildType string // BuildTypeBundle or BuildTypeRelease
	Name      string // the file's base name
	SHA256    string // the file's SHA-256, hex
	Params    Parameters
	// Toolchain is the Go toolchain that built the files (`go env
	// GOVERSION` in the tree), "" without Go; GoSum the SHA-256 of the
	// tree's go.sum, "" without one.
	Toolchain string
	GoSum     string
	// Patchline is the builder's version; SourceDateEpoch the time every
	// build was given, also the statement's only time.
	Patchline       string
	SourceDateEpoch time.Time
	// InvocationID names this build of this file, stably.
	InvocationID string
}

// isHex reports whether s is lowercase hex of one of the lengths.
func isHex(s string, lengths ...int) bool {
	if !slices.Contains(lengths, len(s)) {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return (r < '0' || r > '9') && (r < 'a' || r > 'f') })
}

// New makes the statement b describes, checked as Verify checks one.
func New(b *Build) (*attv1.Statement, error) {
	if b.Name == "" || strings.ContainsAny(b.Name, "/\\") {
		return nil, fmt.Errorf("%w: subject name %q is not a file name", ErrBad, b.Name)
	}
	if !isHex(b.SHA256, 64) {
		return nil, fmt.Errorf("%w: subject sha256 %q is not a SHA-256", ErrBad, b.SHA256)
	}
	if !isHex(b.Params.Source.Commit, 40, 64) {
		return nil, fmt.Errorf("%w: source commit %q is not a full commit id", ErrBad, b.Params.Source.Commit)
	}
	params, err := toStruct(b.Params)
	if err != nil {
		return nil, err
	}
	internal, err := toStruct(struct {
		Toolchain       string `json:"toolchain,omitempty"`
		SourceDateEpoch int64  `json:"sourceDateEpoch"`
	}{b.Toolchain, b.SourceDateEpoch.Unix()})
	if err != nil {
		return nil, err
	}
	var deps []*attv1.ResourceDescriptor
	deps = append(deps, gitDependency("source", b.Params.Repository, b.Params.Source.Ref, b.Params.Source.Commit))
	base, from := b.Params.Base, b.Params.From
	if base != nil && base.Commit != "" {
		deps = append(deps, gitDependency("base", b.Params.Repository, "refs/tags/"+base.Tag, base.Commit))
	}
	if from != nil && from.Commit != "" && (base == nil || *from != *base) {
		// A cumulative bundle's old release: built too, to compute the deltas.
		deps = append(deps, gitDependency("from", b.Params.Repository, "refs/tags/"+from.Tag, from.Commit))
	}
	if b.Toolchain != "" {
		deps = append(deps, &attv1.ResourceDescriptor{Name: "go", Uri: "https://go.dev/dl/#" + b.Toolchain})
	}
	if b.GoSum != "" {
		deps = append(deps, &attv1.ResourceDescriptor{Name: "go.sum", Digest: map[string]string{"sha256": b.GoSum}})
	}
	version := map[string]string{"patchline": b.Patchline}
	if b.Patchline == "" {
		version = nil
	}
	at := timestamppb.New(b.SourceDateEpoch.UTC())
	pred := &slsa.Provenance{
		BuildDefinition: &slsa.BuildDefinition{
			BuildType:            b.BuildType,
			ExternalParameters:   params,
			InternalParameters:   internal,
			ResolvedDependencies: deps,
		},
		RunDetails: &slsa.RunDetails{
			Builder:  &slsa.Builder{Id: BuilderID, Version: version},
			Metadata: &slsa.BuildMetadata{InvocationId: b.InvocationID, StartedOn: at, FinishedOn: at},
		},
	}
	if err := pred.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBad, err)
	}
	predicate, err := messageToStruct(pred)
	if err != nil {
		return nil, err
	}
	st := &attv1.Statement{
		Type:          StatementType,
		Subject:       []*attv1.ResourceDescriptor{{Name: b.Name, Digest: map[string]string{"sha256": b.SHA256}}},
		PredicateType: PredicateType,
		Predicate:     predicate,
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBad, err)
	}
	return st, nil
}

// gitDependency is a commit as SLSA names source: a git+ URI with the ref,
// and the commit id as its digest.
func gitDependency(name, repository, ref, commit string) *attv1.ResourceDescriptor {
	d := &attv1.ResourceDescriptor{Name: name}
	if repository != "" {
		d.Uri = "git+" + repository
		if ref != "" {
			d.Uri += "@" + ref
		}
	}
	if len(commit) == 40 {
		d.Digest = map[string]string{"sha1": commit, "gitCommit": commit}
	} else {
		// A SHA-256 repository: gitCommit is a SHA-1 in in-toto's digest
		// sets, so the commit goes under a name of its own.
		d.Digest = map[string]string{"gitCommitSha256": commit}
	}
	return d
}

func toStruct(v any) (*structpb.Struct, error) {
	js, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBad, err)
	}
	s := &structpb.Struct{}
	if err := protojson.Unmarshal(js, s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBad, err)
	}
	return s, nil
}

func messageToStruct(m proto.Message) (*structpb.Struct, error) {
	js, err := protojson.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBad, err)
	}
	s := &structpb.Struct{}
	if err := protojson.Unmarshal(js, s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBad, err)
	}
	return s, nil
}

// Marshal is the statement's canonical bytes, the DSSE payload: compact
// JSON, protojson's field order, every object's keys sorted. protojson
// varies its whitespace on purpose; this does not.
func Marshal(st *attv1.Statement) ([]byte, error) {
	js, err := protojson.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBad, err)
	}
	var out bytes.Buffer
	if err := json.Compact(&out, js); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBad, err)
	}
	return out.Bytes(), nil
}

// MarshalIndent is the statement as FILE.provenance.json holds it: the
// canonical bytes indented, one final newline.
func MarshalIndent(st *attv1.Statement) ([]byte, error) {
	js, err := Marshal(st)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, js, "", "  "); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBad, err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// Parse reads a statement strictly: an in-toto v1 statement, fields
// protojson knows and no others, of SLSA provenance v1 with a predicate
// that is one.
func Parse(data []byte) (*attv1.Statement, *slsa.Provenance, error) {
	if len(data) > MaxSize {
		return nil, nil, fmt.Errorf("a statement of %d bytes is too large", len(data))
	}
	if !utf8.Valid(data) {
		return nil, nil, errors.New("the statement is not UTF-8")
	}
	st := &attv1.Statement{}
	if err := protojson.Unmarshal(data, st); err != nil {
		return nil, nil, fmt.Errorf("not an in-toto statement: %v", err)
	}
	if st.GetType() != StatementType {
		return nil, nil, fmt.Errorf("statement type %q: want %s", st.GetType(), StatementType)
	}
	if err := st.Validate(); err != nil {
		return nil, nil, fmt.Errorf("not a valid in-toto statement: %v", err)
	}
	if st.GetPredicateType() != PredicateType {
		return nil, nil, fmt.Errorf("predicate type %q: want SLSA provenance v1 (%s)", st.GetPredicateType(), PredicateType)
	}
	js, err := protojson.Marshal(st.GetPredicate())
	if err != nil {
		return nil, nil, fmt.Errorf("predicate: %v", err)
	}
	pred := &slsa.Provenance{}
	if err := protojson.Unmarshal(js, pred); err != nil {
		return nil, nil, fmt.Errorf("the predicate is not SLSA provenance v1: %v", err)
	}
	if err := pred.Validate(); err != nil {
		return nil, nil, fmt.Errorf("the predicate is not valid SLSA provenance v1: %v", err)
	}
	return st, pred, nil
}

// SubjectSHA256 is the SHA-256 a statement names for its first subject
// that has one, and that subject's name.
func SubjectSHA256(st *attv1.Statement) (name, sum string, ok bool) {
	for _, s := range st.GetSubject() {
		if d, has := s.GetDigest()["sha256"]; has {
			return s.GetName(), d, true
		}
	}
	return "", "", false
}

// hasSubject reports whether some subject of st has the SHA-256 sum.
func hasSubject(st *attv1.Statement, sum string) bool {
	for _, s := range st.GetSubject() {
		if s.GetDigest()["sha256"] == sum {
			return true
		}
	}
	return false
}

// ParametersOf decodes the externalParameters of a statement of one of
// patchline's build types, strictly; nil for another build type.
func ParametersOf(pred *slsa.Provenance) (*Parameters, error) {
	bt := pred.GetBuildDefinition().GetBuildType()
	if bt != BuildTypeBundle && bt != BuildTypeRelease {
		return nil, nil
	}
	js, err := protojson.Marshal(pred.GetBuildDefinition().GetExternalParameters())
	if err != nil {
		return nil, err
	}
	var p Parameters
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("externalParameters of %s: %v", bt, err)
	}
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("externalParameters of %s: %v", bt, err)
	}
	return &p, nil
}

// check refuses parameters patchline would not have written: texts with
// control characters, which a verifier prints.
func (p *Parameters) check() error {
	texts := []string{p.Product, p.Repository, p.Source.Ref, p.Source.Commit, p.Platform, p.Tag, p.Patch,
		p.Build.Builder, p.Build.Command}
	texts = append(texts, p.Build.Packages...)
	texts = append(texts, p.Build.Artifacts...)
	texts = append(texts, p.Build.Flags...)
	for _, r := range []*Ref{p.Base, p.From, p.Target} {
		if r != nil {
			texts = append(texts, r.Tag, r.Commit)
		}
	}
	for _, a := range p.Approvals {
		texts = append(texts, a.Role, a.By, a.Ref)
	}
	for _, pa := range p.Patches {
		texts = append(texts, pa.ID)
		for _, a := range pa.Approvals {
			texts = append(texts, a.Role, a.By, a.Ref)
		}
	}
	if c := p.ToolchainChange; c != nil {
		texts = append(texts, c.Reason)
		texts = append(texts, c.Changes...)
	}
	for _, s := range texts {
		if _, r, bad := textsafe.FindControl(s, false); bad {
			return fmt.Errorf("control character %s in %q", textsafe.Describe(r), textsafe.Line(s))
		}
	}
	return nil
}

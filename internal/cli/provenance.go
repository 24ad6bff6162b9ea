package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/pipeline"
	"github.com/patchline/patchline/internal/provenance"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/sign"
	"github.com/patchline/patchline/internal/textsafe"
)

// repositoryURL is the product's repository as provenance names it:
// [project] github, else the origin remote when it is on GitHub; "" when
// neither says (a local path would make statements differ by machine).
func repositoryURL(reg *registry.Registry) string {
	gh := reg.Config.Project.GitHub
	if gh == "" {
		gh = reg.Repo.GitHubRemote()
	}
	if gh == "" {
		return ""
	}
	return "https://github.com/" + gh
}

// maxReasonSize bounds --reason: a sentence or two, kept in every bundle.
const maxReasonSize = 1 << 10

// checkToolchainFlags: --allow-toolchain-change needs a reason, and a
// reason needs the flag; the reason is one line of plain text.
func checkToolchainFlags(allow bool, reason string) error {
	switch {
	case allow && strings.TrimSpace(reason) == "":
		return usageError("--allow-toolchain-change needs --reason TEXT: why the patch is built with another toolchain or configuration than its base release (it goes into the bundle and its provenance)")
	case !allow && reason != "":
		return usageError("--reason is the reason for --allow-toolchain-change: give both, or neither")
	case len(reason) > maxReasonSize:
		return usageError("--reason is %d bytes; keep it under %d", len(reason), maxReasonSize)
	}
	if _, r, bad := textsafe.FindControl(reason, false); bad || !utf8.ValidString(reason) {
		return usageError("--reason holds %s: give one line of text", textsafe.Describe(r))
	}
	return nil
}

// buildProvenance is what build's statements say beyond the build: the
// repository, the patch branch, the patch's approvals (its manifest's, then
// those recorded in notes and tag trailers) and an allowed toolchain
// change.
func buildProvenance(streams *IOStreams, reg *registry.Registry, p *registry.Patch, opts *BuildOptions) (pipeline.Provenance, error) {
	rec, err := recordedApprovals(streams, reg)
	if err != nil {
		return pipeline.Provenance{}, err
	}
	return pipeline.Provenance{
		Repository: repositoryURL(reg), SourceRef: p.Branch.Full,
		Approvals:            provenanceApprovals(approvalsOf(p, rec)),
		AllowToolchainChange: opts.AllowToolchainChange, Reason: opts.Reason,
	}, nil
}

// releaseProvenance is what release's statements say beyond the build:
// the repository, and the patches the tag names in its Patch-Id trailers
// (a patch-level release) with their approvals.
func releaseProvenance(streams *IOStreams, reg *registry.Registry, tag gitrepo.Tag) (pipeline.Provenance, error) {
	rec, err := recordedApprovals(streams, reg)
	if err != nil {
		return pipeline.Provenance{}, err
	}
	pr := pipeline.Provenance{Repository: repositoryURL(reg)}
	for _, id := range history.TagPatchIDs(tag) {
		pr.Patches = append(pr.Patches, provenance.PatchApprovals{ID: id, Approvals: provenanceApprovals(rec.For(id))})
	}
	return pr, nil
}

func provenanceApprovals(list []history.Approval) []provenance.Approval {
	out := []provenance.Approval{}
	for _, a := range list {
		out = append(out, provenance.Approval{Role: a.Role, By: a.By, At: a.At.UTC(), Ref: a.Ref})
	}
	return out
}

// statementBeside reads FILE.provenance.json and checks that it is a
// statement of SLSA provenance about file's bytes, sha256: what sign
// signs. No statement is nil: a file built by an older patchline, or one
// renamed after the build.
func statementBeside(file, sha256 string) ([]byte, error) {
	name := file + provenance.StatementSuffix
	data, err := readBounded(name, provenance.MaxSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	st, _, err := provenance.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", name, provenance.ErrInvalid, err)
	}
	subject, sum, _ := provenance.SubjectSHA256(st)
	if sum != sha256 {
		return nil, fmt.Errorf("%s: %w: it is the provenance of other bytes (%s, sha256 %s), not of %s (sha256 %s): build it again, or remove it",
			name, provenance.ErrInvalid, subject, sum, filepath.Base(file), sha256)
	}
	// The payload is the canonical form, whatever the file's whitespace.
	return provenance.Marshal(st)
}

// signStatement signs the statement payload as a DSSE envelope and writes
// it beside file, FILE.intoto.jsonl, where cosign verify-blob-attestation
// --signature and patchline verify --provenance read it.
func signStatement(key *sign.PrivateKey, file string, payload []byte) (string, error) {
	env, err := provenance.Sign(key, payload)
	if err != nil {
		return "", err
	}
	name := file + provenance.EnvelopeSuffix
	if err := gitrepo.WriteFileAtomic(name, env, 0o644); err != nil {
		return "", err
	}
	return filepath.Clean(name), nil
}

// provenanceToSign is the statement beside a file, checked against the
// file's bytes before anything is signed.
type provenanceToSign struct {
	file, sha256 string
	payload      []byte
}

// provenanceBeside reads and checks FILE.provenance.json; nil when there
// is none.
func provenanceBeside(file string) (*provenanceToSign, error) {
	sum, err := hashFile(file)
	if err != nil {
		return nil, err
	}
	payload, err := statementBeside(file, sum)
	if err != nil || payload == nil {
		return nil, err
	}
	return &provenanceToSign{file: file, sha256: sum, payload: payload}, nil
}

// sign signs the statement once the file was signed as the bytes signed
// (their SHA-256): a file that changed in between is refused. It returns
// the envelope's path, "" when there is no statement.
func (p *provenanceToSign) sign(streams *IOStreams, key *sign.PrivateKey, signed string) (string, error) {
	if p == nil {
		return "", nil
	}
	if signed != p.sha256 {
		return "", fmt.Errorf("%s: %w: the file changed while it was signed (sha256 %s, then %s): sign it again", p.file, provenance.ErrInvalid, p.sha256, signed)
	}
	name, err := signStatement(key, p.file, p.payload)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(streams.ErrOut, "signed    %s (provenance)\n", filepath.Base(name))
	return name, nil
}

// readBounded reads a file of at most max bytes.
func readBounded(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, max)
	}
	return data, nil
}

// hashFile is the SHA-256 of a regular file.
func hashFile(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", usageError("%w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", usageError("%w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", usageError("%s is not a regular file", name)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

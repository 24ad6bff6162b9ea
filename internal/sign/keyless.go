package sign

import (
	"bytes"
	"crypto"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// Keyless signatures: a Sigstore bundle whose signing key is certified by a
// short-lived Fulcio certificate naming who signed (an OIDC identity and
// its issuer), logged in Rekor, and checked offline against a trusted root
// (trusted_root.json) with sigstore-go, as `cosign verify-blob --bundle
// --trusted-root --certificate-identity --certificate-oidc-issuer` does.

// More errors, for errors.Is; both are problems with what the user gave.
var (
	// ErrBadTrustedRoot: a trusted root file that cannot be read or is not
	// a Sigstore trusted root.
	ErrBadTrustedRoot = errors.New("bad trusted root")
	// ErrBadPolicy: identity and issuer flags that are missing, clash or
	// do not compile.
	ErrBadPolicy = errors.New("bad keyless policy")
)

// GitHubActionsIssuer is the OIDC issuer of GitHub Actions' tokens, which a
// workflow signing keylessly is certified by.
const GitHubActionsIssuer = "https://token.actions.githubusercontent.com"

// MaxTrustedRootSize bounds what is read of a trusted root: Sigstore's
// public one is a few dozen kilobytes.
const MaxTrustedRootSize = 4 << 20

// TrustedRoot is a Sigstore trusted root: the certificate authorities,
// transparency logs, CT logs and timestamp authorities keyless signatures
// are checked against.
type TrustedRoot struct {
	root *root.TrustedRoot
}

// ParseTrustedRoot reads a trusted root in the trusted_root.json format
// (application/vnd.dev.sigstore.trustedroot+json;version=0.1). It must
// name a certificate authority and a transparency log, or nothing could
// verify with it.
func ParseTrustedRoot(data []byte) (*TrustedRoot, error) {
	if len(data) > MaxTrustedRootSize {
		return nil, fmt.Errorf("%w: %d bytes, larger than the %d a trusted root may have", ErrBadTrustedRoot, len(data), MaxTrustedRootSize)
	}
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%w: not a Sigstore trusted_root.json: %v", ErrBadTrustedRoot, err)
	}
	switch {
	case len(tr.FulcioCertificateAuthorities()) == 0:
		return nil, fmt.Errorf("%w: it names no certificate authority (Fulcio) to check certificates against", ErrBadTrustedRoot)
	case len(tr.RekorLogs()) == 0:
		return nil, fmt.Errorf("%w: it names no transparency log (Rekor) to check log entries against", ErrBadTrustedRoot)
	}
	return &TrustedRoot{root: tr}, nil
}

// LoadTrustedRoot reads the trusted root file at path, bounded.
func LoadTrustedRoot(path string) (*TrustedRoot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadTrustedRoot, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxTrustedRootSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadTrustedRoot, path, err)
	}
	tr, err := ParseTrustedRoot(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return tr, nil
}

// RequiresSCT reports whether certificates must carry a signed certificate
// timestamp: whenever the trusted root names a CT log, as Sigstore's
// public one does.
func (t *TrustedRoot) RequiresSCT() bool { return len(t.root.CTLogs()) > 0 }

// KeylessPolicy is who must have signed: the certificate's identity (its
// subject alternative name: an email, or a workflow's URL) and the OIDC
// issuer that vouched for it, each given exactly or as a regular
// expression, as cosign's --certificate-identity[-regexp] and
// --certificate-oidc-issuer[-regexp] are. A regular expression matches
// anywhere in the value unless anchored with ^ and $, as in cosign.
type KeylessPolicy struct {
	Identity       string
	IdentityRegexp string
	Issuer         string
	IssuerRegexp   string
}

// Check says what is missing from the policy, or clashes in it. The
// messages name the flags.
func (p KeylessPolicy) Check() error {
	switch {
	case p.Identity == "" && p.IdentityRegexp == "":
		return fmt.Errorf("%w: keyless verification needs who signed: give --certificate-identity (e.g. the signing workflow's URL, https://github.com/OWNER/REPO/.github/workflows/FILE@REF) or --certificate-identity-regexp", ErrBadPolicy)
	case p.Identity != "" && p.IdentityRegexp != "":
		return fmt.Errorf("%w: --certificate-identity and --certificate-identity-regexp both say who signed: pick one", ErrBadPolicy)
	case p.Issuer == "" && p.IssuerRegexp == "":
		return fmt.Errorf("%w: keyless verification needs the identity's OIDC issuer: give --certificate-oidc-issuer (%s for GitHub Actions) or --certificate-oidc-issuer-regexp", ErrBadPolicy, GitHubActionsIssuer)
	case p.Issuer != "" && p.IssuerRegexp != "":
		return fmt.Errorf("%w: --certificate-oidc-issuer and --certificate-oidc-issuer-regexp both name the issuer: pick one", ErrBadPolicy)
	}
	for flag, re := range map[string]string{"--certificate-identity-regexp": p.IdentityRegexp, "--certificate-oidc-issuer-regexp": p.IssuerRegexp} {
		if _, err := regexp.Compile(re); err != nil {
			return fmt.Errorf("%w: %s %q: %v", ErrBadPolicy, flag, re, err)
		}
	}
	return nil
}

func (p KeylessPolicy) identity() (verify.CertificateIdentity, error) {
	id, err := verify.NewShortCertificateIdentity(p.Issuer, p.IssuerRegexp, p.Identity, p.IdentityRegexp)
	if err != nil {
		return id, fmt.Errorf("%w: %v", ErrBadPolicy, err)
	}
	return id, nil
}

// wants describes what the policy asks for, for messages.
func (p KeylessPolicy) wants() string {
	id := fmt.Sprintf("--certificate-identity %s", p.Identity)
	if p.IdentityRegexp != "" {
		id = fmt.Sprintf("--certificate-identity-regexp %s", p.IdentityRegexp)
	}
	iss := fmt.Sprintf("--certificate-oidc-issuer %s", p.Issuer)
	if p.IssuerRegexp != "" {
		iss = fmt.Sprintf("--certificate-oidc-issuer-regexp %s", p.IssuerRegexp)
	}
	return id + " and " + iss
}

// KeylessBundle is a parsed Sigstore bundle that holds a message signature
// certified by a Fulcio certificate.
type KeylessBundle struct {
	bundle *sgbundle.Bundle
	// Identity and Issuer are what the certificate says, unverified until
	// VerifyKeyless has checked it.
	Identity, Issuer string
	// Digest is the file's digest the bundle names, with DigestAlgorithm.
	Digest          []byte
	DigestAlgorithm crypto.Hash
}

// ParseKeylessBundle reads a Sigstore bundle (protobuf-specs JSON, v0.1 to
// v0.3) from keyless signing, as `cosign sign-blob --bundle` writes it
// with the new bundle format: a certificate, a message signature with the
// file's digest, transparency log entries and, optionally, RFC 3161
// timestamps. A bundle signed with a key is refused with the flag to use.
func ParseKeylessBundle(data []byte) (*KeylessBundle, error) {
	if len(data) > MaxSignatureFileSize {
		return nil, invalid("a Sigstore bundle of %d bytes is too large", len(data))
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, invalid("the Sigstore bundle is empty")
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, invalid("the Sigstore bundle is not JSON: %v", err)
	}
	if _, ok := probe["base64Signature"]; ok {
		return nil, invalid("this is cosign's older bundle format (base64Signature), which patchline does not verify keylessly: sign with cosign sign-blob --new-bundle-format --bundle FILE, or verify it with cosign verify-blob")
	}
	var b sgbundle.Bundle
	if err := b.UnmarshalJSON(data); err != nil {
		return nil, invalid("malformed Sigstore bundle: %v", err)
	}
	vm := b.GetVerificationMaterial()
	if vm.GetPublicKey() != nil {
		return nil, invalid("the Sigstore bundle was signed with a key, not keylessly: verify it with --key instead of --certificate-identity, --certificate-oidc-issuer and --trusted-root")
	}
	ms := b.GetMessageSignature()
	if ms == nil {
		return nil, invalid("the Sigstore bundle holds no message signature (a DSSE attestation is not a signature over the file)")
	}
	if len(ms.GetSignature()) == 0 {
		return nil, invalid("the Sigstore bundle's signature is empty")
	}
	kb := &KeylessBundle{bundle: &b}
	d := ms.GetMessageDigest()
	switch d.GetAlgorithm() {
	case protocommon.HashAlgorithm_SHA2_256:
		kb.DigestAlgorithm = crypto.SHA256
	case protocommon.HashAlgorithm_SHA2_384:
		kb.DigestAlgorithm = crypto.SHA384
	case protocommon.HashAlgorithm_SHA2_512:
		kb.DigestAlgorithm = crypto.SHA512
	default:
		return nil, invalid("the Sigstore bundle's digest algorithm %s is not SHA-2", d.GetAlgorithm())
	}
	if len(d.GetDigest()) != kb.DigestAlgorithm.Size() {
		return nil, invalid("the Sigstore bundle's %s digest is %d bytes", d.GetAlgorithm(), len(d.GetDigest()))
	}
	kb.Digest = d.GetDigest()
	vc, err := b.VerificationContent()
	if err != nil {
		return nil, invalid("the Sigstore bundle's certificate: %v", err)
	}
	cert := vc.Certificate()
	if cert == nil {
		return nil, invalid("the Sigstore bundle names no certificate")
	}
	sum, err := certificate.SummarizeCertificate(cert)
	if err != nil {
		return nil, invalid("the Sigstore bundle's certificate: %v", err)
	}
	kb.Identity, kb.Issuer = sum.SubjectAlternativeName, sum.Issuer
	return kb, nil
}

// KeylessVerified is what a keyless signature that verified says: who
// signed, when the log saw it, and where.
type KeylessVerified struct {
	Identity string `json:"identity"`
	Issuer   string `json:"issuer"`
	// SignedAt is the earliest verified observer time: the log's
	// integrated time or an RFC 3161 timestamp.
	SignedAt time.Time `json:"signed_at"`
	// LogIndexes are the bundle's transparency log entries.
	LogIndexes []int64 `json:"log_indexes"`
	// Timestamps is how many RFC 3161 timestamps verified with it.
	Timestamps int `json:"timestamps"`
}

// VerifyKeyless checks a keyless bundle for a file whose digest with
// b.DigestAlgorithm is digest, offline, against tr: its transparency log
// entry (inclusion proof or promise signed by a log of the trusted root)
// and any RFC 3161 timestamps, the certificate's chain to a trusted
// certificate authority at the time the log or a timestamp authority saw
// it (and its SCT, when the root names CT logs), the signature with the
// certificate's key, and last the certificate's identity and issuer
// against the policy. Any failure wraps ErrInvalidSignature and says which
// of them failed.
func VerifyKeyless(tr *TrustedRoot, b *KeylessBundle, policy KeylessPolicy, digest []byte) (*KeylessVerified, error) {
	if err := policy.Check(); err != nil {
		return nil, err
	}
	id, err := policy.identity()
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(digest, b.Digest) {
		return nil, invalid("the Sigstore bundle is for other bytes: its digest %s is not the file's %s", hex.EncodeToString(b.Digest), hex.EncodeToString(digest))
	}
	entries, err := b.bundle.TlogEntries()
	if err != nil {
		return nil, invalid("the Sigstore bundle's transparency log entries: %v", err)
	}
	if len(entries) == 0 {
		return nil, invalid("the Sigstore bundle has no transparency log (Rekor) entry: a keyless signature must be logged, and patchline checks the entry offline")
	}
	opts := []verify.VerifierOption{verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1)}
	if tr.RequiresSCT() {
		opts = append(opts, verify.WithSignedCertificateTimestamps(1))
	}
	v, err := verify.NewVerifier(tr.root, opts...)
	if err != nil {
		return nil, fmt.Errorf("keyless verifier: %w", err)
	}
	alg := map[crypto.Hash]string{crypto.SHA256: "sha256", crypto.SHA384: "sha384", crypto.SHA512: "sha512"}[b.DigestAlgorithm]
	res, err := v.Verify(b.bundle, verify.NewPolicy(verify.WithArtifactDigest(alg, digest), verify.WithCertificateIdentity(id)))
	if err != nil {
		return nil, b.explain(err, policy)
	}
	out := &KeylessVerified{Identity: b.Identity, Issuer: b.Issuer}
	if res.Signature != nil && res.Signature.Certificate != nil {
		c := res.Signature.Certificate
		out.Identity, out.Issuer = c.SubjectAlternativeName, c.Issuer
	}
	for _, ts := range res.VerifiedTimestamps {
		if out.SignedAt.IsZero() || ts.Timestamp.Before(out.SignedAt) {
			out.SignedAt = ts.Timestamp.UTC()
		}
		if ts.Type == "TimestampAuthority" {
			out.Timestamps++
		}
	}
	for _, e := range entries {
		out.LogIndexes = append(out.LogIndexes, e.LogIndex())
	}
	return out, nil
}

// explain turns sigstore-go's error into one that says which check failed
// and what it means, keeping sigstore-go's words at the end.
func (b *KeylessBundle) explain(err error, policy KeylessPolicy) error {
	var noID *verify.ErrNoMatchingCertificateIdentity
	msg := err.Error()
	switch {
	case errors.As(err, &noID):
		return invalid("signed by %s (issuer %s), not the identity asked for (%s)", b.Identity, b.Issuer, policy.wants())
	case strings.HasPrefix(msg, "failed to verify log inclusion"):
		return invalid("the Sigstore bundle's transparency log entry does not verify against the trusted root's logs: the entry is not for this signature and certificate, the bundle was altered, or another log made it (%v)", err)
	case strings.HasPrefix(msg, "failed to verify timestamps"):
		return invalid("the Sigstore bundle's timestamps do not verify against the trusted root (%v)", err)
	case strings.HasPrefix(msg, "failed to verify leaf certificate"):
		return invalid("the certificate (for %s) was not issued by a certificate authority of the trusted root, or not while it was valid (%v)", b.Identity, err)
	case strings.HasPrefix(msg, "failed to verify signed certificate timestamp"):
		return invalid("the certificate carries no signed certificate timestamp from a CT log of the trusted root (%v)", err)
	case strings.HasPrefix(msg, "failed to verify signature"):
		return invalid("the Sigstore bundle's signature does not verify with its certificate's key: the file was altered or the bundle tampered with (%v)", err)
	}
	return invalid("the Sigstore bundle does not verify: %v", err)
}

// A Digester takes the digests of a message written to it once.
type Digester struct {
	hashes map[crypto.Hash]hash.Hash
	n      int64
}

// NewDigester takes SHA-256 and each of hs.
func NewDigester(hs ...crypto.Hash) *Digester {
	d := &Digester{hashes: map[crypto.Hash]hash.Hash{crypto.SHA256: crypto.SHA256.New()}}
	for _, h := range hs {
		if _, ok := d.hashes[h]; !ok && h.Available() {
			d.hashes[h] = h.New()
		}
	}
	return d
}

// Write hashes the next bytes of the message.
func (d *Digester) Write(p []byte) (int, error) {
	for _, h := range d.hashes {
		h.Write(p)
	}
	d.n += int64(len(p))
	return len(p), nil
}

// Size is the number of bytes written.
func (d *Digester) Size() int64 { return d.n }

// Sum is the digest with h of the bytes written, or nil if it was not
// taken.
func (d *Digester) Sum(h crypto.Hash) []byte {
	if s, ok := d.hashes[h]; ok {
		return s.Sum(nil)
	}
	return nil
}

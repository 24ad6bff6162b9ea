package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	ct "github.com/google/certificate-transparency-go"
	"github.com/google/certificate-transparency-go/ctutil"
	ctx509 "github.com/google/certificate-transparency-go/x509"
	"github.com/google/certificate-transparency-go/x509util"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
	"golang.org/x/mod/semver"
	"google.golang.org/protobuf/encoding/protojson"
)

// Keyless signatures: a Sigstore bundle whose signing key is certified by a
// short-lived Fulcio certificate naming who signed (an OIDC identity and
// its issuer), logged in Rekor, and checked offline against a trusted root
// (trusted_root.json) as `cosign verify-blob --bundle --trusted-root
// --certificate-identity --certificate-oidc-issuer` does, with sigstore-go's
// trusted root and rules (rekor.go says why not its verifier).

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

// matches says whether a certificate's identity and issuer are the ones
// the policy asks for: equal, or matched anywhere by the expression, as
// sigstore-go and cosign match them. Check has compiled the expressions.
func (p KeylessPolicy) matches(identity, issuer string) bool {
	match := func(got, exact, expr string) bool {
		if exact != "" && got != exact {
			return false
		}
		return expr == "" || regexp.MustCompile(expr).MatchString(got)
	}
	return match(identity, p.Identity, p.IdentityRegexp) && match(issuer, p.Issuer, p.IssuerRegexp)
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
	bundle  *protobundle.Bundle
	cert    *x509.Certificate
	entries []*logEntry
	// Identity and Issuer are what the certificate says, unverified until
	// VerifyKeyless has checked it.
	Identity, Issuer string
	// Digest is the file's digest the bundle names, with DigestAlgorithm.
	Digest          []byte
	DigestAlgorithm crypto.Hash
}

// bundleVersion is the version a Sigstore bundle's media type names
// ("v0.3"), or an error for a media type that is not a bundle's.
func bundleVersion(mediaType string) (string, error) {
	const base = "application/vnd.dev.sigstore.bundle"
	if v, ok := strings.CutPrefix(mediaType, base+"+json;version="); ok && (v == "0.1" || v == "0.2" || v == "0.3") {
		return "v" + v, nil
	}
	if v, ok := strings.CutPrefix(mediaType, base+"."); ok && strings.HasSuffix(v, "+json") {
		if v = strings.TrimSuffix(v, "+json"); semver.IsValid(v) {
			return v, nil
		}
	}
	return "", fmt.Errorf("media type %q is not a Sigstore bundle's", mediaType)
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
	var b protobundle.Bundle
	if err := protojson.Unmarshal(data, &b); err != nil {
		return nil, invalid("malformed Sigstore bundle: %v", err)
	}
	version, err := bundleVersion(b.GetMediaType())
	if err != nil {
		return nil, invalid("malformed Sigstore bundle: %v", err)
	}
	if semver.Compare(version, "v0.1") < 0 || semver.Compare(version, "v0.4") >= 0 {
		return nil, invalid("a Sigstore bundle of version %s, where patchline reads v0.1 to v0.3", version)
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
	// The leaf certificate: a v0.3 bundle holds it alone, older ones as
	// the first of a chain whose other certificates are not trusted.
	var der []byte
	switch {
	case vm.GetCertificate() != nil:
		der = vm.GetCertificate().GetRawBytes()
	case vm.GetX509CertificateChain() != nil:
		if semver.Compare(version, "v0.3") >= 0 {
			return nil, invalid("the Sigstore bundle's certificate: a v0.3 bundle holds one certificate, not a chain")
		}
		if certs := vm.GetX509CertificateChain().GetCertificates(); len(certs) > 0 {
			der = certs[0].GetRawBytes()
		}
	}
	if der == nil {
		return nil, invalid("the Sigstore bundle names no certificate")
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, invalid("the Sigstore bundle's certificate: %v", err)
	}
	sum, err := certificate.SummarizeCertificate(cert)
	if err != nil {
		return nil, invalid("the Sigstore bundle's certificate: %v", err)
	}
	kb.cert, kb.Identity, kb.Issuer = cert, sum.SubjectAlternativeName, sum.Issuer
	if n := len(vm.GetTlogEntries()); n > maxTlogEntries {
		return nil, invalid("the Sigstore bundle has %d transparency log entries, more than the %d patchline reads", n, maxTlogEntries)
	}
	var promise, proof bool
	for _, tle := range vm.GetTlogEntries() {
		e, err := parseLogEntry(tle)
		if err != nil {
			return nil, invalid("malformed Sigstore bundle: %v", err)
		}
		promise, proof = promise || e.hasPromise(), proof || e.hasProof()
		kb.entries = append(kb.entries, e)
	}
	switch {
	case len(kb.entries) > 0 && version == "v0.1" && !promise:
		return nil, invalid("malformed Sigstore bundle: a v0.1 bundle's log entries need their promise")
	case len(kb.entries) > 0 && version != "v0.1" && !proof:
		return nil, invalid("malformed Sigstore bundle: a %s bundle's log entries need their inclusion proof", version)
	}
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
// b.DigestAlgorithm is digest, offline, against tr, in the order and with
// the rules of sigstore-go's verifier (cosign verify-blob --bundle): its
// transparency log entries (rekor.go), its RFC 3161 timestamps, at least
// one verified time at which the log or a timestamp authority saw it, the
// certificate's chain to a trusted certificate authority at each of those
// times (and its SCT, when the root names CT logs), the signature with the
// certificate's key, and last the certificate's identity and issuer
// against the policy. Any failure wraps ErrInvalidSignature and says which
// of them failed.
func VerifyKeyless(tr *TrustedRoot, b *KeylessBundle, policy KeylessPolicy, digest []byte) (*KeylessVerified, error) {
	if err := policy.Check(); err != nil {
		return nil, err
	}
	if !bytes.Equal(digest, b.Digest) {
		return nil, invalid("the Sigstore bundle is for other bytes: its digest %s is not the file's %s", hex.EncodeToString(b.Digest), hex.EncodeToString(digest))
	}
	if len(b.entries) == 0 {
		return nil, invalid("the Sigstore bundle has no transparency log (Rekor) entry: a keyless signature must be logged, and patchline checks the entry offline")
	}
	ms := b.bundle.GetMessageSignature()
	signed := signedContent{signature: ms.GetSignature(), cert: b.cert, digest: b.Digest, digestAlg: ms.GetMessageDigest().GetAlgorithm()}
	logTimes, err := verifyLogEntries(tr.root, b.entries, signed)
	if err != nil {
		return nil, invalid("the Sigstore bundle's transparency log entry does not verify against the trusted root's logs: the entry is not for this signature and certificate, the bundle was altered, or another log made it (%v)", err)
	}
	stamps := b.bundle.GetVerificationMaterial().GetTimestampVerificationData().GetRfc3161Timestamps()
	if len(stamps) > maxTimestamps {
		return nil, invalid("the Sigstore bundle's timestamps do not verify against the trusted root: %d timestamps, more than the %d patchline reads", len(stamps), maxTimestamps)
	}
	tsaTimes, tsaErrs := verifyTimestamps(tr.root, stamps, signed.signature)
	if len(logTimes)+len(tsaTimes) < 1 {
		return nil, invalid("the Sigstore bundle's timestamps do not verify against the trusted root: neither a log's promise nor a timestamp authority says when it was signed (%v)", errors.Join(tsaErrs...))
	}
	times := append(logTimes, tsaTimes...)
	chains, err := verifyLeaf(tr.root, b.cert, times)
	if err != nil {
		return nil, invalid("the certificate (for %s) was not issued by a certificate authority of the trusted root, or not while it was valid (%v)", b.Identity, err)
	}
	if tr.RequiresSCT() {
		if err := verifySCT(tr.root, chains); err != nil {
			return nil, invalid("the certificate carries no signed certificate timestamp from a CT log of the trusted root (%v)", err)
		}
	}
	if err := verifyMessageSignature(b.cert, signed.signature, digest); err != nil {
		return nil, invalid("the Sigstore bundle's signature does not verify with its certificate's key: the file was altered or the bundle tampered with (%v)", err)
	}
	if !policy.matches(b.Identity, b.Issuer) {
		return nil, invalid("signed by %s (issuer %s), not the identity asked for (%s)", b.Identity, b.Issuer, policy.wants())
	}
	out := &KeylessVerified{Identity: b.Identity, Issuer: b.Issuer, Timestamps: len(tsaTimes)}
	for _, t := range times {
		if out.SignedAt.IsZero() || t.Before(out.SignedAt) {
			out.SignedAt = t.UTC()
		}
	}
	for _, e := range b.entries {
		out.LogIndexes = append(out.LogIndexes, e.tle.GetLogIndex())
	}
	return out, nil
}

// verifyTimestamps checks the bundle's RFC 3161 timestamps over its
// signature against the root's timestamp authorities, one per authority,
// and returns the times they vouch for and why the others failed.
func verifyTimestamps(tr *root.TrustedRoot, stamps []*protocommon.RFC3161SignedTimestamp, sig []byte) ([]time.Time, []error) {
	var times []time.Time
	var errs []error
	seen := map[string]bool{}
	for _, st := range stamps {
		var ts *root.Timestamp
		var tsErrs []error
		for _, tsa := range tr.TimestampingAuthorities() {
			t, err := tsa.Verify(st.GetSignedTimestamp(), sig)
			if err == nil {
				ts = t
				break
			}
			tsErrs = append(tsErrs, err)
		}
		switch {
		case ts == nil:
			errs = append(errs, fmt.Errorf("a timestamp does not verify: %w", errors.Join(tsErrs...)))
		case seen[ts.URI]:
			errs = append(errs, fmt.Errorf("a second timestamp from %s is not counted", ts.URI))
		default:
			seen[ts.URI] = true
			times = append(times, ts.Time)
		}
	}
	return times, errs
}

// verifyLeaf chains the certificate to a certificate authority of the root
// at each of the times it was seen signing (a Fulcio certificate lives ten
// minutes), and returns the chains of the last.
func verifyLeaf(tr *root.TrustedRoot, cert *x509.Certificate, times []time.Time) ([][]*x509.Certificate, error) {
	// Fulcio marks the subject alternative name critical when the subject
	// is empty, which x509 leaves to its caller.
	var unhandled []asn1.ObjectIdentifier
	for _, oid := range cert.UnhandledCriticalExtensions {
		if !oid.Equal(cryptoutils.SANOID) {
			unhandled = append(unhandled, oid)
		}
	}
	cert.UnhandledCriticalExtensions = unhandled
	var chains [][]*x509.Certificate
	for _, t := range times {
		chains = nil
		var errs []error
		for _, ca := range tr.FulcioCertificateAuthorities() {
			c, err := ca.Verify(cert, t)
			if err == nil {
				chains = c
				break
			}
			errs = append(errs, err)
		}
		if chains == nil {
			return nil, fmt.Errorf("at %s: %w", t.UTC().Format(time.RFC3339), errors.Join(errs...))
		}
	}
	return chains, nil
}

// verifySCT checks that the certificate carries a signed certificate
// timestamp from a CT log of the root, valid when it was issued.
func verifySCT(tr *root.TrustedRoot, chains [][]*x509.Certificate) error {
	if len(chains) == 0 || len(chains[0]) == 0 {
		return errors.New("no chain")
	}
	leaf := chains[0][0]
	scts, err := x509util.ParseSCTsFromCertificate(leaf.Raw)
	if err != nil {
		return err
	}
	ctLeaf, err := ctx509.ParseCertificates(leaf.Raw)
	if err != nil {
		return err
	}
	logs := tr.CTLogs()
	for _, sct := range scts {
		log, ok := logs[hex.EncodeToString(sct.LogID.KeyID[:])]
		if !ok {
			continue
		}
		at := ct.TimestampToTime(sct.Timestamp)
		if (!log.ValidityPeriodStart.IsZero() && at.Before(log.ValidityPeriodStart)) || (!log.ValidityPeriodEnd.IsZero() && at.After(log.ValidityPeriodEnd)) {
			continue
		}
		for _, chain := range chains {
			if len(chain) < 2 {
				continue
			}
			issuer, err := ctx509.ParseCertificates(chain[1].Raw)
			if err != nil {
				continue
			}
			if ctutil.VerifySCT(log.PublicKey, append(slices.Clone(ctLeaf), issuer...), sct, true) == nil {
				return nil
			}
		}
	}
	return fmt.Errorf("none of its %d SCTs verifies", len(scts))
}

// verifyMessageSignature checks the signature over digest with the
// certificate's key, as sigstore-go does: an ECDSA P-384 or P-521 key may
// have signed a SHA-256 digest, as older clients did.
func verifyMessageSignature(cert *x509.Certificate, sig, digest []byte) error {
	v, err := signature.LoadDefaultVerifier(cert.PublicKey, options.WithED25519ph())
	if err != nil {
		return err
	}
	if _, ok := v.(*signature.ED25519Verifier); ok {
		return errors.New("a pure Ed25519 signature can only be checked against the file, not its digest")
	}
	err = v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(nil), options.WithDigest(digest))
	if err == nil {
		return nil
	}
	if pk, ok := cert.PublicKey.(*ecdsa.PublicKey); ok {
		var details protocommon.PublicKeyDetails
		switch pk.Curve {
		case elliptic.P384():
			//lint:ignore SA1019 deprecated for signing, still verified as sigstore-go does
			details = protocommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_256
		case elliptic.P521():
			//lint:ignore SA1019 deprecated for signing, still verified as sigstore-go does
			details = protocommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_256
		default:
			return err
		}
		alg, aerr := signature.GetAlgorithmDetails(details)
		if aerr != nil {
			return err
		}
		cv, cerr := signature.LoadVerifierFromAlgorithmDetails(cert.PublicKey, alg, options.WithED25519ph())
		if cerr == nil && cv.VerifySignature(bytes.NewReader(sig), bytes.NewReader(nil), options.WithDigest(digest)) == nil {
			return nil
		}
	}
	return err
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

package sign

import (
	"bytes"
	"crypto"
	_ "crypto/sha256" // the digests a Sigstore bundle names
	_ "crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"strings"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// Formats of a signature file.
const (
	FormatSignature      = "signature"       // BUNDLE.sig: the base64 signature, as cosign sign-blob writes it
	FormatSigstoreBundle = "sigstore-bundle" // BUNDLE.sigstore.json: a Sigstore bundle with a message signature
	FormatCosignBundle   = "cosign-bundle"   // cosign sign-blob --bundle's older JSON (base64Signature)
)

// File name suffixes of the signature files beside a signed file.
const (
	SignatureSuffix      = ".sig"
	SigstoreBundleSuffix = ".sigstore.json"
)

// BundleMediaType is the media type of the Sigstore bundles patchline
// writes, as cosign does.
const BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// The Sigstore bundle media types patchline reads.
var bundleMediaTypes = map[string]bool{
	BundleMediaType: true,
	"application/vnd.dev.sigstore.bundle+json;version=0.3": true,
	"application/vnd.dev.sigstore.bundle+json;version=0.2": true,
	"application/vnd.dev.sigstore.bundle+json;version=0.1": true,
}

// MaxSignatureFileSize bounds what is read of a signature file or Sigstore
// bundle: a bundle holds a signature, a digest and a hint, or at most a
// certificate chain and a few log entries.
const MaxSignatureFileSize = 1 << 20

// Signature is a signature over a file's bytes, and what a Sigstore bundle
// says along with it.
type Signature struct {
	Raw []byte
	// Digest is the file's digest with DigestAlgorithm, as a Sigstore
	// bundle records it; nil for a bare signature file.
	Digest          []byte
	DigestAlgorithm crypto.Hash
	// KeyHint is the signing key's hint from a Sigstore bundle, if any.
	KeyHint string
	Format  string
}

// Sign signs the bytes message reads to its end.
func (k *PrivateKey) Sign(message io.Reader) (*Signature, error) {
	alg := k.public.hash
	if alg == 0 {
		alg = crypto.SHA256 // Ed25519 signs the bytes; the bundle still names their SHA-256
	}
	h := alg.New()
	tee := io.TeeReader(message, h)
	raw, err := k.signer.SignMessage(tee)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return &Signature{Raw: raw, Digest: h.Sum(nil), DigestAlgorithm: alg, KeyHint: k.public.Hint(), Format: FormatSignature}, nil
}

// SignatureFile is the signature as cosign sign-blob writes it: base64,
// no newline.
func (s *Signature) SignatureFile() []byte {
	return []byte(base64.StdEncoding.EncodeToString(s.Raw))
}

// SigstoreBundle is the signature as a Sigstore bundle (protobuf-specs
// v0.3 JSON): the key's hint, the file's digest and the signature, as
// `cosign sign-blob --new-bundle-format --key` writes it without a
// transparency log. Its whitespace is fixed, so the same signature gives
// the same bytes.
func (s *Signature) SigstoreBundle() ([]byte, error) {
	alg, ok := protoHash(s.DigestAlgorithm)
	if !ok || s.Digest == nil {
		return nil, fmt.Errorf("sigstore bundle: no SHA-2 digest of the file")
	}
	b := &protobundle.Bundle{
		MediaType: BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_PublicKey{
				PublicKey: &protocommon.PublicKeyIdentifier{Hint: s.KeyHint},
			},
		},
		Content: &protobundle.Bundle_MessageSignature{
			MessageSignature: &protocommon.MessageSignature{
				MessageDigest: &protocommon.HashOutput{Algorithm: alg, Digest: s.Digest},
				Signature:     s.Raw,
			},
		},
	}
	js, err := protojson.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("sigstore bundle: %w", err)
	}
	// protojson varies its whitespace on purpose; fix it.
	var compact, out bytes.Buffer
	if err := json.Compact(&compact, js); err != nil {
		return nil, fmt.Errorf("sigstore bundle: %w", err)
	}
	if err := json.Indent(&out, compact.Bytes(), "", "  "); err != nil {
		return nil, fmt.Errorf("sigstore bundle: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

func protoHash(h crypto.Hash) (protocommon.HashAlgorithm, bool) {
	switch h {
	case crypto.SHA256:
		return protocommon.HashAlgorithm_SHA2_256, true
	case crypto.SHA384:
		return protocommon.HashAlgorithm_SHA2_384, true
	case crypto.SHA512:
		return protocommon.HashAlgorithm_SHA2_512, true
	}
	return protocommon.HashAlgorithm_HASH_ALGORITHM_UNSPECIFIED, false
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidSignature, fmt.Sprintf(format, args...))
}

// ParseSignatureFile reads a signature file as cosign verify-blob does:
// base64, or the raw signature bytes when it is not base64.
func ParseSignatureFile(data []byte) (*Signature, error) {
	if len(data) > MaxSignatureFileSize {
		return nil, invalid("a signature file of %d bytes is too large", len(data))
	}
	text := bytes.TrimSpace(data)
	if len(text) == 0 {
		return nil, invalid("the signature file is empty")
	}
	raw, err := base64.StdEncoding.DecodeString(string(text))
	if err != nil {
		raw = data
	}
	return &Signature{Raw: raw, Format: FormatSignature}, nil
}

// ParseBundleFile reads a Sigstore bundle (protobuf-specs JSON, v0.1 to
// v0.3) holding a message signature made with a key, or the older JSON
// that `cosign sign-blob --bundle` writes. Anything else in it, or a bundle
// that names a certificate (keyless signing, which ParseKeylessBundle
// reads), is refused.
func ParseBundleFile(data []byte) (*Signature, error) {
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
		return parseCosignBundle(data)
	}
	var b protobundle.Bundle
	if err := (protojson.UnmarshalOptions{}).Unmarshal(data, &b); err != nil {
		return nil, invalid("malformed Sigstore bundle: %v", err)
	}
	if !bundleMediaTypes[b.GetMediaType()] {
		return nil, invalid("Sigstore bundle media type %q: want %s", b.GetMediaType(), BundleMediaType)
	}
	vm := b.GetVerificationMaterial()
	switch {
	case vm.GetCertificate() != nil, vm.GetX509CertificateChain() != nil:
		return nil, invalid("the Sigstore bundle names a certificate (keyless signing), which no key verifies: verify it with --certificate-identity, --certificate-oidc-issuer and --trusted-root instead of --key")
	case vm.GetPublicKey() == nil:
		return nil, invalid("the Sigstore bundle names no public key")
	}
	ms := b.GetMessageSignature()
	if ms == nil {
		return nil, invalid("the Sigstore bundle holds no message signature (a DSSE attestation is not a signature over the file)")
	}
	if len(ms.GetSignature()) == 0 {
		return nil, invalid("the Sigstore bundle's signature is empty")
	}
	sig := &Signature{Raw: ms.GetSignature(), KeyHint: vm.GetPublicKey().GetHint(), Format: FormatSigstoreBundle}
	if d := ms.GetMessageDigest(); d != nil {
		switch d.GetAlgorithm() {
		case protocommon.HashAlgorithm_SHA2_256:
			sig.DigestAlgorithm = crypto.SHA256
		case protocommon.HashAlgorithm_SHA2_384:
			sig.DigestAlgorithm = crypto.SHA384
		case protocommon.HashAlgorithm_SHA2_512:
			sig.DigestAlgorithm = crypto.SHA512
		default:
			return nil, invalid("the Sigstore bundle's digest algorithm %s is not SHA-2", d.GetAlgorithm())
		}
		if len(d.GetDigest()) != sig.DigestAlgorithm.Size() {
			return nil, invalid("the Sigstore bundle's %s digest is %d bytes", d.GetAlgorithm(), len(d.GetDigest()))
		}
		sig.Digest = d.GetDigest()
	}
	return sig, nil
}

// cosignBundle is cosign's LocalSignedPayload.
type cosignBundle struct {
	Base64Signature string          `json:"base64Signature"`
	Cert            string          `json:"cert,omitempty"`
	RekorBundle     json.RawMessage `json:"rekorBundle,omitempty"`
}

func parseCosignBundle(data []byte) (*Signature, error) {
	var cb cosignBundle
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cb); err != nil {
		return nil, invalid("malformed cosign bundle: %v", err)
	}
	if strings.Contains(decodeLoose(cb.Cert), "CERTIFICATE") {
		return nil, invalid("the cosign bundle names a certificate (keyless signing) in cosign's older format, which patchline does not verify: verify it with cosign verify-blob, or sign with cosign sign-blob --new-bundle-format")
	}
	raw, err := base64.StdEncoding.DecodeString(cb.Base64Signature)
	if err != nil || len(raw) == 0 {
		return nil, invalid("the cosign bundle's base64Signature is not a base64 signature")
	}
	return &Signature{Raw: raw, Format: FormatCosignBundle}, nil
}

func decodeLoose(s string) string {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return string(b)
	}
	return s
}

// Verify checks sig over the bytes message reads to its end. Beside the
// signature itself, a Sigstore bundle's digest must be the file's and its
// key hint the key's: every byte of it counts.
func (k *PublicKey) Verify(message io.Reader, sig *Signature) error {
	var h hash.Hash
	if sig.Digest != nil {
		h = sig.DigestAlgorithm.New()
		message = io.TeeReader(message, h)
	}
	var verr error
	if k.prehashed != nil {
		// Ed25519 signs the whole message, and Ed25519ph its SHA-512: read
		// it once for both.
		data, err := io.ReadAll(message)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		if verr = k.verifier.VerifySignature(bytes.NewReader(sig.Raw), bytes.NewReader(data)); verr != nil {
			verr = k.prehashed.VerifySignature(bytes.NewReader(sig.Raw), bytes.NewReader(data))
		}
	} else {
		verr = k.verifier.VerifySignature(bytes.NewReader(sig.Raw), message)
	}
	var digest []byte
	if h != nil {
		if _, err := io.Copy(io.Discard, message); err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		digest = h.Sum(nil)
	}
	return k.judge(sig, digest, verr)
}

// judge turns what was found of sig into Verify's answer: the key hint
// first, then the Sigstore bundle's digest (digest is the file's, with
// sig.DigestAlgorithm), then the signature itself (verr).
func (k *PublicKey) judge(sig *Signature, digest []byte, verr error) error {
	if sig.KeyHint != "" && sig.KeyHint != k.Hint() {
		return invalid("signed with another key: the bundle's key hint %s is not this key's (%s)", sig.KeyHint, k.Hint())
	}
	if sig.Digest != nil && !bytes.Equal(digest, sig.Digest) {
		return invalid("the %s is for other bytes: its digest %s is not the file's %s", describe(sig.Format), hex.EncodeToString(sig.Digest), hex.EncodeToString(digest))
	}
	if verr != nil {
		return invalid("the %s does not verify with this key (%s): the file was altered, the signature is for another file, or another key signed it", describe(sig.Format), k.Algorithm())
	}
	return nil
}

func describe(format string) string {
	switch format {
	case FormatSigstoreBundle:
		return "Sigstore bundle"
	case FormatCosignBundle:
		return "cosign bundle"
	}
	return "signature"
}

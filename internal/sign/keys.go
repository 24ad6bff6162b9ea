// Package sign signs and verifies patchline's bundles the way cosign signs
// and verifies blobs, offline, with a key pair: cosign's encrypted private
// key format, its base64 signature file (BUNDLE.sig) and a Sigstore bundle
// (BUNDLE.sigstore.json) that carries the signature with the key's hint.
//
// A signature is over the whole file's bytes: ECDSA P-256 over its SHA-256
// (cosign's default key), Ed25519 over the bytes themselves (as cosign
// sign-blob does offline), or RSA PKCS #1 v1.5 over its SHA-256. Keyless
// signatures (a Fulcio certificate and a Rekor entry, made by cosign in CI)
// are verified offline against a trusted root (keyless.go); patchline makes
// none, which needs an OIDC token and the network.
package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/patchline/patchline/internal/lazyre"
)

// Errors, for errors.Is. The first two are verification failures, the rest
// are problems with a key the user gave.
var (
	// ErrInvalidSignature: a signature, a signature file or a Sigstore
	// bundle does not verify, is malformed, or is for other bytes.
	ErrInvalidSignature = errors.New("signature verification failed")
	// ErrUnsigned: there is no signature to verify.
	ErrUnsigned = errors.New("not signed")
	// ErrBadKey: a key reference that cannot be read or a PEM block that is
	// not a key of the kind asked for.
	ErrBadKey = errors.New("bad key")
	// ErrWrongPassword: the password does not decrypt the private key.
	ErrWrongPassword = errors.New("wrong password")
	// ErrNoPassword: the private key is encrypted with a password and none
	// was given.
	ErrNoPassword = errors.New("no password")
	// ErrUnsupportedKey: a key of a type or size patchline does not sign
	// or verify with.
	ErrUnsupportedKey = errors.New("unsupported key")
)

// PEM block types of cosign's key files.
const (
	SigstorePrivateKeyPEM = "ENCRYPTED SIGSTORE PRIVATE KEY" // what cosign and patchline write
	CosignPrivateKeyPEM   = "ENCRYPTED COSIGN PRIVATE KEY"   // what older cosign wrote
	PublicKeyPEM          = "PUBLIC KEY"
)

// Algorithms GenerateKeyPair makes.
const (
	ECDSAP256 = "ecdsa-p256" // cosign's default
	Ed25519   = "ed25519"
)

// Algorithms are the values GenerateKeyPair takes.
var Algorithms = []string{ECDSAP256, Ed25519}

// MaxKeySize bounds what is read of a key file or variable.
const MaxKeySize = 64 << 10

// PassFunc returns the password of a private key. It is called only for
// an encrypted key, once.
type PassFunc func() ([]byte, error)

// KeyPair is a new key pair, PEM-encoded as cosign writes it.
type KeyPair struct {
	PrivatePEM []byte // ENCRYPTED SIGSTORE PRIVATE KEY: scrypt + NaCl secretbox over PKCS #8
	PublicPEM  []byte // PUBLIC KEY: PKIX
	Public     *PublicKey
}

// GenerateKeyPair makes a key pair of the algorithm (ECDSAP256 when empty)
// whose private key is encrypted with password, in cosign's format: a key
// from `cosign generate-key-pair` and one from here are interchangeable.
func GenerateKeyPair(algorithm string, password []byte) (*KeyPair, error) {
	var priv crypto.Signer
	var err error
	switch algorithm {
	case "", ECDSAP256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case Ed25519:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, fmt.Errorf("%w: algorithm %q: choose one of %s", ErrUnsupportedKey, algorithm, strings.Join(Algorithms, ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	// encrypted.Encrypt is what cosign calls: scrypt (N=2^16, r=8, p=1)
	// and NaCl secretbox, as JSON inside the PEM block.
	sealed, err := encrypted.Encrypt(der, password)
	if err != nil {
		return nil, fmt.Errorf("encrypt key: %w", err)
	}
	pub, err := newPublicKey(priv.Public())
	if err != nil {
		return nil, err
	}
	return &KeyPair{
		PrivatePEM: pem.EncodeToMemory(&pem.Block{Type: SigstorePrivateKeyPEM, Bytes: sealed}),
		PublicPEM:  pub.PEM(),
		Public:     pub,
	}, nil
}

// PublicKey verifies signatures.
type PublicKey struct {
	key      crypto.PublicKey
	verifier signature.Verifier
	// prehashed verifies Ed25519ph, what cosign signs with an Ed25519 key
	// when it uploads to a transparency log; nil for other keys.
	prehashed signature.Verifier
	hash      crypto.Hash // what the message is hashed with; 0 for Ed25519
	alg       string
}

// ParsePublicKey reads a PEM public key (PKIX, as cosign.pub holds it).
func ParsePublicKey(data []byte) (*PublicKey, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block: want a public key (-----BEGIN PUBLIC KEY-----)", ErrBadKey)
	}
	switch block.Type {
	case PublicKeyPEM, "RSA PUBLIC KEY":
	case SigstorePrivateKeyPEM, CosignPrivateKeyPEM, "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY":
		return nil, fmt.Errorf("%w: this is a private key: verifying takes the public key (cosign.pub)", ErrBadKey)
	default:
		return nil, fmt.Errorf("%w: PEM block %q: want a public key (PUBLIC KEY)", ErrBadKey, block.Type)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%w: data after the public key", ErrBadKey)
	}
	key, err := cryptoutils.UnmarshalPEMToPublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	return newPublicKey(key)
}

func newPublicKey(key crypto.PublicKey) (*PublicKey, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	details, err := signature.GetDefaultAlgorithmDetails(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
	}
	v, err := signature.LoadDefaultVerifier(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
	}
	pk := &PublicKey{key: key, verifier: v, hash: details.GetHashType(), alg: algorithmName(key, details.GetHashType())}
	if ed, ok := key.(ed25519.PublicKey); ok {
		if pk.prehashed, err = signature.LoadED25519phVerifier(ed); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
		}
	}
	return pk, nil
}

// checkKey allows the keys cosign signs blobs with: ECDSA on P-256, P-384
// or P-521, Ed25519, RSA of 2048 to 4096 bits.
func checkKey(key crypto.PublicKey) error {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return nil
		case nil:
			return fmt.Errorf("%w: ECDSA key without a curve", ErrUnsupportedKey)
		}
		return fmt.Errorf("%w: ECDSA curve %s: use P-256, P-384 or P-521", ErrUnsupportedKey, k.Curve.Params().Name)
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: Ed25519 key of %d bytes, want %d", ErrUnsupportedKey, len(k), ed25519.PublicKeySize)
		}
		return nil
	case *rsa.PublicKey:
		if bits := k.N.BitLen(); bits < 2048 || bits > 4096 {
			return fmt.Errorf("%w: RSA key of %d bits: use 2048 to 4096 bits", ErrUnsupportedKey, bits)
		}
		return nil
	}
	return fmt.Errorf("%w: %T keys cannot sign: use ECDSA P-256 (cosign's default) or Ed25519", ErrUnsupportedKey, key)
}

func algorithmName(key crypto.PublicKey, h crypto.Hash) string {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		return fmt.Sprintf("ecdsa-%s-%s", strings.ToLower(strings.ReplaceAll(k.Curve.Params().Name, "-", "")), hashName(h))
	case ed25519.PublicKey:
		return Ed25519
	case *rsa.PublicKey:
		return fmt.Sprintf("rsa-%d-pkcs1v15-%s", k.Size()*8, hashName(h))
	}
	return fmt.Sprintf("%T", key)
}

func hashName(h crypto.Hash) string {
	return strings.ToLower(strings.ReplaceAll(h.String(), "-", ""))
}

// Algorithm names the key and signature scheme, e.g. "ecdsa-p256-sha256".
func (k *PublicKey) Algorithm() string { return k.alg }

// PEM encodes the key as cosign.pub holds it.
func (k *PublicKey) PEM() []byte {
	out, err := cryptoutils.MarshalPublicKeyToPEM(k.key)
	if err != nil {
		// Unreachable: the key was checked when it was made.
		panic(err)
	}
	return out
}

// Hint is the key's hint in a Sigstore bundle, as cosign computes it: the
// base64 SHA-256 of the PKIX encoding.
func (k *PublicKey) Hint() string {
	der, err := x509.MarshalPKIXPublicKey(k.key)
	if err != nil {
		panic(err) // unreachable, as in PEM
	}
	sum := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Equal reports whether both are the same key.
func (k *PublicKey) Equal(other *PublicKey) bool {
	e, ok := k.key.(interface{ Equal(crypto.PublicKey) bool })
	return ok && other != nil && e.Equal(other.key)
}

// PrivateKey signs.
type PrivateKey struct {
	signer signature.SignerVerifier
	public *PublicKey
}

// ParsePrivateKey decrypts a cosign private key (ENCRYPTED SIGSTORE PRIVATE
// KEY, or the older ENCRYPTED COSIGN PRIVATE KEY) with the password pass
// returns.
func ParsePrivateKey(data []byte, pass PassFunc) (*PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block: want a cosign private key (-----BEGIN %s-----)", ErrBadKey, SigstorePrivateKeyPEM)
	}
	switch block.Type {
	case SigstorePrivateKeyPEM, CosignPrivateKeyPEM:
	case PublicKeyPEM, "RSA PUBLIC KEY":
		return nil, fmt.Errorf("%w: this is a public key: signing takes the private key (cosign.key)", ErrBadKey)
	case "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY":
		return nil, fmt.Errorf("%w: an unencrypted %s: patchline, like cosign, signs with encrypted keys; convert it with `cosign import-key-pair --key FILE`", ErrBadKey, block.Type)
	default:
		return nil, fmt.Errorf("%w: PEM block %q: want %s", ErrBadKey, block.Type, SigstorePrivateKeyPEM)
	}
	password, err := pass()
	if err != nil {
		return nil, err
	}
	der, err := encrypted.Decrypt(block.Bytes, password)
	if err != nil {
		if strings.Contains(err.Error(), "decryption failed") && len(password) == 0 {
			return nil, fmt.Errorf("%w: the private key is encrypted and no password was given: set COSIGN_PASSWORD to the key's password, or run on a terminal to be asked for it", ErrNoPassword)
		}
		if strings.Contains(err.Error(), "decryption failed") {
			return nil, fmt.Errorf("%w: the password does not decrypt the private key (set COSIGN_PASSWORD to the key's password)", ErrWrongPassword)
		}
		return nil, fmt.Errorf("%w: the encrypted private key is damaged: %v", ErrBadKey, err)
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: the decrypted private key is not PKCS #8: %v", ErrUnsupportedKey, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %T keys cannot sign: use ECDSA P-256 (cosign's default) or Ed25519", ErrUnsupportedKey, key)
	}
	pub, err := newPublicKey(signer.Public())
	if err != nil {
		return nil, err
	}
	// No ED25519ph option: Ed25519 signs the bytes themselves, as cosign
	// sign-blob does when it uploads nothing to a transparency log.
	sv, err := signature.LoadDefaultSignerVerifier(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
	}
	return &PrivateKey{signer: sv, public: pub}, nil
}

// Public returns the key that verifies k's signatures.
func (k *PrivateKey) Public() *PublicKey { return k.public }

// KMS and hardware key references cosign knows; patchline reads none of them.
var otherRef = lazyre.New(`^([a-z][a-z0-9+.-]*://|pkcs11:)`)

// ReadKeyRef reads a key reference: `env://VAR` (the key's PEM in an
// environment variable, as cosign reads it) or a file path. KMS URIs and
// hardware tokens are refused with ErrBadKey.
func ReadKeyRef(ref string, getenv func(string) string) ([]byte, error) {
	if name, ok := strings.CutPrefix(ref, "env://"); ok {
		if name == "" {
			return nil, fmt.Errorf("%w: %q names no variable: write env://VAR", ErrBadKey, ref)
		}
		v := getenv(name)
		if v == "" {
			return nil, fmt.Errorf("%w: %s: the variable %s is not set or empty", ErrBadKey, ref, name)
		}
		if len(v) > MaxKeySize {
			return nil, fmt.Errorf("%w: %s: %d bytes is too large for a key", ErrBadKey, ref, len(v))
		}
		return []byte(v), nil
	}
	if ref == "" {
		return nil, fmt.Errorf("%w: no key given", ErrBadKey)
	}
	if m := otherRef.FindString(ref); m != "" {
		return nil, fmt.Errorf("%w: %s: %s keys are not supported: give a key file or env://VAR (sign with cosign for KMS keys; patchline verifies their signatures with the public key)", ErrBadKey, ref, strings.TrimSuffix(strings.TrimSuffix(m, "://"), ":"))
	}
	f, err := os.Open(ref)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxKeySize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadKey, ref, err)
	}
	if len(data) > MaxKeySize {
		return nil, fmt.Errorf("%w: %s: larger than %d bytes, not a key", ErrBadKey, ref, MaxKeySize)
	}
	return data, nil
}

// LoadPrivateKey reads and decrypts the private key at ref.
func LoadPrivateKey(ref string, getenv func(string) string, pass PassFunc) (*PrivateKey, error) {
	data, err := ReadKeyRef(ref, getenv)
	if err != nil {
		return nil, err
	}
	k, err := ParsePrivateKey(data, pass)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	return k, nil
}

// LoadPublicKey reads the public key at ref.
func LoadPublicKey(ref string, getenv func(string) string) (*PublicKey, error) {
	data, err := ReadKeyRef(ref, getenv)
	if err != nil {
		return nil, err
	}
	k, err := ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	return k, nil
}

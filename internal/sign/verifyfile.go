package sign

import (
	"crypto"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/patchline/patchline/internal/bundle"
)

// EnvPublicKey is the public key a file is verified with when no key is
// named: a file or env://VAR.
const EnvPublicKey = "PATCHLINE_KEY"

// DefaultMaxFileSize is the largest file VerifyFile copies to check its
// signature: as large as the largest file a bundle may rebuild, where a
// patch's bundle holds deltas and compressed files.
const DefaultMaxFileSize = bundle.MaxFileSize

// InputError is a file, a path or a reference the user gave that cannot
// be used as it is: bad input rather than a failed verification. Its text
// is the cause's.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputError(format string, args ...any) error {
	return &InputError{Err: fmt.Errorf(format, args...)}
}

// FilePolicy says how the signatures of a file are checked: with a public
// key, or keylessly when Keyless is set, and which signature files count.
type FilePolicy struct {
	// KeyRef is the public key: a file or env://VAR; "" is $PATCHLINE_KEY.
	KeyRef string
	// Signature and SigstoreBundle name the signature files; when both
	// are "", PATH.sig and PATH.sigstore.json are taken where they exist.
	Signature      string
	SigstoreBundle string
	// MaxSize bounds the file copied to be verified; 0 is DefaultMaxFileSize.
	MaxSize int64
	// Keyless, when set, checks a keyless Sigstore bundle against the
	// trusted root in the file TrustedRoot, and never a key.
	Keyless     *KeylessPolicy
	TrustedRoot string
	// Getenv reads key references (env://VAR) and $PATCHLINE_KEY.
	Getenv func(string) string
}

func (p FilePolicy) maxSize() int64 {
	if p.MaxSize <= 0 {
		return DefaultMaxFileSize
	}
	return p.MaxSize
}

func (p FilePolicy) getenv(k string) string {
	if p.Getenv == nil {
		return ""
	}
	return p.Getenv(k)
}

// PublicKeyRef is the public key reference a file is verified with: ref,
// else $PATCHLINE_KEY.
func PublicKeyRef(ref string, getenv func(string) string) (string, error) {
	if ref != "" {
		return ref, nil
	}
	if getenv != nil {
		if env := getenv(EnvPublicKey); env != "" {
			return env, nil
		}
	}
	return "", inputError("no public key to verify with: give --key cosign.pub (or env://VAR), or set %s", EnvPublicKey)
}

// CheckedSignature is one signature file that verified.
type CheckedSignature struct {
	Path   string `json:"path"`
	Format string `json:"format"` // signature, sigstore-bundle or cosign-bundle
}

// VerifiedFile is a copy of a file whose signatures verified, made where
// nobody else writes before they were checked: what is read next is what
// was verified, whatever happens to the original meanwhile.
type VerifiedFile struct {
	Path       string // the copy
	SHA256     string
	KeyRef     string
	Key        *PublicKey
	Signatures []CheckedSignature
	Keyless    *KeylessVerified // instead of Key, for a keyless signature
	dir        string
}

// Close removes the copy.
func (v *VerifiedFile) Close() error { return os.RemoveAll(v.dir) }

// Signer says who signed what verified: the key, or the keyless identity.
func (v *VerifiedFile) Signer() string {
	if k := v.Keyless; k != nil {
		return fmt.Sprintf("%s (issuer %s, keyless)", k.Identity, k.Issuer)
	}
	if v.Key != nil {
		return fmt.Sprintf("%s (%s)", v.KeyRef, v.Key.Algorithm())
	}
	return v.KeyRef
}

// VerifyFile verifies the signatures of the file at path before anything
// else reads it: every signature file the policy names, or else every one
// found beside it (PATH.sigstore.json, PATH.sig), and at least one. On
// success the caller reads the copy and closes it.
func VerifyFile(path string, p FilePolicy) (*VerifiedFile, error) {
	if p.Keyless != nil {
		return verifyKeylessFile(path, p)
	}
	ref, err := PublicKeyRef(p.KeyRef, p.Getenv)
	if err != nil {
		return nil, err
	}
	key, err := LoadPublicKey(ref, p.getenv)
	if err != nil {
		return nil, err
	}
	type claim struct {
		file CheckedSignature
		sig  *Signature
	}
	var claims []claim
	add := func(sp, format string, explicit bool) error {
		data, err := readSignatureFile(sp)
		if errors.Is(err, fs.ErrNotExist) && !explicit {
			return nil
		}
		if err != nil {
			return err
		}
		parse := ParseSignatureFile
		if format == FormatSigstoreBundle {
			parse = ParseBundleFile
		}
		sig, err := parse(data)
		if err != nil {
			return fmt.Errorf("%s: %w", sp, err)
		}
		claims = append(claims, claim{CheckedSignature{Path: filepath.Clean(sp), Format: sig.Format}, sig})
		return nil
	}
	explicit := p.Signature != "" || p.SigstoreBundle != ""
	sigPath, bundlePath := p.Signature, p.SigstoreBundle
	if !explicit {
		sigPath, bundlePath = path+SignatureSuffix, path+SigstoreBundleSuffix
	}
	// The Sigstore bundle first: with the key's hint and the file's digest,
	// it tells another key and another file apart from tampering.
	if bundlePath != "" {
		if err := add(bundlePath, FormatSigstoreBundle, explicit); err != nil {
			return nil, err
		}
	}
	if sigPath != "" {
		if err := add(sigPath, FormatSignature, explicit); err != nil {
			return nil, err
		}
	}
	if len(claims) == 0 {
		return nil, fmt.Errorf("%w: no %s or %s beside %s (sign it with patchline sign, name its signature with --signature or --bundle, or, to install it unverified, --insecure-skip-verify)",
			ErrUnsigned, filepath.Base(path)+SignatureSuffix, filepath.Base(path)+SigstoreBundleSuffix, path)
	}

	// The copy is hashed as it is made, for every signature at once: one
	// pass over the original, which is never read again.
	sigs := make([]*Signature, len(claims))
	for i, c := range claims {
		sigs[i] = c.sig
	}
	mv := key.NewMessageVerifier(sigs...)
	v, err := privateCopy(path, p.maxSize(), mv)
	if err != nil {
		return nil, err
	}
	v.KeyRef, v.Key = ref, key
	f, err := os.Open(v.Path)
	if err != nil {
		v.Close()
		return nil, err
	}
	defer f.Close()
	for _, c := range claims {
		// Only a pure Ed25519 signature reads the copy again.
		if err := mv.Verify(c.sig, io.NewSectionReader(f, 0, mv.Size())); err != nil {
			v.Close()
			return nil, fmt.Errorf("%s: %w", c.file.Path, err)
		}
		v.Signatures = append(v.Signatures, c.file)
	}
	return v, nil
}

// verifyKeylessFile verifies the keyless Sigstore bundle of the file at
// path (p.SigstoreBundle, or PATH.sigstore.json beside it) before anything
// else reads the file: against the trusted root, for the identity and
// issuer the policy names.
func verifyKeylessFile(path string, p FilePolicy) (*VerifiedFile, error) {
	if p.Signature != "" {
		return nil, inputError("--signature names a bare signature, which has no certificate to verify keylessly: give the Sigstore bundle (what cosign sign-blob --bundle writes) with --bundle")
	}
	if err := p.Keyless.Check(); err != nil {
		return nil, err
	}
	if p.TrustedRoot == "" {
		return nil, inputError("keyless verification needs --trusted-root FILE: Sigstore's trusted_root.json (from its TUF repository, as cosign and sigstore-go use it), which patchline reads offline")
	}
	tr, err := LoadTrustedRoot(p.TrustedRoot)
	if err != nil {
		return nil, err
	}
	bundlePath, explicit := p.SigstoreBundle, p.SigstoreBundle != ""
	if !explicit {
		bundlePath = path + SigstoreBundleSuffix
	}
	data, err := readSignatureFile(bundlePath)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return nil, fmt.Errorf("%w: no %s beside %s (a keyless signature is checked in its Sigstore bundle, which cosign sign-blob --bundle writes: name it with --bundle, or, to install it unverified, --insecure-skip-verify)",
			ErrUnsigned, filepath.Base(bundlePath), path)
	}
	if err != nil {
		return nil, err
	}
	kb, err := ParseKeylessBundle(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", bundlePath, err)
	}
	d := NewDigester(kb.DigestAlgorithm)
	v, err := privateCopy(path, p.maxSize(), d)
	if err != nil {
		return nil, err
	}
	res, err := VerifyKeyless(tr, kb, *p.Keyless, d.Sum(kb.DigestAlgorithm))
	if err != nil {
		v.Close()
		return nil, fmt.Errorf("%s: %w", bundlePath, err)
	}
	v.Keyless = res
	v.Signatures = []CheckedSignature{{Path: filepath.Clean(bundlePath), Format: FormatSigstoreBundle}}
	return v, nil
}

// readSignatureFile reads a signature file, bounded; a file that cannot be
// read is an unsigned file.
func readSignatureFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %w", ErrUnsigned, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsigned, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSignatureFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUnsigned, p, err)
	}
	return data, nil
}

// digestWriter takes the digests of a file as it is copied to be verified.
type digestWriter interface {
	io.Writer
	Sum(crypto.Hash) []byte
}

// privateCopy copies the regular file at path, of at most maxSize bytes,
// into a new private directory, writing it to mv on the way. A larger file
// is refused before anything is copied, and the copy stops at maxSize
// bytes if the file grows while it is read, so neither fills the temporary
// directory; every failure removes what was copied.
func privateCopy(path string, maxSize int64, mv digestWriter) (*VerifiedFile, error) {
	src, err := os.Open(path)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return nil, &InputError{Err: err}
	}
	if !fi.Mode().IsRegular() {
		return nil, inputError("%s is not a regular file", path)
	}
	if fi.Size() > maxSize {
		return nil, inputError("%s is %d bytes, larger than the %d bytes a bundle may have before its signature is checked (--max-bundle-size raises it)", path, fi.Size(), maxSize)
	}
	dir, err := os.MkdirTemp("", "patchline-verify-")
	if err != nil {
		return nil, err
	}
	v := &VerifiedFile{Path: filepath.Join(dir, filepath.Base(path)), dir: dir}
	dst, err := os.OpenFile(v.Path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		v.Close()
		return nil, err
	}
	n, err := io.Copy(io.MultiWriter(dst, mv), io.LimitReader(src, min(maxSize, math.MaxInt64-1)+1))
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > maxSize {
		err = fmt.Errorf("%w: it grew past %d bytes while it was copied to be verified", bundle.ErrCorrupt, maxSize)
	}
	if err != nil {
		v.Close()
		return nil, fmt.Errorf("copy %s: %w", path, err)
	}
	v.SHA256 = hex.EncodeToString(mv.Sum(crypto.SHA256))
	return v, nil
}

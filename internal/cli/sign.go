package cli

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/patchline/patchline/internal/bundle"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/provenance"
	"github.com/patchline/patchline/internal/sign"
)

// Environment variables the signing commands read.
const (
	// EnvCosignPassword is the private key's password, as cosign reads it.
	EnvCosignPassword = "COSIGN_PASSWORD"
	// EnvPublicKey is the public key apply and verify check bundles with
	// when --key is not given: a file or env://VAR.
	EnvPublicKey = "PATCHLINE_KEY"
)

// VerifyFlags are the flags that say how a bundle's signature is checked:
// --key, where the signature is, and how large a bundle may be.
type VerifyFlags struct {
	Key            string
	Signature      string
	SigstoreBundle string
	// MaxBundleSize bounds the bundle copied to be verified; 0 is
	// DefaultMaxBundleSize.
	MaxBundleSize int64
	// Keyless, when set, checks a keyless Sigstore bundle instead of a key
	// (keyless.go); only the commands that register its flags take it.
	Keyless KeylessFlags
}

// DefaultMaxBundleSize is the largest bundle apply and verify copy to check
// its signature: as large as the largest file a bundle may rebuild, where
// a patch's bundle holds deltas and compressed files.
const DefaultMaxBundleSize = bundle.MaxFileSize

// AddFlags registers --key, --signature, --bundle and --max-bundle-size.
func (v *VerifyFlags) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&v.Key, "key", "", "public key: a file such as cosign.pub, or env://VAR (default: $"+EnvPublicKey+")")
	cmd.Flags().StringVar(&v.Signature, "signature", "", "base64 signature file (default: BUNDLE.sig, when it exists)")
	cmd.Flags().StringVar(&v.SigstoreBundle, "bundle", "", "Sigstore bundle holding the signature (default: BUNDLE.sigstore.json, when it exists)")
	cmd.Flags().Int64Var(&v.MaxBundleSize, "max-bundle-size", DefaultMaxBundleSize, "refuse, before copying it to verify, a bundle larger than this many bytes")
}

// maxBundleSize is --max-bundle-size, or its default.
func (v *VerifyFlags) maxBundleSize() int64 {
	if v.MaxBundleSize <= 0 {
		return DefaultMaxBundleSize
	}
	return v.MaxBundleSize
}

// keyRef is the public key reference: --key, else $PATCHLINE_KEY.
func (v *VerifyFlags) keyRef(getenv func(string) string) (string, error) {
	if v.Key != "" {
		return v.Key, nil
	}
	if ref := getenv(EnvPublicKey); ref != "" {
		return ref, nil
	}
	return "", usageError("no public key to verify with: give --key cosign.pub (or env://VAR), or set %s", EnvPublicKey)
}

// SignOptions are the flags of `patchline sign`.
type SignOptions struct {
	IO   *IOStreams
	Repo RepoFlags
	JSONFlag
	Getenv         func(string) string
	Bundle         string
	Key            string
	Signature      string
	SigstoreBundle string
}

// NewCmdSign builds `patchline sign`.
func NewCmdSign(f *Factory, runF func(*SignOptions) error) *cobra.Command {
	opts := &SignOptions{IO: f.IO, Getenv: f.Getenv}
	cmd := &cobra.Command{
		Use:   "sign BUNDLE --key cosign.key",
		Short: "Sign a bundle with a cosign key",
		Long: `Signs the bundle file's bytes as cosign sign-blob does, and writes the
signature twice: base64 in BUNDLE.sig, as cosign names it, and in a Sigstore
bundle, BUNDLE.sigstore.json, that carries the key's hint with it. Either
verifies with patchline verify, patchline apply, or cosign verify-blob.

The key is cosign's encrypted private key, from cosign generate-key-pair or
patchline keys generate: a file, or env://VAR for a variable holding it
(default: [sign] key in .patchline.toml). Its password is read from
COSIGN_PASSWORD, or asked for on a terminal. Neither is ever printed.
patchline signs with a key only: keyless signing needs an OIDC token and
the network, which cosign sign-blob has in CI; patchline verify and apply
check such signatures offline.`,
		Example: `  patchline sign dist/PL-2026-0007_v2026.3.0_linux-amd64.plb --key cosign.key
  COSIGN_PASSWORD=... patchline sign dist/*.plb --key env://COSIGN_PRIVATE_KEY --json
  patchline sign app.plb --key cosign.key --signature app.sig --bundle app.sigstore.json`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Bundle = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runSign(opts)
		},
	}
	opts.Repo.AddFlags(cmd)
	opts.JSONFlag.AddFlags(cmd)
	cmd.Flags().StringVar(&opts.Key, "key", "", "private key: a file such as cosign.key, or env://VAR (default: [sign] key)")
	cmd.Flags().StringVar(&opts.Signature, "signature", "", "where to write the base64 signature (default: BUNDLE.sig)")
	cmd.Flags().StringVar(&opts.SigstoreBundle, "bundle", "", "where to write the Sigstore bundle (default: BUNDLE.sigstore.json)")
	return cmd
}

// SignedBundle is what sign reports for one bundle.
type SignedBundle struct {
	Bundle         string `json:"bundle"`
	SHA256         string `json:"sha256"`
	Signature      string `json:"signature"`
	SigstoreBundle string `json:"sigstore_bundle"`
	KeyHint        string `json:"key_hint"`
	Algorithm      string `json:"algorithm"`
	// Attestation is the signed provenance, BUNDLE.intoto.jsonl, when a
	// statement was beside the bundle.
	Attestation string `json:"attestation,omitempty"`
}

func runSign(opts *SignOptions) error {
	ref := opts.Key
	if ref == "" {
		ref = configSignKey(opts.Repo)
	}
	if ref == "" {
		return usageError("no key to sign with: give --key cosign.key (or env://VAR), or set [sign] key in .patchline.toml")
	}
	key, err := loadSigningKey(ref, opts.IO, opts.Getenv)
	if err != nil {
		return err
	}
	prov, err := provenanceBeside(opts.Bundle) // provenance.go
	if err != nil {
		return err
	}
	sb, err := signBundleFile(key, opts.Bundle, opts.Signature, opts.SigstoreBundle)
	if err != nil {
		return err
	}
	if sb.Attestation, err = prov.sign(opts.IO, key, sb.SHA256); err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(opts.IO, sb)
	}
	fmt.Fprintf(opts.IO.ErrOut, "signed %s with %s (%s)\n", sb.Bundle, ref, sb.Algorithm)
	fmt.Fprintln(opts.IO.Out, sb.Signature)
	fmt.Fprintln(opts.IO.Out, sb.SigstoreBundle)
	if sb.Attestation != "" {
		fmt.Fprintln(opts.IO.Out, sb.Attestation)
	} else {
		fmt.Fprintf(opts.IO.ErrOut, "warning: no %s beside %s: its provenance is not signed (patchline build writes it)\n", filepath.Base(opts.Bundle)+provenance.StatementSuffix, opts.Bundle)
	}
	return nil
}

// configSignKey is [sign] key of the repository's config, or "" outside a
// repository or without one.
func configSignKey(repo RepoFlags) string {
	reg, err := repo.Registry()
	if err != nil {
		return ""
	}
	return reg.Config.Sign.Key
}

// loadSigningKey loads a private key, its password from COSIGN_PASSWORD or
// a terminal prompt.
func loadSigningKey(ref string, streams *IOStreams, getenv func(string) string) (*sign.PrivateKey, error) {
	return sign.LoadPrivateKey(ref, getenv, func() ([]byte, error) {
		return cosignPassword(streams, getenv, false)
	})
}

// cosignPassword is COSIGN_PASSWORD, or what the user types on a terminal
// when it is empty; confirm asks twice. Off a terminal an empty
// COSIGN_PASSWORD is the empty password, as cosign takes it.
func cosignPassword(streams *IOStreams, getenv func(string) string, confirm bool) ([]byte, error) {
	if pw := getenv(EnvCosignPassword); pw != "" {
		return []byte(pw), nil
	}
	in, ok := streams.In.(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		return nil, nil
	}
	read := func(prompt string) ([]byte, error) {
		fmt.Fprint(streams.ErrOut, prompt)
		pw, err := term.ReadPassword(int(in.Fd()))
		fmt.Fprintln(streams.ErrOut)
		return pw, err
	}
	pw, err := read("Enter password for private key: ")
	if err != nil {
		return nil, usageError("read password: %w", err)
	}
	if confirm {
		again, err := read("Enter password for private key again: ")
		if err != nil {
			return nil, usageError("read password: %w", err)
		}
		if !bytes.Equal(pw, again) {
			return nil, usageError("the passwords do not match")
		}
	}
	return pw, nil
}

// signBundleFile checks that path is a bundle, signs its bytes and writes
// the signature file and the Sigstore bundle ("" names them beside it).
func signBundleFile(key *sign.PrivateKey, path, sigPath, bundlePath string) (*SignedBundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageError("%w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, usageError("%w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, usageError("%s is not a regular file", path)
	}
	// Only a well-formed bundle is worth a signature.
	if _, err := bundle.Read(f, fi.Size()); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sum := sha256.New()
	sig, err := key.Sign(io.TeeReader(io.NewSectionReader(f, 0, fi.Size()), sum))
	if err != nil {
		return nil, err
	}
	sbJSON, err := sig.SigstoreBundle()
	if err != nil {
		return nil, err
	}
	if sigPath == "" {
		sigPath = path + sign.SignatureSuffix
	}
	if bundlePath == "" {
		bundlePath = path + sign.SigstoreBundleSuffix
	}
	if err := gitrepo.WriteFileAtomic(sigPath, sig.SignatureFile(), 0o644); err != nil {
		return nil, err
	}
	if err := gitrepo.WriteFileAtomic(bundlePath, sbJSON, 0o644); err != nil {
		return nil, err
	}
	return &SignedBundle{
		Bundle: filepath.Clean(path), SHA256: hex.EncodeToString(sum.Sum(nil)),
		Signature: filepath.Clean(sigPath), SigstoreBundle: filepath.Clean(bundlePath),
		KeyHint: key.Public().Hint(), Algorithm: key.Public().Algorithm(),
	}, nil
}

// VerifyOptions are the flags of `patchline verify`.
type VerifyOptions struct {
	IO *IOStreams
	JSONFlag
	Verify     VerifyFlags
	Provenance ProvenanceFlags // verify_provenance.go
	Getenv     func(string) string
	Bundle     string
}

// NewCmdVerify builds `patchline verify`.
func NewCmdVerify(f *Factory, runF func(*VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{IO: f.IO, Getenv: f.Getenv}
	cmd := &cobra.Command{
		Use:   "verify BUNDLE --key cosign.pub",
		Short: "Check a bundle's cosign signature, offline",
		Long: `Checks the bundle's signature with a public key, offline, as
cosign verify-blob --insecure-ignore-tlog does: BUNDLE.sig and
BUNDLE.sigstore.json beside it (each one found must verify), or the files
--signature and --bundle name. A Sigstore bundle must also name the
bundle's digest and the key's hint. Then the bundle itself is checked, and
what it installs is printed. Signatures made by cosign sign-blob --key verify
here, and patchline's verify with cosign.

The key is a file or env://VAR, default $` + EnvPublicKey + `.

A keyless signature (cosign sign-blob --bundle in a GitHub workflow, with
a Fulcio certificate and a Rekor entry) is checked instead, offline, when
--certificate-identity (or -regexp) and --certificate-oidc-issuer (or
-regexp) name who must have signed and --trusted-root names Sigstore's
trusted_root.json: the log entry, the certificate's chain, the signature
and the identity, in the Sigstore bundle (--bundle, default
BUNDLE.sigstore.json). These flags and --key exclude each other.

--provenance checks, instead, FILE's signed SLSA provenance (FILE.intoto.jsonl,
which build --sign, sign and release --sign write), of a bundle or a release
archive, as cosign verify-blob-attestation --type slsaprovenance1 does, and
prints its builder, source and approvers.

Exit status: 3 when the bundle is unsigned or its signature does not verify,
2 when the key or trusted root cannot be read or the flags clash.`,
		Example: `  patchline verify PL-2026-0007_v2026.3.0_linux-amd64.plb --key cosign.pub
  patchline verify app.plb --key cosign.pub --bundle app.plb.sigstore.json --json
  PATCHLINE_KEY=/etc/patchline/cosign.pub patchline verify app.plb
  patchline verify app.plb --trusted-root trusted_root.json \
    --certificate-identity https://github.com/acme/inventory/.github/workflows/patchline.yml@refs/heads/patch/PL-2026-0007 \
    --certificate-oidc-issuer https://token.actions.githubusercontent.com
  patchline verify hello_1.0.0_linux_amd64.tar.gz --provenance --key cosign.pub --json`,
		Args: argsUsage(cobra.ExactArgs(1)),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			return opts.Verify.Check() // keyless.go
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Bundle = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runVerify(opts)
		},
	}
	opts.JSONFlag.AddFlags(cmd)
	opts.Verify.AddFlags(cmd)
	opts.Verify.Keyless.AddFlags(cmd)
	opts.Provenance.AddFlags(cmd)
	return cmd
}

// VerifiedBundle is what verify reports.
type VerifiedBundle struct {
	Bundle     string          `json:"bundle"`
	SHA256     string          `json:"sha256"`
	Verified   bool            `json:"verified"`
	Key        string          `json:"key"`
	KeyHint    string          `json:"key_hint"`
	Algorithm  string          `json:"algorithm"`
	Signatures []SignatureFile `json:"signatures"`
	Patch      string          `json:"patch"`
	Platform   string          `json:"platform"`
	Base       bundle.Ref      `json:"base"`
	Target     bundle.Ref      `json:"target"`
	// Keyless is who signed keylessly; Key, KeyHint and Algorithm are
	// then empty.
	Keyless *sign.KeylessVerified `json:"keyless,omitempty"`
}

// SignatureFile is one signature file that verified.
type SignatureFile struct {
	Path   string `json:"path"`
	Format string `json:"format"` // signature, sigstore-bundle or cosign-bundle
}

func runVerify(opts *VerifyOptions) error {
	if opts.Provenance.on() {
		return runVerifyProvenance(opts)
	}
	v, err := verifyBundleFile(opts.Bundle, opts.Verify, opts.Getenv)
	if err != nil {
		return err
	}
	defer v.Close()
	b, closeBundle, err := openBundle(v.Path)
	if err != nil {
		return fmt.Errorf("%s: signed, but %w", opts.Bundle, err)
	}
	defer closeBundle()
	rep := VerifiedBundle{
		Bundle: filepath.Clean(opts.Bundle), SHA256: v.SHA256, Verified: true,
		Key: v.KeyRef, Signatures: v.Signatures, Keyless: v.Keyless,
		Patch: b.Meta.Patch, Platform: b.Meta.Platform, Base: b.Meta.Base, Target: b.Meta.Target,
	}
	if v.Key != nil {
		rep.KeyHint, rep.Algorithm = v.Key.Hint(), v.Key.Algorithm()
	}
	if opts.JSON {
		return writeJSON(opts.IO, rep)
	}
	for _, s := range v.Signatures {
		fmt.Fprintf(opts.IO.ErrOut, "checked %s (%s)\n", s.Path, s.Format)
	}
	fmt.Fprintf(opts.IO.Out, "Verified OK: %s is %s %s -> %s for %s, signed with %s\n",
		rep.Bundle, rep.Patch, refName(rep.Base), refName(rep.Target), rep.Platform, v.signer())
	return nil
}

func refName(r bundle.Ref) string {
	if r.Tag != "" {
		return r.Tag
	}
	return r.Commit
}

// verifiedFile is a copy of a file whose signatures verified, made where
// nobody else writes before they were checked: what is read next is what
// was verified, whatever happens to the original meanwhile.
type verifiedFile struct {
	Path       string
	SHA256     string
	KeyRef     string
	Key        *sign.PublicKey
	Signatures []SignatureFile
	Keyless    *sign.KeylessVerified // instead of Key, for a keyless signature
	dir        string
}

// Close removes the copy.
func (v *verifiedFile) Close() error { return os.RemoveAll(v.dir) }

// verifyBundleFile verifies the signatures of the file at path before
// anything else reads it: every signature file named by flags, or else
// every one found beside it (BUNDLE.sig, BUNDLE.sigstore.json), and at
// least one. On success the caller reads the copy and closes it.
func verifyBundleFile(path string, flags VerifyFlags, getenv func(string) string) (*verifiedFile, error) {
	if flags.Keyless.Set() {
		return verifyKeylessFile(path, flags) // keyless.go
	}
	ref, err := flags.keyRef(getenv)
	if err != nil {
		return nil, err
	}
	key, err := sign.LoadPublicKey(ref, getenv)
	if err != nil {
		return nil, err
	}
	type claim struct {
		file SignatureFile
		sig  *sign.Signature
	}
	var claims []claim
	add := func(p, format string, explicit bool) error {
		data, err := readSignatureFile(p)
		if errors.Is(err, fs.ErrNotExist) && !explicit {
			return nil
		}
		if err != nil {
			return err
		}
		parse := sign.ParseSignatureFile
		if format == sign.FormatSigstoreBundle {
			parse = sign.ParseBundleFile
		}
		sig, err := parse(data)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		claims = append(claims, claim{SignatureFile{Path: filepath.Clean(p), Format: sig.Format}, sig})
		return nil
	}
	explicit := flags.Signature != "" || flags.SigstoreBundle != ""
	sigPath, bundlePath := flags.Signature, flags.SigstoreBundle
	if !explicit {
		sigPath, bundlePath = path+sign.SignatureSuffix, path+sign.SigstoreBundleSuffix
	}
	// The Sigstore bundle first: with the key's hint and the file's digest,
	// it tells another key and another file apart from tampering.
	if bundlePath != "" {
		if err := add(bundlePath, sign.FormatSigstoreBundle, explicit); err != nil {
			return nil, err
		}
	}
	if sigPath != "" {
		if err := add(sigPath, sign.FormatSignature, explicit); err != nil {
			return nil, err
		}
	}
	if len(claims) == 0 {
		return nil, fmt.Errorf("%w: no %s or %s beside %s (sign it with patchline sign, name its signature with --signature or --bundle, or, to install it unverified, --insecure-skip-verify)",
			sign.ErrUnsigned, filepath.Base(path)+sign.SignatureSuffix, filepath.Base(path)+sign.SigstoreBundleSuffix, path)
	}

	// The copy is hashed as it is made, for every signature at once: one
	// pass over the original, which is never read again.
	sigs := make([]*sign.Signature, len(claims))
	for i, c := range claims {
		sigs[i] = c.sig
	}
	mv := key.NewMessageVerifier(sigs...)
	v, err := privateCopy(path, flags.maxBundleSize(), mv)
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

// readSignatureFile reads a signature file, bounded; a file that cannot be
// read is an unsigned bundle.
func readSignatureFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %w", sign.ErrUnsigned, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", sign.ErrUnsigned, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, sign.MaxSignatureFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", sign.ErrUnsigned, p, err)
	}
	return data, nil
}

// privateCopy copies the regular file at path, of at most maxSize bytes,
// into a new private directory, writing it to mv on the way. A larger file
// is refused before anything is copied, and the copy stops at maxSize
// bytes if the file grows while it is read, so neither fills the temporary
// directory; every failure removes what was copied.
func privateCopy(path string, maxSize int64, mv digestWriter) (*verifiedFile, error) {
	src, err := os.Open(path)
	if err != nil {
		return nil, usageError("%w", err)
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return nil, usageError("%w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, usageError("%s is not a regular file", path)
	}
	if fi.Size() > maxSize {
		return nil, usageError("%s is %d bytes, larger than the %d bytes a bundle may have before its signature is checked (--max-bundle-size raises it)", path, fi.Size(), maxSize)
	}
	dir, err := os.MkdirTemp("", "patchline-verify-")
	if err != nil {
		return nil, err
	}
	v := &verifiedFile{Path: filepath.Join(dir, filepath.Base(path)), dir: dir}
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

// NewCmdKeys builds `patchline keys`.
func NewCmdKeys(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "keys <command>",
		Short:   "Make cosign-compatible signing keys",
		Example: `  patchline keys generate`,
		Args:    argsUsage(cobra.NoArgs),
		RunE:    func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(NewCmdKeysGenerate(f, nil))
	return cmd
}

// KeysGenerateOptions are the flags of `patchline keys generate`.
type KeysGenerateOptions struct {
	IO *IOStreams
	JSONFlag
	Getenv    func(string) string
	Prefix    string
	Algorithm string
	Force     bool
}

// NewCmdKeysGenerate builds `patchline keys generate`.
func NewCmdKeysGenerate(f *Factory, runF func(*KeysGenerateOptions) error) *cobra.Command {
	opts := &KeysGenerateOptions{IO: f.IO, Getenv: f.Getenv}
	cmd := &cobra.Command{
		Use:   "generate [--output-key-prefix cosign]",
		Short: "Write a cosign-compatible key pair: PREFIX.key and PREFIX.pub",
		Long: `Writes a key pair in cosign's format, interchangeable with the one cosign
generate-key-pair makes: PREFIX.key, the private key encrypted with scrypt
and NaCl secretbox (ENCRYPTED SIGSTORE PRIVATE KEY, mode 0600), and
PREFIX.pub, the public key (PKIX PEM). The password is COSIGN_PASSWORD, or
asked for twice on a terminal; it is never printed.

ECDSA P-256 is cosign's default. Ed25519 keys sign and verify with
patchline and verify with cosign verify-blob.`,
		Example: `  patchline keys generate
  COSIGN_PASSWORD=... patchline keys generate --output-key-prefix release --json
  patchline keys generate --algorithm ed25519`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runKeysGenerate(opts)
		},
	}
	opts.JSONFlag.AddFlags(cmd)
	cmd.Flags().StringVar(&opts.Prefix, "output-key-prefix", "cosign", "name of the key files, without .key and .pub")
	cmd.Flags().StringVar(&opts.Algorithm, "algorithm", sign.ECDSAP256, "key algorithm: "+strings.Join(sign.Algorithms, " or "))
	cmd.Flags().BoolVar(&opts.Force, "force", false, "overwrite existing key files")
	return cmd
}

// GeneratedKeys is what keys generate reports.
type GeneratedKeys struct {
	PrivateKey string `json:"private_key"`
	PublicKey  string `json:"public_key"`
	Algorithm  string `json:"algorithm"`
	KeyHint    string `json:"key_hint"`
}

func runKeysGenerate(opts *KeysGenerateOptions) error {
	if opts.Prefix == "" {
		return usageError("--output-key-prefix is empty")
	}
	privPath, pubPath := opts.Prefix+".key", opts.Prefix+".pub"
	if !opts.Force {
		for _, p := range []string{privPath, pubPath} {
			if _, err := os.Lstat(p); err == nil {
				return usageError("%s exists: choose another --output-key-prefix, or --force to overwrite it", p)
			}
		}
	}
	pw, err := cosignPassword(opts.IO, opts.Getenv, true)
	if err != nil {
		return err
	}
	if len(pw) == 0 {
		fmt.Fprintf(opts.IO.ErrOut, "warning: %s is empty: the private key is encrypted with an empty password\n", EnvCosignPassword)
	}
	kp, err := sign.GenerateKeyPair(opts.Algorithm, pw)
	if err != nil {
		return err
	}
	if err := gitrepo.WriteFileAtomic(privPath, kp.PrivatePEM, 0o600); err != nil {
		return err
	}
	if err := gitrepo.WriteFileAtomic(pubPath, kp.PublicPEM, 0o644); err != nil {
		return err
	}
	rep := GeneratedKeys{PrivateKey: privPath, PublicKey: pubPath, Algorithm: kp.Public.Algorithm(), KeyHint: kp.Public.Hint()}
	if opts.JSON {
		return writeJSON(opts.IO, rep)
	}
	fmt.Fprintf(opts.IO.ErrOut, "Private key written to %s (keep it secret)\nPublic key written to %s (give it to whoever verifies)\n", privPath, pubPath)
	fmt.Fprintln(opts.IO.Out, privPath)
	fmt.Fprintln(opts.IO.Out, pubPath)
	return nil
}

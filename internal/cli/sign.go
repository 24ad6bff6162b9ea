package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
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
	EnvPublicKey = sign.EnvPublicKey
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
const DefaultMaxBundleSize = sign.DefaultMaxFileSize

// AddFlags registers --key, --signature, --bundle and --max-bundle-size.
func (v *VerifyFlags) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&v.Key, "key", "", "public key: a file such as cosign.pub, or env://VAR (default: $"+EnvPublicKey+")")
	cmd.Flags().StringVar(&v.Signature, "signature", "", "base64 signature file (default: BUNDLE.sig, when it exists)")
	cmd.Flags().StringVar(&v.SigstoreBundle, "bundle", "", "Sigstore bundle holding the signature (default: BUNDLE.sigstore.json, when it exists)")
	cmd.Flags().Int64Var(&v.MaxBundleSize, "max-bundle-size", DefaultMaxBundleSize, "refuse, before copying it to verify, a bundle larger than this many bytes")
}

// keyRef is the public key reference: --key, else $PATCHLINE_KEY.
func (v *VerifyFlags) keyRef(getenv func(string) string) (string, error) {
	return sign.PublicKeyRef(v.Key, getenv)
}

// policy is how the flags say a file's signatures are checked.
func (v *VerifyFlags) policy(getenv func(string) string) sign.FilePolicy {
	p := sign.FilePolicy{
		KeyRef: v.Key, Signature: v.Signature, SigstoreBundle: v.SigstoreBundle,
		MaxSize: v.MaxBundleSize, Getenv: getenv,
	}
	if v.Keyless.Set() {
		policy := v.Keyless.Policy()
		p.Keyless, p.TrustedRoot = &policy, v.Keyless.TrustedRoot
	}
	return p
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
type SignatureFile = sign.CheckedSignature

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
		rep.Bundle, rep.Patch, refName(rep.Base), refName(rep.Target), rep.Platform, v.Signer())
	return nil
}

func refName(r bundle.Ref) string {
	if r.Tag != "" {
		return r.Tag
	}
	return r.Commit
}

// verifyBundleFile checks the flags, then verifies the signatures of the
// file at path as internal/sign's policy says, before anything else reads
// it. On success the caller reads the copy and closes it.
func verifyBundleFile(path string, flags VerifyFlags, getenv func(string) string) (*sign.VerifiedFile, error) {
	if err := flags.Check(); err != nil { // keyless.go
		return nil, err
	}
	return sign.VerifyFile(path, flags.policy(getenv))
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
	// NoPassword encrypts the private key with the empty password, which
	// is otherwise refused.
	NoPassword bool
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
asked for twice on a terminal; it is never printed. Without either,
--no-password says the key is to be encrypted with the empty password.

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
	cmd.Flags().BoolVar(&opts.NoPassword, "no-password", false, "encrypt the private key with the empty password, as nobody asked for one")
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
	var pw []byte
	if opts.NoPassword {
		if opts.Getenv(EnvCosignPassword) != "" {
			return usageError("--no-password and %s both say what the password is: unset %s, or drop --no-password", EnvCosignPassword, EnvCosignPassword)
		}
		fmt.Fprintln(opts.IO.ErrOut, "warning: --no-password: the private key is encrypted with the empty password")
	} else {
		var err error
		if pw, err = cosignPassword(opts.IO, opts.Getenv, true); err != nil {
			return err
		}
		if len(pw) == 0 {
			return usageError("no password for the private key: set %s to it, run on a terminal to type it, or give --no-password to encrypt it with the empty password", EnvCosignPassword)
		}
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

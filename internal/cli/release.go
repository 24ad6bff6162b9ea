package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/artifact"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/pipeline"
	"github.com/patchline/patchline/internal/sign"
)

// ReleaseOptions are the flags of `patchline release`.
type ReleaseOptions struct {
	IO   *IOStreams
	Repo RepoFlags
	JSONFlag
	Getenv  func(string) string
	Now     func() time.Time
	Version string
	Tag     string
	Out     string
	// Sign signs every file written with Key (default: [sign] key).
	Sign bool
	Key  string
}

// NewCmdRelease builds `patchline release`.
func NewCmdRelease(f *Factory, runF func(*ReleaseOptions) error) *cobra.Command {
	opts := &ReleaseOptions{IO: f.IO, Getenv: f.Getenv, Now: f.Now, Version: f.Version}
	cmd := &cobra.Command{
		Use:   "release TAG --out DIR",
		Short: "Build the full release of a tag: archives, checksums, and the release record",
		Long: `Exports the release tag's tree (the working copy is never touched) and builds
it for every platform in [build] platforms exactly as patchline build builds
the base of a bundle: the same builder, flags and SOURCE_DATE_EPOCH (the
tag's commit time), built twice to prove it is reproducible. It writes into
DIR, with goreleaser's default names:

  <name>_<version>_<os>_<arch>.tar.gz   one archive per platform, the build's
                                        files and the release record
  <name>_<version>_release.json         the release record: tag, commit, Go
                                        toolchain, builder, [build], flags,
                                        every file's mode, size and SHA-256
  <name>_<version>_checksums.txt        SHA-256 of the archives and the record
  <archive>.provenance.json             each archive's SLSA provenance (in-toto)

and keeps the record in the repository as a git note on the tag's commit
(` + artifact.NotesRef + `), where patchline build finds it: a patch's
bundle is built only on a base that is byte for byte the release. Push the
note with the tag: git push origin ` + artifact.NotesRef + `. A tag
released before must build the same again, or release refuses (exit 4)
and says what differs.

--sign signs every file written as patchline sign signs a bundle (FILE.sig
and FILE.sigstore.json beside it); patchline install verifies an archive
the same way. It signs each archive's provenance too, as a DSSE envelope in
<archive>.intoto.jsonl, which cosign verify-blob-attestation and patchline
verify --provenance check. Customers install an archive with patchline install.`,
		Example: `  patchline release v2026.3.0 --out dist
  COSIGN_PASSWORD=... patchline release v2026.3.0 --out dist --sign --key cosign.key
  patchline release "$GITHUB_REF_NAME" --out dist --sign --key env://COSIGN_PRIVATE_KEY --json
  git push origin ` + artifact.NotesRef,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Tag = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runRelease(cmd.Context(), opts)
		},
	}
	opts.Repo.AddFlags(cmd)
	opts.JSONFlag.AddFlags(cmd)
	cmd.Flags().StringVar(&opts.Out, "out", "dist", "directory for the archives, the checksums and the record")
	cmd.Flags().BoolVar(&opts.Sign, "sign", false, "sign every file written, beside it: FILE.sig and FILE.sigstore.json (password: COSIGN_PASSWORD)")
	cmd.Flags().StringVar(&opts.Key, "key", "", "private key for --sign: a file or env://VAR (default: [sign] key; implies --sign)")
	return cmd
}

// ReleaseFile is one file release wrote.
type ReleaseFile struct {
	Platform string `json:"platform,omitempty"`
	Path     string `json:"path"`
	SHA256   string `json:"sha256"`
	Size     int64  `json:"size"`
	// Signature and SigstoreBundle are written by --sign.
	Signature      string `json:"signature,omitempty"`
	SigstoreBundle string `json:"sigstore_bundle,omitempty"`
	// Provenance is an archive's statement; Attestation its signed
	// envelope (--sign).
	Provenance  string `json:"provenance,omitempty"`
	Attestation string `json:"attestation,omitempty"`
}

// ReleaseReport is what release reports.
type ReleaseReport struct {
	Tag       string        `json:"tag"`
	Commit    string        `json:"commit"`
	Toolchain string        `json:"toolchain,omitempty"`
	Builder   string        `json:"builder"`
	Archives  []ReleaseFile `json:"archives"`
	Record    ReleaseFile   `json:"record"`
	Checksums ReleaseFile   `json:"checksums"`
	// Note is where the repository keeps the record; Kept says this run
	// wrote it (false: it was there, the same).
	Note string `json:"note"`
	Kept bool   `json:"kept"`
}

func runRelease(ctx context.Context, opts *ReleaseOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	reg, err := opts.Repo.Registry()
	if err != nil {
		return err
	}
	var key *sign.PrivateKey
	if opts.Sign || opts.Key != "" {
		ref := opts.Key
		if ref == "" {
			ref = reg.Config.Sign.Key
		}
		if ref == "" {
			return usageError("--sign needs a key: give --key cosign.key (or env://VAR), or set [sign] key in .patchline.toml")
		}
		// Before the build: a wrong password should not cost one.
		if key, err = loadSigningKey(ref, opts.IO, opts.Getenv); err != nil {
			return err
		}
	}
	tags, err := reg.LoadTags()
	if err != nil {
		return err
	}
	tag, err := tags.ReleaseTag(opts.Tag)
	if err != nil {
		return err
	}
	_, committer, err := reg.Repo.Identity(opts.Getenv, opts.Now())
	if err != nil {
		return err
	}
	prov, err := releaseProvenance(opts.IO, reg, tag) // provenance.go
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "patchline-release-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	st := &pipeline.State{
		Repo: reg.Repo, Config: reg.Config, Out: opts.Out, Work: work, Log: opts.IO.ErrOut,
		Getenv: opts.Getenv, Version: opts.Version, Platform: reg.Config.Build.Platforms,
		FromTag: tag, BaseTag: tag, Identity: committer, Provenance: prov,
	}
	if err := pipeline.Run(ctx, pipeline.Release, st); err != nil {
		return err
	}
	rep := ReleaseReport{Tag: tag.Name, Commit: tag.Commit.String(), Toolchain: st.Record.Toolchain, Builder: st.Record.Builder.Name,
		Note: artifact.NotesRef, Kept: st.RecordKept, Archives: []ReleaseFile{}}
	describe := func(path, platform string) (ReleaseFile, error) {
		rf, err := describeReleaseFile(path)
		rf.Platform = platform
		if err != nil || key == nil {
			return rf, err
		}
		sb, err := signFile(key, path)
		if err != nil {
			return rf, err
		}
		rf.Signature, rf.SigstoreBundle = sb.Signature, sb.SigstoreBundle
		fmt.Fprintf(opts.IO.ErrOut, "signed    %s (%s)\n", filepath.Base(path), sb.Algorithm)
		return rf, nil
	}
	for i, path := range st.Archives {
		var att *provenanceToSign
		if key != nil {
			if att, err = provenanceBeside(path); err != nil {
				return err
			}
		}
		rf, err := describe(path, st.Platform[i])
		if err != nil {
			return err
		}
		if i < len(st.Provenance.Statements) {
			rf.Provenance = filepath.Clean(st.Provenance.Statements[i])
		}
		if key != nil {
			if rf.Attestation, err = att.sign(opts.IO, key, rf.SHA256); err != nil {
				return err
			}
		}
		rep.Archives = append(rep.Archives, rf)
	}
	if rep.Record, err = describe(st.RecordFile, ""); err != nil {
		return err
	}
	if rep.Checksums, err = describe(st.Checksums, ""); err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(opts.IO, rep)
	}
	for _, a := range rep.Archives {
		fmt.Fprintln(opts.IO.Out, a.Path)
	}
	fmt.Fprintln(opts.IO.Out, rep.Record.Path)
	fmt.Fprintln(opts.IO.Out, rep.Checksums.Path)
	return nil
}

func describeReleaseFile(path string) (ReleaseFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return ReleaseFile{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return ReleaseFile{}, err
	}
	return ReleaseFile{Path: filepath.Clean(path), SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}

// signFile signs any file as cosign sign-blob does, writing FILE.sig and
// FILE.sigstore.json beside it: the archives, the record and the checksums
// of a release, which are not bundles.
func signFile(key *sign.PrivateKey, path string) (*SignedBundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sum := sha256.New()
	sig, err := key.Sign(io.TeeReader(f, sum))
	if err != nil {
		return nil, err
	}
	sbJSON, err := sig.SigstoreBundle()
	if err != nil {
		return nil, err
	}
	sigPath, bundlePath := path+sign.SignatureSuffix, path+sign.SigstoreBundleSuffix
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

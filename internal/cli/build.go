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

	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/pipeline"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/release"
	"github.com/patchline/patchline/internal/sign"
	"github.com/patchline/patchline/internal/validate"
)

// BuildOptions are the flags of `patchline build`.
type BuildOptions struct {
	IO   *IOStreams
	Repo RepoFlags
	JSONFlag
	Getenv       func(string) string
	Now          func() time.Time
	Version      string
	ID           string
	Out          string
	From         string
	Platforms    []string
	NoReproCheck bool
	// Sign signs each bundle with Key (default: [sign] key) as it is written.
	Sign bool
	Key  string
	// AllowToolchainChange builds a patch whose toolchain or build
	// configuration differs from its base release's record, for Reason.
	AllowToolchainChange bool
	Reason               string
}

// NewCmdBuild builds `patchline build`.
func NewCmdBuild(f *Factory, runF func(*BuildOptions) error) *cobra.Command {
	opts := &BuildOptions{IO: f.IO, Getenv: f.Getenv, Now: f.Now, Version: f.Version}
	cmd := &cobra.Command{
		Use:   "build [ID] --out DIR",
		Short: "Build the release and the patched release, and write the delta bundles",
		Long: `Validates the patch, exports the base tag's tree and base + patch.diff into
temporary directories (the working copy is never touched), builds both for
every platform in [build] platforms, and writes one deterministic bundle per
platform holding only what changed: a binary delta per changed file, new files
whole, deleted files listed. --from makes a cumulative bundle from an older
release of the same line. The old release is built twice to prove the build
is reproducible, since a delta against an unreproducible build cannot apply.

Before anything is built, the patch's Go toolchain (go env GOVERSION in the
patched tree) and build configuration are held against the base release's
record, and go.mod's go and toolchain lines against the base tag's: any
difference is refused (exit 4), naming it, unless --allow-toolchain-change
--reason TEXT says why; the reason goes into the bundle and its provenance.

Beside each bundle goes its SLSA provenance, BUNDLE.provenance.json (an
in-toto statement); --sign signs it too, as a DSSE envelope in
BUNDLE.intoto.jsonl that cosign verify-blob-attestation verifies.`,
		Example: `  patchline build PL-2026-0007 --out dist/
  patchline build PL-2026-0007 --out dist/ --from v2026.3.0   # cumulative, from an older tag of the line
  patchline build --platform linux/arm64 --json
  COSIGN_PASSWORD=... patchline build --out dist/ --sign --key env://COSIGN_PRIVATE_KEY   # as patchline sign does
  patchline build --allow-toolchain-change --reason "go1.26.9 fixes CVE-2026-1234 in net/http"`,
		Args: argsUsage(cobra.MaximumNArgs(1)),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			return checkToolchainFlags(opts.AllowToolchainChange, opts.Reason)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.ID = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return runBuild(cmd.Context(), opts)
		},
	}
	opts.Repo.AddFlags(cmd)
	opts.JSONFlag.AddFlags(cmd)
	cmd.Flags().StringVar(&opts.Out, "out", "dist", "directory for the bundles")
	cmd.Flags().StringVar(&opts.From, "from", "", "release tag the bundle upgrades from (default: the patch's base)")
	cmd.Flags().StringSliceVar(&opts.Platforms, "platform", nil, "os/arch to build (default: [build] platforms)")
	cmd.Flags().BoolVar(&opts.NoReproCheck, "no-repro-check", false, "do not build the old release twice to check it is reproducible")
	cmd.Flags().BoolVar(&opts.Sign, "sign", false, "sign each bundle, writing BUNDLE.sig and BUNDLE.sigstore.json (password: COSIGN_PASSWORD)")
	cmd.Flags().StringVar(&opts.Key, "key", "", "private key for --sign: a file or env://VAR (default: [sign] key; implies --sign)")
	cmd.Flags().BoolVar(&opts.AllowToolchainChange, "allow-toolchain-change", false, "build although the toolchain or build configuration differs from the base release's (needs --reason)")
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why the toolchain or build configuration changes, for --allow-toolchain-change; kept in the bundle and its provenance")
	return cmd
}

// BuiltBundle is one bundle as build reports it.
type BuiltBundle struct {
	Platform string `json:"platform"`
	Path     string `json:"path"`
	SHA256   string `json:"sha256"`
	Size     int64  `json:"size"`
	// Signature and SigstoreBundle are written by --sign.
	Signature      string `json:"signature,omitempty"`
	SigstoreBundle string `json:"sigstore_bundle,omitempty"`
	// Provenance is the statement beside the bundle; Attestation its
	// signed envelope (--sign).
	Provenance  string `json:"provenance,omitempty"`
	Attestation string `json:"attestation,omitempty"`
}

func runBuild(ctx context.Context, opts *BuildOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	reg, err := opts.Repo.Registry()
	if err != nil {
		return err
	}
	p, err := patchOnBranch(reg, opts.ID, "bundles are built from the patch branch")
	if err != nil {
		return err
	}
	// The key is loaded first: a wrong password should not cost a build.
	var key *sign.PrivateKey
	if opts.Sign || opts.Key != "" {
		ref := opts.Key
		if ref == "" {
			ref = reg.Config.Sign.Key
		}
		if ref == "" {
			return usageError("--sign needs a key: give --key cosign.key (or env://VAR), or set [sign] key in .patchline.toml")
		}
		if key, err = loadSigningKey(ref, opts.IO, opts.Getenv); err != nil {
			return err
		}
	}
	if err := validateForBuild(reg, p, opts); err != nil {
		return err
	}
	tags, err := reg.LoadTags()
	if err != nil {
		return err
	}
	baseTag, err := tags.ReleaseTag(p.Manifest.Base)
	if err != nil {
		return err
	}
	fromTag := baseTag
	if opts.From != "" {
		if fromTag, err = tags.ReleaseTag(opts.From); err != nil {
			return err
		}
		fl, _ := release.Line(opts.From)
		bl, _ := release.Line(baseTag.Name)
		if fl != bl || release.CompareTags(opts.From, baseTag.Name) > 0 {
			return usageError("--from %s: a cumulative bundle starts at a release of the %s line no newer than the base %s", opts.From, bl, baseTag.Name)
		}
	}
	prov, err := buildProvenance(opts.IO, reg, p, opts) // provenance.go
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "patchline-build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	st, err := buildBundles(ctx, reg, p, fromTag, baseTag, work, prov, opts)
	if err != nil {
		return err
	}
	var built []BuiltBundle
	for i, path := range st.Bundles {
		b, err := describeFile(path)
		if err != nil {
			return err
		}
		if i < len(st.Provenance.Statements) {
			b.Provenance = filepath.Clean(st.Provenance.Statements[i])
		}
		if key != nil {
			att, err := provenanceBeside(path) // provenance.go
			if err != nil {
				return err
			}
			sb, err := signBundleFile(key, path, "", "")
			if err != nil {
				return err
			}
			b.Signature, b.SigstoreBundle = sb.Signature, sb.SigstoreBundle
			fmt.Fprintf(opts.IO.ErrOut, "signed    %s (%s)\n", filepath.Base(path), sb.Algorithm)
			if b.Attestation, err = att.sign(opts.IO, key, sb.SHA256); err != nil {
				return err
			}
		}
		built = append(built, b)
	}
	if opts.JSON {
		if built == nil {
			built = []BuiltBundle{}
		}
		return writeJSON(opts.IO, built)
	}
	for _, b := range built {
		fmt.Fprintln(opts.IO.Out, b.Path)
	}
	return nil
}

// buildBundles runs the build pipeline in work, which the caller removes.
func buildBundles(ctx context.Context, reg *registry.Registry, p *registry.Patch, fromTag, baseTag gitrepo.Tag, work string, prov pipeline.Provenance, opts *BuildOptions) (*pipeline.State, error) {
	commit, err := reg.Repo.Commit(p.Branch.Commit)
	if err != nil {
		return nil, err
	}
	platforms := opts.Platforms
	if len(platforms) == 0 {
		platforms = reg.Config.Build.Platforms
	}
	st := &pipeline.State{
		Repo: reg.Repo, Config: reg.Config, Patch: p, Out: opts.Out, Work: work,
		Log: opts.IO.ErrOut, Getenv: opts.Getenv, Version: opts.Version, Platform: platforms,
		NoReproCheck: opts.NoReproCheck, FromTag: fromTag, BaseTag: baseTag,
		Source: p.Branch.Commit, SourceTime: commit.Committer.When, Provenance: prov,
	}
	return st, pipeline.Run(ctx, pipeline.Build, st)
}

// validateForBuild refuses to build a patch that does not validate: a
// bundle is only as good as the patch it was made from.
func validateForBuild(reg *registry.Registry, p *registry.Patch, opts *BuildOptions) error {
	v, err := validate.New(reg, opts.Now())
	if err != nil {
		return err
	}
	rep, err := v.Run([]*registry.Patch{p}, nil)
	if err != nil {
		return err
	}
	if rep.Failed() {
		fmt.Fprintf(opts.IO.ErrOut, "%s does not validate; build refuses it:\n", p.ID)
		if err := rep.WriteText(opts.IO.ErrOut); err != nil {
			return err
		}
		return findings()
	}
	return nil
}

func describeFile(path string) (BuiltBundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return BuiltBundle{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return BuiltBundle{}, err
	}
	plat := ""
	if b, closeBundle, err := openBundle(path); err == nil {
		plat = b.Meta.Platform
		closeBundle()
	}
	return BuiltBundle{Platform: plat, Path: filepath.Clean(path), SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}

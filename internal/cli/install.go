package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/install"
)

// InstallOptions are the flags of `patchline install`.
type InstallOptions struct {
	IO *IOStreams
	JSONFlag
	Install InstallFlags
	Verify  VerifyFlags
	Now     func() time.Time
	Getenv  func(string) string
	Archive string
	Force   bool
	// InsecureSkipVerify installs an archive without checking its signature.
	InsecureSkipVerify bool
}

// NewCmdInstall builds `patchline install`.
func NewCmdInstall(f *Factory, runF func(*InstallOptions) error) *cobra.Command {
	opts := &InstallOptions{IO: f.IO, Now: f.Now, Getenv: f.Getenv}
	cmd := &cobra.Command{
		Use:   "install ARCHIVE --to DIR",
		Short: "Install a release archive into an empty directory, ready for patches",
		Long: `Verifies the archive's cosign signature before reading anything else of it,
as apply verifies a bundle (ARCHIVE.sig and ARCHIVE.sigstore.json beside it,
with the public key from --key or $` + EnvPublicKey + `), then reads the whole
archive and checks it against the release record it carries: only files and
directories, every path inside DIR, no links, nothing twice, every file's
mode, size and SHA-256 the record's. Nothing is written before all of it
passed. The files are unpacked into DIR/.patchline/staging and renamed into
place, and the release (tag and commit) is recorded in
DIR/.patchline/release.json, so that patchline apply takes the bundles built
against it.

DIR is made when it does not exist, and must otherwise be empty; --force
installs over what is there (the release's files replace those of the same
name, nothing else is removed), but never over applied patches.

Exit status: 2 when ARCHIVE is not a release archive; 3 when it is
unsigned, its signature does not verify, or it is damaged, altered or
unsafe; 4 when DIR is not empty, holds patches, or the archive is for
another platform.`,
		Example: `  patchline install hello_1.0.0_linux_amd64.tar.gz --to /opt/hello --key cosign.pub
  PATCHLINE_KEY=/etc/patchline/cosign.pub patchline install inventory_2026.3.0_linux_amd64.tar.gz --to /opt/inventory
  patchline install inventory_2026.3.0_linux_amd64.tar.gz --to /opt/inventory --force   # repair: the release's files again`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Archive = args[0]
			if opts.InsecureSkipVerify && (opts.Verify.Key != "" || opts.Verify.Signature != "" || opts.Verify.SigstoreBundle != "") {
				return usageError("--insecure-skip-verify checks no signature: drop it, or drop --key, --signature and --bundle")
			}
			if runF != nil {
				return runF(opts)
			}
			return runInstall(opts)
		},
	}
	opts.Install.AddFlags(cmd)
	opts.JSONFlag.AddFlags(cmd)
	opts.Verify.AddFlags(cmd)
	cmd.Flags().BoolVar(&opts.Force, "force", false, "install over the files in a directory that is not empty")
	cmd.Flags().BoolVar(&opts.InsecureSkipVerify, "insecure-skip-verify", false, "install without checking the signature (prints a warning)")
	return cmd
}

func runInstall(opts *InstallOptions) error {
	path := opts.Archive
	if opts.InsecureSkipVerify {
		fmt.Fprintf(opts.IO.ErrOut, "warning: --insecure-skip-verify: installing %s without checking its signature\n", opts.Archive)
	} else {
		getenv := opts.Getenv
		if getenv == nil {
			getenv = func(string) string { return "" }
		}
		// As apply: nothing of the archive is read before its signature
		// verified, and what is read is the copy that was verified.
		v, err := verifyBundleFile(opts.Archive, opts.Verify, getenv)
		if err != nil {
			return err
		}
		defer v.Close()
		for _, s := range v.Signatures {
			fmt.Fprintf(opts.IO.ErrOut, "verified %s with %s\n", s.Path, v.KeyRef)
		}
		path = v.Path
	}
	f, err := os.Open(path)
	if err != nil {
		return usageError("%w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return usageError("%s is not a regular file", opts.Archive)
	}
	res, err := install.Fresh(f, fi.Size(), install.Options{Root: opts.Install.Root, Force: opts.Force, Now: opts.Now, Log: opts.IO.ErrOut})
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(opts.IO, res)
	}
	fmt.Fprintf(opts.IO.Out, "installed %s %s (%s) to %s: %d files\n", res.Product, res.Release.Tag, res.Platform, opts.Install.Root, res.Files)
	return nil
}

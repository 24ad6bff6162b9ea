package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/bundle"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/install"
	"github.com/patchline/patchline/internal/rollout"
	"github.com/patchline/patchline/internal/textsafe"
)

// InstallFlags is the --to flag of the commands that work on an installed product.
type InstallFlags struct {
	Root string
}

// AddFlags registers --to.
func (i *InstallFlags) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&i.Root, "to", "", "the installed product's root directory (required)")
	_ = cmd.MarkFlagRequired("to")
}

// ApplyOptions are the flags of `patchline apply`.
type ApplyOptions struct {
	IO *IOStreams
	JSONFlag
	Install InstallFlags
	Verify  VerifyFlags
	Now     func() time.Time
	Getenv  func(string) string
	Bundle  string
	Force   bool
	Recover bool
	// InsecureSkipVerify installs a bundle without checking its signature.
	InsecureSkipVerify bool
	// DryRun makes every check and prints the plan; nothing is written.
	DryRun bool
	// Check overrides the bundle's health check.
	Check string
	Stage StageFlags
	// OverrideFreeze applies inside a freeze window, for Reason.
	OverrideFreeze bool
	Reason         string
	// Evidence is a record exported from a healthy test install.
	Evidence string
}

// StageFlags say where an apply happens and who makes it, for the receipt.
type StageFlags struct {
	Env, Site, Operator string
}

// AddFlags registers --env, --site and --operator.
func (s *StageFlags) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&s.Env, "env", "", "the install's stage: test, staging or production (default: site.toml's)")
	cmd.Flags().StringVar(&s.Site, "site", "", "the customer site, recorded in the receipt (default: site.toml's)")
	cmd.Flags().StringVar(&s.Operator, "operator", "", "who applies it, recorded in the receipt (default: site.toml's)")
}

func (s *StageFlags) check() error {
	switch s.Env {
	case "", "test", "staging", "production":
		return nil
	}
	return usageError("--env %q: one of test, staging or production", s.Env)
}

// NewCmdApply builds `patchline apply`.
func NewCmdApply(f *Factory, runF func(*ApplyOptions) error) *cobra.Command {
	opts := &ApplyOptions{IO: f.IO, Now: f.Now, Getenv: f.Getenv}
	cmd := &cobra.Command{
		Use:   "apply BUNDLE --to DIR",
		Short: "Apply a patch bundle to an installed product, atomically",
		Long: `Verifies the bundle's cosign signature before reading anything else of it
(as patchline verify does: BUNDLE.sig and BUNDLE.sigstore.json beside it,
with the public key from --key or $` + EnvPublicKey + `), checks the bundle, checks
that every file it touches is the release it was built against, rebuilds
the new files beside the old ones and checks their SHA-256, then swaps them
in under a journal: an interruption at any point leaves either the old or
the new release, never a mix. A receipt is written under DIR/.patchline. A
second apply at the same time waits for the first.

An unsigned bundle, or one whose signature does not verify, is refused
unless --insecure-skip-verify is given, which installs it unverified and
says so. A keyless signature is checked instead of a key's with
--certificate-identity, --certificate-oidc-issuer and --trusted-root, as
patchline verify does.

After the swap it runs the product's health check ([install] check, carried
in the signed bundle, or --check): when it still fails after its retries,
apply rolls the patch back byte for byte by itself and exits 7. The check's
outcome and its last output lines are kept in the receipt.

--dry-run makes every check (signature, base release and files, platform,
replay and downgrade, room for the rebuilt files, a writable root on one
file system) and prints the plan, writing nothing; it exits as apply would.

Exit status: 3 when the bundle is unsigned, its signature does not verify,
or it is damaged or tampered with; 4 when the installed files are not the
bundle's base (or it is a replay, a downgrade or another platform, or there
is no room); 6 when an interrupted apply must be recovered first; 7 when
it was applied, failed its health check and was rolled back.`,
		Example: `  patchline apply PL-2026-0007_v2026.3.0_linux-amd64.plb --to /opt/inventory --key cosign.pub
  PATCHLINE_KEY=/etc/patchline/cosign.pub patchline apply PL-2026-0007_v2026.3.0_linux-amd64.plb --to /opt/inventory
  patchline apply app.plb --to /opt/inventory --key cosign.pub --bundle app.plb.sigstore.json
  patchline apply app.plb --to /opt/inventory --trusted-root trusted_root.json \
    --certificate-identity https://github.com/acme/inventory/.github/workflows/patchline.yml@refs/heads/patch/PL-2026-0007 \
    --certificate-oidc-issuer https://token.actions.githubusercontent.com
  patchline apply PL-2026-0007_v2026.3.0_linux-amd64.plb --to /opt/inventory --dry-run
  patchline apply app.plb --to /opt/inventory --env test --site acme-berlin --operator dana
  patchline apply app.plb --to /opt/inventory --check 'bin/inventory --self-test'
  patchline apply --recover --to /opt/inventory     # after a crash or power loss`,
		Args: argsUsage(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Bundle = args[0]
			}
			if opts.Recover == (opts.Bundle != "") {
				return usageError("give a BUNDLE to apply, or --recover, not both")
			}
			if opts.InsecureSkipVerify && (opts.Verify.Key != "" || opts.Verify.Signature != "" || opts.Verify.SigstoreBundle != "" || opts.Verify.Keyless.Set()) {
				return usageError("--insecure-skip-verify checks no signature: drop it, or drop --key, --signature, --bundle, --trusted-root and the --certificate-* flags")
			}
			if err := opts.Verify.Check(); err != nil {
				return err
			}
			if opts.Recover && opts.DryRun {
				return usageError("--dry-run goes with a BUNDLE, not --recover")
			}
			if err := opts.Stage.check(); err != nil {
				return err
			}
			if opts.OverrideFreeze != (strings.TrimSpace(opts.Reason) != "") {
				return usageError("--override-freeze and --reason go together: --override-freeze --reason \"why it cannot wait\"")
			}
			if runF != nil {
				return runF(opts)
			}
			return runApply(opts)
		},
	}
	opts.Install.AddFlags(cmd)
	opts.JSONFlag.AddFlags(cmd)
	cmd.Flags().BoolVar(&opts.Force, "force", false, "apply even over a replay, a downgrade or files that are not the base")
	cmd.Flags().BoolVar(&opts.Recover, "recover", false, "finish or undo an interrupted apply or rollback")
	opts.Verify.AddFlags(cmd)
	opts.Verify.Keyless.AddFlags(cmd)
	cmd.Flags().BoolVar(&opts.InsecureSkipVerify, "insecure-skip-verify", false, "install without checking the signature (prints a warning)")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "make every check and print the plan; write nothing")
	cmd.Flags().StringVar(&opts.Check, "check", "", "the health check to run after the swap, instead of the bundle's")
	cmd.Flags().BoolVar(&opts.OverrideFreeze, "override-freeze", false, "apply inside a freeze window (needs --reason; recorded in the receipt)")
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why --override-freeze")
	cmd.Flags().StringVar(&opts.Evidence, "evidence", "", "a record exported from a healthy test install (installed --export), for a production apply")
	opts.Stage.AddFlags(cmd)
	return cmd
}

func runApply(opts *ApplyOptions) error {
	iopts := install.Options{Root: opts.Install.Root, Force: opts.Force, Now: opts.Now, Log: opts.IO.ErrOut,
		CheckCommand: opts.Check, Env: opts.Stage.Env, Site: opts.Stage.Site, Operator: opts.Stage.Operator}
	if opts.OverrideFreeze {
		iopts.OverrideFreeze = strings.TrimSpace(opts.Reason)
	}
	if opts.Evidence != "" {
		data, err := os.ReadFile(opts.Evidence)
		if err != nil {
			return usageError("--evidence: %w", err)
		}
		if iopts.Evidence, err = rollout.DecodeRecord(data); err != nil {
			return usageError("--evidence %s: %w", opts.Evidence, err)
		}
	}
	if opts.Recover {
		msg, err := install.Recover(iopts)
		if err != nil {
			return err
		}
		fmt.Fprintln(opts.IO.Out, msg)
		return nil
	}
	path, digest := opts.Bundle, ""
	if opts.InsecureSkipVerify {
		fmt.Fprintf(opts.IO.ErrOut, "warning: --insecure-skip-verify: installing %s without checking its signature\n", opts.Bundle)
	} else {
		getenv := opts.Getenv
		if getenv == nil {
			getenv = func(string) string { return "" }
		}
		// Nothing of the bundle is read before its signature verified, and
		// what is read after is the copy that was verified.
		v, err := verifyBundleFile(opts.Bundle, opts.Verify, getenv)
		if err != nil {
			return err
		}
		defer v.Close()
		for _, s := range v.Signatures {
			fmt.Fprintf(opts.IO.ErrOut, "verified %s with %s\n", s.Path, v.Signer())
		}
		path, digest = v.Path, v.SHA256
	}
	b, closeBundle, err := openBundle(path)
	if err != nil {
		return err
	}
	defer closeBundle()
	if digest != "" && b.Digest != digest {
		return fmt.Errorf("%w: %s changed while it was read", bundle.ErrCorrupt, opts.Bundle)
	}
	if opts.DryRun {
		plan, err := install.DryRun(b, iopts)
		if err != nil {
			return err
		}
		if opts.JSON {
			return writeJSON(opts.IO, plan)
		}
		return writePlan(opts.IO, plan, opts.Install.Root)
	}
	rc, err := install.Apply(b, iopts)
	if errors.Is(err, install.ErrHealthCheck) && rc != nil {
		if opts.JSON {
			if werr := writeJSON(opts.IO, rc); werr != nil {
				return werr
			}
		}
		return err
	}
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(opts.IO, rc)
	}
	fmt.Fprintf(opts.IO.Out, "applied %s to %s: %s -> %s, %d files\n", rc.Patch, opts.Install.Root, rc.Base.Tag, rc.Target.Tag, len(rc.Files))
	if n := len(rc.Checks); n > 0 {
		fmt.Fprintf(opts.IO.Out, "health check passed (attempt %d)\n", rc.Checks[n-1].Attempts)
	}
	return nil
}

// writePlan prints what an apply would do.
func writePlan(io *IOStreams, p *install.Plan, root string) error {
	tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "dry run: %s would take %s from %s to %s, %d files:\n", p.Patch, root, p.Base.Tag, p.Target.Tag, len(p.Files))
	for _, f := range p.Files {
		size := ""
		if f.Op != "delete" {
			size = fmt.Sprintf("%d bytes", f.Size)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", f.Op, textsafe.Line(f.Path), size)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	free := "unknown"
	if p.Room.Free >= 0 {
		free = fmt.Sprintf("%d bytes", p.Room.Free)
	}
	fmt.Fprintf(io.Out, "staging: %d bytes needed, %s free\n", p.Room.Staging, free)
	if p.HealthCheck != nil {
		fmt.Fprintf(io.Out, "health check after the swap: %s\n", textsafe.Line(p.HealthCheck.Command))
	}
	fmt.Fprintln(io.Out, "every check passed; nothing was written")
	return nil
}

// RollbackOptions are the flags of `patchline rollback`.
type RollbackOptions struct {
	IO *IOStreams
	JSONFlag
	Install InstallFlags
	Now     func() time.Time
	ID      string
	Force   bool
}

// NewCmdRollback builds `patchline rollback`.
func NewCmdRollback(f *Factory, runF func(*RollbackOptions) error) *cobra.Command {
	opts := &RollbackOptions{IO: f.IO, Now: f.Now}
	cmd := &cobra.Command{
		Use:     "rollback ID --to DIR",
		Short:   "Undo an applied patch, restoring the previous files byte for byte",
		Example: `  patchline rollback PL-2026-0007 --to /opt/inventory`,
		Args:    argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runRollback(opts)
		},
	}
	opts.Install.AddFlags(cmd)
	opts.JSONFlag.AddFlags(cmd)
	cmd.Flags().BoolVar(&opts.Force, "force", false, "roll back even when files changed since the apply")
	return cmd
}

// InstalledOptions are the flags of `patchline installed`.
type InstalledOptions struct {
	IO *IOStreams
	JSONFlag
	Install InstallFlags
	Now     func() time.Time
	// Export writes the install's record (the evidence a production apply
	// asks for) to this file.
	Export string
}

// NewCmdInstalled builds `patchline installed`.
func NewCmdInstalled(f *Factory, runF func(*InstalledOptions) error) *cobra.Command {
	opts := &InstalledOptions{IO: f.IO, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "installed --to DIR",
		Short: "List the patches applied to an installed product",
		Example: `  patchline installed --to /opt/inventory
  patchline installed --to /opt/inventory --json
  patchline installed --to /opt/inventory-test --export evidence.json   # for apply --env production --evidence`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runInstalled(opts)
		},
	}
	opts.Install.AddFlags(cmd)
	opts.JSONFlag.AddFlags(cmd)
	cmd.Flags().StringVar(&opts.Export, "export", "", "write the install's record (site, env, release, patches, checks, confirmations) to this JSON file")
	return cmd
}

func runRollback(opts *RollbackOptions) error {
	rc, err := install.Rollback(opts.ID, install.Options{Root: opts.Install.Root, Force: opts.Force, Now: opts.Now, Log: opts.IO.ErrOut})
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(opts.IO, rc)
	}
	to := rc.Base.Tag
	if rc.Replaced != nil {
		to = rc.Replaced.Tag
	}
	fmt.Fprintf(opts.IO.Out, "rolled back %s in %s: %d files restored to %s\n", rc.Patch, opts.Install.Root, len(rc.Files), to)
	return nil
}

func runInstalled(opts *InstalledOptions) error {
	if opts.Export != "" {
		rec, err := install.Export(opts.Install.Root, opts.Now())
		if err != nil {
			return err
		}
		data, err := rec.Encode()
		if err != nil {
			return err
		}
		if err := gitrepo.WriteFileAtomic(opts.Export, data, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.ErrOut, "wrote %s: %s %s, %s, %d patches\n", opts.Export, rec.Site, rec.Env, rec.Release.Tag, len(rec.Patches))
		return nil
	}
	inv, err := install.Read(opts.Install.Root)
	if err != nil {
		return err
	}
	// Between a crash and its recovery the tree is half old, half new:
	// what the receipts say is not what is installed, so say so first.
	var interrupted error
	if j := inv.Interrupted; j != nil {
		interrupted = fmt.Errorf("%w: the %s of %s started at %s did not finish, so %s holds part of the old release and part of the new: run `patchline apply --recover --to %s` to finish or undo it, or `patchline rollback %s --to %s`",
			install.ErrInterrupted, j.Kind, j.Patch, j.Started.UTC().Format(time.RFC3339), opts.Install.Root, opts.Install.Root, j.Patch, opts.Install.Root)
	}
	if opts.JSON {
		if err := writeJSON(opts.IO, inv.Receipts); err != nil {
			return err
		}
		return interrupted
	}
	if len(inv.Receipts) == 0 {
		if interrupted != nil {
			return interrupted
		}
		fmt.Fprintf(opts.IO.ErrOut, "no patches applied to %s\n", opts.Install.Root)
		return nil
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PATCH\tSTATUS\tFROM\tTO\tAPPLIED\tFILES\tBUNDLE")
	for _, rc := range inv.Receipts {
		status := "applied"
		if rc.RolledBackAt != nil {
			status = "rolled back " + rc.RolledBackAt.UTC().Format(time.RFC3339)
			if rc.AutoRolledBack {
				status += " (failed its health check)"
			}
		} else if n := len(rc.Confirmations); n > 0 {
			status += ", confirmed by " + textsafe.Line(rc.Confirmations[n-1].By)
		}
		if rc.Forced {
			status += " (forced)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", rc.Patch, status, rc.Base.Tag, rc.Target.Tag,
			rc.AppliedAt.UTC().Format(time.RFC3339), len(rc.Files), rc.BundleDigest[:12])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return interrupted
}

package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/install"
	"github.com/patchline/patchline/internal/textsafe"
)

// CheckOptions are the flags of `patchline check`.
type CheckOptions struct {
	IO *IOStreams
	JSONFlag
	Install InstallFlags
	Now     func() time.Time
	Check   string
}

// NewCmdCheck builds `patchline check`.
func NewCmdCheck(f *Factory, runF func(*CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{IO: f.IO, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "check --to DIR",
		Short: "Run the installed product's health check again",
		Long: `Runs the health check of the patch applied last (the one its bundle
carried, [install] check, or --check) in the install root, with its timeout
and retries, and records the outcome in that patch's receipt. Nothing is
rolled back: apply does that when the check fails right after a swap.

Exit status: 0 when the check passes, 1 when it fails, 2 when there is no
check to run.`,
		Example: `  patchline check --to /opt/inventory
  patchline check --to /opt/inventory --check 'bin/inventory --self-test' --json`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runCheckCmd(opts)
		},
	}
	opts.Install.AddFlags(cmd)
	opts.JSONFlag.AddFlags(cmd)
	cmd.Flags().StringVar(&opts.Check, "check", "", "the command to run instead of the applied patch's health check")
	return cmd
}

func runCheckCmd(opts *CheckOptions) error {
	rec, out, err := install.Check(install.Options{Root: opts.Install.Root, Now: opts.Now, Log: opts.IO.ErrOut}, opts.Check)
	if out.Attempts == 0 {
		return err
	}
	if opts.JSON {
		res := map[string]any{"ok": out.OK, "outcome": out}
		if rec != nil {
			res["patch"] = rec.Patch
		}
		if werr := writeJSON(opts.IO, res); werr != nil {
			return werr
		}
		return err
	}
	word := "passed"
	if !out.OK {
		word = "failed"
	}
	fmt.Fprintf(opts.IO.Out, "health check %s (attempt %d, exit status %d)\n", word, out.Attempts, out.ExitCode)
	if !out.OK && out.Output != "" {
		for _, l := range strings.Split(out.Output, "\n") {
			fmt.Fprintf(opts.IO.Out, "  %s\n", textsafe.Line(l))
		}
	}
	return err
}

// ConfirmOptions are the flags of `patchline confirm`.
type ConfirmOptions struct {
	IO *IOStreams
	JSONFlag
	Install InstallFlags
	Now     func() time.Time
	ID      string
	By      string
	Note    string
}

// NewCmdConfirm builds `patchline confirm`.
func NewCmdConfirm(f *Factory, runF func(*ConfirmOptions) error) *cobra.Command {
	opts := &ConfirmOptions{IO: f.IO, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "confirm ID --to DIR --by NAME",
		Short: "Record the customer's confirmation that an applied patch resolved their issue",
		Long: `Adds who confirmed, when, and an optional note to the receipt of an applied
patch: the evidence a support case is closed on. Exit status 4 when the
patch is not applied.`,
		Example: `  patchline confirm PL-2026-0007 --to /opt/inventory --by "Dana at Acme" --note "imports with quoted commas work"`,
		Args:    argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if strings.TrimSpace(opts.By) == "" {
				return usageError("--by is required: who confirms, e.g. --by \"Dana at Acme\"")
			}
			if runF != nil {
				return runF(opts)
			}
			return runConfirm(opts)
		},
	}
	opts.Install.AddFlags(cmd)
	opts.JSONFlag.AddFlags(cmd)
	cmd.Flags().StringVar(&opts.By, "by", "", "who confirms (required)")
	cmd.Flags().StringVar(&opts.Note, "note", "", "what they said")
	return cmd
}

func runConfirm(opts *ConfirmOptions) error {
	rec, err := install.Confirm(install.Options{Root: opts.Install.Root, Now: opts.Now, Log: opts.IO.ErrOut}, opts.ID,
		install.Confirmation{By: strings.TrimSpace(opts.By), Note: opts.Note})
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(opts.IO, rec)
	}
	c := rec.Confirmations[len(rec.Confirmations)-1]
	fmt.Fprintf(opts.IO.Out, "recorded: %s confirmed %s on %s\n", textsafe.Line(c.By), rec.Patch, c.At.UTC().Format(time.RFC3339))
	return nil
}

package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

// NewCmdRoot builds the patchline command tree.
func NewCmdRoot(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "patchline <command>",
		Short: "The git-native patch pipeline between quarterly releases",
		Long: `patchline cuts patch branches from release tags, records each fix as a
TOML manifest plus a git diff under patches/<ID>/, validates them on every
push, and ships them to customers as signed binary deltas.`,
		Example: `  patchline init
  patchline new --base v2026.3.0 --title "CSV importer drops quoted commas" --severity important --kind fix --module importer
  patchline diff
  patchline validate --format github
  patchline demo`,
		// Without this, cobra reports an unknown command as a plain error.
		Args:          argsUsage(cobra.NoArgs),
		RunE:          func(cmd *cobra.Command, args []string) error { return cmd.Help() },
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       f.Version,
	}
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError("%w\nRun '%s --help' for usage.", err, cmd.CommandPath())
	})
	root.AddCommand(
		NewCmdInit(f, nil),
		NewCmdNew(f, nil),
		NewCmdDiff(f, nil),
		NewCmdValidate(f, nil),
		NewCmdList(f, nil),
		NewCmdShow(f, nil),
		NewCmdBuild(f, nil),
		NewCmdRelease(f, nil),
		NewCmdInstall(f, nil),
		NewCmdSign(f, nil),
		NewCmdVerify(f, nil),
		NewCmdGuide(f, nil),
		NewCmdKeys(f),
		NewCmdApply(f, nil),
		NewCmdRollback(f, nil),
		NewCmdInstalled(f, nil),
		NewCmdCheck(f, nil),
		NewCmdConfirm(f, nil),
		NewCmdDelta(f),
		NewCmdDemo(f, nil),
		NewCmdPR(f, nil),
		NewCmdGate(f, nil),
		NewCmdPlan(f, nil),
		NewCmdRollup(f, nil),
		NewCmdNotes(f, nil),
		NewCmdReport(f, nil),
		NewCmdFleet(f, nil),
		NewCmdCases(f, nil),
		NewCmdAdvisory(f, nil),
	)
	addCompletions(root) // completion.go
	return root
}

// Main runs patchline with args and returns the exit code.
func Main(ctx context.Context, f *Factory, args []string) int {
	root := NewCmdRoot(f)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && !Silent(err) {
		fmt.Fprintf(f.IO.ErrOut, "patchline: %v\n", err)
	}
	return ExitCode(err)
}

// argsUsage wraps a cobra argument check so its failure exits 2.
func argsUsage(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError("%w\nRun '%s --help' for usage.", err, cmd.CommandPath())
		}
		return nil
	}
}

package cli

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/delta"
)

// NewCmdDelta builds `patchline delta`, the binary delta engine on two files.
func NewCmdDelta(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "delta <command>",
		Short: "The binary delta engine on two files, for scripts and benchmarks",
		Example: `  patchline delta create app-v1 app-v2 app.delta
  patchline delta apply app-v1 app.delta app-v2.rebuilt`,
	}
	cmd.AddCommand(newCmdDeltaCreate(f), newCmdDeltaApply(f))
	return cmd
}

func newCmdDeltaCreate(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "create OLD NEW DELTA",
		Short:   "Write a delta that turns OLD into NEW",
		Example: `  patchline delta create app-v1 app-v2 app.delta`,
		Args:    argsUsage(cobra.ExactArgs(3)),
		RunE: func(cmd *cobra.Command, args []string) error {
			old, err := readInput(args[0])
			if err != nil {
				return err
			}
			nw, err := readInput(args[1])
			if err != nil {
				return err
			}
			return writeOutput(args[2], func(w *bufio.Writer) error { return delta.Create(old, nw, w) })
		},
	}
}

func newCmdDeltaApply(f *Factory) *cobra.Command {
	var maxOut int64
	cmd := &cobra.Command{
		Use:     "apply OLD DELTA OUT",
		Short:   "Rebuild NEW from OLD and a delta, checked against its SHA-256",
		Example: `  patchline delta apply app-v1 app.delta app-v2`,
		Args:    argsUsage(cobra.ExactArgs(3)),
		RunE: func(cmd *cobra.Command, args []string) error {
			old, err := readInput(args[0])
			if err != nil {
				return err
			}
			d, err := os.Open(args[1])
			if err != nil {
				return usageError("%w", err)
			}
			defer d.Close()
			return writeOutput(args[2], func(w *bufio.Writer) error {
				return delta.Apply(old, bufio.NewReader(d), w, maxOut)
			})
		},
	}
	cmd.Flags().Int64Var(&maxOut, "max-size", 4<<30, "refuse a delta whose output would be larger than this many bytes")
	return cmd
}

func readInput(name string) ([]byte, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, usageError("%w", err)
	}
	return data, nil
}

// writeOutput writes a file through a temporary file, so a failed run
// leaves no half-written output.
func writeOutput(name string, write func(*bufio.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	if err := write(w); err != nil {
		tmp.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

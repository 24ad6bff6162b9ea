package cli

import (
	"bufio"
	"errors"
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
			// Old is mapped, not read: applying takes a few MiB whatever
			// its size.
			old, err := os.Open(args[0])
			if err != nil {
				return usageError("%w", err)
			}
			defer old.Close()
			d, err := os.Open(args[1])
			if err != nil {
				return usageError("%w", err)
			}
			defer d.Close()
			err = writeOutput(args[2], func(w *bufio.Writer) error {
				return delta.ApplyFile(old, bufio.NewReader(d), w, maxOut)
			})
			if errors.Is(err, delta.ErrCorrupt) || errors.Is(err, delta.ErrMismatch) {
				return fmt.Errorf("%s: %w", args[1], err)
			}
			return err
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
// leaves no half-written output. The temporary file is made at the first
// write: delta apply writes only a verified result, so a run that fails,
// or is killed, while it rebuilds leaves nothing behind either.
func writeOutput(name string, write func(*bufio.Writer) error) error {
	tmp := &lazyFile{dir: filepath.Dir(name), pattern: "." + filepath.Base(name) + ".tmp*"}
	defer tmp.remove()
	w := bufio.NewWriterSize(tmp, 1<<20)
	if err := write(w); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := tmp.open(); err != nil { // nothing was written: an empty file
		return err
	}
	if err := tmp.f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.f.Name(), name); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// lazyFile is a temporary file created when it is first written to.
type lazyFile struct {
	dir, pattern string
	f            *os.File
}

func (l *lazyFile) open() error {
	if l.f != nil {
		return nil
	}
	f, err := os.CreateTemp(l.dir, l.pattern)
	if err != nil {
		return err
	}
	l.f = f
	return nil
}

func (l *lazyFile) Write(p []byte) (int, error) {
	if err := l.open(); err != nil {
		return 0, err
	}
	return l.f.Write(p)
}

// remove closes and removes the file, if it was made and not renamed.
func (l *lazyFile) remove() {
	if l.f != nil {
		l.f.Close()
		os.Remove(l.f.Name())
	}
}

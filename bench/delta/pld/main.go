// Command pld is internal/delta alone, as a process: `patchline delta`
// without the rest of patchline, whose start-up (package initialisation,
// the command tree) takes more time and memory than applying a delta to a
// 5 MB file. bench/delta/run.sh times both.
//
//	pld create OLD NEW DELTA
//	pld apply OLD DELTA OUT
package main

import (
	"bufio"
	"fmt"
	"os"

	"github.com/patchline/patchline/internal/delta"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "pld:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 4 {
		return fmt.Errorf("usage: pld create OLD NEW DELTA | pld apply OLD DELTA OUT")
	}
	switch args[0] {
	case "create":
		old, err := os.ReadFile(args[1])
		if err != nil {
			return err
		}
		new, err := os.ReadFile(args[2])
		if err != nil {
			return err
		}
		return write(args[3], func(w *bufio.Writer) error { return delta.Create(old, new, w) })
	case "apply":
		old, err := os.Open(args[1])
		if err != nil {
			return err
		}
		defer old.Close()
		d, err := os.Open(args[2])
		if err != nil {
			return err
		}
		defer d.Close()
		return write(args[3], func(w *bufio.Writer) error {
			return delta.ApplyFile(old, bufio.NewReader(d), w, 4<<30)
		})
	}
	return fmt.Errorf("unknown command %q", args[0])
}

func write(name string, fn func(*bufio.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 256<<10)
	if err := fn(w); err != nil {
		f.Close()
		os.Remove(name)
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

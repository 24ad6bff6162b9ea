// Package cli holds patchline's commands. Each command only parses flags
// into its Options; the work is in its run function.
package cli

import (
	"errors"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/registry"
)

// IOStreams is where a command reads and writes: data on Out, progress and
// status on ErrOut.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// Interactive is true when ErrOut is a terminal: progress lines are shown.
	Interactive bool
}

// Factory hands commands their dependencies, built only when used.
type Factory struct {
	IO      *IOStreams
	Getenv  func(string) string
	Now     func() time.Time
	Version string
}

// NewFactory wires the real process environment.
func NewFactory(version string) *Factory {
	interactive := false
	if fi, err := os.Stderr.Stat(); err == nil {
		interactive = fi.Mode()&os.ModeCharDevice != 0
	}
	f := &Factory{
		IO:      &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, Interactive: interactive},
		Getenv:  os.Getenv,
		Version: version,
	}
	f.Now = func() time.Time {
		// PATCHLINE_NOW pins the clock (SLA checks, reported dates) so that
		// a CI rerun or a test sees the same time.
		if v := f.Getenv("PATCHLINE_NOW"); v != "" {
			if t, err := time.Parse(time.RFC3339, v); err == nil {
				return t
			}
		}
		return time.Now()
	}
	return f
}

// RepoFlags is the --repo flag every command takes.
type RepoFlags struct {
	Dir string
}

// AddFlags registers --repo.
func (r *RepoFlags) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.Dir, "repo", ".", "the product repository (any directory inside it)")
}

// Open opens the repository.
func (r *RepoFlags) Open() (*gitrepo.Repo, error) {
	return gitrepo.Open(r.Dir)
}

// Registry opens the repository and its .patchline.toml. The policy is
// the main line's: on the main branch (or with no main branch yet) the work
// tree's config, elsewhere the config committed on the main line, so a patch
// branch cut from an old tag is held to today's rules. A branch whose main
// line has no config yet falls back to its own work tree's.
func (r *RepoFlags) Registry() (*registry.Registry, error) {
	repo, err := r.Open()
	if err != nil {
		return nil, err
	}
	root := repo.Root()
	if root == "" {
		root = r.Dir
	}
	local, localErr := config.Load(root)
	if localErr != nil && !errors.Is(localErr, config.ErrNotFound) {
		return nil, localErr
	}
	mainName := config.DefaultMainBranch
	if local != nil {
		mainName = local.Release.MainBranch
	}
	cfg := local
	if head, _, _ := repo.Head(); head != mainName {
		fromMain, err := committedConfig(repo, mainName)
		if err != nil {
			return nil, err
		}
		if fromMain != nil {
			cfg = fromMain
		}
	}
	if cfg == nil {
		return nil, localErr
	}
	return &registry.Registry{Repo: repo, Config: cfg}, nil
}

// committedConfig reads .patchline.toml as committed on a branch; nil when
// the branch or the file does not exist.
func committedConfig(repo *gitrepo.Repo, branch string) (*config.Config, error) {
	ref, ok, err := repo.Branch(branch)
	if err != nil || !ok {
		return nil, err
	}
	data, ok, err := repo.ReadFile(ref.Commit, config.FileName)
	if err != nil || !ok {
		return nil, err
	}
	return config.Decode(ref.Name+":"+config.FileName, data)
}

// JSONFlag is the --json flag of commands that report something.
type JSONFlag struct {
	JSON bool
}

// AddFlags registers --json.
func (j *JSONFlag) AddFlags(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&j.JSON, "json", false, "print the result as JSON")
}

// Package pipeline is what `patchline build` does, as an ordered list of
// small named steps sharing one State.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/registry"
)

// Step is one stage of a pipeline.
type Step interface {
	String() string
	Run(ctx context.Context, s *State) error
}

// Build is what `patchline build` does, in order.
var Build = []Step{
	Checkout{}, // export the old release's tree and the patched tree (base + patch.diff) to temp dirs
	Compile{},  // build both for every platform, checking the build is reproducible
	Deltas{},   // compare the builds: one binary delta per changed file, new files whole
	Write{},    // write one deterministic bundle per platform
}

// State is what the steps share.
type State struct {
	Repo     *gitrepo.Repo
	Config   *config.Config
	Patch    *registry.Patch
	From     string // the release the bundle upgrades from; default the patch's base
	Out      string // where bundles are written
	Work     string // a temporary directory the steps may fill
	Log      io.Writer
	Getenv   func(string) string
	Version  string // patchline's own version, recorded as the bundler
	Platform []string
	// NoReproCheck skips building the old release twice.
	NoReproCheck bool

	FromTag     gitrepo.Tag
	BaseTag     gitrepo.Tag
	Source      gitrepo.Hash // the patch branch's tip
	SourceTime  time.Time
	OldTree     string // exported old release
	PatchedTree string // old release's base + patch.diff
	Builds      map[string]*Platform
	Bundles     []string
	BuilderName string
	BuilderVer  string
}

// Platform is the two builds of one platform and what changed between them.
type Platform struct {
	Name     string // linux/amd64
	Old, New string // build output directories
	Changes  []FileChange
}

// Skip is returned by a step that had nothing to do; the reason is logged.
type Skip struct{ Reason string }

func (s Skip) Error() string { return "skipped: " + s.Reason }

// Run runs steps in order, logging each.
func Run(ctx context.Context, steps []Step, s *State) error {
	for _, st := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := time.Now()
		fmt.Fprintf(s.Log, "• %s\n", st)
		err := st.Run(ctx, s)
		var skip Skip
		switch {
		case errors.As(err, &skip):
			fmt.Fprintf(s.Log, "  %s\n", skip.Reason)
		case err != nil:
			return fmt.Errorf("%s: %w", st, err)
		default:
			fmt.Fprintf(s.Log, "  done in %s\n", time.Since(start).Round(time.Millisecond))
		}
	}
	return nil
}

// Package pipeline is what `patchline build` does, as an ordered list of
// small named steps sharing one State.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchline/patchline/internal/artifact"
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
	Checkout{},        // export the old release's tree and the patched tree (base + patch.diff) to temp dirs
	SameToolchain{},   // the patch's toolchain and build configuration against its base's release record, before any build
	CompileRelease{},  // build the old release for every platform, checking the build is reproducible
	MatchRelease{},    // the rebuilt old release against its release record: same toolchain, configuration, bytes
	CompilePatched{},  // build the patched tree for every platform
	Deltas{},          // compare the builds: one binary delta per changed file, new files whole
	Write{},           // write one deterministic bundle per platform
	WriteProvenance{}, // the in-toto provenance statement of each bundle, beside it
}

// Release is what `patchline release` does, in order: the old release of
// Build, built the same way, alone.
var Release = []Step{
	ExportRelease{},     // export the release tag's tree to a temp dir
	CompileRelease{},    // build it for every platform as Build builds a base, checking it is reproducible
	RecordRelease{},     // the release record: toolchain, configuration, every file's SHA-256
	Archive{},           // one archive per platform, the checksums file and the record, in Out
	ReleaseProvenance{}, // the in-toto provenance statement of each archive, beside it
	KeepRecord{},        // the record as a git note on the tag's commit, where build finds it
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

	// FromTime is the old release's commit time: SOURCE_DATE_EPOCH of its
	// builds, in `build` as in `release`. Zero: read from the repository.
	FromTime time.Time
	// Toolchain is `go env GOVERSION` in the old release's tree.
	Toolchain    string
	BuilderFlags []string
	// Record is the release record `release` makes, and the one `build`
	// checked the old release against (nil when there is none).
	Record *artifact.Record
	// Archives, Checksums and RecordFile are what `release` wrote in Out.
	Archives   []string
	Checksums  string
	RecordFile string
	// Identity signs the git note that keeps the record.
	Identity *object.Signature
	// RecordKept: `release` wrote the note (false: the same record was
	// there already).
	RecordKept bool

	// Provenance is what the provenance steps take and find (provenance.go).
	Provenance Provenance
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

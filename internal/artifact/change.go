package artifact

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrChanged: a patch would be built with another toolchain or build
// configuration than its base release was (exit 4).
var ErrChanged = errors.New("the patch's toolchain or build configuration is not its base release's")

// Planned is how a patch is about to be built, before anything is: what
// ConfigDiff holds against the base release's record.
type Planned struct {
	Product   string
	Toolchain string // `go env GOVERSION` in the patched tree, "" without Go
	Builder   Builder
	Config    BuildConfig
	Flags     []string
	Platforms []string // the platforms to build
}

// ConfigDiff lists how a planned build differs from the record of the
// release it patches, in the words of Diff: the toolchain, the builder and
// its version, [build] (its platforms too), the builder's flags. Platforms
// the release has no build for are listed apart: no customer runs them, so
// no override builds them.
func ConfigDiff(recorded *Record, p Planned) (changes, missing []string) {
	planned := &Record{
		Tag: recorded.Tag, Commit: recorded.Commit, SourceDateEpoch: recorded.SourceDateEpoch,
		Product: p.Product, Toolchain: p.Toolchain, Builder: p.Builder, Config: p.Config, Flags: p.Flags,
	}
	changes = Diff(recorded, planned)
	// Diff leaves [build] platforms to the files; a plan has none yet.
	if rp, pp := sortedCopy(recorded.Config.Platforms), sortedCopy(p.Config.Platforms); !slices.Equal(rp, pp) {
		changes = append(changes, fmt.Sprintf("[build] platforms: %q in the record, %q now", rp, pp))
	}
	for _, plat := range p.Platforms {
		if recorded.Find(plat) == nil {
			missing = append(missing, fmt.Sprintf("%s: the release has no build for this platform (it has %s)", plat, strings.Join(recorded.platformNames(), ", ")))
		}
	}
	return changes, missing
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// ChangeError is a patch whose build would differ from its base release's.
type ChangeError struct {
	Patch, Tag  string
	Differences []string
	// Hint says what to do.
	Hint string
}

func (e *ChangeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s would not be built as its base %s was released: ", e.Patch, e.Tag)
	if len(e.Differences) == 1 {
		b.WriteString(e.Differences[0])
	} else {
		fmt.Fprintf(&b, "%d differences:\n  %s", len(e.Differences), strings.Join(e.Differences, "\n  "))
	}
	if e.Hint != "" {
		b.WriteString("\n" + e.Hint)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrChanged) hold.
func (e *ChangeError) Is(target error) bool { return target == ErrChanged }

// SameBuild returns rebuilt with the toolchain, builder and configuration
// of recorded: what Diff compares when a change of them was allowed, and
// only the files must still be the release's.
func SameBuild(recorded, rebuilt *Record) *Record {
	c := *rebuilt
	c.Toolchain, c.Builder, c.Config, c.Flags = recorded.Toolchain, recorded.Builder, recorded.Config, slices.Clone(recorded.Flags)
	return &c
}

package artifact

import (
	"fmt"
	"slices"
	"strings"
)

// Diff lists how a rebuild differs from the recorded release, one line per
// difference, in the order a reader fixes them: the release itself, then
// the toolchain and configuration, then each rebuilt platform's files.
// Only the platforms of rebuilt are compared (a patch may be built for one
// platform of the release); patchline's own version is not compared.
func Diff(recorded, rebuilt *Record) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if recorded.Tag != rebuilt.Tag {
		add("tag: %s in the record, %s rebuilt", recorded.Tag, rebuilt.Tag)
	}
	if recorded.Commit != rebuilt.Commit {
		add("commit: %s in the record, %s rebuilt (the tag was moved after the release)", short(recorded.Commit), short(rebuilt.Commit))
	}
	if recorded.Product != rebuilt.Product {
		add("product: %s in the record, %s now", recorded.Product, rebuilt.Product)
	}
	if recorded.SourceDateEpoch != rebuilt.SourceDateEpoch {
		add("SOURCE_DATE_EPOCH: %d in the record, %d now", recorded.SourceDateEpoch, rebuilt.SourceDateEpoch)
	}
	if recorded.Toolchain != rebuilt.Toolchain {
		add("toolchain: %s in the record, %s now", orNone(recorded.Toolchain), orNone(rebuilt.Toolchain))
	}
	if recorded.Builder.Name != rebuilt.Builder.Name {
		add("builder: %s in the record, %s now", recorded.Builder.Name, rebuilt.Builder.Name)
	} else if recorded.Builder.Version != rebuilt.Builder.Version && recorded.Builder.Version != recorded.Toolchain {
		// The go builder's version is the toolchain, said once above.
		add("%s version: %s in the record, %s now", recorded.Builder.Name, orNone(recorded.Builder.Version), orNone(rebuilt.Builder.Version))
	}
	rc, bc := recorded.Config, rebuilt.Config
	if rc.Builder != bc.Builder {
		add("[build] builder: %q in the record, %q now", rc.Builder, bc.Builder)
	}
	if !slices.Equal(rc.Packages, bc.Packages) {
		add("[build] packages: %q in the record, %q now", rc.Packages, bc.Packages)
	}
	if rc.Command != bc.Command {
		add("[build] command: %q in the record, %q now", rc.Command, bc.Command)
	}
	if !slices.Equal(rc.Artifacts, bc.Artifacts) {
		add("[build] artifacts: %q in the record, %q now", rc.Artifacts, bc.Artifacts)
	}
	if !slices.Equal(recorded.Flags, rebuilt.Flags) {
		add("build flags: %q in the record, %q now", recorded.Flags, rebuilt.Flags)
	}
	for _, p := range rebuilt.Platforms {
		rp := recorded.Find(p.Platform)
		if rp == nil {
			add("%s: the release has no build for this platform (it has %s)", p.Platform, strings.Join(recorded.platformNames(), ", "))
			continue
		}
		out = append(out, diffFiles(p.Platform, rp.Files, p.Files)...)
	}
	return out
}

func diffFiles(platform string, recorded, rebuilt []File) []string {
	var out []string
	want := make(map[string]File, len(recorded))
	for _, f := range recorded {
		want[f.Path] = f
	}
	got := make(map[string]File, len(rebuilt))
	for _, f := range rebuilt {
		got[f.Path] = f
	}
	var paths []string
	for p := range want {
		paths = append(paths, p)
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	for _, p := range paths {
		w, inRecord := want[p]
		g, rebuiltIt := got[p]
		switch {
		case !rebuiltIt:
			out = append(out, fmt.Sprintf("%s %s: in the record (sha256 %s), not built now", platform, p, short(w.SHA256)))
		case !inRecord:
			out = append(out, fmt.Sprintf("%s %s: built now (sha256 %s), not in the record", platform, p, short(g.SHA256)))
		case w.SHA256 != g.SHA256:
			out = append(out, fmt.Sprintf("%s %s: sha256 %s (%d bytes) in the record, %s (%d bytes) rebuilt", platform, p, short(w.SHA256), w.Size, short(g.SHA256), g.Size))
		case w.Mode != g.Mode:
			out = append(out, fmt.Sprintf("%s %s: mode %o in the record, %o rebuilt", platform, p, w.Mode, g.Mode))
		}
	}
	return out
}

func (r *Record) platformNames() []string {
	names := make([]string, len(r.Platforms))
	for i, p := range r.Platforms {
		names[i] = p.Platform
	}
	return names
}

// short keeps messages readable; 12 hex digits name a file or commit well.
func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// MismatchError is a rebuild that is not the recorded release.
type MismatchError struct {
	Tag         string
	Differences []string
	// Hint says what to do, e.g. which toolchain to build with.
	Hint string
}

func (e *MismatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the rebuilt %s is not the release customers installed: ", e.Tag)
	if len(e.Differences) == 1 {
		b.WriteString(e.Differences[0])
	} else {
		fmt.Fprintf(&b, "%d differences with its release record:\n  %s", len(e.Differences), strings.Join(e.Differences, "\n  "))
	}
	if e.Hint != "" {
		b.WriteString("\n" + e.Hint)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrMismatch) hold.
func (e *MismatchError) Is(target error) bool { return target == ErrMismatch }

package cli

import (
	"runtime/debug"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// ModulePath is the module `go install` fetches patchline from.
const ModulePath = "github.com/patchline/patchline"

// Version is the version --version prints and the workflow `init` writes
// pins: the one a release build sets with -ldflags, else the module
// version `go install …@v1.2.3` records in the binary, else the commit of
// a local build ("dev-<commit>", "-dirty" when the tree had changes), else
// "dev". info is runtime/debug.ReadBuildInfo's (nil when there is none).
func Version(ldflags string, info *debug.BuildInfo) string {
	if ldflags != "" && ldflags != "dev" {
		return ldflags
	}
	if info == nil {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var revision string
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if revision == "" {
		return "dev"
	}
	if len(revision) > 12 {
		revision = revision[:12]
	}
	v := "dev-" + revision
	if modified {
		v += "-dirty"
	}
	return v
}

// BuildVersion is Version for the running binary.
func BuildVersion(ldflags string) string {
	info, _ := debug.ReadBuildInfo() // nil without build info
	return Version(ldflags, info)
}

// installPin is what the workflow `init` writes installs patchline at:
// the version that wrote it, as `go install` takes it.
type installPin struct {
	// Ref follows the @ of go install: a release tag, a pseudo-version
	// or a commit; "latest" only when the version is not known.
	Ref string
	// Note says, for a workflow comment, what Ref is when it is not a
	// release.
	Note string
}

// pinFor picks the install pin for the running binary's version.
func pinFor(version string) installPin {
	base, dirty := strings.CutSuffix(version, "+dirty")
	switch {
	case module.IsPseudoVersion(base):
		rev, _ := module.PseudoVersionRev(base)
		note := "a pre-release build: pinned to its exact pseudo-version, commit " + rev
		if dirty {
			note += " (it was built from a modified tree; this is the commit it started from)"
		}
		return installPin{Ref: base, Note: note}
	case semver.IsValid(base) && !dirty:
		return installPin{Ref: base}
	case semver.IsValid(base):
		return installPin{Ref: base, Note: "written by a build of " + base + " from a modified tree: pinned to the release it started from"}
	case strings.HasPrefix(version, "dev-"):
		rev, dirty := strings.CutSuffix(strings.TrimPrefix(version, "dev-"), "-dirty")
		note := "a local build: pinned to its commit " + rev + ", which must be pushed to " + ModulePath
		if dirty {
			note += " (it was built from a modified tree; this is the commit it started from)"
		}
		return installPin{Ref: rev, Note: note}
	}
	return installPin{Ref: "latest", Note: "written by a patchline that does not know its version (" + version + "): NOT pinned; replace latest with a release, e.g. v1.2.3"}
}

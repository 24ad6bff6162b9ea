package notes

import (
	"github.com/patchline/patchline/internal/advisory"
	"github.com/patchline/patchline/internal/manifest"
)

// linkAdvisories names under each security fix (kind security, or any CVE)
// that a release tag carries the advisory files of its release:
// advisories/<format>/<name>, as `patchline advisory --release` writes
// them and the release workflow attaches them.
func (n *Notes) linkAdvisories() {
	for _, g := range n.Groups {
		for _, e := range g.Entries {
			if (e.Kind == manifest.KindSecurity || len(e.CVEs) > 0) && e.released() {
				e.Advisories = advisory.Paths(e.ID)
			}
		}
	}
}

func (e *Entry) released() bool {
	for _, s := range e.Lines {
		if s.Status == "released" && s.Tag != "" {
			return true
		}
	}
	return false
}

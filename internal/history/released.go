package history

import (
	"slices"

	"github.com/patchline/patchline/internal/gitrepo"
)

// TagPatchIDs are the patches an annotated release tag names in its
// Patch-Id trailers: those a patch-level release shipped (`pr --merged`
// writes them). A quarterly tag names none.
func TagPatchIDs(t gitrepo.Tag) []string {
	ids, _ := trailers(t.Message())
	out := []string{}
	for _, id := range ids {
		if noteID.MatchString(id) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

package install

import (
	"fmt"
	"strings"

	"github.com/patchline/patchline/internal/bundle"
)

// checkRequires refuses a bundle whose prerequisites are not installed: each
// patch in m.Requires must be applied (a receipt that was not rolled back)
// or brought by the bundle itself (m.Includes, a cumulative bundle). The
// error wraps ErrPrecondition and names, in the bundle's order, what to
// install first.
//
// A prerequisite the bundle's base release already holds is not in
// m.Requires: build leaves it out, since apply checks the installed release
// is the bundle's base.
func checkRequires(m *bundle.Meta, receipts []Receipt) error {
	if len(m.Requires) == 0 {
		return nil
	}
	have := make(map[string]bool, len(receipts)+len(m.Includes))
	for _, r := range receipts {
		if r.RolledBackAt == nil && !r.AutoRolledBack {
			have[r.Patch] = true
		}
	}
	for _, id := range m.Includes {
		have[id] = true
	}
	var missing []string
	for _, id := range m.Requires {
		if !have[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if len(missing) == 1 {
		return fmt.Errorf("%w: %s requires %s, which is not installed: install %s first, or a cumulative bundle that includes it",
			ErrPrecondition, m.Patch, missing[0], missing[0])
	}
	list := strings.Join(missing[:len(missing)-1], ", ") + " and " + missing[len(missing)-1]
	return fmt.Errorf("%w: %s requires %s, which are not installed: install them first, or a cumulative bundle that includes them",
		ErrPrecondition, m.Patch, list)
}

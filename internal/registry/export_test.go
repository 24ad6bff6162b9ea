package registry

import "github.com/patchline/patchline/internal/gitrepo"

// MergedPlaces lets the tests see where merged patches are looked for.
func (r *Registry) MergedPlaces() ([]gitrepo.Ref, error) { return r.mergedPlaces() }

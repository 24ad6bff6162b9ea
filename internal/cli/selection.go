package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/registry"
)

// The commands that work on patches (plan, validate) take them the same
// way: ids as arguments, --all for every patch branch, or neither for the
// checked-out patch branch's.

// addAllFlag registers --all into all, described by usage.
func addAllFlag(cmd *cobra.Command, all *bool, usage string) {
	cmd.Flags().BoolVar(all, "all", false, usage)
}

// patchIDs is the ids a command was given as args, refused beside --all.
func patchIDs(args []string, all bool) ([]string, error) {
	if all && len(args) > 0 {
		return nil, usageError("give patch ids or --all, not both")
	}
	return args, nil
}

// selectPatches loads the patches a command was given: every patch branch
// with all, else the named ids (a branch name works too), else the
// checked-out patch branch's.
func selectPatches(reg *registry.Registry, ids []string, all bool) ([]*registry.Patch, error) {
	if all {
		return reg.All(false)
	}
	if len(ids) == 0 {
		id, err := currentID(reg)
		if err != nil {
			return nil, err
		}
		ids = []string{id}
	}
	patches := make([]*registry.Patch, 0, len(ids))
	for _, id := range ids {
		p, err := reg.Load(strings.TrimPrefix(id, reg.Config.Release.PatchBranch))
		if err != nil {
			return nil, err
		}
		patches = append(patches, p)
	}
	return patches, nil
}

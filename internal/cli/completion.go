package cli

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/manifest"
)

// What shell completion offers, per command path (as `patchline <path>`
// is typed): positional arguments and flag values. The values come from
// the repository --repo names (patch ids, release tags, modules) or are
// the fixed ones a flag accepts. Commands not listed complete nothing
// special: file names for BUNDLE, ARCHIVE and DIR arguments.
var completions = map[string]completion{
	"new": {flags: map[string]completer{
		"base": completeReleaseTags, "also": completeReleaseTags, "from": completePatchIDs, "module": completeModules,
		"kind": fixed(manifest.Kinds...), "severity": fixed(manifest.Severities...),
		"urgency": fixed(manifest.Urgencies...), "risk": fixed(manifest.Risks...),
	}},
	"diff":     {args: completePatchIDs, maxArgs: 1},
	"validate": {args: completePatchIDs, flags: map[string]completer{"format": fixed("text", "json", "github")}},
	"show":     {args: completePatchIDs, maxArgs: 1},
	"build":    {args: completePatchIDs, maxArgs: 1, flags: map[string]completer{"from": completeReleaseTags}},
	"release":  {args: completeReleaseTags, maxArgs: 1},
	"pr":       {args: completePatchIDs, maxArgs: 1},
	"gate":     {args: completePatchIDs, maxArgs: 1},
	"plan":     {args: completePatchIDs, flags: map[string]completer{"format": fixed("text", "json", "github-matrix")}},
	"advisory": {args: completePatchIDs, maxArgs: 1, flags: map[string]completer{
		"format": fixed("osv", "csaf", "openvex"), "release": completeReleaseTags,
	}},
	"notes":  {flags: map[string]completer{"from": completeReleaseTags, "to": completeReleaseTags, "format": fixed("markdown", "json", "html")}},
	"rollup": {flags: map[string]completer{"from": completeReleaseTags, "to": completeReleaseTags, "accept": completePatchIDs}},
	"report": {flags: map[string]completer{"format": fixed("text", "json", "html", "openmetrics")}},
	"fleet":  {flags: map[string]completer{"format": fixed("text", "json", "html")}},
	"cases":  {flags: map[string]completer{"format": fixed("text", "csv", "json")}},
}

type completion struct {
	args    completer // positional arguments; nil: cobra's default
	maxArgs int       // 0: any number, each value offered once
	flags   map[string]completer
}

// A completer lists the values of an argument or flag of cmd.
type completer func(cmd *cobra.Command) []string

// addCompletions sets the completion functions of every command in the
// tree under root that completions lists. It is called once, after the
// tree is built, so command files need not know about completion.
func addCompletions(root *cobra.Command) {
	walk(root, func(cmd *cobra.Command) {
		path := strings.TrimPrefix(cmd.CommandPath(), root.Name()+" ")
		c, ok := completions[path]
		if !ok || cmd == root {
			return
		}
		if c.args != nil && cmd.ValidArgsFunction == nil {
			list, maxArgs := c.args, c.maxArgs
			cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
				if maxArgs > 0 && len(args) >= maxArgs {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				return matching(list(cmd), toComplete, args), cobra.ShellCompDirectiveNoFileComp
			}
		}
		for name, list := range c.flags {
			if cmd.Flags().Lookup(name) == nil {
				continue // a flag the command no longer has: nothing to complete
			}
			_ = cmd.RegisterFlagCompletionFunc(name, func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
				return matching(list(cmd), toComplete, nil), cobra.ShellCompDirectiveNoFileComp
			})
		}
	})
}

func walk(cmd *cobra.Command, fn func(*cobra.Command)) {
	fn(cmd)
	for _, sub := range cmd.Commands() {
		walk(sub, fn)
	}
}

// matching keeps the values that start with prefix and are not in given.
func matching(values []string, prefix string, given []string) []cobra.Completion {
	var out []cobra.Completion
	for _, v := range values {
		if strings.HasPrefix(v, prefix) && !slices.Contains(given, v) {
			out = append(out, v)
		}
	}
	return out
}

func fixed(values ...string) completer {
	return func(*cobra.Command) []string { return values }
}

// repoFlags is the --repo the command line being completed gives.
func repoFlags(cmd *cobra.Command) *RepoFlags {
	dir := "."
	if f := cmd.Flags().Lookup("repo"); f != nil {
		dir = f.Value.String()
	}
	return &RepoFlags{Dir: dir}
}

// completePatchIDs lists every patch id the repository knows: patch branches and
// the patches/ folders of its release lines and work tree. Completion
// never fails: a directory that is not a set-up repository offers nothing.
func completePatchIDs(cmd *cobra.Command) []string {
	reg, err := repoFlags(cmd).Registry()
	if err != nil {
		return nil
	}
	ids, err := reg.IDs()
	if err != nil {
		return nil
	}
	return ids
}

// completeReleaseTags lists the release tags, newest first.
func completeReleaseTags(cmd *cobra.Command) []string {
	reg, err := repoFlags(cmd).Registry()
	if err != nil {
		return nil
	}
	tags, err := reg.LoadTags()
	if err != nil {
		return nil
	}
	out := slices.Clone(tags.Release())
	slices.Reverse(out)
	return out
}

// completeModules lists the modules of [modules] in .patchline.toml.
func completeModules(cmd *cobra.Command) []string {
	reg, err := repoFlags(cmd).Registry()
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(reg.Config.Modules))
	for name := range reg.Config.Modules {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

package cli

import (
	"github.com/patchline/patchline/internal/jsonout"

	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// PlanOptions are the flags of `patchline plan`.
type PlanOptions struct {
	IO     *IOStreams
	Repo   RepoFlags
	IDs    []string
	All    bool
	Format string
	Runner string
}

// NewCmdPlan builds `patchline plan`.
func NewCmdPlan(f *Factory, runF func(*PlanOptions) error) *cobra.Command {
	opts := &PlanOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "plan [ID...] [--all] --format github-matrix",
		Short: "Print the build jobs: patch x release line x platform",
		Long: `Lists the bundles to build, one job per patch, release line and platform:
the patch's own line (from its base tag) and each line its also names, for
every platform in [build] platforms. --format github-matrix prints one line
of JSON, {"include": [...]}, for a GitHub Actions job's strategy.matrix:

  - id: plan
    run: echo "matrix=$(patchline plan --all --format github-matrix)" >> "$GITHUB_OUTPUT"
  ...
  strategy:
    matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}

Each job has id, base (the release tag it builds on), line, branch (the
line's maintenance branch, which the patch's pull request targets), platform,
goos, goarch, runner and artifact (a name for upload-artifact). A base or
also tag on a line [release] lines does not list is refused. An empty plan is
{"include": []}: guard the build job with
if: fromJSON(needs.plan.outputs.matrix).include[0] != null.`,
		Example: `  patchline plan                     # the checked-out patch, as a table
  patchline plan --all --format github-matrix
  patchline plan PL-2026-0007 PL-2026-0009 --format json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := patchIDs(args, opts.All)
			if err != nil {
				return err
			}
			opts.IDs = ids
			switch opts.Format {
			case "text", "json", "github-matrix":
			default:
				return usageError("--format %q: want text, json or github-matrix", opts.Format)
			}
			if runF != nil {
				return runF(opts)
			}
			return runPlan(opts)
		},
	}
	opts.Repo.AddFlags(cmd)
	addAllFlag(cmd, &opts.All, "every open patch (every patch branch)")
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output: text, json, or github-matrix")
	cmd.Flags().StringVar(&opts.Runner, "runner", "ubuntu-latest", "the runs-on label of each job")
	return cmd
}

// PlanJob is one build: a patch on one release line for one platform.
type PlanJob struct {
	ID       string `json:"id"`
	Base     string `json:"base"`
	Line     string `json:"line"`
	Branch   string `json:"branch"` // the line's maintenance branch
	Platform string `json:"platform"`
	GOOS     string `json:"goos"`
	GOARCH   string `json:"goarch"`
	Runner   string `json:"runner"`
	Artifact string `json:"artifact"`
}

func runPlan(opts *PlanOptions) error {
	reg, err := opts.Repo.Registry()
	if err != nil {
		return err
	}
	patches, err := selectPatches(reg, opts.IDs, opts.All)
	if err != nil {
		return err
	}
	jobs := []PlanJob{}
	for _, p := range patches {
		if p.Manifest == nil || len(p.Problems) > 0 {
			return usageError("%s: the manifest does not decode; run `patchline validate %s`", p.ID, p.ID)
		}
		bases := append([]string{p.Manifest.Base}, p.Manifest.Also...)
		for _, base := range bases {
			line, err := reg.Config.SupportedLineOf(base)
			if err != nil {
				return usageError("%s: %w", p.ManifestPath, err)
			}
			branch := reg.Config.MaintenanceBranchFor(line)
			for _, platform := range reg.Config.Build.Platforms {
				goos, goarch, ok := strings.Cut(platform, "/")
				if !ok {
					return usageError("[build] platforms: %q is not os/arch", platform)
				}
				jobs = append(jobs, PlanJob{
					ID: p.ID, Base: base, Line: line, Branch: branch, Platform: platform, GOOS: goos, GOARCH: goarch, Runner: opts.Runner,
					Artifact: fmt.Sprintf("%s_%s_%s-%s", p.ID, base, goos, goarch),
				})
			}
		}
	}
	switch opts.Format {
	case "github-matrix":
		// One line, as $GITHUB_OUTPUT wants it.
		data, err := json.Marshal(jsonout.Lists(map[string][]PlanJob{"include": jobs}))
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(opts.IO.Out, "%s\n", data)
		return err
	case "json":
		return writeJSON(opts.IO, jobs)
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tBASE\tLINE\tBRANCH\tPLATFORM")
	for _, j := range jobs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", j.ID, j.Base, j.Line, j.Branch, j.Platform)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "%d job(s)\n", len(jobs))
	return nil
}

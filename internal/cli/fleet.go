package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/fleet"
	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/report"
	"github.com/patchline/patchline/internal/rollout"
	"github.com/patchline/patchline/internal/textsafe"
)

// FleetOptions are the flags of `patchline fleet`.
type FleetOptions struct {
	IO   *IOStreams
	Repo RepoFlags
	JSONFlag
	Now    func() time.Time
	Format string
}

// NewCmdFleet builds `patchline fleet` and `patchline fleet add`.
func NewCmdFleet(f *Factory, runF func(*FleetOptions) error) *cobra.Command {
	opts := &FleetOptions{IO: f.IO, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "fleet [--format text|json|html]",
		Short: "The installed base: which install lacks which patch, coverage, drift, time to patch",
		Long: `Reads the delivery records filed in the repository (fleet/<site>/<env>.json,
[fleet] dir; see 'patchline fleet add') beside the patch registry, and prints:

  per install   its release line and release, the patches it has, the released
                patches of its line it lacks (every later patch-level tag of the
                line is reachable from its release), failed health checks,
                rollbacks, and the age of its record;
  per patch     coverage: the share of the installs on its line that have it;
  per site      drift: what one environment has and another lacks;
  time to patch from the line's patch-level tag to the patch applied, per
                install, with mean and 90th percentile per severity.

A patch is released when a patch-level tag of the line ships it, as
'patchline report' finds it. Exit status 1 when an install lacks a critical
or security patch (kind security, or it names CVEs) released longer ago than
its [sla]. A record that does not decode is bad input (exit 2).`,
		Example: `  patchline fleet
  patchline fleet --json | jq '.installs[] | select(.missing | length > 0) | .site'
  patchline fleet --format html > fleet.html
  PATCHLINE_NOW=2026-12-01T00:00:00Z patchline fleet   # as of a date`,
		Args: argsUsage(cobra.NoArgs),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			return checkFormat(cmd, &opts.Format, opts.JSON, "text", "json", "html")
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runFleet(opts)
		},
	}
	opts.Repo.AddFlags(cmd)
	opts.JSONFlag.AddFlags(cmd)
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output: text, json, or html (a self-contained page)")
	cmd.AddCommand(NewCmdFleetAdd(f, nil))
	return cmd
}

// checkFormat reconciles --json with --format and checks the format is
// one of allowed.
func checkFormat(cmd *cobra.Command, format *string, json bool, allowed ...string) error {
	if json {
		if cmd.Flags().Changed("format") && *format != "json" {
			return usageError("--json and --format %s disagree: pick one", *format)
		}
		*format = "json"
	}
	for _, a := range allowed {
		if *format == a {
			return nil
		}
	}
	return usageError("--format %q: want %s or %s", *format, strings.Join(allowed[:len(allowed)-1], ", "), allowed[len(allowed)-1])
}

// buildFleet reads the filed records and brings them together with the
// registry, as report sees it over all history up to now.
func buildFleet(h *history.History, rep *report.Report, now time.Time) (*fleet.Fleet, error) {
	filed, err := fleet.Load(h.Reg.Repo.Root(), h.Reg.Config.FleetDir())
	if err != nil {
		return nil, err
	}
	return fleet.Compute(rep.FleetInput(h, filed, now)), nil
}

func runFleet(opts *FleetOptions) error {
	now := opts.Now().UTC()
	h, err := openHistory(&opts.Repo)
	if err != nil {
		return err
	}
	rep, err := report.Build(h, report.Window{Until: now})
	if err != nil {
		return err
	}
	fl, err := buildFleet(h, rep, now)
	if err != nil {
		return err
	}
	switch opts.Format {
	case "json":
		err = fl.WriteJSON(opts.IO.Out)
	case "html":
		var page []byte
		if page, err = fl.HTML(h.Reg.Config.Project.Name); err == nil {
			_, err = opts.IO.Out.Write(page)
		}
	default:
		err = fl.WriteText(opts.IO.Out)
	}
	if err != nil {
		return err
	}
	if fl.Overdue() {
		installs := map[string]bool{}
		for _, b := range fl.Breaches {
			installs[b.Site+"/"+b.Env] = true
		}
		n := len(installs)
		noun := "installs lack"
		if n == 1 {
			noun = "install lacks"
		}
		b := fl.Breaches[0]
		more := ""
		if len(fl.Breaches) > 1 {
			more = fmt.Sprintf(", and %d more", len(fl.Breaches)-1)
		}
		return &exitError{code: ExitFindings, err: fmt.Errorf("%d %s a critical or security patch past its SLA: %s %s lacks %s (released in %s)%s",
			n, noun, b.Site, b.Env, b.ID, b.Tag, more)}
	}
	return nil
}

// FleetAddOptions are the flags of `patchline fleet add`.
type FleetAddOptions struct {
	IO   *IOStreams
	Repo RepoFlags
	JSONFlag
	Getenv func(string) string
	Now    func() time.Time
	Files  []string
	Force  bool
}

// NewCmdFleetAdd builds `patchline fleet add`.
func NewCmdFleetAdd(f *Factory, runF func(*FleetAddOptions) error) *cobra.Command {
	opts := &FleetAddOptions{IO: f.IO, Getenv: f.Getenv, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "add FILE...",
		Short: "File install records (installed --export) in the repository, and commit them",
		Long: `Checks each install record as strictly as apply checks evidence (unknown
fields, site and environment names, digests, ids, times; docs/records.md),
then files it as fleet/<site>/<env>.json ([fleet] dir in .patchline.toml)
in the work tree of the main branch and commits it, one commit for all the
files given, its message naming each site, environment and release. git
keeps every earlier record.

When any file is bad nothing is written (exit 2). A record exported before
the one filed for its site and environment is refused (exit 4), unless
--force; the same record filed again changes nothing. A record of another
product ([project] name) is refused.`,
		Example: `  patchline installed --to /opt/inventory --export acme-berlin-test.json   # at the customer
  patchline fleet add acme-berlin-test.json
  patchline fleet add records/*.json --json
  patchline fleet add --force old-record.json   # put back an older record on purpose`,
		Args: argsUsage(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			if runF != nil {
				return runF(opts)
			}
			return runFleetAdd(opts)
		},
	}
	opts.Repo.AddFlags(cmd)
	opts.JSONFlag.AddFlags(cmd)
	cmd.Flags().BoolVar(&opts.Force, "force", false, "file a record older than the one filed, or over a filed file that does not decode")
	return cmd
}

func runFleetAdd(opts *FleetAddOptions) error {
	reg, err := opts.Repo.Registry()
	if err != nil {
		return err
	}
	in := make([]fleet.Incoming, len(opts.Files))
	for i, name := range opts.Files {
		data, err := readRecordFile(name)
		if err != nil {
			return err
		}
		in[i] = fleet.Incoming{Name: name, Data: data}
	}
	out, err := fleet.File(reg.Repo, reg.Config.Release.MainBranch, reg.Config.FleetDir(), in,
		fleet.AddOptions{Product: reg.Config.Project.Name, Force: opts.Force},
		reg.Repo.SignerFrom(opts.Getenv, opts.Now))
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(opts.IO, out)
	}
	for _, e := range out.Filed {
		fmt.Fprintf(opts.IO.Out, "%s %s: %s %s at %s\n", e.Status, e.Path, e.Site, e.Env, e.Release)
	}
	if out.Commit != "" {
		fmt.Fprintf(opts.IO.ErrOut, "committed %s on %s\n", out.Commit[:7], reg.Config.Release.MainBranch)
	} else {
		fmt.Fprintln(opts.IO.ErrOut, "nothing to commit: every record is filed already")
	}
	return nil
}

// readRecordFile reads a record named on the command line, no more than a
// record may hold.
func readRecordFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, usageError("%s: %w", name, errors.Unwrap(err))
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
		return nil, usageError("%s is not a regular file", name)
	}
	data, err := io.ReadAll(io.LimitReader(f, rollout.MaxRecordSize+1))
	if err != nil {
		return nil, usageError("%s: %w", textsafe.Line(name), err)
	}
	return data, nil
}

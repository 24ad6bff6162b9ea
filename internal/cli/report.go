package cli

import (
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/fleet"
	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/report"
	"github.com/patchline/patchline/internal/textsafe"
)

// ReportOptions are the flags of `patchline report`.
type ReportOptions struct {
	IO   *IOStreams
	Repo RepoFlags
	JSONFlag
	Now    func() time.Time
	Format string
	Since  string
	Until  string
}

// NewCmdReport builds `patchline report`.
func NewCmdReport(f *Factory, runF func(*ReportOptions) error) *cobra.Command {
	opts := &ReportOptions{IO: f.IO, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "report [--since DATE] [--until DATE] [--json | --format html]",
		Short: "The patch registry and its metrics, from git alone",
		Long: `Prints the registry of every patch with its status (draft, in review,
approved, released, rolled into a quarterly release, rolled back, withdrawn),
the lines it reached and the lines its also names that it has not reached
yet, then the metrics: time to patch per severity (mean and 90th percentile,
from reported to the first release tag that shipped it), SLA breaches per
[sla], patches per kind and per module, the emergency share, rollbacks,
backport lag per line, and the patches missing from the next quarterly
release.

--since and --until (a date, 2026-07-01, or an RFC 3339 time) bound the
window: a patch is in it when it was reported, merged, released or rolled
back in it, or was open through it. Open patches are measured to --until,
or to now (PATCHLINE_NOW pins it).

When delivery records are filed (patchline fleet add), the JSON, the HTML
page and the OpenMetrics text carry the installed base too, as 'patchline
fleet' computes it over all history up to now: coverage per patch, what
each install lacks, drift between a site's environments, time to patch.
--format openmetrics writes the metrics as OpenMetrics text (each family
with HELP and TYPE, ending with # EOF) for a dashboard's scraper.

Everything is read from the repository: the release lines' first-parent
history, their tags, the patch branches and the filed records. No server,
no database.`,
		Example: `  patchline report
  patchline report --since 2026-04-01 --until 2026-07-01
  patchline report --json | jq '.metrics.sla_breaches'
  patchline report --format html > report.html
  patchline report --format openmetrics > /var/lib/node_exporter/patchline.prom`,
		Args: argsUsage(cobra.NoArgs),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if opts.JSON {
				if cmd.Flags().Changed("format") && opts.Format != "json" {
					return usageError("--json and --format %s disagree: pick one", opts.Format)
				}
				opts.Format = "json"
			}
			switch opts.Format {
			case "text", "json", "html", "openmetrics":
			default:
				return usageError("--format %q: want text, json, html or openmetrics", opts.Format)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runReport(opts)
		},
	}
	opts.Repo.AddFlags(cmd)
	opts.JSONFlag.AddFlags(cmd)
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output: text, json, html (a self-contained page with SVG charts), or openmetrics (for a dashboard)")
	cmd.Flags().StringVar(&opts.Since, "since", "", "start of the window: a date (2026-04-01) or an RFC 3339 time")
	cmd.Flags().StringVar(&opts.Until, "until", "", "end of the window, exclusive (default: now)")
	return cmd
}

// parseDay reads a date or an RFC 3339 time.
func parseDay(flag, s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, usageError("--%s %q: want a date such as 2026-07-01 or an RFC 3339 time such as 2026-07-01T00:00:00Z", flag, s)
}

func runReport(opts *ReportOptions) error {
	win := report.Window{Until: opts.Now().UTC()}
	var err error
	if opts.Since != "" {
		if win.Since, err = parseDay("since", opts.Since); err != nil {
			return err
		}
	}
	if opts.Until != "" {
		if win.Until, err = parseDay("until", opts.Until); err != nil {
			return err
		}
	}
	if !win.Since.IsZero() && !win.Since.Before(win.Until) {
		return usageError("--since %s is not before --until %s", win.Since.Format(time.RFC3339), win.Until.Format(time.RFC3339))
	}
	h, err := openHistory(&opts.Repo)
	if err != nil {
		return err
	}
	rep, err := report.Build(h, win)
	if err != nil {
		return err
	}
	// Problems quote manifests and notes read from history: escaped.
	problems := make([]string, len(rep.Problems))
	for i, p := range rep.Problems {
		problems[i] = textsafe.Line(p)
	}
	warnProblems(opts.IO, problems)
	if opts.Format != "text" {
		if err := addFleet(h, rep, win, opts.Now().UTC()); err != nil {
			return err
		}
	}
	switch opts.Format {
	case "openmetrics":
		return rep.WriteOpenMetrics(opts.IO.Out)
	case "json":
		return rep.WriteJSON(opts.IO.Out)
	case "html":
		out, err := rep.HTML(h.Reg.Repo.Root())
		if errors.Is(err, report.ErrTemplate) {
			return usageError("%w", err)
		}
		if err != nil {
			return err
		}
		_, err = opts.IO.Out.Write(out)
		return err
	}
	return rep.WriteText(opts.IO.Out)
}

// addFleet sets the report's fleet section when records are filed. The
// fleet is measured against every release up to now, whatever the
// report's window.
func addFleet(h *history.History, rep *report.Report, win report.Window, now time.Time) error {
	filed, err := fleet.Load(h.Reg.Repo.Root(), h.Reg.Config.FleetDir())
	if err != nil || len(filed) == 0 {
		return err
	}
	all := rep
	if !win.Since.IsZero() || !win.Until.Equal(now) {
		if all, err = report.Build(h, report.Window{Until: now}); err != nil {
			return err
		}
	}
	rep.Fleet = fleet.Compute(all.FleetInput(h, filed, now))
	return nil
}

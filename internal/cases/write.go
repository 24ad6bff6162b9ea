package cases

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/jsonout"
	"github.com/patchline/patchline/internal/textsafe"
)

// Columns is the CSV header: one row per case, patch and install.
var Columns = []string{
	"case", "case_status", "patch", "title", "severity", "patch_status",
	"release", "released_at", "pull_request", "qa",
	"site", "env", "host", "installed_release", "applied_at", "rolled_back_at",
	"confirmed_by", "confirmed_at", "confirmation_note", "record",
}

// Rows flattens the report into CSV records (without the header): one
// per case, patch and install; a patch no install has gets one row with
// the install's columns empty.
func (r *Report) Rows() [][]string {
	var out [][]string
	for _, c := range r.Cases {
		for _, p := range c.Patches {
			var tags []string
			for _, rel := range p.Releases {
				tags = append(tags, rel.Tag)
			}
			releasedAt := ""
			if len(p.Releases) > 0 {
				releasedAt = stamp(p.Releases[0].At)
			}
			head := []string{c.ID, c.Status, p.ID, p.Title, p.Severity, p.Status,
				strings.Join(tags, " "), releasedAt, p.Pull, qaNotes(p.Approvals)}
			if len(p.Installs) == 0 {
				out = append(out, append(head, make([]string, len(Columns)-len(head))...))
				continue
			}
			for _, d := range p.Installs {
				row := append(append([]string{}, head...), d.Site, d.Env, d.Host, d.Release, stamp(d.AppliedAt))
				if d.RolledBackAt != nil {
					row = append(row, stamp(*d.RolledBackAt))
				} else {
					row = append(row, "")
				}
				if conf, ok := d.LastConfirmation(); ok {
					row = append(row, conf.By, stamp(conf.At), conf.Note)
				} else {
					row = append(row, "", "", "")
				}
				out = append(out, append(row, d.Record))
			}
		}
	}
	return out
}

// stamp is a time in RFC 3339, UTC, as a CRM imports it; "" for none.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// qaNotes is the approvals as one cell: "qa-alice (qa, 2026-03-04T16:20:00Z)
// https://…/pull/42#pullrequestreview-1; …".
func qaNotes(approvals []history.Approval) string {
	parts := make([]string, 0, len(approvals))
	for _, a := range approvals {
		var b strings.Builder
		b.WriteString(a.By)
		var meta []string
		if a.Role != "" {
			meta = append(meta, a.Role)
		}
		if !a.At.IsZero() {
			meta = append(meta, stamp(a.At))
		}
		if len(meta) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(meta, ", "))
		}
		if a.Ref != "" {
			b.WriteString(" " + a.Ref)
		}
		parts = append(parts, b.String())
	}
	return strings.Join(parts, "; ")
}

// WriteCSV writes the header and the rows as RFC 4180 CSV (CRLF line
// ends, fields quoted where they hold a comma, a quote or a line break),
// the form a CRM's import takes.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(Columns); err != nil {
		return err
	}
	if err := cw.WriteAll(r.Rows()); err != nil {
		return err
	}
	return cw.Error()
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(jsonout.Lists(r))
}

// WriteText writes a table for a person: one line per case, patch and
// install, text from manifests and records escaped.
func (r *Report) WriteText(w io.Writer) error {
	if len(r.Cases) == 0 {
		_, err := fmt.Fprintln(w, "no patch names a customer case (manifest key cases)")
		return err
	}
	counts := map[string]int{}
	for _, c := range r.Cases {
		counts[c.Status]++
	}
	var sum []string
	for _, s := range Statuses {
		sum = append(sum, fmt.Sprintf("%d %s", counts[s], s))
	}
	fmt.Fprintf(w, "%d cases: %s\n\n", len(r.Cases), strings.Join(sum, ", "))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CASE\tSTATUS\tPATCH\tRELEASE\tINSTALL\tAPPLIED\tCONFIRMED")
	for _, c := range r.Cases {
		for _, p := range c.Patches {
			var tags []string
			for _, rel := range p.Releases {
				tags = append(tags, rel.Tag)
			}
			head := fmt.Sprintf("%s\t%s\t%s\t%s", textsafe.Line(c.ID), c.Status, p.ID, dash(strings.Join(tags, " ")))
			if len(p.Installs) == 0 {
				fmt.Fprintf(tw, "%s\t-\t-\t-\n", head)
				continue
			}
			for _, d := range p.Installs {
				applied := d.AppliedAt.UTC().Format("2006-01-02")
				if d.RolledBackAt != nil {
					applied += " (rolled back " + d.RolledBackAt.UTC().Format("2006-01-02") + ")"
				}
				confirmed := "-"
				if conf, ok := d.LastConfirmation(); ok {
					confirmed = textsafe.Line(conf.By) + " " + conf.At.UTC().Format("2006-01-02")
				}
				fmt.Fprintf(tw, "%s\t%s/%s\t%s\t%s\n", head, d.Site, d.Env, applied, confirmed)
			}
		}
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/patchline/patchline/internal/jsonout"
	"github.com/patchline/patchline/internal/stats"
	"github.com/patchline/patchline/internal/textsafe"
)

// Human writes a duration as people read it: "3d 2h", "18h", "45m".
func Human(d time.Duration) string { return stats.Human(d) }

func dur(d Duration) string {
	if d == 0 {
		return "-"
	}
	return Human(time.Duration(d))
}

// Window describes the report's window in words.
func (r *Report) Window() string {
	if r.Since.IsZero() {
		return "all history to " + r.Until.UTC().Format("2006-01-02")
	}
	return r.Since.UTC().Format("2006-01-02") + " to " + r.Until.UTC().Format("2006-01-02")
}

// Reached is where a patch is: each line's first tag, or its state there.
func (p Patch) Reached() string {
	if len(p.Lines) == 0 {
		if p.Branch != "" {
			return p.Branch
		}
		return "-"
	}
	parts := make([]string, 0, len(p.Lines))
	for _, l := range p.Lines {
		switch {
		case l.Status == "released":
			parts = append(parts, l.Tag)
		case l.Tag != "":
			parts = append(parts, l.Tag+" ("+l.Status+")")
		default:
			parts = append(parts, l.Line+" ("+l.Status+")")
		}
	}
	return strings.Join(parts, ", ")
}

// WriteText writes the registry, then the metrics.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	name := r.Project
	if name == "" {
		name = "the product"
	}
	fmt.Fprintf(&b, "patchline report for %s, %s\n\n", name, r.Window())
	fmt.Fprintf(&b, "REGISTRY: %d patches\n", len(r.Patches))
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tKIND\tSEVERITY\tREACHED\tWAITING\tTITLE")
	for _, p := range r.Patches {
		status := p.Status
		switch {
		case p.Status == Superseded:
			status += " by " + strings.Join(p.SupersededBy, ", ")
		case p.RolledIn != "":
			status += " " + p.RolledIn
		}
		// Manifests merged before validate checked their text may hold
		// control characters: one escaped line per patch.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", textsafe.Line(p.ID), textsafe.Line(status), textsafe.Line(dash(p.Kind)), textsafe.Line(dash(p.Severity)),
			textsafe.Line(p.Reached()), textsafe.Line(dash(strings.Join(p.Waiting, ", "))), textsafe.Line(p.Title))
	}
	tw.Flush()

	m := r.Metrics
	b.WriteString("\nTIME TO PATCH: reported to the first release tag\n")
	tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tRELEASED\tMEAN\tP90\tSLA\tBREACHES")
	for _, s := range m.TimeToPatch {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\n", s.Severity, s.Released, dur(s.Mean), dur(s.P90), dur(s.SLA), s.Breaches)
	}
	tw.Flush()
	if len(m.Breaches) > 0 {
		b.WriteString("\nSLA BREACHES\n")
		for _, br := range m.Breaches {
			state := "took"
			if br.Open {
				state = "open for"
			}
			fmt.Fprintf(&b, "  %s  %s %s, SLA %s (%s)\n", br.ID, state, dur(br.Took), dur(br.SLA), br.Severity)
		}
	}
	fmt.Fprintf(&b, "\nPER KIND:    %s\n", counts(m.PerKind))
	fmt.Fprintf(&b, "PER MODULE:  %s\n", counts(m.PerModule))
	share := 0.0
	if m.Patches > 0 {
		share = float64(m.Emergency) / float64(m.Patches) * 100
	}
	fmt.Fprintf(&b, "EMERGENCY:   %d of %d (%.0f%%) out of band\n", m.Emergency, m.Patches, share)
	fmt.Fprintf(&b, "ROLLBACKS:   %d%s\n", len(m.Rollbacks), list(m.Rollbacks))
	b.WriteString("\nBACKPORT LAG: first release to the release on each older line\n")
	if len(m.BackportLag) == 0 {
		b.WriteString("  no backports\n")
	}
	for _, l := range m.BackportLag {
		noun := "backports"
		if l.Backports == 1 {
			noun = "backport"
		}
		fmt.Fprintf(&b, "  %-10s %d %s, mean %s, max %s", l.Line, l.Backports, noun, dur(l.Mean), dur(l.Max))
		if len(l.Waiting) > 0 {
			fmt.Fprintf(&b, "; waiting: %s", strings.Join(l.Waiting, ", "))
		}
		b.WriteString("\n")
	}
	b.WriteString("\nMISSING FROM THE NEXT QUARTERLY RELEASE\n")
	if len(m.Missing) == 0 && len(m.Unchecked) == 0 {
		b.WriteString("  none\n")
	}
	for _, x := range m.Missing {
		fmt.Fprintf(&b, "  %s  of %s, not in %s\n", x.ID, x.Line, x.Next)
	}
	// A line that could not be paired is not "none missing": say so.
	for _, u := range m.Unchecked {
		fmt.Fprintf(&b, "  %s  not checked: %s\n", u.Line, u.Reason)
	}
	// Whatever else came from the repository prints escaped too.
	_, err := io.WriteString(w, trimLines(textsafe.Text(b.String())))
	return err
}

func counts(cs []Count) string {
	if len(cs) == 0 {
		return "-"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s %d", textsafe.Line(c.Name), c.Count)
	}
	return strings.Join(parts, ", ")
}

func list(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return " (" + strings.Join(ids, ", ") + ")"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(jsonout.Lists(r)); err != nil {
		return err
	}
	// The same data, with no raw control character for a terminal to act on.
	_, err := w.Write(textsafe.JSON(b.Bytes()))
	return err
}

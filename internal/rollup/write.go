package rollup

import (
	"github.com/patchline/patchline/internal/jsonout"

	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText writes the rollup as a table, one patch a line, then what is
// missing file by file, then the counts.
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "rollup %s -> %s: patches merged on %s (%s) after %s\n\n", r.From, r.To, r.Line, r.Tip, r.From)
	if len(r.Patches) == 0 {
		fmt.Fprintf(&b, "no patches merged on %s after %s\n", r.Line, r.From)
		_, err := io.WriteString(w, b.String())
		return err
	}
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tSHIPPED\tTITLE\tNOTE")
	for _, p := range r.Patches {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.ID, ShortStatus(p.Status), dash(p.ShippedIn), dash(p.Title), note(p))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, p := range r.Patches {
		if p.Status != Adapted && p.Status != Accepted {
			continue
		}
		fmt.Fprintf(&b, "\n%s %s\n", p.ID, p.Evidence)
		for _, f := range p.Files {
			fmt.Fprintf(&b, "    %s: %s\n", f.Path, f.Reason)
			for _, h := range f.Hunks {
				fmt.Fprintf(&b, "        %s\n", h)
			}
		}
	}
	for _, p := range r.Patches {
		if p.Status != Missing {
			continue
		}
		fmt.Fprintf(&b, "\n%s is not in %s", p.ID, r.To)
		if p.Diff != "" {
			fmt.Fprintf(&b, " (checked %s)", p.Diff)
		}
		b.WriteString(":\n")
		if p.Note != "" {
			fmt.Fprintf(&b, "    %s\n", p.Note)
		}
		for _, f := range p.Files {
			fmt.Fprintf(&b, "    %s: %s\n", f.Path, f.Reason)
			for _, h := range f.Hunks {
				fmt.Fprintf(&b, "        %s\n", h)
			}
		}
	}
	c := r.Counts
	parts := []string{fmt.Sprintf("%d contained", c.Contained)}
	for _, kv := range []struct {
		n    int
		word string
	}{{c.Adapted, "adapted"}, {c.Accepted, "accepted"}, {c.Superseded, "superseded"}, {c.Reverted, "reverted"}, {c.Withdrawn, "withdrawn"}, {c.Later, "merged after " + r.To}, {c.Missing, "missing"}} {
		if kv.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", kv.n, kv.word))
		}
	}
	plural := "es"
	if c.Total == 1 {
		plural = ""
	}
	fmt.Fprintf(&b, "\n%d patch%s: %s\n", c.Total, plural, strings.Join(parts, ", "))
	_, err := io.WriteString(w, trimLines(b.String()))
	return err
}

// trimLines drops the padding tabwriter leaves after a last empty column.
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

func note(p Patch) string {
	switch p.Status {
	case Contained, Adapted, Accepted:
		return p.Evidence
	case Superseded:
		return "by " + joinOr(p.SupersededBy, "?")
	case Reverted, Withdrawn:
		s := "removed by " + shortID(p.RemovedBy)
		if p.RemovedIn != "" {
			s = "removed in " + p.RemovedIn + " by " + shortID(p.RemovedBy)
		}
		return s
	case Later:
		return p.Note
	case Missing:
		if p.Note != "" {
			return p.Note
		}
		if len(p.Files) == 0 {
			return p.Evidence
		}
		paths := make([]string, len(p.Files))
		for i, f := range p.Files {
			paths[i] = f.Path
		}
		return "not found: " + strings.Join(paths, ", ")
	}
	return ""
}

func shortID(h string) string {
	if len(h) > 7 {
		return h[:7]
	}
	return h
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// WriteJSON writes the rollup as indented JSON.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(jsonout.Lists(r))
}

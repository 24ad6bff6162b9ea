package fleet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/patchline/patchline/internal/jsonout"
	"github.com/patchline/patchline/internal/stats"
	"github.com/patchline/patchline/internal/textsafe"
)

func human(h Hours) string {
	if h == 0 {
		return "-"
	}
	return stats.Human(time.Duration(h))
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

// Sites counts the sites the records come from.
func (f *Fleet) Sites() int {
	seen := map[string]bool{}
	for _, i := range f.Installs {
		seen[i.Site] = true
	}
	return len(seen)
}

// WriteText writes the fleet for a terminal: installs, coverage, drift,
// time to patch, SLA breaches, health checks and rollbacks.
func (f *Fleet) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "fleet: %d installs at %d sites, as of %s UTC\n", len(f.Installs), f.Sites(), stamp(f.Now))
	if len(f.Installs) == 0 {
		b.WriteString("\nno records filed yet: export one with `patchline installed --to DIR --export FILE` and file it with `patchline fleet add FILE`\n")
	}
	if len(f.Installs) > 0 {
		b.WriteString("\nINSTALLS\n")
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SITE\tENV\tRELEASE\tHAS\tMISSING\tFAILED CHECKS\tROLLBACKS\tRECORD AGE")
		for _, i := range f.Installs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%d\t%s\n", i.Site, i.Env, i.Release, i.Patches, missingList(i.Missing),
				len(i.FailedChecks), len(i.Rollbacks), stats.Human(time.Duration(i.Age)))
		}
		tw.Flush()
	}
	if len(f.Coverage) > 0 {
		b.WriteString("\nCOVERAGE: share of the installs on the patch's line that have it\n")
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tLINE\tTAG\tSEVERITY\tHAVE\tSHARE")
		for _, c := range f.Coverage {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d\t%.0f%%\n", c.ID, c.Line, c.Tag, c.Severity, c.Have, c.Installs, c.Share*100)
		}
		tw.Flush()
	}
	if len(f.Installs) > 0 {
		b.WriteString("\nDRIFT between the environments of a site\n")
		if len(f.Drift) == 0 {
			b.WriteString("  none\n")
		}
		for _, d := range f.Drift {
			fmt.Fprintf(&b, "  %s: %s (%s) and %s (%s)", d.Site, d.Env, d.Release, d.Other, d.OtherRel)
			var parts []string
			if len(d.OnlyEnv) > 0 {
				parts = append(parts, fmt.Sprintf("%s has %s that %s lacks", d.Env, strings.Join(d.OnlyEnv, ", "), d.Other))
			}
			if len(d.OnlyOther) > 0 {
				parts = append(parts, fmt.Sprintf("%s has %s that %s lacks", d.Other, strings.Join(d.OnlyOther, ", "), d.Env))
			}
			fmt.Fprintf(&b, ": %s\n", strings.Join(parts, "; "))
		}
		b.WriteString("\nTIME TO PATCH: patch-level tag to applied, per install and patch\n")
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEVERITY\tAPPLIED\tMEAN\tP90")
		for _, s := range f.TimeToPatch {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", s.Severity, s.Applied, human(s.Mean), human(s.P90))
		}
		tw.Flush()
	}
	if len(f.Breaches) > 0 {
		b.WriteString("\nSLA BREACHES: critical or security patches released longer than their SLA ago\n")
		for _, br := range f.Breaches {
			fmt.Fprintf(&b, "  %s %s lacks %s (%s), released in %s %s ago, SLA %s\n", br.Site, br.Env, br.ID, br.Severity, br.Tag, human(br.Released), human(br.SLA))
		}
	}
	var health []string
	for _, i := range f.Installs {
		for _, c := range i.FailedChecks {
			health = append(health, fmt.Sprintf("  %s %s: %s failed its health check at %s (exit %d)", i.Site, i.Env, c.Patch, stamp(c.At), c.ExitCode))
		}
		for _, r := range i.Rollbacks {
			how := "rolled back"
			if r.Auto {
				how = "rolled back by apply after its health check failed"
			}
			health = append(health, fmt.Sprintf("  %s %s: %s %s at %s", i.Site, i.Env, r.Patch, how, stamp(r.At)))
		}
	}
	if len(health) > 0 {
		b.WriteString("\nHEALTH CHECKS AND ROLLBACKS\n")
		b.WriteString(strings.Join(health, "\n") + "\n")
	}
	if len(f.Problems) > 0 {
		b.WriteString("\nPROBLEMS\n")
		for _, p := range f.Problems {
			b.WriteString("  " + p + "\n")
		}
	}
	// Records come from customers' machines: print nothing raw.
	_, err := io.WriteString(w, trimLines(textsafe.Text(b.String())))
	return err
}

func missingList(ms []Missing) string {
	if len(ms) == 0 {
		return "-"
	}
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.ID
		if m.Overdue {
			parts[i] += " (overdue)"
		}
	}
	return strings.Join(parts, ", ")
}

func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// WriteJSON writes the fleet as indented JSON.
func (f *Fleet) WriteJSON(w io.Writer) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(jsonout.Lists(f)); err != nil {
		return err
	}
	_, err := w.Write(textsafe.JSON(b.Bytes()))
	return err
}

// sectionTmpl and pageTmpl are parsed on first use, not at init: parsing
// them costs every patchline process, and only the fleet's HTML needs them.
var sectionTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("fleet").Funcs(template.FuncMap{
		"human":   human,
		"stamp":   stamp,
		"join":    func(s []string) string { return strings.Join(s, ", ") },
		"percent": func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) },
		"age":     func(h Hours) string { return stats.Human(time.Duration(h)) },
	}).Parse(`<section class="fleet">
<h2>Installed base</h2>
<p>{{len .Installs}} installs at {{.Sites}} sites, from the delivery records filed with <code>patchline fleet add</code>, as of {{stamp .Now}} UTC.</p>
{{- with .Breaches}}
<h3>SLA breaches</h3>
<ul>
{{- range .}}
<li class="breach">{{.Site}} {{.Env}} lacks {{.ID}} ({{.Severity}}), released in {{.Tag}} {{human .Released}} ago, SLA {{human .SLA}}</li>
{{- end}}
</ul>
{{- end}}
<h3>Missing per install</h3>
<table>
<tr><th>site</th><th>env</th><th>line</th><th>release</th><th>has</th><th>missing</th><th>failed checks</th><th>rollbacks</th><th>record age</th></tr>
{{- range .Installs}}
<tr><td>{{.Site}}</td><td>{{.Env}}</td><td>{{.Line}}</td><td>{{.Release}}</td><td>{{.Patches}}</td><td>{{range $i, $m := .Missing}}{{if $i}}, {{end}}<span{{if .Overdue}} class="breach"{{end}}>{{.ID}}</span>{{else}}<span class="none">none</span>{{end}}</td><td>{{len .FailedChecks}}</td><td>{{len .Rollbacks}}</td><td>{{age .Age}}</td></tr>
{{- end}}
</table>
<h3>Coverage per patch</h3>
{{- if .Coverage}}
<table>
<tr><th>id</th><th>line</th><th>tag</th><th>severity</th><th>installs that have it</th><th>share</th></tr>
{{- range .Coverage}}
<tr><td class="id">{{.ID}}</td><td>{{.Line}}</td><td>{{.Tag}}</td><td>{{.Severity}}</td><td>{{.Have}} of {{.Installs}}</td><td>{{percent .Share}}</td></tr>
{{- end}}
</table>
{{- else}}
<p class="none">No released patch on a line with an install.</p>
{{- end}}
<h3>Drift between environments</h3>
{{- if .Drift}}
<ul>
{{- range .Drift}}
<li>{{.Site}}: {{.Env}} ({{.Release}}) and {{.Other}} ({{.OtherRel}}):{{if .OnlyEnv}} {{.Env}} has {{join .OnlyEnv}} that {{.Other}} lacks{{end}}{{if and .OnlyEnv .OnlyOther}};{{end}}{{if .OnlyOther}} {{.Other}} has {{join .OnlyOther}} that {{.Env}} lacks{{end}}</li>
{{- end}}
</ul>
{{- else}}
<p class="none">None: every site's environments have the same patches.</p>
{{- end}}
<h3>Time to patch</h3>
<p>From the patch-level tag of the install's line to the patch applied there.</p>
<table>
<tr><th>severity</th><th>applied</th><th>mean</th><th>p90</th></tr>
{{- range .TimeToPatch}}
<tr><td>{{.Severity}}</td><td>{{.Applied}}</td><td>{{human .Mean}}</td><td>{{human .P90}}</td></tr>
{{- end}}
</table>
{{- with .Problems}}
<h3>Problems</h3>
<ul>
{{- range .}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}
</section>`))
})

// HTMLSection renders the fleet as a section of a page: `report --format
// html` carries it, `fleet --format html` wraps it in a page of its own.
func (f *Fleet) HTMLSection() (template.HTML, error) {
	var b bytes.Buffer
	if err := sectionTmpl().Execute(&b, f); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil
}

var pageTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{with .Project}}{{.}}: {{end}}installed base</title>
<style>
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; color: #1f2328; }
h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .3rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
th { background: #f6f8fa; }
code, .id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.breach { color: #a40e26; font-weight: 600; }
.none { color: #59636e; }
</style>
</head>
<body>
<h1>{{with .Project}}{{.}}: {{end}}installed base</h1>
{{.Section}}
</body>
</html>
`))
})

// HTML renders the fleet as one self-contained page.
func (f *Fleet) HTML(project string) ([]byte, error) {
	sec, err := f.HTMLSection()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = pageTmpl().Execute(&b, struct {
		Project string
		Section template.HTML
	}{project, sec})
	return b.Bytes(), err
}

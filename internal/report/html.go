package report

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"html/template"
	"strings"
	"time"

	"github.com/patchline/patchline"
)

// HTMLTemplate is the built-in page, which templates/<name> in the product
// repository replaces.
const HTMLTemplate = "report.html.tmpl"

// ErrTemplate is wrapped by the errors of a template that does not parse
// or does not run.
var ErrTemplate = errors.New("bad report template")

// HTML renders the report as one self-contained page, its charts inline SVG.
func (r *Report) HTML(root string) ([]byte, error) {
	text, err := patchline.Template(root, HTMLTemplate)
	if err != nil {
		return nil, err
	}
	t, err := template.New(HTMLTemplate).Funcs(template.FuncMap{
		"human": func(d Duration) string { return dur(d) },
		"date": func(t time.Time) string {
			if t.IsZero() {
				return "-"
			}
			return t.UTC().Format("2006-01-02")
		},
		"join":    func(sep string, s []string) string { return strings.Join(s, sep) },
		"percent": func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) },
	}).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTemplate, err)
	}
	data := struct {
		*Report
		KindChart, ModuleChart, TimeChart, LagChart template.HTML
		FleetSection                                template.HTML
	}{
		Report:      r,
		KindChart:   barChart(countBars(r.Metrics.PerKind), "patches", nil),
		ModuleChart: barChart(countBars(r.Metrics.PerModule), "patches", nil),
		TimeChart:   timeChart(r.Metrics.TimeToPatch),
		LagChart:    barChart(lagBars(r.Metrics.BackportLag), "days, mean", nil),
	}
	if r.Fleet != nil {
		if data.FleetSection, err = r.Fleet.HTMLSection(); err != nil {
			return nil, err
		}
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTemplate, err)
	}
	return b.Bytes(), nil
}

type bar struct {
	label string
	value float64
	text  string // the value as shown
	class string
}

func countBars(cs []Count) []bar {
	out := make([]bar, 0, len(cs))
	for _, c := range cs {
		out = append(out, bar{label: c.Name, value: float64(c.Count), text: fmt.Sprint(c.Count)})
	}
	return out
}

func lagBars(ls []LineLag) []bar {
	out := make([]bar, 0, len(ls))
	for _, l := range ls {
		d := time.Duration(l.Mean).Hours() / 24
		out = append(out, bar{label: l.Line, value: d, text: dur(l.Mean)})
	}
	return out
}

// barChart draws horizontal bars, one a row, labels on the left. The SVG
// is built from numbers and escaped labels only.
func barChart(bars []bar, unit string, marks []float64) template.HTML {
	if len(bars) == 0 {
		return template.HTML(`<p class="none">nothing to chart</p>`)
	}
	const rowH, labelW, plotW, pad = 24, 140, 360, 60
	most := 0.0
	for _, b := range bars {
		most = max(most, b.value)
	}
	for _, m := range marks {
		most = max(most, m)
	}
	if most == 0 {
		most = 1
	}
	height := rowH*len(bars) + 8
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="%d" height="%d" viewBox="0 0 %d %d" aria-label="%s">`,
		labelW+plotW+pad, height, labelW+plotW+pad, height, html.EscapeString(unit))
	for i, b := range bars {
		y := i*rowH + 4
		w := int(b.value / most * plotW)
		if b.value > 0 && w < 2 {
			w = 2
		}
		class := "bar"
		if b.class != "" {
			class += " " + b.class
		}
		fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="end" class="label">%s</text>`, labelW-8, y+15, html.EscapeString(b.label))
		fmt.Fprintf(&s, `<rect x="%d" y="%d" width="%d" height="%d" class="%s"><title>%s: %s</title></rect>`,
			labelW, y+2, w, rowH-8, class, html.EscapeString(b.label), html.EscapeString(b.text))
		fmt.Fprintf(&s, `<text x="%d" y="%d" class="value">%s</text>`, labelW+w+6, y+15, html.EscapeString(b.text))
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}

// timeChart draws, per severity, the mean and 90th percentile time to
// patch as two bars, and the SLA as a tick.
func timeChart(stats []SeverityStat) template.HTML {
	const rowH, labelW, plotW, pad = 44, 140, 360, 90
	most := 0.0
	for _, s := range stats {
		most = max(most, time.Duration(s.P90).Hours(), time.Duration(s.SLA).Hours())
	}
	if most == 0 {
		return template.HTML(`<p class="none">no released patches in the window</p>`)
	}
	x := func(d Duration) int { return int(time.Duration(d).Hours() / most * plotW) }
	height := rowH*len(stats) + 8
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="%d" height="%d" viewBox="0 0 %d %d" aria-label="time to patch">`,
		labelW+plotW+pad, height, labelW+plotW+pad, height)
	for i, st := range stats {
		y := i*rowH + 4
		fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="end" class="label">%s</text>`, labelW-8, y+22, html.EscapeString(st.Severity))
		fmt.Fprintf(&s, `<rect x="%d" y="%d" width="%d" height="14" class="bar mean"><title>mean %s</title></rect>`, labelW, y+4, x(st.Mean), dur(st.Mean))
		fmt.Fprintf(&s, `<text x="%d" y="%d" class="value">mean %s</text>`, labelW+x(st.Mean)+6, y+15, dur(st.Mean))
		fmt.Fprintf(&s, `<rect x="%d" y="%d" width="%d" height="14" class="bar p90"><title>p90 %s</title></rect>`, labelW, y+21, x(st.P90), dur(st.P90))
		fmt.Fprintf(&s, `<text x="%d" y="%d" class="value">p90 %s</text>`, labelW+x(st.P90)+6, y+32, dur(st.P90))
		if st.SLA > 0 {
			fmt.Fprintf(&s, `<line x1="%d" x2="%d" y1="%d" y2="%d" class="sla"><title>SLA %s</title></line>`, labelW+x(st.SLA), labelW+x(st.SLA), y, y+38, dur(st.SLA))
		}
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}

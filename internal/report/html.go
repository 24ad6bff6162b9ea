package report

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
	"time"
	"unicode/utf8"

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
// patch as two bars, and the SLA as a mark across both with its label in
// a band of its own above them; an axis with tick labels runs below.
// Value labels that the SLA mark would cross move to its right.
func timeChart(stats []SeverityStat) template.HTML {
	const (
		rowH, labelW, plotW, pad = 58, 140, 360, 110
		axisH                    = 30
	)
	most := 0.0
	for _, s := range stats {
		most = max(most, time.Duration(s.P90).Hours(), time.Duration(s.SLA).Hours())
	}
	if most == 0 {
		return template.HTML(`<p class="none">no released patches in the window</p>`)
	}
	step := tickStep(most)
	most = max(most, step*math.Ceil(most/step)) // the axis ends on a tick
	x := func(hours float64) int { return labelW + int(hours/most*plotW) }
	xd := func(d Duration) int { return x(time.Duration(d).Hours()) }
	width, plotH := labelW+plotW+pad, rowH*len(stats)
	height := plotH + axisH
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="%d" height="%d" viewBox="0 0 %d %d" aria-label="time to patch">`,
		width, height, width, height)
	for i, st := range stats {
		y := i * rowH
		slaX := -1
		if st.SLA > 0 {
			slaX = xd(st.SLA)
			text := "SLA " + dur(st.SLA)
			lx, anchor := slaX+4, "start"
			if lx+textWidth(text) > width {
				lx, anchor = slaX-4, "end"
			}
			fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="%s" class="sla-label">%s</text>`, lx, y+12, anchor, html.EscapeString(text))
			fmt.Fprintf(&s, `<line x1="%d" x2="%d" y1="%d" y2="%d" class="sla"><title>SLA %s</title></line>`, slaX, slaX, y+2, y+52, dur(st.SLA))
		}
		fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="end" class="label">%s</text>`, labelW-8, y+36, html.EscapeString(st.Severity))
		for j, b := range []struct {
			name  string
			class string
			d     Duration
		}{{"mean", "bar mean", st.Mean}, {"p90", "bar p90", st.P90}} {
			by := y + 18 + j*17
			fmt.Fprintf(&s, `<rect x="%d" y="%d" width="%d" height="14" class="%s"><title>%s %s</title></rect>`, labelW, by, xd(b.d)-labelW, b.class, b.name, dur(b.d))
			text := b.name + " " + dur(b.d)
			vx := xd(b.d) + 6
			if slaX >= 0 && slaX >= vx-3 && slaX <= vx+textWidth(text)+3 {
				vx = slaX + 6 // the SLA mark would cross the label: start past it
			}
			fmt.Fprintf(&s, `<text x="%d" y="%d" class="value">%s</text>`, vx, by+11, html.EscapeString(text))
		}
	}
	// The axis: hours from reported to the signed bundle, in ticks of step.
	fmt.Fprintf(&s, `<line x1="%d" x2="%d" y1="%d" y2="%d" class="axis"/>`, labelW, labelW+plotW, plotH+2, plotH+2)
	for h := 0.0; h <= most+step/2; h += step {
		tx := x(h)
		fmt.Fprintf(&s, `<line x1="%d" x2="%d" y1="%d" y2="%d" class="axis"/>`, tx, tx, plotH+2, plotH+6)
		label := "0"
		if h > 0 {
			label = Human(time.Duration(h * float64(time.Hour)))
		}
		fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="middle" class="tick">%s</text>`, tx, plotH+18, html.EscapeString(label))
	}
	fmt.Fprintf(&s, `<text x="%d" y="%d" class="tick">from reported</text>`, labelW+plotW+14, plotH+18)
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}

// tickStep picks a round step, in hours, that puts at most six ticks on an
// axis up to most hours.
func tickStep(most float64) float64 {
	for _, step := range []float64{1, 2, 4, 6, 12, 24, 48, 72, 168, 336, 720, 1440, 2160, 4320, 8760} {
		if most/step <= 6 {
			return step
		}
	}
	return 8760 * math.Ceil(most/8760/6)
}

// textWidth is how wide a label in the charts' 12px font is, at most:
// what the layout keeps free for it.
func textWidth(s string) int {
	return 7 * utf8.RuneCountInString(s)
}

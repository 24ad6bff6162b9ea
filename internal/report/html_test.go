package report

import (
	"encoding/xml"
	"strconv"
	"strings"
	"testing"
	"time"
)

// svgText and svgLine are the parts of a chart the layout test measures.
type svgText struct {
	X, Y   int
	Anchor string
	Class  string
	Text   string
}

type svgLine struct {
	X1, X2, Y1, Y2 int
	Class          string
}

// box is a text's extent, as textWidth reserves it, for 12px text on its
// baseline.
func (t svgText) box() (x0, x1, y0, y1 int) {
	w := textWidth(t.Text)
	switch t.Anchor {
	case "end":
		return t.X - w, t.X, t.Y - 12, t.Y + 3
	case "middle":
		return t.X - w/2, t.X + w/2, t.Y - 12, t.Y + 3
	}
	return t.X, t.X + w, t.Y - 12, t.Y + 3
}

func parseSVG(t *testing.T, svg string) (texts []svgText, lines []svgLine) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	atoi := func(s string) int {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("coordinate %q: %v", s, err)
		}
		return n
	}
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		attr := map[string]string{}
		for _, a := range el.Attr {
			attr[a.Name.Local] = a.Value
		}
		switch el.Name.Local {
		case "text":
			var content string
			if err := d.DecodeElement(&content, &el); err != nil {
				t.Fatal(err)
			}
			texts = append(texts, svgText{X: atoi(attr["x"]), Y: atoi(attr["y"]), Anchor: attr["text-anchor"], Class: attr["class"], Text: content})
		case "line":
			lines = append(lines, svgLine{X1: atoi(attr["x1"]), X2: atoi(attr["x2"]), Y1: atoi(attr["y1"]), Y2: atoi(attr["y2"]), Class: attr["class"]})
		}
	}
	return texts, lines
}

// TestTimeChartLayout checks the time-to-patch chart has an axis with
// tick labels, and that no SLA mark or SLA label overlaps a label of the
// bars, wherever the SLA falls: on a value label, past the bars, at the
// axis's end.
func TestTimeChartLayout(t *testing.T) {
	t.Parallel()
	h := func(hours float64) Duration { return Duration(time.Duration(hours * float64(time.Hour))) }
	stats := []SeverityStat{
		{Severity: "critical", Mean: h(30), P90: h(40), SLA: h(48)},     // SLA just past the mean's end: would cross "mean 1d 6h"
		{Severity: "important", Mean: h(100), P90: h(300), SLA: h(110)}, // SLA crosses the mean's label
		{Severity: "moderate", Mean: h(200), P90: h(700), SLA: h(720)},  // SLA at the far end
		{Severity: "low", Mean: h(10), P90: h(20)},                      // no SLA
	}
	texts, lines := parseSVG(t, string(timeChart(stats)))

	var ticks []svgText
	for _, tx := range texts {
		if tx.Class == "tick" && tx.Anchor == "middle" {
			ticks = append(ticks, tx)
		}
	}
	if len(ticks) < 3 {
		t.Fatalf("the axis has %d tick labels, want at least 3: %v", len(ticks), texts)
	}
	if ticks[0].Text != "0" {
		t.Errorf("the axis starts at %q, want 0", ticks[0].Text)
	}
	axis := false
	for _, l := range lines {
		axis = axis || (l.Class == "axis" && l.Y1 == l.Y2 && l.X2-l.X1 > 300)
	}
	if !axis {
		t.Error("no axis line")
	}
	for i := 1; i < len(ticks); i++ {
		_, prevEnd, _, _ := ticks[i-1].box()
		start, _, _, _ := ticks[i].box()
		if start <= prevEnd {
			t.Errorf("tick labels %q and %q overlap", ticks[i-1].Text, ticks[i].Text)
		}
	}

	overlaps := func(a, b svgText) bool {
		ax0, ax1, ay0, ay1 := a.box()
		bx0, bx1, by0, by1 := b.box()
		return ax0 < bx1 && bx0 < ax1 && ay0 < by1 && by0 < ay1
	}
	slaLabels, slaMarks := 0, 0
	for _, s := range texts {
		if s.Class != "sla-label" {
			continue
		}
		slaLabels++
		for _, o := range texts {
			if o != s && overlaps(s, o) {
				t.Errorf("the SLA label %q at (%d,%d) overlaps %q at (%d,%d)", s.Text, s.X, s.Y, o.Text, o.X, o.Y)
			}
		}
	}
	for _, l := range lines {
		if l.Class != "sla" {
			continue
		}
		slaMarks++
		for _, o := range texts {
			x0, x1, y0, y1 := o.box()
			if l.X1 >= x0-2 && l.X1 <= x1+2 && l.Y1 < y1 && y0 < l.Y2 {
				t.Errorf("the SLA mark at x=%d (y %d-%d) crosses %q at (%d,%d)", l.X1, l.Y1, l.Y2, o.Text, o.X, o.Y)
			}
		}
	}
	if slaLabels != 3 || slaMarks != 3 {
		t.Errorf("%d SLA labels and %d marks, want 3 of each", slaLabels, slaMarks)
	}
	for _, want := range []string{"SLA 2d", "mean 1d 6h"} {
		found := false
		for _, tx := range texts {
			found = found || tx.Text == want
		}
		if !found {
			t.Errorf("no label %q in %v", want, texts)
		}
	}
}

package report

import (
	"strings"
	"testing"
	"time"
)

func TestHuman(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0"},
		{45 * time.Minute, "45m"},
		{18 * time.Hour, "18h"},
		{48 * time.Hour, "2d"},
		{74*time.Hour + 20*time.Minute, "3d 2h"},
	} {
		if got := Human(tt.d); got != tt.want {
			t.Errorf("Human(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	var ds []time.Duration
	for i := 10; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Hour)
	}
	if got := percentile(ds, 0.9); got != 9*time.Hour {
		t.Fatalf("p90 of 1h..10h = %v, want 9h (nearest rank)", got)
	}
	if got := percentile(ds[:1], 0.9); got != 10*time.Hour {
		t.Fatalf("p90 of one = %v, want it", got)
	}
}

func TestBarChartEscapes(t *testing.T) {
	t.Parallel()
	svg := string(barChart([]bar{{label: `<mod "x">`, value: 3, text: "3"}, {label: "b", value: 0, text: "0"}}, "patches", nil))
	if strings.Contains(svg, `<mod`) || !strings.Contains(svg, "&lt;mod &#34;x&#34;&gt;") {
		t.Fatalf("labels are not escaped: %s", svg)
	}
	if !strings.HasPrefix(svg, "<svg ") || !strings.HasSuffix(svg, "</svg>") {
		t.Fatalf("not one svg element: %s", svg)
	}
}

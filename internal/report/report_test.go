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

package stats

import (
	"testing"
	"time"
)

func TestPercentileAndMean(t *testing.T) {
	t.Parallel()
	h := time.Hour
	tests := []struct {
		name      string
		ds        []time.Duration
		p90, mean time.Duration
	}{
		{"none", nil, 0, 0},
		{"one", []time.Duration{5 * h}, 5 * h, 5 * h},
		{"ten, nearest rank is the 9th", []time.Duration{10 * h, 1 * h, 2 * h, 3 * h, 4 * h, 5 * h, 6 * h, 7 * h, 8 * h, 9 * h}, 9 * h, 330 * time.Minute},
		{"eleven, nearest rank is the 10th", []time.Duration{1 * h, 2 * h, 3 * h, 4 * h, 5 * h, 6 * h, 7 * h, 8 * h, 9 * h, 10 * h, 100 * h}, 10 * h, 155 * h / 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Percentile(tt.ds, 0.9); got != tt.p90 {
				t.Errorf("Percentile(0.9) = %v, want %v", got, tt.p90)
			}
			if got := Mean(tt.ds); got != tt.mean {
				t.Errorf("Mean = %v, want %v", got, tt.mean)
			}
		})
	}
}

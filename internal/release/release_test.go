package release

import (
	"reflect"
	"testing"
)

func TestLineAndNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tag, line, next string
		ok              bool
	}{
		{"v2026.3.0", "v2026.3", "v2026.3.1", true},
		{"v2026.3.12", "v2026.3", "v2026.3.13", true},
		{"v1.2", "v1", "v1.3", true},
		{"release", "", "", false},
		{"v2026.3.x", "", "", false},
	}
	for _, tt := range tests {
		line, ok := Line(tt.tag)
		if ok != tt.ok || line != tt.line {
			t.Errorf("Line(%q) = %q, %v; want %q, %v", tt.tag, line, ok, tt.line, tt.ok)
		}
		next, ok := Next(tt.tag)
		if ok != tt.ok || next != tt.next {
			t.Errorf("Next(%q) = %q, %v; want %q, %v", tt.tag, next, ok, tt.next, tt.ok)
		}
	}
}

func TestSort(t *testing.T) {
	t.Parallel()
	got := []string{"v2026.10.0", "v2026.3.2", "zzz", "v2026.3.10", "v2026.3.0", "v2025.4.1"}
	Sort(got)
	want := []string{"zzz", "v2025.4.1", "v2026.3.0", "v2026.3.2", "v2026.3.10", "v2026.10.0"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Sort = %v, want %v", got, want)
	}
}

func TestNearest(t *testing.T) {
	t.Parallel()
	tags := []string{"v2026.1.0", "v2026.2.0", "v2026.2.4", "v2026.3.0", "v2026.3.1"}
	got := Nearest("v2026.3.9", tags, 3)
	want := []string{"v2026.3.1", "v2026.3.0", "v2026.2.4"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Nearest = %v, want %v", got, want)
	}
}

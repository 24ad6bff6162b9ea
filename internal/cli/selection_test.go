package cli

import (
	"slices"
	"strings"
	"testing"
)

func TestPatchIDs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		all     bool
		want    []string
		wantErr string
	}{
		{name: "none", want: nil},
		{name: "ids", args: []string{"PL-2026-0007", "PL-2026-0009"}, want: []string{"PL-2026-0007", "PL-2026-0009"}},
		{name: "all", all: true, want: nil},
		{name: "both", args: []string{"PL-2026-0007"}, all: true, wantErr: "give patch ids or --all, not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := patchIDs(tt.args, tt.all)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("patchIDs(%q, %v) error = %v, want %q", tt.args, tt.all, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("patchIDs(%q, %v) = %q, %v; want %q", tt.args, tt.all, got, err, tt.want)
			}
		})
	}
}

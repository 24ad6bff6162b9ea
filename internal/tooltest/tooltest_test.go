package tooltest

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestRequired(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env  string
		want []string
	}{
		{"", nil},
		{"git", []string{"git"}},
		{"git,cosign", []string{"git", "cosign"}},
		{" git , ,cosign,", []string{"git", "cosign"}},
	}
	for _, tt := range tests {
		if got := Required(tt.env); !slices.Equal(got, tt.want) {
			t.Errorf("Required(%q) = %q, want %q", tt.env, got, tt.want)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	onPath := func(have ...string) func(string) (string, error) {
		return func(name string) (string, error) {
			if slices.Contains(have, name) {
				return "/usr/bin/" + name, nil
			}
			return "", errors.New("executable file not found in $PATH")
		}
	}
	tests := []struct {
		name     string
		tool     string
		required []string
		path     []string
		wantOK   bool
		wantErr  string // "" skips, else fails
	}{
		{name: "present", tool: "git", path: []string{"git"}, wantOK: true},
		{name: "present and required", tool: "git", required: []string{"git", "cosign"}, path: []string{"git", "cosign"}, wantOK: true},
		{name: "missing skips", tool: "cosign", path: []string{"git"}},
		{name: "missing, another required, skips", tool: "cosign", required: []string{"git"}, path: []string{"git"}},
		{name: "missing and required fails", tool: "cosign", required: []string{"git", "cosign"}, path: []string{"git"},
			wantErr: "cosign is not on PATH, and PATCHLINE_REQUIRE_TOOLS=git,cosign requires it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, err := Check(tt.tool, tt.required, onPath(tt.path...))
			if ok != tt.wantOK {
				t.Errorf("Check(%q) ok = %v, want %v", tt.tool, ok, tt.wantOK)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Check(%q) = %v, want no error (skip)", tt.tool, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Check(%q) = %v, want an error containing %q", tt.tool, err, tt.wantErr)
			}
		})
	}
}

package backport

import (
	"testing"

	"github.com/patchline/patchline/internal/config"
)

func TestBranch(t *testing.T) {
	t.Parallel()
	cfg := config.Default("x", "")
	if got := Branch(cfg, "PL-2026-0007", "v2026.2"); got != "patch/PL-2026-0007@v2026.2" {
		t.Fatalf("got %q", got)
	}
	tests := []struct {
		branch, id, line string
		ok               bool
	}{
		{"patch/PL-2026-0007@v2026.2", "PL-2026-0007", "v2026.2", true},
		{"patch/PL-2026-0007", "PL-2026-0007", "", true},
		{"release/v2026.2", "", "", false},
		{"patch/", "", "", false},
	}
	for _, tt := range tests {
		id, line, ok := ParseBranch(cfg, tt.branch)
		if id != tt.id || line != tt.line || ok != tt.ok {
			t.Errorf("ParseBranch(%q) = %q, %q, %v; want %q, %q, %v", tt.branch, id, line, ok, tt.id, tt.line, tt.ok)
		}
	}
}

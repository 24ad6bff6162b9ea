package install

import (
	"errors"
	"testing"
	"time"

	"github.com/patchline/patchline/internal/bundle"
)

func TestCheckRequires(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	applied := func(id string) Receipt { return Receipt{Patch: id} }
	rolledBack := func(id string) Receipt { return Receipt{Patch: id, RolledBackAt: &at} }
	tests := []struct {
		name     string
		requires []string
		includes []string
		receipts []Receipt
		want     string // "" when the bundle may be applied
	}{
		{"no prerequisites", nil, nil, nil, ""},
		{"applied", []string{"PL-2026-0003"}, nil, []Receipt{applied("PL-2026-0002"), applied("PL-2026-0003")}, ""},
		{"missing", []string{"PL-2026-0003"}, nil, []Receipt{applied("PL-2026-0002")},
			"precondition failed: PL-2026-0005 requires PL-2026-0003, which is not installed: install PL-2026-0003 first, or a cumulative bundle that includes it"},
		{"rolled back", []string{"PL-2026-0003"}, nil, []Receipt{rolledBack("PL-2026-0003")},
			"precondition failed: PL-2026-0005 requires PL-2026-0003, which is not installed: install PL-2026-0003 first, or a cumulative bundle that includes it"},
		{"rolled back by its health check", []string{"PL-2026-0003"}, nil, []Receipt{{Patch: "PL-2026-0003", RolledBackAt: &at, AutoRolledBack: true}},
			"precondition failed: PL-2026-0005 requires PL-2026-0003, which is not installed: install PL-2026-0003 first, or a cumulative bundle that includes it"},
		{"rolled back, then applied again", []string{"PL-2026-0003"}, nil, []Receipt{rolledBack("PL-2026-0003"), applied("PL-2026-0003")}, ""},
		{"included by a cumulative bundle", []string{"PL-2026-0003"}, []string{"PL-2026-0003", "PL-2026-0005"}, nil, ""},
		{"several missing, in the manifest's order", []string{"PL-2026-0004", "PL-2026-0001", "PL-2026-0003"}, []string{"PL-2026-0003", "PL-2026-0005"}, []Receipt{applied("PL-2026-0002")},
			"precondition failed: PL-2026-0005 requires PL-2026-0004 and PL-2026-0001, which are not installed: install them first, or a cumulative bundle that includes them"},
		{"three missing", []string{"PL-2026-0001", "PL-2026-0002", "PL-2026-0003"}, nil, nil,
			"precondition failed: PL-2026-0005 requires PL-2026-0001, PL-2026-0002 and PL-2026-0003, which are not installed: install them first, or a cumulative bundle that includes them"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := &bundle.Meta{Patch: "PL-2026-0005", Requires: tt.requires, Includes: tt.includes}
			err := checkRequires(m, tt.receipts)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("checkRequires = %v, want nil", err)
			case tt.want != "" && err == nil:
				t.Errorf("checkRequires = nil, want %q", tt.want)
			case tt.want != "" && err.Error() != tt.want:
				t.Errorf("checkRequires = %q\nwant             %q", err, tt.want)
			case tt.want != "" && !errors.Is(err, ErrPrecondition):
				t.Errorf("checkRequires = %v, does not wrap ErrPrecondition (exit 4)", err)
			}
		})
	}
}

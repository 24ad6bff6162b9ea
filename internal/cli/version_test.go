package cli

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	t.Parallel()
	vcs := func(rev, modified string) *debug.BuildInfo {
		info := &debug.BuildInfo{Main: debug.Module{Path: ModulePath, Version: "(devel)"}}
		if rev != "" {
			info.Settings = append(info.Settings, debug.BuildSetting{Key: "vcs.revision", Value: rev})
		}
		if modified != "" {
			info.Settings = append(info.Settings, debug.BuildSetting{Key: "vcs.modified", Value: modified})
		}
		return info
	}
	installed := &debug.BuildInfo{Main: debug.Module{Path: ModulePath, Version: "v1.4.2"}}
	for _, tc := range []struct {
		name    string
		ldflags string
		info    *debug.BuildInfo
		want    string
	}{
		{"release build", "1.4.2", installed, "1.4.2"},
		{"go install", "dev", installed, "v1.4.2"},
		{"go install, no ldflags var", "", installed, "v1.4.2"},
		{"go install of a commit", "dev", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261205084800-0123456789ab"}}, "v0.0.0-20261205084800-0123456789ab"},
		{"local build", "dev", vcs("0123456789abcdef0123", "false"), "dev-0123456789ab"},
		{"local build, modified", "dev", vcs("0123456789abcdef0123", "true"), "dev-0123456789ab-dirty"},
		{"no vcs", "dev", vcs("", ""), "dev"},
		{"no build info", "dev", nil, "dev"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Version(tc.ldflags, tc.info); got != tc.want {
				t.Errorf("Version(%q, …) = %q, want %q", tc.ldflags, got, tc.want)
			}
		})
	}
}

func TestPinFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		version, ref, note string
	}{
		{"v1.4.2", "v1.4.2", ""},
		{"v1.4.2+dirty", "v1.4.2", "modified tree"},
		{"v0.0.0-20261205084800-0123456789ab", "v0.0.0-20261205084800-0123456789ab", "commit 0123456789ab"},
		{"v1.4.3-0.20261205084800-0123456789ab+dirty", "v1.4.3-0.20261205084800-0123456789ab", "modified tree"},
		{"dev-0123456789ab", "0123456789ab", "commit 0123456789ab"},
		{"dev-0123456789ab-dirty", "0123456789ab", "modified tree"},
		{"dev", "latest", "NOT pinned"},
	} {
		got := pinFor(tc.version)
		if got.Ref != tc.ref {
			t.Errorf("pinFor(%q).Ref = %q, want %q", tc.version, got.Ref, tc.ref)
		}
		if !strings.Contains(got.Note, tc.note) || (tc.note == "") != (got.Note == "") {
			t.Errorf("pinFor(%q).Note = %q, want it to say %q", tc.version, got.Note, tc.note)
		}
	}
}

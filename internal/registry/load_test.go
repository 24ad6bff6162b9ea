package registry_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/repotest"
)

const manifestOf = `schema = 1
id = "%s"
title = "t"
base = "v1.0.0"
kind = "fix"
severity = "low"
urgency = "scheduled"
modules = ["app"]
reported = 2026-01-01T00:00:00Z
summary = "s"
risk = "low"
rollback = "r"
`

// TestIDsAndLoad: ids come from patch branches, maintenance branches, the
// main line and the work tree; a file in patches/ is not a patch; Load
// finds each where it lives, and NextID counts past all of them.
func TestIDsAndLoad(t *testing.T) {
	t.Parallel()
	r := repotest.New(t)
	m := func(id string) string { return fmt.Sprintf(manifestOf, id) }
	v0 := r.Commit("v1.0.0", map[string]string{"app.go": "package app\n", "patches/accepted.toml": "# records\n"})
	r.Tag("v1.0.0")
	r.SwitchNew("release/v1.0", v0)
	r.Commit("merge PL-2026-0002", map[string]string{"patches/PL-2026-0002/patch.toml": m("PL-2026-0002")})
	r.SwitchNew("patch/PL-2026-0004", v0)
	r.Commit("PL-2026-0004", map[string]string{"patches/PL-2026-0004/patch.toml": m("PL-2026-0004")})
	r.Switch("main")
	r.Commit("an old one on main", map[string]string{"patches/PL-2025-0009/patch.toml": m("PL-2025-0009")})
	r.Write(map[string]string{"patches/PL-2026-0005/patch.toml": m("PL-2026-0005")})

	cfg, err := config.Decode(".patchline.toml", []byte("[project]\nname = \"app\"\n[modules]\napp = [\"**\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	reg := &registry.Registry{Repo: r.Repo, Config: cfg}
	ids, err := reg.IDs()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(ids, " "), "PL-2025-0009 PL-2026-0002 PL-2026-0004 PL-2026-0005"; got != want {
		t.Errorf("IDs() = %s, want %s", got, want)
	}
	if id, err := reg.NextID(2026); err != nil || id != "PL-2026-0006" {
		t.Errorf("NextID(2026) = %s, %v, want PL-2026-0006", id, err)
	}
	if id, err := reg.NextID(2027); err != nil || id != "PL-2027-0001" {
		t.Errorf("NextID(2027) = %s, %v, want PL-2027-0001", id, err)
	}
	for id, where := range map[string]string{
		"PL-2026-0002": "release/v1.0",
		"PL-2026-0004": "patch/PL-2026-0004",
		"PL-2025-0009": "main",
		"PL-2026-0005": "work tree",
	} {
		p, err := reg.Load(id)
		if err != nil {
			t.Errorf("Load(%s): %v", id, err)
			continue
		}
		if p.Where != where || p.Manifest == nil || p.Manifest.ID != id {
			t.Errorf("Load(%s): from %q (manifest %v), want from %q", id, p.Where, p.Manifest != nil, where)
		}
	}
	if _, err := reg.Load("PL-2026-0099"); !errors.Is(err, registry.ErrUnknownPatch) {
		t.Errorf("Load of an unknown id: %v, want ErrUnknownPatch", err)
	}
}

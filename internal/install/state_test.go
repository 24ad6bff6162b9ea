package install

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchline/patchline/internal/bundle"
)

// TestForgedStateIsRefused applies a patch, then forges one record of the
// state directory at a time: every command refuses it with ErrUnsafeState
// and the tree, inside the root and outside it, stays as it was.
func TestForgedStateIsRefused(t *testing.T) {
	t.Parallel()
	edit := func(name string, change func(m map[string]any)) func(t *testing.T, root string) {
		return func(t *testing.T, root string) {
			p := filepath.Join(root, stateDir, filepath.FromSlash(name))
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			change(m)
			if data, err = json.Marshal(m); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	receipt := "receipts/PL-2026-0001.json"
	firstFile := func(m map[string]any) map[string]any { return m["files"].([]any)[0].(map[string]any) }
	for _, tc := range []struct {
		name   string
		forge  func(t *testing.T, root string)
		reason string
	}{
		{"receipt path climbs out", edit(receipt, func(m map[string]any) { firstFile(m)["path"] = "../victim" }), `"../victim": path leaves the install root`},
		{"receipt path absolute", edit(receipt, func(m map[string]any) { firstFile(m)["path"] = "/etc/passwd" }), "absolute path"},
		{"receipt path into .git", edit(receipt, func(m map[string]any) { firstFile(m)["path"] = ".git/config" }), "reaches into .git"},
		{"receipt created dir climbs out", edit(receipt, func(m map[string]any) { m["created_dirs"] = []string{"../../tmp"} }), "created_dirs"},
		{"receipt patch id is a path", edit(receipt, func(m map[string]any) { m["patch"] = "../PL" }), `patch id "../PL" is not valid`},
		{"receipt of another patch", edit(receipt, func(m map[string]any) { m["patch"] = "PL-2026-0002" }), "is the receipt of PL-2026-0002"},
		{"receipt hash not a hash", edit(receipt, func(m map[string]any) { firstFile(m)["new_sha256"] = "x" }), "is not a SHA-256"},
		{"receipt unknown field", edit(receipt, func(m map[string]any) { m["run"] = "rm -rf /" }), `unknown field "run"`},
		{"receipt target no release", edit(receipt, func(m map[string]any) {
			m["target"] = map[string]any{"tag": "latest", "commit": strings.Repeat("b", 40)}
		}), `tag "latest" is not a release version`},
		{"release tag no release", edit(releaseFile, func(m map[string]any) { m["tag"] = "latest" }), `tag "latest" is not a release version`},
		{"release highest no release", edit(releaseFile, func(m map[string]any) { m["highest"] = "../x" }), "highest"},
		{"release removed", func(t *testing.T, root string) { os.Remove(filepath.Join(root, stateDir, releaseFile)) }, "has receipts but no release.json"},
		{"record hard-linked", func(t *testing.T, root string) {
			if err := os.Link(filepath.Join(root, stateDir, releaseFile), filepath.Join(root, "release-link")); err != nil {
				t.Fatal(err)
			}
		}, "release.json has 2 hard links"},
		{"record is a symlink", func(t *testing.T, root string) {
			p := filepath.Join(root, stateDir, releaseFile)
			os.Rename(p, filepath.Join(root, "elsewhere.json"))
			if err := os.Symlink(filepath.Join(root, "elsewhere.json"), p); err != nil {
				t.Fatal(err)
			}
		}, "release.json is a symlink"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := installed(t, releaseV0)
			victim := filepath.Join(filepath.Dir(root), "victim")
			os.WriteFile(victim, []byte("victim\n"), 0o644)
			b, _ := build(t, releaseV0, releaseV1, defaultSpec())
			if _, err := Apply(b, options(t, root)); err != nil {
				t.Fatal(err)
			}
			tc.forge(t, root)
			before := snapshot(t, root, true)
			next, _ := build(t, releaseV1, releaseV2, spec{patch: "PL-2026-0002", base: refV1, target: refV2, platform: testPlatform})
			for name, do := range map[string]func() error{
				"installed": func() error { _, err := Installed(root); return err },
				"rollback":  func() error { _, err := Rollback("PL-2026-0001", options(t, root)); return err },
				"apply":     func() error { _, err := Apply(next, options(t, root)); return err },
			} {
				err := do()
				if !errors.Is(err, ErrUnsafeState) || !strings.Contains(err.Error(), tc.reason) {
					t.Errorf("%s: got error %v, want %v saying %q", name, err, ErrUnsafeState, tc.reason)
				}
			}
			if got := snapshot(t, root, true); !equal(got, before) {
				t.Errorf("the refused commands changed the install:\n%s", diff(got, before))
			}
			if _, err := os.Stat(victim); err != nil {
				t.Errorf("the file outside the root: %v", err)
			}
		})
	}
}

// TestApplyChecksTheInstalledRelease: a bundle built against another
// release, or another build of the installed tag, is refused even when
// every file it touches is as it expects; forced, the receipt says so and
// rollback records the release that was really installed.
func TestApplyChecksTheInstalledRelease(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		installed bundle.Ref
		want      string
	}{
		{"another release", bundle.Ref{Tag: "v2026.2.4", Commit: strings.Repeat("f", 40)}, "the bundle is built against v2026.3.0, but v2026.2.4 is installed"},
		{"another build of the tag", bundle.Ref{Tag: refV0.Tag, Commit: strings.Repeat("e", 40)}, "another build of the tag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := installed(t, releaseV0)
			writeReleaseFile(t, root, tc.installed)
			b, _ := build(t, releaseV0, releaseV1, defaultSpec())
			before := snapshot(t, root, true)
			_, err := Apply(b, options(t, root))
			if !errors.Is(err, ErrPrecondition) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Apply: got %v, want %v saying %q", err, ErrPrecondition, tc.want)
			}
			if got := snapshot(t, root, true); !equal(got, before) {
				t.Fatalf("a refused apply changed the install:\n%s", diff(got, before))
			}
			opts := options(t, root)
			opts.Force = true
			rc, err := Apply(b, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !rc.Forced || len(rc.Overrides) == 0 || !strings.Contains(strings.Join(rc.Overrides, "\n"), tc.want) || rc.Replaced == nil || *rc.Replaced != tc.installed {
				t.Errorf("receipt: forced %v, overrides %q, replaced %v; want the override and %v", rc.Forced, rc.Overrides, rc.Replaced, tc.installed)
			}
			if _, err := Rollback(rc.Patch, options(t, root)); err != nil {
				t.Fatal(err)
			}
			if got := readReleaseFile(t, root); got == nil || *got != tc.installed {
				t.Errorf("after rollback release.json is %v, want %v", got, tc.installed)
			}
		})
	}
}

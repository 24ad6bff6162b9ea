package registry_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/repotest"
)

const recordID = "PL-2026-0001"

// recordRepo is a product tagged v1.0.0 with the patch branch of recordID
// checked out, its manifest (based on base) committed and then fix, a
// commit of files that may be empty.
func recordRepo(t *testing.T, base string, fix map[string]string) (*repotest.Repo, *registry.Registry) {
	t.Helper()
	r := repotest.New(t)
	v0 := r.Commit("v1.0.0", map[string]string{"app.go": "package app\n-- a comment\n", "README": "app\n"})
	r.Tag("v1.0.0")
	r.SwitchNew("patch/"+recordID, v0)
	manifest := strings.Replace(fmt.Sprintf(manifestOf, recordID), `"v1.0.0"`, fmt.Sprintf("%q", base), 1)
	r.Commit("new "+recordID, map[string]string{"patches/" + recordID + "/patch.toml": manifest})
	if len(fix) > 0 {
		r.Commit("the fix", fix)
	}
	cfg, err := config.Decode(".patchline.toml", []byte("[project]\nname = \"app\"\n[modules]\napp = [\"**\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	return r, &registry.Registry{Repo: r.Repo, Config: cfg}
}

func load(t *testing.T, reg *registry.Registry) *registry.Patch {
	t.Helper()
	p, err := reg.Load(recordID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// theFix changes app.go, with a removed line that reads like a file header,
// and the patch's own folder, which is never recorded.
var theFix = map[string]string{
	"app.go":                           "package app\n++ a comment\n",
	"patches/" + recordID + "/note.md": "why\n",
}

var diffPath = filepath.Join("patches", recordID, "patch.diff")

// TestRecordRefuses: Record says why it records nothing, and writes nothing.
func TestRecordRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		base     string
		fix      map[string]string
		switchTo string // checked out before Record; empty keeps the patch branch
		dryRun   bool
		check    func(error) bool
		want     string
	}{
		{
			name:  "nothing outside patches",
			base:  "v1.0.0",
			fix:   map[string]string{"patches/" + recordID + "/note.md": "why\n"},
			check: func(err error) bool { return errors.Is(err, registry.ErrNothingToRecord) },
			want:  "nothing to record: patch/PL-2026-0001 changes nothing outside patches/ since v1.0.0; commit the fix first",
		},
		{
			name:   "nothing, even for a dry run",
			base:   "v1.0.0",
			dryRun: true,
			check:  func(err error) bool { return errors.Is(err, registry.ErrNothingToRecord) },
			want:   "nothing to record: patch/PL-2026-0001 changes nothing outside patches/ since v1.0.0; commit the fix first",
		},
		{
			name:     "branch not checked out",
			base:     "v1.0.0",
			fix:      theFix,
			switchTo: "main",
			check: func(err error) bool {
				var e *registry.NotCheckedOutError
				return errors.As(err, &e) && e.Branch == "patch/"+recordID
			},
			want: "check out patch/PL-2026-0001 first (git switch patch/PL-2026-0001)",
		},
		{
			name: "base not a release tag",
			base: "v9.9.9",
			fix:  theFix,
			check: func(err error) bool {
				var e *registry.NotReleaseTagError
				return errors.As(err, &e) && e.Name == "v9.9.9"
			},
			want: `patches/PL-2026-0001/patch.toml: base: no tag "v9.9.9" in this repository — nearest: v1.0.0`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, reg := recordRepo(t, tc.base, tc.fix)
			if tc.switchTo != "" {
				r.Switch(tc.switchTo)
			}
			_, err := reg.Record(load(t, reg), registry.RecordOptions{DryRun: tc.dryRun})
			if err == nil || !tc.check(err) {
				t.Fatalf("Record() error = %v, want the %s error", err, tc.name)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("Record() error:\ngot  %s\nwant %s", got, tc.want)
			}
			if _, err := os.Stat(filepath.Join(r.Dir, diffPath)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("patch.diff after a refusal: %v, want none", err)
			}
		})
	}
}

// TestRecordWritesOnce: Record writes patch.diff, without patches/, and a
// second run finds it current and leaves the file alone.
func TestRecordWritesOnce(t *testing.T) {
	t.Parallel()
	r, reg := recordRepo(t, "v1.0.0", theFix)
	first, err := reg.Record(load(t, reg), registry.RecordOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !first.Changed {
		t.Errorf("first Record: Changed = false, want true")
	}
	if got, want := first.File, "patches/PL-2026-0001/patch.diff"; got != want {
		t.Errorf("File = %s, want %s", got, want)
	}
	if got, want := first.Stat, (registry.DiffStat{Files: 1, Added: 1, Removed: 1}); got != want {
		t.Errorf("Stat = %+v, want %+v (the removed \"-- a comment\" line counts)", got, want)
	}
	diff := string(first.Diff)
	if !strings.HasPrefix(diff, "diff --git a/app.go b/app.go\n") || !strings.Contains(diff, "\n--- a comment\n+++ a comment\n") {
		t.Errorf("Diff does not record the app.go change:\n%s", diff)
	}
	if strings.Contains(diff, "patches/") {
		t.Errorf("Diff records patches/:\n%s", diff)
	}
	full := filepath.Join(r.Dir, diffPath)
	onDisk, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	if string(onDisk) != diff {
		t.Errorf("patch.diff on disk:\n%s\nwant the recorded diff:\n%s", onDisk, diff)
	}
	before, err := os.Stat(full)
	if err != nil {
		t.Fatal(err)
	}

	again, err := reg.Record(load(t, reg), registry.RecordOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Changed {
		t.Errorf("second Record: Changed = true, want false")
	}
	if string(again.Diff) != diff || again.Stat != first.Stat {
		t.Errorf("second Record gave another diff or stat: %+v", again.Stat)
	}
	after, err := os.Stat(full)
	if err != nil {
		t.Fatal(err)
	}
	// An atomic write renames a new file into place: the same file means
	// no write.
	if !os.SameFile(before, after) {
		t.Errorf("second Record rewrote %s", diffPath)
	}
}

// TestRecordDryRun: a dry run computes the diff Record would write, writes
// nothing, and needs no checked-out branch.
func TestRecordDryRun(t *testing.T) {
	t.Parallel()
	for _, checkout := range []string{"patch/" + recordID, "main"} {
		t.Run(checkout, func(t *testing.T) {
			t.Parallel()
			r, reg := recordRepo(t, "v1.0.0", theFix)
			r.Switch(checkout)
			rec, err := reg.Record(load(t, reg), registry.RecordOptions{DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			if rec.Changed {
				t.Errorf("Changed = true, want false for a dry run")
			}
			if got, want := rec.Stat, (registry.DiffStat{Files: 1, Added: 1, Removed: 1}); got != want {
				t.Errorf("Stat = %+v, want %+v", got, want)
			}
			if !strings.HasPrefix(string(rec.Diff), "diff --git a/app.go b/app.go\n") {
				t.Errorf("Diff:\n%s", rec.Diff)
			}
			if _, err := os.Stat(filepath.Join(r.Dir, diffPath)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("patch.diff after a dry run: %v, want none", err)
			}
		})
	}
}

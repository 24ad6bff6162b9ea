package install

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/patchline/patchline/internal/bundle"
)

func TestApplyAndRollback(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		delta bool
	}{
		{"whole files", false},
		{"deltas", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := defaultSpec()
			s.delta = tc.delta
			b, _ := build(t, releaseV0, releaseV1, s)
			root := installed(t, releaseV0)
			old, new := releaseState(t, releaseV0), releaseState(t, releaseV1)

			rec, err := Apply(b, options(t, root))
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if got := snapshot(t, root, false); !equal(got, new) {
				t.Fatalf("after apply, the tree is not v2026.3.1:\n%s", diff(got, new))
			}
			if rec.Patch != "PL-2026-0001" || rec.BundleDigest != b.Digest || rec.Target != refV1 || len(rec.Files) != len(b.Meta.Files) {
				t.Errorf("receipt = %+v", rec)
			}
			if got := readReleaseFile(t, root); got == nil || *got != refV1 {
				t.Errorf("release.json after apply = %v, want %v", got, refV1)
			}
			assertNoLeftovers(t, root, "PL-2026-0001")

			if _, err := Rollback("PL-2026-0001", options(t, root)); err != nil {
				t.Fatalf("Rollback: %v", err)
			}
			if got := snapshot(t, root, false); !equal(got, old) {
				t.Fatalf("after rollback, the tree is not v2026.3.0 byte for byte:\n%s", diff(got, old))
			}
			if got := readReleaseFile(t, root); got == nil || *got != refV0 {
				t.Errorf("release.json after rollback = %v, want %v", got, refV0)
			}
			assertNoLeftovers(t, root)
			list, err := Installed(root)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 1 || list[0].Patch != "PL-2026-0001" || list[0].RolledBackAt == nil {
				t.Fatalf("Installed = %+v, want PL-2026-0001 rolled back", list)
			}

			// Applied again after its rollback: the first receipt stays as history.
			if _, err := Apply(b, options(t, root)); err != nil {
				t.Fatalf("Apply again: %v", err)
			}
			if got := snapshot(t, root, false); !equal(got, new) {
				t.Fatalf("after the second apply:\n%s", diff(got, new))
			}
			list, err = Installed(root)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 2 || list[0].RolledBackAt == nil || list[1].RolledBackAt != nil || !list[0].AppliedAt.Before(list[1].AppliedAt) {
				t.Fatalf("Installed = %+v, want the rolled-back receipt, then the applied one", list)
			}
		})
	}
}

func TestApplyRefusesAndWritesNothing(t *testing.T) {
	t.Parallel()
	outsideFile := func(t *testing.T, data string) string {
		name := filepath.Join(t.TempDir(), "outside")
		if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return name
	}
	// failNth fails the nth call of op on a path matching where.
	failNth := func(op, where string, n int32, errno error) func(string, string) error {
		var calls atomic.Int32
		return func(o, name string) error {
			if o == op && strings.Contains(name, where) && calls.Add(1) == n {
				return errno
			}
			return nil
		}
	}
	flip := func(path string) func([]bundle.File, [][]byte) {
		return func(files []bundle.File, payloads [][]byte) {
			p := payloadOf(files, payloads, path)
			(*p)[len(*p)/2] ^= 0x40
		}
	}
	for _, tc := range []struct {
		name    string
		spec    func(*spec)
		setup   func(t *testing.T, root string, b *bundle.Bundle)
		opts    func(*Options)
		wantErr error
		want    []string // in the message
	}{{
		name: "installed files are not the base",
		setup: func(t *testing.T, root string, _ *bundle.Bundle) {
			writeTree(t, root, tree{"etc/config.toml": {"port = 1\n", 0o644}, "bin/app": {"rebuilt locally", 0o755}})
		},
		wantErr: ErrPrecondition,
		want:    []string{"2 installed files are not as PL-2026-0001 expects", "etc/config.toml: expected sha256 " + sum("port = 8080\n")[:12] + " (the base, v2026.3.0), found " + sum("port = 1\n")[:12], "bin/app: expected"},
	}, {
		name:    "a base file is missing",
		setup:   func(t *testing.T, root string, _ *bundle.Bundle) { os.Remove(filepath.Join(root, "lib/libold.so")) },
		wantErr: ErrPrecondition,
		want:    []string{"lib/libold.so: expected the base file", "found none"},
	}, {
		name: "replay",
		setup: func(t *testing.T, root string, b *bundle.Bundle) {
			if _, err := Apply(b, options(t, root)); err != nil {
				t.Fatal(err)
			}
		},
		wantErr: ErrPrecondition,
		want:    []string{"PL-2026-0001 is already applied", "--force"},
	}, {
		name:    "downgrade",
		setup:   func(t *testing.T, root string, _ *bundle.Bundle) { writeReleaseFile(t, root, refV2) },
		wantErr: ErrPrecondition,
		want:    []string{"installs v2026.3.1, older than the installed v2026.3.2", "downgrade"},
	}, {
		name: "downgrade by version number, not by name",
		spec: func(s *spec) { s.target = bundle.Ref{Tag: "v2026.3.9", Commit: refV1.Commit} },
		setup: func(t *testing.T, root string, _ *bundle.Bundle) {
			writeReleaseFile(t, root, bundle.Ref{Tag: "v2026.3.10", Commit: strings.Repeat("e", 40)})
		},
		wantErr: ErrPrecondition,
		want:    []string{"older than the installed v2026.3.10"},
	}, {
		name:    "target release already installed",
		setup:   func(t *testing.T, root string, _ *bundle.Bundle) { writeReleaseFile(t, root, refV1) },
		wantErr: ErrPrecondition,
		want:    []string{"v2026.3.1 is already installed"},
	}, {
		name:    "wrong platform",
		opts:    func(o *Options) { o.Platform = "linux/arm64" },
		wantErr: ErrPrecondition,
		want:    []string{"the bundle is for linux/amd64, this system is linux/arm64", "PL-2026-0001_v2026.3.0_linux-arm64.plb"},
	}, {
		name: "a new file already exists",
		setup: func(t *testing.T, root string, _ *bundle.Bundle) {
			writeTree(t, root, tree{"share/doc/CHANGES": {"mine\n", 0o644}})
		},
		wantErr: ErrPrecondition,
		want:    []string{"share/doc/CHANGES: the patch adds this file, but one is already there"},
	}, {
		name: "a parent directory is a symlink out of the root",
		setup: func(t *testing.T, root string, _ *bundle.Bundle) {
			outside := t.TempDir()
			writeTree(t, outside, tree{"config.toml": releaseV0["etc/config.toml"]})
			os.RemoveAll(filepath.Join(root, "etc"))
			if err := os.Symlink(outside, filepath.Join(root, "etc")); err != nil {
				t.Fatal(err)
			}
		},
		wantErr: ErrPrecondition,
		want:    []string{"etc/config.toml: its directory etc is a symlink (to /", "never writes through a symlink"},
	}, {
		name: "--force never writes through a symlink",
		setup: func(t *testing.T, root string, _ *bundle.Bundle) {
			outside := t.TempDir()
			os.Rename(filepath.Join(root, "lib"), filepath.Join(outside, "lib"))
			if err := os.Symlink(filepath.Join(outside, "lib"), filepath.Join(root, "lib")); err != nil {
				t.Fatal(err)
			}
		},
		opts:    func(o *Options) { o.Force = true },
		wantErr: ErrPrecondition,
		want:    []string{"lib/libold.so: its directory lib is a symlink", "lib/plugins/csv/importer.so: its directory lib is a symlink"},
	}, {
		name: "the target is a symlink",
		setup: func(t *testing.T, root string, _ *bundle.Bundle) {
			name := filepath.Join(root, "etc/config.toml")
			os.Remove(name)
			if err := os.Symlink(outsideFile(t, "port = 8080\n"), name); err != nil {
				t.Fatal(err)
			}
		},
		wantErr: ErrPrecondition,
		want:    []string{"etc/config.toml: expected a regular file, found a symlink (to /"},
	}, {
		name: "the target is hard-linked",
		setup: func(t *testing.T, root string, _ *bundle.Bundle) {
			if err := os.Link(filepath.Join(root, "bin/app"), filepath.Join(t.TempDir(), "app")); err != nil {
				t.Fatal(err)
			}
		},
		opts:    func(o *Options) { o.Force = true },
		wantErr: ErrPrecondition,
		want:    []string{"bin/app: the file has 2 hard links"},
	}, {
		name: "a file where a directory is expected",
		setup: func(t *testing.T, root string, _ *bundle.Bundle) {
			writeTree(t, root, tree{"lib/plugins": {"not a dir\n", 0o644}})
		},
		wantErr: ErrPrecondition,
		want:    []string{"lib/plugins/csv/importer.so: lib/plugins is a regular file, expected a directory"},
	}, {
		name:    "a zstd payload with a flipped byte",
		spec:    func(s *spec) { s.tamper = flip("etc/config.toml") },
		wantErr: ErrVerification,
		want:    []string{"etc/config.toml"},
	}, {
		name: "a zstd payload of other content",
		spec: func(s *spec) {
			s.tamper = func(files []bundle.File, payloads [][]byte) {
				data := []byte("port = 6666\n")
				*payloadOf(files, payloads, "etc/config.toml") = zstdOf(t, data)
			}
		},
		wantErr: ErrVerification,
		want:    []string{"etc/config.toml: the rebuilt file has sha256 " + sum("port = 6666\n")[:12], "altered or damaged"},
	}, {
		name:    "a delta payload with a flipped byte",
		spec:    func(s *spec) { s.tamper = flip("bin/app") },
		wantErr: ErrVerification,
		want:    []string{"bin/app"},
	}, {
		name:    "a read-only install root",
		opts:    func(o *Options) { o.fault = func(string, string) error { return syscall.EROFS } },
		wantErr: syscall.EROFS,
		want:    []string{"is the install root writable?"},
	}, {
		name: "a read-only install root with state",
		setup: func(t *testing.T, root string, _ *bundle.Bundle) {
			if _, err := Recover(options(t, root)); err != nil {
				t.Fatal(err)
			}
		},
		opts:    func(o *Options) { o.fault = func(string, string) error { return syscall.EROFS } },
		wantErr: syscall.EROFS,
		want:    []string{"take the lock (is the install root writable?): open ", "/.patchline/lock: read-only file system"},
	}, {
		name:    "the disk fills up while staging",
		opts:    func(o *Options) { o.fault = failNth("write", "/staging/", 3, syscall.ENOSPC) },
		wantErr: syscall.ENOSPC,
		want:    []string{"no space left on device", "nothing was changed"},
	}, {
		name:    "the disk fills up writing the journal",
		opts:    func(o *Options) { o.fault = failNth("write", "journal.json", 1, syscall.ENOSPC) },
		wantErr: syscall.ENOSPC,
		want:    []string{"write the journal", "nothing was changed"},
	}, {
		name:    "a swap fails half way",
		opts:    func(o *Options) { o.fault = failNth("rename", "/etc/config.toml", 1, syscall.EIO) },
		wantErr: syscall.EIO,
		want:    []string{"the old release is installed as before"},
	}, {
		name:    "the receipt cannot be written",
		opts:    func(o *Options) { o.fault = failNth("create", "/receipts/", 1, syscall.ENOSPC) },
		wantErr: syscall.ENOSPC,
		want:    []string{"the old release is installed as before"},
	}, {
		name: "an interrupted apply",
		setup: func(t *testing.T, root string, b *bundle.Bundle) {
			crashAt(t, "swap:bin/tool", options(t, root), func(o Options) error { _, err := Apply(b, o); return err })
		},
		wantErr: ErrInterrupted,
		want:    []string{"the apply of PL-2026-0001 started at", "patchline apply --recover", "patchline rollback PL-2026-0001"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := defaultSpec()
			if tc.spec != nil {
				tc.spec(&s)
			}
			b, _ := build(t, releaseV0, releaseV1, s)
			root := installed(t, releaseV0)
			if tc.setup != nil {
				tc.setup(t, root, b)
			}
			opts := options(t, root)
			if tc.opts != nil {
				tc.opts(&opts)
			}
			before := snapshot(t, root, true)
			_, err := Apply(b, opts)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Apply: got error %v, want %v", err, tc.wantErr)
			}
			t.Logf("refused: %v", err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if after := snapshot(t, root, true); !equal(after, before) {
				t.Errorf("the refused apply changed the install root:\n%s", diff(after, before))
			}
		})
	}
}

func TestRollbackRefusesAndWritesNothing(t *testing.T) {
	t.Parallel()
	apply := func(t *testing.T, root string, b *bundle.Bundle) {
		t.Helper()
		if _, err := Apply(b, options(t, root)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name    string
		setup   func(t *testing.T, root string, p1, p2 *bundle.Bundle)
		force   bool
		wantErr error
		want    []string
	}{{
		name:    "not installed",
		wantErr: ErrPrecondition,
		want:    []string{"PL-2026-0001 is not installed; no patch is"},
	}, {
		name: "already rolled back",
		setup: func(t *testing.T, root string, p1, _ *bundle.Bundle) {
			apply(t, root, p1)
			if _, err := Rollback("PL-2026-0001", options(t, root)); err != nil {
				t.Fatal(err)
			}
		},
		wantErr: ErrPrecondition,
		want:    []string{"PL-2026-0001 was already rolled back at"},
	}, {
		name: "a newer patch is applied over it",
		setup: func(t *testing.T, root string, p1, p2 *bundle.Bundle) {
			apply(t, root, p1)
			apply(t, root, p2)
		},
		wantErr: ErrPrecondition,
		want:    []string{"PL-2026-0001 is not the last patch applied: PL-2026-0002 was applied over it; roll back PL-2026-0002 first"},
	}, {
		name: "files changed since the apply",
		setup: func(t *testing.T, root string, p1, _ *bundle.Bundle) {
			apply(t, root, p1)
			writeTree(t, root, tree{"etc/config.toml": {"port = 1\n", 0o644}})
			os.Remove(filepath.Join(root, "share/doc/CHANGES"))
		},
		wantErr: ErrPrecondition,
		want: []string{"2 files changed since PL-2026-0001 was applied",
			"etc/config.toml: expected sha256 " + sum("port = 9090\n")[:12] + " (installed by PL-2026-0001), found " + sum("port = 1\n")[:12],
			"share/doc/CHANGES: expected sha256 " + sum("fixed the importer\n")[:12] + " (installed by PL-2026-0001), found none"},
	}, {
		name: "a damaged backup, even with --force",
		setup: func(t *testing.T, root string, p1, _ *bundle.Bundle) {
			apply(t, root, p1)
			writeTree(t, filepath.Join(root, stateDir, backupsDir, "PL-2026-0001"), tree{"etc/config.toml": {"port = 2\n", 0o644}})
		},
		force:   true,
		wantErr: ErrPrecondition,
		want:    []string{"etc/config.toml: its backup", "it cannot be restored"},
	}, {
		name: "a directory became a symlink",
		setup: func(t *testing.T, root string, p1, _ *bundle.Bundle) {
			apply(t, root, p1)
			outside := t.TempDir()
			os.Rename(filepath.Join(root, "lib/plugins"), filepath.Join(outside, "plugins"))
			if err := os.Symlink(filepath.Join(outside, "plugins"), filepath.Join(root, "lib/plugins")); err != nil {
				t.Fatal(err)
			}
		},
		force:   true,
		wantErr: ErrPrecondition,
		want:    []string{"lib/plugins/csv/importer.so: its directory lib/plugins is a symlink"},
	}, {
		name: "an interrupted apply of another patch",
		setup: func(t *testing.T, root string, p1, p2 *bundle.Bundle) {
			apply(t, root, p1)
			crashAt(t, "journal", options(t, root), func(o Options) error { _, err := Apply(p2, o); return err })
		},
		wantErr: ErrInterrupted,
		want:    []string{"the apply of PL-2026-0002", "patchline apply --recover"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p1, _ := build(t, releaseV0, releaseV1, defaultSpec())
			p2, _ := build(t, releaseV1, releaseV2, spec{patch: "PL-2026-0002", base: refV1, target: refV2, platform: testPlatform})
			root := installed(t, releaseV0)
			if tc.setup != nil {
				tc.setup(t, root, p1, p2)
			}
			opts := options(t, root)
			opts.Force = tc.force
			before := snapshot(t, root, true)
			_, err := Rollback("PL-2026-0001", opts)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Rollback: got error %v, want %v", err, tc.wantErr)
			}
			t.Logf("refused: %v", err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if after := snapshot(t, root, true); !equal(after, before) {
				t.Errorf("the refused rollback changed the install root:\n%s", diff(after, before))
			}
		})
	}
}

// TestForce: --force reinstalls, downgrades and installs over changed
// files, and rollback still restores exactly what was there before.
func TestForce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		spec  func(*spec)
		setup func(t *testing.T, root string, b *bundle.Bundle)
	}{{
		name: "reinstall a damaged install of an applied patch",
		setup: func(t *testing.T, root string, b *bundle.Bundle) {
			if _, err := Apply(b, options(t, root)); err != nil {
				t.Fatal(err)
			}
			writeTree(t, root, tree{"bin/app": {"damaged", 0o755}, "etc/config.toml": {"port = 3\n", 0o600}})
			os.Remove(filepath.Join(root, "lib/plugins/csv/importer.so"))
		},
	}, {
		name:  "downgrade",
		setup: func(t *testing.T, root string, _ *bundle.Bundle) { writeReleaseFile(t, root, refV2) },
	}, {
		name: "over files that are not the base",
		spec: func(s *spec) { s.delta = false },
		setup: func(t *testing.T, root string, _ *bundle.Bundle) {
			writeTree(t, root, tree{"bin/app": {"hotfixed by hand", 0o700}, "share/doc/CHANGES": {"mine\n", 0o600}})
			os.Remove(filepath.Join(root, "lib/libold.so"))
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := defaultSpec()
			if tc.spec != nil {
				tc.spec(&s)
			}
			b, _ := build(t, releaseV0, releaseV1, s)
			root := installed(t, releaseV0)
			before := snapshot(t, root, false)
			tc.setup(t, root, b)
			if !strings.Contains(tc.name, "reinstall") {
				before = snapshot(t, root, false)
			}
			opts := options(t, root)
			opts.Force = true
			rec, err := Apply(b, opts)
			if err != nil {
				t.Fatalf("Apply --force: %v", err)
			}
			if !rec.Forced {
				t.Errorf("the receipt does not say it was forced")
			}
			if got, want := snapshot(t, root, false), releaseState(t, releaseV1); !equal(got, want) {
				t.Fatalf("after apply --force:\n%s", diff(got, want))
			}
			assertNoLeftovers(t, root, "PL-2026-0001")
			if _, err := Rollback("PL-2026-0001", options(t, root)); err != nil {
				t.Fatalf("Rollback: %v", err)
			}
			if got := snapshot(t, root, false); !equal(got, before) {
				t.Fatalf("rollback did not restore what was there before the apply:\n%s", diff(got, before))
			}
			assertNoLeftovers(t, root)
		})
	}
}

func TestInstalledAndRecoverOnAFreshRoot(t *testing.T) {
	t.Parallel()
	root := installed(t, releaseV0)
	list, err := Installed(root)
	if err != nil || len(list) != 0 {
		t.Errorf("Installed = %v, %v; want none", list, err)
	}
	msg, err := Recover(options(t, root))
	if err != nil || msg != "nothing to recover" {
		t.Errorf("Recover = %q, %v; want nothing to recover", msg, err)
	}
}

// TestRecoverUndoesWhatItCannotFinish: when a staged file is missing or
// damaged, Recover cannot prove the new release, so it restores the old one.
func TestRecoverUndoesWhatItCannotFinish(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		step   string
		damage func(t *testing.T, staging string)
	}{
		{"a staged file is damaged", "journal", func(t *testing.T, staging string) {
			writeTree(t, staging, tree{"00002": {"port = 7\n", 0o644}})
		}},
		{"a staged file is gone half way through its swap", "backup:etc/config.toml", func(t *testing.T, staging string) {
			os.Remove(filepath.Join(staging, "00002"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, _ := build(t, releaseV0, releaseV1, defaultSpec())
			if b.Meta.Files[2].Path != "etc/config.toml" {
				t.Fatalf("file 2 is %s", b.Meta.Files[2].Path)
			}
			root := installed(t, releaseV0)
			crashAt(t, tc.step, options(t, root), func(o Options) error { _, err := Apply(b, o); return err })
			tc.damage(t, filepath.Join(root, stateDir, stagingDir, "PL-2026-0001"))
			msg, err := Recover(options(t, root))
			if err != nil {
				t.Fatalf("Recover: %v", err)
			}
			if !strings.HasPrefix(msg, "undid the interrupted apply of PL-2026-0001") {
				t.Errorf("Recover said %q, want it undid the apply", msg)
			}
			if got, want := snapshot(t, root, false), releaseState(t, releaseV0); !equal(got, want) {
				t.Fatalf("after recover:\n%s", diff(got, want))
			}
			assertNoLeftovers(t, root)
		})
	}
}

// TestFailedRollbackIsResumable: a rollback that fails half way (here an
// I/O error on its third restore) cannot put back what it overwrote, so it
// leaves its journal; Recover then finishes it from the backups.
func TestFailedRollbackIsResumable(t *testing.T) {
	t.Parallel()
	b, _ := build(t, releaseV0, releaseV1, defaultSpec())
	root := installed(t, releaseV0)
	if _, err := Apply(b, options(t, root)); err != nil {
		t.Fatal(err)
	}
	opts := options(t, root)
	var renames atomic.Int32
	opts.fault = func(op, name string) error {
		if op == "rename" && !strings.Contains(name, "/"+stateDir+"/") && renames.Add(1) == 3 {
			return syscall.EIO
		}
		return nil
	}
	_, err := Rollback("PL-2026-0001", opts)
	if !errors.Is(err, ErrInterrupted) || !errors.Is(err, syscall.EIO) {
		t.Fatalf("Rollback: got %v, want an interrupted rollback caused by EIO", err)
	}
	if _, err := Apply(b, options(t, root)); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("Apply during an interrupted rollback: got %v, want ErrInterrupted", err)
	}
	msg, err := Recover(options(t, root))
	if err != nil || !strings.HasPrefix(msg, "finished the interrupted rollback of PL-2026-0001") {
		t.Fatalf("Recover = %q, %v", msg, err)
	}
	if got, want := snapshot(t, root, false), releaseState(t, releaseV0); !equal(got, want) {
		t.Fatalf("after recover:\n%s", diff(got, want))
	}
	assertNoLeftovers(t, root)
}

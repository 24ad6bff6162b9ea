//go:build unix

package install

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/patchline/patchline/internal/bundle"
)

// crashEnv carries a crashJob to the child process of TestCrash.
const crashEnv = "PATCHLINE_INSTALL_CRASH_JOB"

// crashJob is what the child does before it kills itself at Step.
type crashJob struct {
	Op     string // "apply" or "rollback"
	Root   string
	Bundle string // apply: the bundle file
	Patch  string // rollback: the patch id
	Step   string
}

// TestCrashChild is the child process of TestCrash: it applies or rolls back
// and SIGKILLs itself inside AfterStep at the step it was given, the way a
// power cut or the OOM killer would stop it, with no deferred code run.
func TestCrashChild(t *testing.T) {
	env := os.Getenv(crashEnv)
	if env == "" {
		t.Skip("the child process of TestCrash")
	}
	var job crashJob
	if err := json.Unmarshal([]byte(env), &job); err != nil {
		t.Fatal(err)
	}
	opts := Options{Root: job.Root, Platform: testPlatform, AfterStep: func(step string) {
		if step == job.Step {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
	}}
	var err error
	switch job.Op {
	case "apply":
		var b *bundle.Bundle
		if b, err = readBundle(job.Bundle); err == nil {
			_, err = Apply(b, opts)
		}
	case "rollback":
		_, err = Rollback(job.Patch, opts)
	}
	t.Fatalf("%s finished without reaching step %q: %v", job.Op, job.Step, err)
}

func readBundle(name string) (*bundle.Bundle, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return bundle.Read(bytes.NewReader(data), int64(len(data)))
}

// runCrashing runs job in a child process and checks it died by SIGKILL.
func runCrashing(t *testing.T, job crashJob) {
	t.Helper()
	env, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+string(env))
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("the child was not killed (err %v):\n%s", err, out)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the child did not die by SIGKILL at %s (%v):\n%s", job.Step, err, out)
	}
}

// stepsOf lists the step names a run emits, in order.
func stepsOf(t *testing.T, opts Options, run func(Options) error) []string {
	t.Helper()
	var steps []string
	opts.AfterStep = func(s string) { steps = append(steps, s) }
	if err := run(opts); err != nil {
		t.Fatal(err)
	}
	return steps
}

// TestCrash kills an apply, and a rollback, at every step they emit, in a
// real child process, then resolves the interruption with Recover and,
// separately, with Rollback. The install tree must always be the old or the
// new release as a whole, never a mix, with receipts that say which, and
// nothing of the interrupted run may be left in .patchline.
func TestCrash(t *testing.T) {
	t.Parallel()
	const id = "PL-2026-0001"
	b, data := build(t, releaseV0, releaseV1, defaultSpec())
	bundleFile := filepath.Join(t.TempDir(), bundle.FileName(id, refV0.Tag, testPlatform))
	if err := os.WriteFile(bundleFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	old, new := releaseState(t, releaseV0), releaseState(t, releaseV1)
	apply := func(o Options) error { _, err := Apply(b, o); return err }
	rollback := func(o Options) error { _, err := Rollback(id, o); return err }

	dry := installed(t, releaseV0)
	applySteps := stepsOf(t, options(t, dry), apply)
	rollbackSteps := stepsOf(t, options(t, dry), rollback)
	wantApply := []string{"staged", "journal",
		"backup:bin/app", "swap:bin/app", "backup:bin/tool", "swap:bin/tool", "backup:etc/config.toml", "swap:etc/config.toml",
		"swap:lib/libold.so", "swap:lib/plugins/csv/importer.so", "swap:share/doc/CHANGES", "receipt", "commit", "done"}
	wantRollback := []string{"journal", "restore:bin/app", "restore:bin/tool", "restore:etc/config.toml",
		"restore:lib/libold.so", "restore:lib/plugins/csv/importer.so", "restore:share/doc/CHANGES", "receipt", "commit", "done"}
	if !slices.Equal(applySteps, wantApply) || !slices.Equal(rollbackSteps, wantRollback) {
		t.Fatalf("steps:\napply    %q\nrollback %q\nwant\napply    %q\nrollback %q", applySteps, rollbackSteps, wantApply, wantRollback)
	}

	// whole checks the tree is one release and the receipts agree.
	whole := func(t *testing.T, root string) (isNew bool) {
		t.Helper()
		got := snapshot(t, root, false)
		switch {
		case equal(got, new):
			isNew = true
		case !equal(got, old):
			t.Fatalf("the tree is a mix of the releases; against the old one:\n%s\nagainst the new one:\n%s", diff(got, old), diff(got, new))
		}
		list, err := Installed(root)
		if err != nil {
			t.Fatal(err)
		}
		active := len(list) > 0 && list[len(list)-1].RolledBackAt == nil
		if active != isNew {
			t.Errorf("new release installed: %v, but receipts say applied: %v (%+v)", isNew, active, list)
		}
		if r := readReleaseFile(t, root); isNew && (r == nil || *r != refV1) || !isNew && r != nil && *r != refV0 {
			t.Errorf("release.json = %v with the %s release installed", r, map[bool]string{true: "new", false: "old"}[isNew])
		}
		if isNew {
			assertNoLeftovers(t, root, id)
		} else {
			assertNoLeftovers(t, root)
		}
		return isNew
	}

	for _, step := range applySteps {
		// Before the journal nothing changed; from it on, Recover finishes.
		committed := slices.Index(applySteps, step) >= slices.Index(applySteps, "commit")
		journaled := step != "staged"
		t.Run("apply/"+step+"/recover", func(t *testing.T) {
			t.Parallel()
			root := installed(t, releaseV0)
			runCrashing(t, crashJob{Op: "apply", Root: root, Bundle: bundleFile, Step: step})
			msg, err := Recover(options(t, root))
			if err != nil {
				t.Fatalf("Recover: %v", err)
			}
			t.Logf("Recover: %s", msg)
			if isNew := whole(t, root); isNew != journaled {
				t.Errorf("after a crash at %s, Recover left the %v release; want the new one: %v", step, map[bool]string{true: "new", false: "old"}[isNew], journaled)
			}
			if journaled && !committed && !strings.HasPrefix(msg, "finished the interrupted apply of "+id) {
				t.Errorf("Recover said %q", msg)
			}
			if journaled {
				if _, err := Rollback(id, options(t, root)); err != nil {
					t.Fatalf("Rollback after Recover: %v", err)
				}
				if whole(t, root) {
					t.Errorf("Rollback after Recover left the new release")
				}
			}
		})
		t.Run("apply/"+step+"/rollback", func(t *testing.T) {
			t.Parallel()
			root := installed(t, releaseV0)
			runCrashing(t, crashJob{Op: "apply", Root: root, Bundle: bundleFile, Step: step})
			_, err := Rollback(id, options(t, root))
			if journaled && err != nil || !journaled && !errors.Is(err, ErrPrecondition) {
				t.Fatalf("Rollback after a crash at %s: %v", step, err)
			}
			if whole(t, root) {
				t.Errorf("Rollback after a crash at %s left the new release", step)
			}
		})
	}
	for _, step := range rollbackSteps {
		committed := slices.Index(rollbackSteps, step) >= slices.Index(rollbackSteps, "commit")
		for _, then := range []string{"recover", "rollback"} {
			t.Run("rollback/"+step+"/"+then, func(t *testing.T) {
				t.Parallel()
				root := installed(t, releaseV0)
				if err := apply(options(t, root)); err != nil {
					t.Fatal(err)
				}
				runCrashing(t, crashJob{Op: "rollback", Root: root, Patch: id, Step: step})
				var err error
				if then == "recover" {
					var msg string
					msg, err = Recover(options(t, root))
					t.Logf("Recover: %s", msg)
				} else if _, err = Rollback(id, options(t, root)); committed && errors.Is(err, ErrPrecondition) {
					err = nil // rolled back already
				}
				if err != nil {
					t.Fatalf("%s after a crash at %s: %v", then, step, err)
				}
				if whole(t, root) {
					t.Errorf("the rollback interrupted at %s was not finished", step)
				}
			})
		}
	}
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/patchline/patchline/internal/tooltest"
)

// walkthroughHeading is the README section a new user follows from
// install to a patched customer install; TestReadmeWalkthrough runs it.
const walkthroughHeading = "## From install to a patched customer install"

// readmeBlock returns the first ```sh block after heading in the README.
func readmeBlock(t *testing.T, heading string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := bytes.Cut(data, []byte("\n"+heading+"\n"))
	if !ok {
		t.Fatalf("README.md has no %q section", heading)
	}
	_, rest, ok = bytes.Cut(rest, []byte("\n```sh\n"))
	if !ok {
		t.Fatalf("README.md's %q section has no sh block", heading)
	}
	block, _, ok := bytes.Cut(rest, []byte("\n```\n"))
	if !ok {
		t.Fatalf("README.md's %q sh block does not end", heading)
	}
	return string(block) + "\n"
}

// TestReadmeWalkthrough runs the README's walk-through as written, with
// bash, the patchline binary on $PATH and the same pinned clock, author
// and Go build cache as the scripts: every step must succeed, and the
// customer's program must print the wrong sum before the patch and the
// right one after. Only the customer directory moves from /tmp/customer
// into the test's own directory.
func TestReadmeWalkthrough(t *testing.T) {
	t.Parallel()
	tooltest.NeedRequired(t)
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("the walk-through builds for linux/amd64, the default platform; this is %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	script := readmeBlock(t, walkthroughHeading)
	if !strings.Contains(script, "/tmp/customer") {
		t.Fatalf("the walk-through no longer installs into /tmp/customer; update this test:\n%s", script)
	}
	script = "set -euo pipefail\n" + strings.ReplaceAll(script, "/tmp/customer", `"$WORK/customer"`)
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/readme",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			if err := setupScript(env); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(env.WorkDir, "walkthrough.sh"), []byte(script), 0o644)
		},
		Condition: func(cond string) (bool, error) {
			if cond == "git" {
				return tooltest.Have("git")
			}
			return false, nil
		},
	})
}

package signtest

import (
	"os"
	"testing"
)

// EmptyTempDir points $TMPDIR, where verification keeps its private copies
// of the files it checks, at a new directory, and returns a check that
// nothing was left in it. A test that calls it cannot run in parallel.
func EmptyTempDir(t *testing.T) func() {
	t.Helper()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	return func() {
		t.Helper()
		left, err := os.ReadDir(tmp)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range left {
			t.Errorf("left in $TMPDIR: %s", e.Name())
		}
	}
}

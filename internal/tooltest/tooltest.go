// Package tooltest decides what a test does when an outside program it
// drives (git, cosign) is not on PATH. Locally it skips, so `go test ./...`
// passes on a machine without them; CI sets PATCHLINE_REQUIRE_TOOLS to the
// programs it installed (git,cosign), and a missing one fails instead, so a
// broken install cannot pass CI by skipping the end-to-end tests.
package tooltest

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// EnvRequire names the programs that must be on PATH, comma-separated.
const EnvRequire = "PATCHLINE_REQUIRE_TOOLS"

// Required lists the programs the value of EnvRequire names.
func Required(env string) []string {
	var out []string
	for name := range strings.SplitSeq(env, ",") {
		if name = strings.TrimSpace(name); name != "" {
			out = append(out, name)
		}
	}
	return out
}

// Check says whether name is on PATH, as lookPath finds it. A missing
// program is an error when required lists it, and only absent otherwise.
func Check(name string, required []string, lookPath func(string) (string, error)) (bool, error) {
	if _, err := lookPath(name); err == nil {
		return true, nil
	}
	if slices.Contains(required, name) {
		return false, fmt.Errorf("%s is not on PATH, and %s=%s requires it: install it, or unset %s to skip the tests that need it",
			name, EnvRequire, strings.Join(required, ","), EnvRequire)
	}
	return false, nil
}

// Have is Check on this process's PATH and environment: for a testscript
// Condition, where an error fails the script.
func Have(name string) (bool, error) {
	return Check(name, Required(os.Getenv(EnvRequire)), exec.LookPath)
}

// Need skips t when name is not on PATH, saying why, or fails it when
// PATCHLINE_REQUIRE_TOOLS names the program.
func Need(t testing.TB, name, why string) {
	t.Helper()
	ok, err := Have(name)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Skipf("%s is not on PATH: %s", name, why)
	}
}

// NeedRequired stops t, failed, when a program PATCHLINE_REQUIRE_TOOLS
// names is not on PATH: for a test whose scripts skip on a missing program
// themselves ([!exec:cosign]).
func NeedRequired(t testing.TB) {
	t.Helper()
	for _, name := range Required(os.Getenv(EnvRequire)) {
		if _, err := Have(name); err != nil {
			t.Error(err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

package main

import (
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/patchline/patchline/internal/cli"
	"github.com/patchline/patchline/internal/tooltest"
)

var update = flag.Bool("update", false, "rewrite the scripts' golden files")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"patchline": func() { os.Exit(cli.Main(context.Background(), cli.NewFactory("test"), os.Args[1:])) },
	})
}

// TestScripts runs the end-to-end scripts in testdata/script against the
// real binary and real git repositories.
func TestScripts(t *testing.T) {
	t.Parallel()
	// Scripts skip without git or cosign ([!git], [!exec:cosign]); CI
	// names them in PATCHLINE_REQUIRE_TOOLS, and then their absence fails.
	tooltest.NeedRequired(t)
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       *update,
		Setup: func(env *testscript.Env) error {
			setupWebhooks(env)
			return setupScript(env)
		},
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"exits":           cmdExits,
			"flipbyte":        cmdFlipByte,
			"keyless":         cmdKeyless, // keyless_test.go
			"mkbundle":        cmdMkBundle,
			"tamperstatement": cmdTamperStatement, // provenance_test.go
			"webhook":         cmdWebhook,
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "git":
				return tooltest.Have("git")
			case "root":
				return os.Geteuid() == 0, nil
			}
			return false, nil
		},
	})
}

// setupScript pins everything a run could vary by: who commits, when, and
// the clock patchline reads, so that ids, hashes and SLA findings repeat.
func setupScript(env *testscript.Env) error {
	home := filepath.Join(env.WorkDir, ".home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return err
	}
	gitconfig := "[user]\n\tname = Dana Developer\n\temail = dana@example.com\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
	if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte(gitconfig), 0o644); err != nil {
		return err
	}
	// Builds in scripts share the developer's Go build cache, so a script
	// that builds a product does not compile the standard library again.
	if cache, err := exec.Command("go", "env", "GOCACHE").Output(); err == nil {
		env.Setenv("GOCACHE", strings.TrimSpace(string(cache)))
	}
	env.Setenv("GOPROXY", "off")
	env.Setenv("GOFLAGS", "-mod=mod")
	for k, v := range map[string]string{
		"HOME":                home,
		"XDG_CONFIG_HOME":     filepath.Join(home, ".config"),
		"GIT_CONFIG_NOSYSTEM": "1",
		"GIT_AUTHOR_DATE":     "2026-11-20T10:00:00Z",
		"GIT_COMMITTER_DATE":  "2026-11-20T10:00:00Z",
		"PATCHLINE_NOW":       "2026-11-21T12:00:00Z",
	} {
		env.Setenv(k, v)
	}
	return nil
}

// cmdExits runs a command and checks its exit status:
//
//	exits 2 patchline new --base nope --title x
//
// Its output is kept for the stdout and stderr commands that follow.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// cmdFlipByte flips one byte of a file, as damage or tampering would:
//
//	flipbyte FILE OFFSET   (a negative offset counts from the end)
func cmdFlipByte(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: flipbyte FILE OFFSET")
	}
	name := ts.MkAbs(args[0])
	data, err := os.ReadFile(name)
	ts.Check(err)
	off, err := strconv.Atoi(args[1])
	ts.Check(err)
	if off < 0 {
		off += len(data)
	}
	if off < 0 || off >= len(data) {
		ts.Fatalf("flipbyte: offset %s outside %d bytes", args[1], len(data))
	}
	data[off] ^= 0xff
	ts.Check(os.WriteFile(name, data, 0o644))
}

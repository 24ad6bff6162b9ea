package delta

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// program is a small Go program; greeting is the line that changes between
// the two builds.
func program(greeting string) string {
	var b strings.Builder
	b.WriteString("package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\t\"sort\"\n\t\"strings\"\n)\n\n")
	// Enough functions that the change moves code and data around.
	for i := range 40 {
		fmt.Fprintf(&b, "func step%d(s []string) []string {\n\tsort.Strings(s)\n\treturn append(s, strings.Repeat(%q, %d))\n}\n\n", i, fmt.Sprint("x", i), i%7+1)
	}
	b.WriteString("func main() {\n\tvar s []string\n")
	for i := range 40 {
		fmt.Fprintf(&b, "\ts = step%d(s)\n", i)
	}
	fmt.Fprintf(&b, "\tfmt.Fprintln(os.Stdout, %s, len(s))\n}\n", greeting)
	return b.String()
}

// buildProgram builds source the way releases are built: reproducibly,
// stripped, with no build ID.
func buildProgram(t *testing.T, goCmd, dir, name, source string) []byte {
	t.Helper()
	src := filepath.Join(dir, name+".go")
	if err := os.WriteFile(src, []byte(source), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, name)
	cmd := exec.Command(goCmd, "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", bin, src)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=", "GO111MODULE=on")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", name, err, out)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGoBinaries builds a program twice with a one-line change and checks
// the delta between the two executables, the case patchline ships.
func TestGoBinaries(t *testing.T) {
	t.Parallel()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	dir := t.TempDir()
	old := buildProgram(t, goCmd, dir, "v1", program(`"hello"`))
	new := buildProgram(t, goCmd, dir, "v2", program(`"hello, world", len(s) > 3`))
	d := roundTrip(t, old, new)
	t.Logf("%d -> %d byte executable: delta of %d bytes, %.3f%% of new", len(old), len(new), len(d), 100*float64(len(d))/float64(len(new)))

	if runtime.GOOS == "linux" && runtime.GOARCH == "amd64" {
		if l := detectLayout(old); !l.abs64 || !l.rel32 || l.codeStart >= l.codeEnd {
			t.Errorf("detectLayout on a linux/amd64 Go executable = %+v, want both predictors and a code range", l)
		}
	}
}

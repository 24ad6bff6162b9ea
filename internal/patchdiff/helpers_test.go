package patchdiff

import (
	"bytes"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/patchline/patchline/internal/tooltest"
)

// changesBetween lists what turns tree old into tree new, the way a caller
// walking two trees would: same path in both is a modification, the rest
// are deletions and additions (Write finds the renames).
func changesBetween(old, new MapSource) []Change {
	var out []Change
	for _, p := range slices.Sorted(maps.Keys(old)) {
		o := norm(old[p])
		if n, ok := new[p]; ok {
			n = norm(n)
			out = append(out, Change{OldPath: p, NewPath: p, OldMode: o.Mode, NewMode: n.Mode, OldData: o.Data, NewData: n.Data})
			continue
		}
		out = append(out, Change{OldPath: p, OldMode: o.Mode, OldData: o.Data})
	}
	for _, p := range slices.Sorted(maps.Keys(new)) {
		if _, ok := old[p]; !ok {
			n := norm(new[p])
			out = append(out, Change{NewPath: p, NewMode: n.Mode, NewData: n.Data})
		}
	}
	return out
}

func norm(e Entry) Entry {
	if e.Mode == 0 {
		e.Mode = ModeRegular
	}
	if e.Data == nil {
		e.Data = []byte{}
	}
	return e
}

// withResults is src after the results of Apply are written to it.
func withResults(src MapSource, rs []Result) MapSource {
	out := MapSource{}
	for p, e := range src {
		out[p] = norm(e)
	}
	for _, r := range rs {
		if r.Deleted {
			delete(out, r.Path)
			continue
		}
		out[r.Path] = norm(Entry{Data: r.Data, Mode: r.Mode})
	}
	return out
}

// diffTrees describes how got differs from want, or "" if they are equal.
func diffTrees(got, want MapSource) string {
	var b strings.Builder
	for _, p := range slices.Sorted(maps.Keys(want)) {
		w := norm(want[p])
		g, ok := got[p]
		switch {
		case !ok:
			fmt.Fprintf(&b, "%s: missing\n", p)
		case norm(g).Mode != w.Mode:
			fmt.Fprintf(&b, "%s: mode %o, want %o\n", p, norm(g).Mode, w.Mode)
		case !bytes.Equal(g.Data, w.Data):
			fmt.Fprintf(&b, "%s: content differs (%d bytes, want %d)%s\n", p, len(g.Data), len(w.Data), firstDiff(g.Data, w.Data))
		}
	}
	for _, p := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[p]; !ok {
			fmt.Fprintf(&b, "%s: unexpected\n", p)
		}
	}
	return b.String()
}

func firstDiff(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	if len(got) > 1000 || len(want) > 1000 {
		return fmt.Sprintf(" at byte %d", i)
	}
	return fmt.Sprintf(":\n got %q\nwant %q", got, want)
}

// roundTrip writes the diff from old to new, parses it and applies it to
// old, and fails unless that gives new. It returns the diff.
func roundTrip(t testing.TB, old, new MapSource) []byte {
	t.Helper()
	var diff bytes.Buffer
	if err := Write(&diff, changesBetween(old, new)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	files, err := Parse(bytes.NewReader(diff.Bytes()))
	if err != nil {
		t.Fatalf("Parse: %v\ndiff:\n%s", err, clip(diff.Bytes()))
	}
	rs, err := Apply(files, old)
	if err != nil {
		t.Fatalf("Apply: %v\ndiff:\n%s", err, clip(diff.Bytes()))
	}
	if d := diffTrees(withResults(old, rs), new); d != "" {
		t.Fatalf("Apply(Parse(Write(old, new)), old) != new:\n%s\ndiff:\n%s", d, clip(diff.Bytes()))
	}
	return diff.Bytes()
}

func clip(b []byte) string {
	if len(b) > 1500 {
		return string(b[:1500]) + "\n[...]"
	}
	return string(b)
}

// gitCmd runs git in dir, isolated from the user's and system's config so
// that settings like diff.noprefix cannot change what it writes.
func gitCmd(t testing.TB, dir string, stdin []byte, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command("git", append([]string{
		"-c", "core.autocrlf=false", "-c", "core.quotepath=true",
		"-c", "user.name=patchline test", "-c", "user.email=test@patchline.invalid",
		"-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main",
	}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_CEILING_DIRECTORIES="+filepath.Dir(dir),
		"LC_ALL=C", "TZ=UTC",
	)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

func requireGit(t testing.TB) {
	t.Helper()
	tooltest.Need(t, "git", "skipping the comparison with git")
}

// writeTree writes a MapSource into dir.
func writeTree(t testing.TB, dir string, tree MapSource) {
	t.Helper()
	for p, e := range tree {
		e = norm(e)
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch e.Mode {
		case ModeSymlink:
			err = os.Symlink(string(e.Data), full)
		case ModeExecutable:
			err = os.WriteFile(full, e.Data, 0o755)
		default:
			err = os.WriteFile(full, e.Data, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// readTree reads dir into a MapSource, skipping .git.
func readTree(t testing.TB, dir string) MapSource {
	t.Helper()
	out := MapSource{}
	src := DirSource(dir)
	err := filepath.WalkDir(dir, func(full string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, full)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		data, mode, ok, err := src.Lookup(rel)
		if err != nil || !ok {
			return fmt.Errorf("lookup %s: ok=%v err=%v", rel, ok, err)
		}
		out[rel] = Entry{Data: data, Mode: mode}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func gitPath() (string, error) { return exec.LookPath("git") }

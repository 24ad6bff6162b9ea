package patchdiff

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// fixture is one testdata/apply/*.txtar case. Its sections:
//
//	old, new       the file before and after (its path is the one the patch names)
//	old/P, new/P   file P before and after, for several files
//	patch          the diff, as git diff writes it
//	error          instead of new: text the error must contain; the error is a conflict
//
// A section name ending in " noeol" drops its last newline, since txtar
// cannot hold a file without one.
type fixture struct {
	old, new MapSource
	patch    []byte
	err      string
}

func loadFixtures(t testing.TB) map[string]fixture {
	t.Helper()
	paths, err := filepath.Glob("testdata/apply/*.txtar")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	out := map[string]fixture{}
	for _, p := range paths {
		a, err := txtar.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(p), ".txtar")] = parseFixture(t, p, a)
	}
	return out
}

func parseFixture(t testing.TB, name string, a *txtar.Archive) fixture {
	t.Helper()
	fx := fixture{old: MapSource{}}
	single := map[string][]byte{}
	for _, f := range a.Files {
		sec, noEOL := strings.CutSuffix(f.Name, " noeol")
		data := f.Data
		if noEOL {
			data = bytes.TrimSuffix(data, []byte("\n"))
		}
		kind, path, _ := strings.Cut(sec, "/")
		switch {
		case sec == "patch":
			fx.patch = data
		case sec == "error":
			fx.err = strings.TrimSpace(string(data))
		case (kind == "old" || kind == "new") && path == "":
			single[kind] = data
		case kind == "old":
			fx.old[path] = Entry{Data: data}
		case kind == "new":
			if fx.new == nil {
				fx.new = MapSource{}
			}
			fx.new[path] = Entry{Data: data}
		default:
			t.Fatalf("%s: unknown section %q", name, f.Name)
		}
	}
	if len(single) > 0 {
		files, err := Parse(bytes.NewReader(fx.patch))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: patch: %v", name, err)
		}
		path := files[0].NewName
		if path == "" {
			path = files[0].OldName
		}
		if d, ok := single["old"]; ok {
			fx.old[path] = Entry{Data: d}
		}
		if d, ok := single["new"]; ok {
			fx.new = MapSource{path: {Data: d}}
		}
	}
	if fx.err == "" && fx.new == nil {
		fx.new = MapSource{}
	}
	return fx
}

func TestFixtures(t *testing.T) {
	t.Parallel()
	_, gitErr := gitPath()
	for name, fx := range loadFixtures(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			files, err := Parse(bytes.NewReader(fx.patch))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			rs, err := Apply(files, fx.old)
			if fx.err != "" {
				if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), fx.err) {
					t.Fatalf("Apply error = %v, want a conflict containing %q", err, fx.err)
				}
			} else {
				if err != nil {
					t.Fatalf("Apply: %v", err)
				}
				if d := diffTrees(withResults(fx.old, rs), fx.new); d != "" {
					t.Fatalf("Apply gives a different tree:\n%s", d)
				}
			}

			if gitErr != nil {
				return // git is not on PATH: only the in-process check ran
			}
			dir := t.TempDir()
			writeTree(t, dir, fx.old)
			_, err = gitCmd(t, dir, fx.patch, "apply", "--binary", "-")
			switch {
			case fx.err != "" && err == nil:
				t.Fatalf("git apply succeeds where Apply reports a conflict")
			case fx.err == "" && err != nil:
				t.Fatalf("git apply fails where Apply succeeds: %v", err)
			case fx.err == "":
				if d := diffTrees(readTree(t, dir), fx.new); d != "" {
					t.Fatalf("git apply gives a different tree:\n%s", d)
				}
			}
		})
	}
}

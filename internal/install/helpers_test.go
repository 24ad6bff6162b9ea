package install

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/patchline/patchline/internal/bundle"
	"github.com/patchline/patchline/internal/delta"
)

const testPlatform = "linux/amd64"

// file is one file of a release tree.
type file struct {
	data string
	mode fs.FileMode
}

// tree is a release as installed: slash path -> file.
type tree map[string]file

// appV1 is a binary-looking file large enough for a delta to matter.
var appV1 = func() string {
	var b strings.Builder
	x := uint32(2463534242)
	for range 16 << 10 {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b.WriteByte(byte(x))
	}
	return b.String()
}()

// Three releases of one line: v2026.3.0 -> v2026.3.1 (PL-2026-0001) ->
// v2026.3.2 (PL-2026-0002). Between them: a delta-sized change, a mode
// change with the same content, a small change, a delete, a new file in
// new nested directories and a new file in an existing one.
var (
	releaseV0 = tree{
		"bin/app":          {appV1, 0o755},
		"bin/tool":         {"#!/bin/sh\necho tool\n", 0o644},
		"etc/config.toml":  {"port = 8080\n", 0o644},
		"lib/libold.so":    {"old library\n", 0o644},
		"lib/libkeep.so":   {"kept library\n", 0o644},
		"share/doc/README": {"read me\n", 0o644},
	}
	releaseV1 = tree{
		"bin/app":                     {appV1[:9000] + "patched!" + appV1[9000:] + "tail", 0o755},
		"bin/tool":                    {"#!/bin/sh\necho tool\n", 0o755},
		"etc/config.toml":             {"port = 9090\n", 0o644},
		"lib/libkeep.so":              {"kept library\n", 0o644},
		"lib/plugins/csv/importer.so": {"csv importer\n", 0o644},
		"share/doc/README":            {"read me\n", 0o644},
		"share/doc/CHANGES":           {"fixed the importer\n", 0o644},
	}
	releaseV2 = tree{
		"bin/app":                     {appV1[:9000] + "patched!" + appV1[9000:] + "tail", 0o755},
		"bin/tool":                    {"#!/bin/sh\necho tool v2\n", 0o755},
		"etc/config.toml":             {"port = 9191\n", 0o644},
		"lib/libkeep.so":              {"kept library\n", 0o644},
		"lib/plugins/csv/importer.so": {"csv importer v2\n", 0o644},
		"share/doc/README":            {"read me\n", 0o644},
		"share/doc/CHANGES":           {"fixed the importer\nand the tool\n", 0o644},
	}
	refV0 = bundle.Ref{Tag: "v2026.3.0", Commit: strings.Repeat("a", 40)}
	refV1 = bundle.Ref{Tag: "v2026.3.1", Commit: strings.Repeat("b", 40)}
	refV2 = bundle.Ref{Tag: "v2026.3.2", Commit: strings.Repeat("c", 40)}
)

func writeTree(t *testing.T, root string, tr tree) {
	t.Helper()
	for p, f := range tr {
		name := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(f.data), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(name, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	// Directories as patchline makes them, whatever the umask.
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			err = os.Chmod(p, 0o755)
		}
		return err
	})
}

// installed makes an install root holding tr.
func installed(t *testing.T, tr tree) string {
	t.Helper()
	root := t.TempDir()
	writeTree(t, root, tr)
	return root
}

// snapshot maps every entry under root to what it is, mode and SHA-256
// included. With state, the contents of .patchline are in it too, except
// the lock file (which every run opens).
func snapshot(t *testing.T, root string, state bool) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		switch {
		case rel == ".":
			return nil
		case rel == stateDir:
			if !state {
				return filepath.SkipDir
			}
			return nil
		case rel == stateDir+"/"+lockFile:
			return nil
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "symlink -> " + target
		case fi.IsDir():
			out[rel] = fmt.Sprintf("dir %o", fi.Mode().Perm())
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			out[rel] = fmt.Sprintf("file %o %x", fi.Mode().Perm(), sum[:6])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// releaseState is what the install tree of tr looks like.
func releaseState(t *testing.T, tr tree) map[string]string {
	return snapshot(t, installed(t, tr), false)
}

// diff lists how got differs from want, for failure messages.
func diff(got, want map[string]string) string {
	var lines []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			lines = append(lines, fmt.Sprintf("  missing %s (want %s)", k, w))
		} else if g != w {
			lines = append(lines, fmt.Sprintf("  %s: got %s, want %s", k, g, w))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			lines = append(lines, fmt.Sprintf("  extra %s (%s)", k, g))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func equal(a, b map[string]string) bool { return diff(a, b) == "" }

// spec says how to build a test bundle.
type spec struct {
	patch        string
	base, target bundle.Ref
	platform     string
	delta        bool                                         // modified files as deltas, not whole
	tamper       func(files []bundle.File, payloads [][]byte) // changes the payloads before writing
}

func defaultSpec() spec {
	return spec{patch: "PL-2026-0001", base: refV0, target: refV1, platform: testPlatform, delta: true}
}

// build makes the bundle that takes old to new, through bundle.Write and
// bundle.Read as the CLI would, and returns it with its bytes.
func build(t *testing.T, old, new tree, s spec) (*bundle.Bundle, []byte) {
	t.Helper()
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	var paths []string
	for p := range old {
		paths = append(paths, p)
	}
	for p := range new {
		if _, ok := old[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	var files []bundle.File
	var payloads [][]byte
	for _, p := range paths {
		o, inOld := old[p]
		n, inNew := new[p]
		if inOld && inNew && o == n {
			continue
		}
		if !inNew {
			files = append(files, bundle.File{Path: p, Op: bundle.OpDelete, BaseSHA256: sum(o.data), BaseSize: int64(len(o.data))})
			payloads = append(payloads, nil)
			continue
		}
		f := bundle.File{Path: p, Op: bundle.OpAdd, Mode: uint32(n.mode), NewSHA256: sum(n.data), Size: int64(len(n.data)), Encoding: bundle.EncodingZstd}
		payload := enc.EncodeAll([]byte(n.data), nil)
		if inOld {
			f.Op, f.BaseSHA256, f.BaseSize = bundle.OpModify, sum(o.data), int64(len(o.data))
			if s.delta && len(o.data) > 1000 {
				var d bytes.Buffer
				if err := delta.Create([]byte(o.data), []byte(n.data), &d); err != nil {
					t.Fatal(err)
				}
				f.Encoding, payload = bundle.EncodingDelta, d.Bytes()
			}
		}
		files = append(files, f)
		payloads = append(payloads, payload)
	}
	if s.tamper != nil {
		s.tamper(files, payloads)
	}
	meta := bundle.Meta{
		Product: "inventory", Patch: s.patch, Platform: s.platform, Base: s.base, Target: s.target,
		Source: strings.Repeat("d", 40), Builder: bundle.Builder{Name: "go", Version: "go1.26.8"},
		Created: time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC), Files: files,
	}
	var buf bytes.Buffer
	if _, err := bundle.Write(&buf, meta, payloads); err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return b, buf.Bytes()
}

func sum(data string) string {
	s := sha256.Sum256([]byte(data))
	return hex.EncodeToString(s[:])
}

// payloadOf returns the payload of path among files, for tamper funcs.
func payloadOf(files []bundle.File, payloads [][]byte, path string) *[]byte {
	for i, f := range files {
		if f.Path == path {
			return &payloads[i]
		}
	}
	panic("no file " + path)
}

// options for root as tests use them; Log goes to the test log.
func options(t *testing.T, root string) Options {
	return Options{Root: root, Platform: testPlatform, Log: testLog{t}}
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Helper()
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// crashed stands for a process killed in the middle of an apply or
// rollback, in-process: AfterStep panics with it at one step, and nothing
// of patchline's deferred work is a cleanup that a kill would skip.
type crashed string

// crashAt runs do with opts.AfterStep crashing at step.
func crashAt(t *testing.T, step string, opts Options, do func(Options) error) {
	t.Helper()
	opts.AfterStep = func(s string) {
		if s == step {
			panic(crashed(s))
		}
	}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(crashed); !ok {
				panic(r)
			}
		}
	}()
	err := do(opts)
	t.Fatalf("step %q never came (err: %v)", step, err)
}

// stateLeftovers lists what should not be in .patchline once nothing is
// in progress: a journal, staging, trash, temporary files, and backups of
// any patch but the active ones.
func stateLeftovers(t *testing.T, root string, active ...string) []string {
	t.Helper()
	var bad []string
	dir := filepath.Join(root, stateDir)
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		parts := strings.Split(rel, "/")
		switch {
		case rel == "." || rel == lockFile || rel == releaseFile || rel == receiptsDir:
			return nil
		case parts[0] == receiptsDir && len(parts) == 2 && !strings.HasPrefix(parts[1], ".") && strings.HasSuffix(parts[1], ".json"):
			return nil
		case parts[0] == backupsDir && len(active) > 0 && (len(parts) == 1 || contains(active, parts[1])):
			return nil
		}
		bad = append(bad, rel)
		return nil
	})
	return bad
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func assertNoLeftovers(t *testing.T, root string, active ...string) {
	t.Helper()
	if bad := stateLeftovers(t, root, active...); len(bad) > 0 {
		t.Errorf("left behind in .patchline: %s", strings.Join(bad, ", "))
	}
}

func readReleaseFile(t *testing.T, root string) *bundle.Ref {
	t.Helper()
	in := &installer{dir: filepath.Join(root, stateDir)}
	r, err := in.readRelease()
	if err != nil {
		t.Fatal(err)
	}
	if r == nil {
		return nil
	}
	return &r.Ref
}

func writeReleaseFile(t *testing.T, root string, r bundle.Ref) {
	t.Helper()
	if err := (fsys{}).writeJSON(filepath.Join(root, stateDir, releaseFile), r); err != nil {
		t.Fatal(err)
	}
}

func zstdOf(t *testing.T, data []byte) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(data, nil)
}

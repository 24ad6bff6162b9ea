package main

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/patchline/patchline/internal/bundle"
)

// cmdMkBundle writes a bundle by hand, as an attacker holding a signing key
// or a test that needs one without building a product would:
//
//	mkbundle [-patch ID] [-platform OS/ARCH] [-pattern RE] [-raw] [-check CMD [-check-timeout S] [-check-attempts N]] OUT BASE TARGET OLDDIR NEWDIR
//
// It takes the tree OLDDIR (release BASE) to NEWDIR (release TARGET), every
// changed file whole and zstd-compressed. A release's commit is the SHA-1
// of its tag, so two bundles agree on a release exactly when they name the
// same tag. The bundle is written with bundle.Write, which checks the
// metadata as the reader does.
func cmdMkBundle(ts *testscript.TestScript, neg bool, args []string) {
	fl := flag.NewFlagSet("mkbundle", flag.ContinueOnError)
	patch := fl.String("patch", "PL-2026-0001", "patch id")
	platform := fl.String("platform", runtime.GOOS+"/"+runtime.GOARCH, "platform")
	pattern := fl.String("pattern", "", "the product's release tag pattern")
	raw := fl.Bool("raw", false, "write the metadata as given, unchecked, as a forger would")
	check := fl.String("check", "", "the health check the bundle carries")
	checkTimeout := fl.Int64("check-timeout", 0, "its timeout in seconds")
	checkAttempts := fl.Int("check-attempts", 0, "its attempts")
	requires := fl.String("requires", "", "comma-separated patches that must be installed first")
	freeze := fl.String("freeze", "", "a freeze window the bundle carries")
	requireTest := fl.Bool("require-test", false, "production applies need evidence of a healthy test install")
	urgency := fl.String("urgency", "scheduled", "the patch's urgency")
	if err := fl.Parse(args); err != nil || fl.NArg() != 5 {
		ts.Fatalf("usage: mkbundle [-patch ID] [-platform OS/ARCH] [-pattern RE] [-raw] OUT BASE TARGET OLDDIR NEWDIR")
	}
	out, base, target := ts.MkAbs(fl.Arg(0)), fl.Arg(1), fl.Arg(2)
	oldTree, newTree := readTree(ts, ts.MkAbs(fl.Arg(3))), readTree(ts, ts.MkAbs(fl.Arg(4)))
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	ts.Check(err)
	defer enc.Close()
	paths := make([]string, 0, len(oldTree)+len(newTree))
	for p := range oldTree {
		paths = append(paths, p)
	}
	for p := range newTree {
		if _, ok := oldTree[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	var files []bundle.File
	var payloads [][]byte
	for _, p := range paths {
		o, inOld := oldTree[p]
		n, inNew := newTree[p]
		switch {
		case inOld && inNew && o == n:
			continue
		case !inNew:
			files = append(files, bundle.File{Path: p, Op: bundle.OpDelete, BaseSHA256: sha(o.data), BaseSize: int64(len(o.data))})
			payloads = append(payloads, nil)
			continue
		}
		f := bundle.File{Path: p, Op: bundle.OpAdd, Mode: n.mode, NewSHA256: sha(n.data), Size: int64(len(n.data)), Encoding: bundle.EncodingZstd}
		if inOld {
			f.Op, f.BaseSHA256, f.BaseSize = bundle.OpModify, sha(o.data), int64(len(o.data))
		}
		files = append(files, f)
		payloads = append(payloads, enc.EncodeAll([]byte(n.data), nil))
	}
	meta := bundle.Meta{
		Product: "inventory", Patch: *patch, Platform: *platform,
		Base: ref(base), Target: ref(target), Source: ref(target).Commit,
		Builder: bundle.Builder{Name: "go", Version: runtime.Version()},
		Created: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), Files: files, TagPattern: *pattern,
	}
	meta.Urgency = *urgency
	if *freeze != "" || *requireTest {
		meta.Rollout = &bundle.Rollout{RequireTest: *requireTest}
		if *freeze != "" {
			meta.Rollout.Freeze = []string{*freeze}
		}
	}
	if *requires != "" {
		meta.Requires = strings.Split(*requires, ",")
	}
	if *check != "" {
		meta.HealthCheck = &bundle.HealthCheck{Command: *check, Timeout: *checkTimeout, Attempts: *checkAttempts}
	}
	if *raw {
		ts.Check(os.WriteFile(out, writeRaw(ts, meta, payloads), 0o644))
		return
	}
	f, err := os.Create(out)
	ts.Check(err)
	_, err = bundle.Write(f, meta, payloads)
	ts.Check(errors.Join(err, f.Close()))
}

// writeRaw lays a bundle out as docs/bundle-format.md says, without the
// checks bundle.Write makes, so the reader's own checks can be tested.
func writeRaw(ts *testscript.TestScript, meta bundle.Meta, payloads [][]byte) []byte {
	for i := range meta.Files {
		meta.Files[i].PayloadSize = int64(len(payloads[i]))
	}
	js, err := json.Marshal(meta)
	ts.Check(err)
	var buf bytes.Buffer
	buf.WriteString(bundle.Magic)
	buf.Write([]byte{bundle.Version, 0, 0, 0})
	binary.Write(&buf, binary.BigEndian, uint32(len(js)))
	buf.Write(js)
	for _, p := range payloads {
		buf.Write(p)
	}
	sum := sha256.Sum256(buf.Bytes())
	return append(buf.Bytes(), sum[:]...)
}

type treeFile struct {
	data string
	mode uint32
}

func readTree(ts *testscript.TestScript, root string) map[string]treeFile {
	out := map[string]treeFile{}
	ts.Check(filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		mode := uint32(0o644)
		if fi.Mode()&0o100 != 0 {
			mode = 0o755
		}
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = treeFile{string(data), mode}
		return nil
	}))
	return out
}

func ref(tag string) bundle.Ref {
	sum := sha1.Sum([]byte(tag))
	return bundle.Ref{Tag: tag, Commit: hex.EncodeToString(sum[:])}
}

func sha(data string) string {
	sum := sha256.Sum256([]byte(data))
	return hex.EncodeToString(sum[:])
}

// Package install is the customer side of patchline: it applies a bundle to
// an installed product, rolls a patch back byte for byte, and recovers from
// an apply or rollback that was interrupted half way (a crash, a kill, a
// power cut).
//
// Everything patchline keeps about an install lives under <root>/.patchline/:
//
//	lock                 flock(2) target: one apply, rollback or recover at a time
//	journal.json         the write-ahead journal of the change in progress
//	release.json         the installed release, {tag, commit}
//	receipts/<ID>.json   one per applied patch, kept after rollback as history
//	backups/<ID>/<path>  the files a patch replaced or deleted, for its rollback
//	staging/<ID>/        new files, rebuilt and verified before anything changes
//	trash/<ID>/          files a forced reinstall replaced, dropped at its commit
//
// The journal, and why it is enough:
//
//   - Nothing in the install tree changes before every new file is rebuilt in
//     staging, fsynced and checked against its SHA-256, and before
//     journal.json lists every operation: path, SHA-256 before and after,
//     where the new content waits and where the old content goes.
//   - Each operation is one or two rename(2)s inside one file system. The
//     journal is written once and never updated: which renames happened is
//     read back from the disk (is the new content still waiting?) and checked
//     by hashes, so every step can be redone or undone exactly.
//   - The receipt and release.json are written next; removing the journal is
//     the commit point. Directories are fsynced after every rename.
//   - Recover rolls an interrupted apply forward when it can prove every new
//     file not yet in place is still in staging with the right SHA-256, and
//     undoes it from the backups otherwise. An interrupted rollback is always
//     rolled forward: its sources are the backups, checked before it started.
//     Rollback of the interrupted patch undoes an interrupted apply instead.
//
// Backups are the original files themselves, renamed aside, so a rollback
// restores contents, mode, owner and timestamps exactly.
package install

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/patchline/patchline/internal/bundle"
)

// Errors the CLI maps to exit codes; match them with errors.Is.
var (
	// ErrPrecondition (exit 4): the installed files are not the bundle's
	// base, the patch is already applied (replay), the bundle is older than
	// what is installed (downgrade), it is for another platform, or a path
	// is unsafe to write.
	ErrPrecondition = errors.New("precondition failed")
	// ErrInterrupted (exit 6): the journal of an interrupted apply or
	// rollback exists; `patchline apply --recover` or `patchline rollback`
	// resolves it.
	ErrInterrupted = errors.New("an interrupted apply or rollback was found")
	// ErrVerification (exit 3): a rebuilt file's SHA-256 is not the bundle's
	// new SHA-256, or a delta or zstd payload is corrupt.
	ErrVerification = errors.New("verification failed")
)

// Options says where and how to install.
type Options struct {
	Root  string           // the install root, e.g. /opt/product
	Force bool             // reinstall, downgrade, replay or ignore base hashes anyway; never skips path safety
	Now   func() time.Time // clock for receipts; nil: time.Now
	Log   io.Writer        // progress lines; nil: discarded
	// AfterStep, for the crash test harness only, is called after each
	// durable step with its name: "staged", "journal", "backup:<path>",
	// "swap:<path>", "restore:<path>", "receipt", "commit", "done".
	AfterStep func(step string)
	// Platform is this system as "GOOS/GOARCH"; empty means the running one.
	// Tests set it to install bundles built for another platform.
	Platform string

	// fault, when set, is asked before every change patchline makes to the
	// file system and may fail it, so tests can inject ENOSPC or EROFS
	// without package globals.
	fault func(op, name string) error
}

// Receipt records one applied patch. It stays after a rollback, with
// RolledBackAt set, as history.
type Receipt struct {
	Patch        string        `json:"patch"`
	Platform     string        `json:"platform"`
	BundleDigest string        `json:"bundle_digest"`
	Base         bundle.Ref    `json:"base"`
	Target       bundle.Ref    `json:"target"`
	AppliedAt    time.Time     `json:"applied_at"`
	RolledBackAt *time.Time    `json:"rolled_back_at,omitempty"`
	Forced       bool          `json:"forced,omitempty"` // applied with --force
	Files        []ReceiptFile `json:"files"`
	// CreatedDirs are the directories apply made for new files, parents
	// first; rollback removes them again when they are empty.
	CreatedDirs []string `json:"created_dirs,omitempty"`
}

// ReceiptFile is one file a patch changed.
type ReceiptFile struct {
	Path string `json:"path"`
	Op   string `json:"op"` // the bundle's op: add, modify or delete
	// BaseSHA256 is what rollback restores from backups/<ID>/<path>: the
	// file found before the apply (the bundle's base unless forced). Empty:
	// there was no file, and rollback removes it.
	BaseSHA256 string `json:"base_sha256,omitempty"`
	// NewSHA256 is what apply installed; empty: apply deleted the file.
	NewSHA256 string `json:"new_sha256,omitempty"`
	Mode      uint32 `json:"mode,omitempty"`      // permission bits apply installed
	BaseMode  uint32 `json:"base_mode,omitempty"` // permission bits rollback restores
}

// Installed returns the receipts of root, oldest first, including patches
// that were rolled back. A root patchline never touched has none.
func Installed(root string) ([]Receipt, error) {
	dir := filepath.Join(root, stateDir, receiptsDir)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list receipts: %w", err)
	}
	var out []Receipt
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
			continue
		}
		var r Receipt
		if err := readJSON(filepath.Join(dir, name), &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].AppliedAt.Equal(out[j].AppliedAt) {
			return out[i].AppliedAt.Before(out[j].AppliedAt)
		}
		return out[i].Patch < out[j].Patch
	})
	return out, nil
}

// Names inside the state directory.
const (
	stateDir    = ".patchline"
	lockFile    = "lock"
	journalFile = "journal.json"
	releaseFile = "release.json"
	receiptsDir = "receipts"
	backupsDir  = "backups"
	stagingDir  = "staging"
	trashDir    = "trash"
)

// installer is one apply, rollback or recover on one root: the options and
// what is derived from them, passed along instead of package state.
type installer struct {
	root string // absolute, symlinks of the root itself resolved
	dir  string // root/.patchline
	opts Options
	log  io.Writer
	fs   fsys
}

func newInstaller(opts Options) (*installer, error) {
	if opts.Root == "" {
		return nil, errors.New("no install root given")
	}
	abs, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, fmt.Errorf("install root: %w", err)
	}
	// The root itself may be a symlink (/opt/product -> product-2026.3);
	// below it, nothing is followed.
	root, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("install root: %w", err)
	}
	fi, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("install root: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("install root %s is not a directory", root)
	}
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	return &installer{root: root, dir: filepath.Join(root, stateDir), opts: opts, log: log, fs: fsys{fault: opts.fault}}, nil
}

func (in *installer) now() time.Time {
	if in.opts.Now != nil {
		return in.opts.Now().UTC()
	}
	return time.Now().UTC()
}

func (in *installer) logf(format string, args ...any) {
	fmt.Fprintf(in.log, format+"\n", args...)
}

func (in *installer) step(name string) {
	if in.opts.AfterStep != nil {
		in.opts.AfterStep(name)
	}
}

// path is a bundle path (slash-separated, checked) under the root.
func (in *installer) path(rel string) string {
	return filepath.Join(in.root, filepath.FromSlash(rel))
}

// state is a slash-separated path under .patchline.
func (in *installer) state(rel string) string {
	return filepath.Join(in.dir, filepath.FromSlash(rel))
}

func (in *installer) platform() string {
	if in.opts.Platform != "" {
		return in.opts.Platform
	}
	return runtime.GOOS + "/" + runtime.GOARCH
}

// readReceipt returns receipts/<id>.json, or nil when there is none.
func (in *installer) readReceipt(id string) (*Receipt, error) {
	var r Receipt
	err := readJSON(in.state(receiptsDir+"/"+id+".json"), &r)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// readRelease returns release.json, or nil when there is none.
func (in *installer) readRelease() (*bundle.Ref, error) {
	var r bundle.Ref
	err := readJSON(in.state(releaseFile), &r)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

func readJSON(name string, v any) error {
	data, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	return nil
}

// describe names a release for messages: its tag, else its commit.
func describe(r bundle.Ref) string {
	if r.Tag != "" {
		return r.Tag
	}
	return "commit " + r.Commit
}

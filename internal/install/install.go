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
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/patchline/patchline/internal/bundle"
	"github.com/patchline/patchline/internal/rollout"
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
	// ErrBadArgument (exit 2): the install root is missing or not a
	// directory, or a patch id is not valid.
	ErrBadArgument = errors.New("bad argument")
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

	// DryRun: DryRun's checks only (set by DryRun itself).
	dryRun bool
	// CheckCommand overrides the bundle's health check (apply --check).
	CheckCommand string
	// Sleep waits between health check attempts; nil: time.Sleep.
	Sleep func(time.Duration)
	// Env, Site, Operator and Host are recorded in the receipt; empty
	// values are taken from .patchline/site.toml and the host name.
	Env, Site, Operator, Host string
	// OverrideFreeze is the reason to apply inside a freeze window.
	OverrideFreeze string
	// Evidence is the record of a healthy test install, for production.
	Evidence *rollout.Record

	// fault, when set, is asked before every change patchline makes to the
	// file system and may fail it, so tests can inject ENOSPC or EROFS
	// without package globals.
	fault func(op, name string) error
}

// Receipt records one applied patch. It stays after a rollback, with
// RolledBackAt set, as history.
type Receipt struct {
	Patch        string     `json:"patch"`
	Product      string     `json:"product,omitempty"`
	Platform     string     `json:"platform"`
	BundleDigest string     `json:"bundle_digest"`
	Base         bundle.Ref `json:"base"`
	Target       bundle.Ref `json:"target"`
	AppliedAt    time.Time  `json:"applied_at"`
	RolledBackAt *time.Time `json:"rolled_back_at,omitempty"`
	Forced       bool       `json:"forced,omitempty"` // applied with --force
	// Overrides are the refusals --force overrode, e.g. a bundle built
	// against another release than the installed one.
	Overrides []string `json:"overrides,omitempty"`
	// Replaced is the installed release when it was not the bundle's base
	// (a forced apply): what rollback records as installed again.
	Replaced *bundle.Ref   `json:"replaced,omitempty"`
	Files    []ReceiptFile `json:"files"`
	// CreatedDirs are the directories apply made for new files, parents
	// first; rollback removes them again when they are empty.
	CreatedDirs []string `json:"created_dirs,omitempty"`

	// Who applied it, where: --env, --site, --operator (defaults from
	// .patchline/site.toml) and the host name.
	Env      string `json:"env,omitempty"`
	Site     string `json:"site,omitempty"`
	Operator string `json:"operator,omitempty"`
	Host     string `json:"host,omitempty"`
	// HealthCheck is the check that ran after the swap (the bundle's, or
	// --check), which `patchline check` runs again.
	HealthCheck *bundle.HealthCheck `json:"health_check,omitempty"`
	// Checks are its outcomes, oldest first.
	Checks []CheckOutcome `json:"checks,omitempty"`
	// AutoRolledBack: the health check failed and apply rolled the patch
	// back by itself.
	AutoRolledBack bool `json:"auto_rolled_back,omitempty"`
	// Confirmations are the customer's, recorded with `patchline confirm`.
	Confirmations []Confirmation `json:"confirmations,omitempty"`
	// Freeze is set when the apply fell in a freeze window and went ahead.
	Freeze *FreezeOverride `json:"freeze,omitempty"`
	// Evidence is the test install a production apply relied on.
	Evidence *Evidence `json:"evidence,omitempty"`
}

// CheckOutcome is one run of the health check.
type CheckOutcome struct {
	At       time.Time `json:"at"`
	OK       bool      `json:"ok"`
	Attempts int       `json:"attempts"`
	ExitCode int       `json:"exit_code"`        // of the last attempt; -1 when it timed out or could not start
	Output   string    `json:"output,omitempty"` // the last lines of the last attempt
}

// Confirmation is the customer's word that the patch resolved the issue.
type Confirmation struct {
	By   string    `json:"by"`
	At   time.Time `json:"at"`
	Note string    `json:"note,omitempty"`
}

// FreezeOverride records an apply inside a freeze window.
type FreezeOverride struct {
	Window string    `json:"window"`
	Until  time.Time `json:"until"`
	// Emergency: the patch's urgency let it through; else Reason is the
	// --override-freeze reason.
	Emergency bool   `json:"emergency,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// Evidence names the healthy test install a production apply relied on.
type Evidence struct {
	Site     string    `json:"site,omitempty"`
	Env      string    `json:"env"`
	Host     string    `json:"host,omitempty"`
	Exported time.Time `json:"exported"`
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
	inv, err := Read(root)
	if err != nil {
		return nil, err
	}
	return inv.Receipts, nil
}

// Inventory is what patchline knows of an install root.
type Inventory struct {
	Root        string         `json:"root"`
	Release     *ReleaseRecord `json:"release,omitempty"` // nil: no patch was ever applied
	Receipts    []Receipt      `json:"receipts"`          // oldest first, rolled back ones included
	Interrupted *Interruption  `json:"interrupted,omitempty"`
}

// Read returns the inventory of root, every record checked. It takes no
// lock: it only reads.
func Read(root string) (*Inventory, error) {
	in, err := newInstaller(Options{Root: root})
	if err != nil {
		return nil, err
	}
	if err := checkStateDir(in.dir, in.state(receiptsDir)); err != nil {
		return nil, err
	}
	inv := &Inventory{Root: in.root, Receipts: []Receipt{}}
	if inv.Release, err = in.readRelease(); err != nil {
		return nil, err
	}
	j, err := in.readJournal()
	if err != nil {
		return nil, err
	}
	if j != nil {
		inv.Interrupted = &Interruption{Kind: j.Kind, Patch: j.Patch, Started: j.Started}
	}
	dir := in.state(receiptsDir)
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("list receipts: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp") {
			continue // a record being written, or left by a crash
		}
		r, err := readReceiptFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		inv.Receipts = append(inv.Receipts, *r)
	}
	if inv.Release == nil && len(inv.Receipts) > 0 && inv.Interrupted == nil {
		return nil, stateErr("%s has receipts but no %s: it was removed by something else than patchline", in.dir, releaseFile)
	}
	sort.SliceStable(inv.Receipts, func(i, j int) bool {
		a, b := inv.Receipts[i], inv.Receipts[j]
		if !a.AppliedAt.Equal(b.AppliedAt) {
			return a.AppliedAt.Before(b.AppliedAt)
		}
		if a.Patch != b.Patch {
			return a.Patch < b.Patch
		}
		// The same patch applied twice within the clock's resolution: the
		// delivery that was rolled back came first.
		if (a.RolledBackAt == nil) != (b.RolledBackAt == nil) {
			return a.RolledBackAt != nil
		}
		return a.RolledBackAt != nil && a.RolledBackAt.Before(*b.RolledBackAt)
	})
	return inv, nil
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
		return nil, fmt.Errorf("%w: no install root given", ErrBadArgument)
	}
	abs, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, fmt.Errorf("%w: install root: %w", ErrBadArgument, err)
	}
	// The root itself may be a symlink (/opt/product -> product-2026.3);
	// below it, nothing is followed.
	root, err := filepath.EvalSymlinks(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: install root %s does not exist", ErrBadArgument, opts.Root)
	}
	if err != nil {
		return nil, fmt.Errorf("install root: %w", err)
	}
	fi, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("install root: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%w: install root %s is not a directory", ErrBadArgument, opts.Root)
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

// readReceipt returns receipts/<id>.json, checked, or nil when there is
// none.
func (in *installer) readReceipt(id string) (*Receipt, error) {
	r, err := readReceiptFile(in.state(receiptsDir + "/" + id + ".json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return r, err
}

// readRelease returns release.json, checked, or nil when there is none.
func (in *installer) readRelease() (*ReleaseRecord, error) {
	var r ReleaseRecord
	name := in.state(releaseFile)
	err := decodeState(name, &r)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := r.check(); err != nil {
		return nil, stateErr("%s: %v", name, err)
	}
	return &r, nil
}

// describe names a release for messages: its tag, else its commit.
func describe(r bundle.Ref) string {
	if r.Tag != "" {
		return r.Tag
	}
	return "commit " + r.Commit
}

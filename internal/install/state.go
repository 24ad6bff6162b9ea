package install

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/patchline/patchline/internal/bundle"
	"github.com/patchline/patchline/internal/lazyre"
	"github.com/patchline/patchline/internal/release"
	"github.com/patchline/patchline/internal/textsafe"
)

// Everything under .patchline is read back as untrusted input: the install
// tree is usually writable by the product's service user, while patchline
// often runs as root. A record is used only after it passed the checks a
// bundle passes (paths, ids, hashes), and only when it is a regular file,
// not a link, owned by the user running patchline or by root.

// ErrUnsafeState (exit 3): a file or directory under .patchline is not
// what patchline wrote: a symlink, another owner, an unreadable record or
// one naming a path that leaves the install root. Nothing is touched.
var ErrUnsafeState = errors.New("install state refused")

// maxStateFile bounds a record patchline reads: a receipt of
// bundle.MaxFiles files fits well under it.
const maxStateFile = 64 << 20

// ReleaseRecord is release.json: the installed release, and the newest
// release this install has been brought to, against which every bundle's
// target is compared (a downgrade is refused even after a forced one).
type ReleaseRecord struct {
	bundle.Ref
	// Highest is the tag of the newest release apply installed; a rollback
	// of the patch that brought it lowers it to the restored release.
	Highest string `json:"highest,omitempty"`
}

// highest is the newest release r has been at.
func (r ReleaseRecord) highest() string {
	if r.Highest != "" && release.CompareTags(r.Highest, r.Tag) > 0 {
		return r.Highest
	}
	return r.Tag
}

func stateErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnsafeState, fmt.Sprintf(format, args...))
}

// readStateFile reads one record of the state directory, refusing a
// symlink, a special file (a FIFO would hang the read), a hard-linked file,
// one owned by another user than the one running patchline or root, and
// one over maxStateFile.
func readStateFile(name string) ([]byte, error) {
	fi, err := os.Lstat(name)
	if err != nil {
		return nil, err
	}
	if err := checkStateEntry(name, fi, true); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(name, os.O_RDONLY|openNoFollow|openNonBlock, 0)
	if err != nil {
		return nil, stateErr("open %s: %v", name, err)
	}
	defer f.Close()
	opened, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !os.SameFile(fi, opened) {
		return nil, stateErr("%s changed while it was opened", name)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxStateFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > maxStateFile {
		return nil, stateErr("%s is larger than %d bytes", name, maxStateFile)
	}
	return data, nil
}

// checkStateEntry refuses what patchline never puts in its state directory:
// anything but a directory or a regular file, and, for a record
// (receipts, journal, release.json), more than one link or an owner other
// than the user running patchline or root.
func checkStateEntry(name string, fi fs.FileInfo, record bool) error {
	m := fi.Mode()
	switch {
	case m&fs.ModeSymlink != 0:
		target, _ := os.Readlink(name)
		return stateErr("%s is a symlink (to %s); patchline never puts one in its state directory", name, target)
	case m.IsDir():
		if record {
			return stateErr("%s is a directory, expected a file", name)
		}
		return nil
	case !m.IsRegular():
		return stateErr("%s is a %s, expected a regular file", name, kind(m))
	}
	if !record {
		return nil
	}
	if n := linkCount(fi); n > 1 {
		return stateErr("%s has %d hard links", name, n)
	}
	if uid, _ := owner(fi); uid >= 0 && uid != 0 && uid != os.Geteuid() {
		return stateErr("%s is owned by uid %d, not by uid %d (who runs patchline) or root", name, uid, os.Geteuid())
	}
	return nil
}

// decodeState decodes a record strictly: unknown fields and trailing data
// are refused, like a bundle's metadata.
func decodeState(name string, v any) error {
	data, err := readStateFile(name)
	if err != nil {
		return err
	}
	return decodeStateData(name, data, v)
}

// decodeStateData decodes the bytes of the record name strictly.
func decodeStateData(name string, data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return stateErr("%s is not a valid record: %v", name, err)
	}
	if dec.More() {
		return stateErr("%s: trailing data after the record", name)
	}
	return nil
}

// checkStateTree walks .patchline and refuses anything patchline does not
// put there (symlinks, devices, FIFOs) before a rename or remove could go
// through it, and records that are not the runner's own.
func (in *installer) checkStateTree() error {
	return filepath.WalkDir(in.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return fmt.Errorf("read the state directory: %w", err)
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(in.dir, p)
		rel = filepath.ToSlash(rel)
		record := rel == journalFile || rel == releaseFile || strings.HasPrefix(rel, receiptsDir+"/") && !fi.IsDir()
		if rel == receiptsDir && !fi.IsDir() {
			return stateErr("%s is a %s, expected a directory", p, kind(fi.Mode()))
		}
		return checkStateEntry(p, fi, record)
	})
}

// begin takes the lock, then checks the state directory: from here on,
// no other patchline changes it, nothing in it is a link and every record
// in it is one patchline could have written.
func (in *installer) begin() (unlock func(), err error) {
	unlock, err = in.lock()
	if err != nil {
		return nil, err
	}
	if err := in.checkStateTree(); err != nil {
		unlock()
		return nil, err
	}
	// Every record is checked, not only those this command needs: a
	// forged one means the directory was written by someone else.
	if _, err := Read(in.root); err != nil {
		unlock()
		return nil, err
	}
	return unlock, nil
}

// checkStateDir refuses a state directory (or its receipts directory) that
// is a symlink or not a directory, for readers that take no lock.
func checkStateDir(dirs ...string) error {
	for _, d := range dirs {
		fi, err := os.Lstat(d)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if !fi.IsDir() || fi.Mode()&fs.ModeSymlink != 0 {
			return stateErr("%s is a %s, expected a directory", d, kind(fi.Mode()))
		}
	}
	return nil
}

var (
	hexSHA256 = lazyre.New(`^[0-9a-f]{64}$`)
	stageName = lazyre.New(`^[0-9]{5,9}$`)
)

func checkSum(what, s string) error {
	if s != "" && !hexSHA256.MatchString(s) {
		return fmt.Errorf("%s %q is not a SHA-256", what, s)
	}
	return nil
}

// check refuses a receipt that could not have come from apply: every path
// is checked as a bundle's is.
func (r *Receipt) check() error {
	if !patchID.MatchString(r.Patch) {
		return fmt.Errorf("patch id %q is not valid", r.Patch)
	}
	if !bundle.PlatformPattern.MatchString(r.Platform) {
		return fmt.Errorf("platform %q is not GOOS/GOARCH", r.Platform)
	}
	if !hexSHA256.MatchString(r.BundleDigest) {
		return fmt.Errorf("bundle digest %q is not a SHA-256", r.BundleDigest)
	}
	if err := bundle.CheckRef(r.Base); err != nil {
		return fmt.Errorf("base: %v", err)
	}
	if err := bundle.CheckRef(r.Target); err != nil {
		return fmt.Errorf("target: %v", err)
	}
	if r.Replaced != nil {
		if err := bundle.CheckRef(*r.Replaced); err != nil {
			return fmt.Errorf("replaced: %v", err)
		}
	}
	if r.AppliedAt.IsZero() {
		return errors.New("no applied_at time")
	}
	if len(r.Files) > bundle.MaxFiles {
		return fmt.Errorf("%d files, at most %d", len(r.Files), bundle.MaxFiles)
	}
	seen := make(map[string]bool, len(r.Files))
	for _, f := range r.Files {
		if err := bundle.CheckPath(f.Path); err != nil {
			return err
		}
		if seen[f.Path] {
			return fmt.Errorf("%s is listed twice", f.Path)
		}
		seen[f.Path] = true
		switch f.Op {
		case bundle.OpAdd, bundle.OpModify, bundle.OpDelete:
		default:
			return fmt.Errorf("%s: unknown op %q", f.Path, f.Op)
		}
		if err := errors.Join(checkSum(f.Path+": base_sha256", f.BaseSHA256), checkSum(f.Path+": new_sha256", f.NewSHA256)); err != nil {
			return err
		}
		if f.Mode > 0o777 || f.BaseMode > 0o777 {
			return fmt.Errorf("%s: mode %o or base mode %o is not a permission", f.Path, f.Mode, f.BaseMode)
		}
	}
	if err := checkPaths("created_dirs", r.CreatedDirs); err != nil {
		return err
	}
	for _, f := range []struct{ name, value string }{{"product", r.Product}, {"env", r.Env}, {"site", r.Site}, {"operator", r.Operator}, {"host", r.Host}} {
		if err := checkName(f.name, f.value); err != nil {
			return err
		}
	}
	if hc := r.HealthCheck; hc != nil {
		if err := checkText("health_check.command", hc.Command, maxNote, false); err != nil {
			return err
		}
	}
	if len(r.Checks) > 1000 || len(r.Confirmations) > 1000 {
		return errors.New("more than 1000 checks or confirmations")
	}
	for _, c := range r.Checks {
		if len(c.Output) > 2*maxCheckOutput {
			return errors.New("a check's output is over its bound")
		}
	}
	for _, c := range r.Confirmations {
		if err := errors.Join(checkName("confirmations.by", c.By), checkText("confirmations.note", c.Note, maxNote, true)); err != nil {
			return err
		}
	}
	if f := r.Freeze; f != nil {
		if err := errors.Join(checkName("freeze.window", f.Window), checkText("freeze.reason", f.Reason, maxNote, true)); err != nil {
			return err
		}
	}
	if e := r.Evidence; e != nil {
		if err := errors.Join(checkName("evidence.site", e.Site), checkName("evidence.env", e.Env), checkName("evidence.host", e.Host)); err != nil {
			return err
		}
	}
	return nil
}

func checkPaths(field string, paths []string) error {
	if len(paths) > bundle.MaxFiles {
		return fmt.Errorf("%s: %d entries, at most %d", field, len(paths), bundle.MaxFiles)
	}
	for _, p := range paths {
		if err := bundle.CheckPath(p); err != nil {
			return fmt.Errorf("%s: %v", field, err)
		}
	}
	return nil
}

func (r *ReleaseRecord) check() error {
	if err := bundle.CheckRef(r.Ref); err != nil {
		return err
	}
	if r.Highest != "" {
		if err := bundle.CheckRef(bundle.Ref{Tag: r.Highest, Commit: r.Commit}); err != nil {
			return fmt.Errorf("highest: %v", err)
		}
	}
	return nil
}

// check refuses a journal that names anything but what apply and rollback
// write: install paths checked as a bundle's, state paths only under the
// patch's own staging, backups and trash.
func (j *journal) check() error {
	if !patchID.MatchString(j.Patch) {
		return fmt.Errorf("patch id %q is not valid", j.Patch)
	}
	if len(j.Ops) > bundle.MaxFiles {
		return fmt.Errorf("%d ops, at most %d", len(j.Ops), bundle.MaxFiles)
	}
	staging, backups, trash := stagingDir+"/"+j.Patch, backupsDir+"/"+j.Patch, trashDir+"/"+j.Patch
	seen := make(map[string]bool, len(j.Ops))
	for _, o := range j.Ops {
		if err := bundle.CheckPath(o.Path); err != nil {
			return err
		}
		if seen[o.Path] {
			return fmt.Errorf("%s is listed twice", o.Path)
		}
		seen[o.Path] = true
		if err := errors.Join(checkSum(o.Path+": from", o.From), checkSum(o.Path+": to", o.To)); err != nil {
			return err
		}
		if (o.Source == "") != (o.To == "") {
			return fmt.Errorf("%s: source %q does not go with to %q", o.Path, o.Source, o.To)
		}
		var sourceOK, saveOK bool
		switch j.Kind {
		case kindApply:
			dir, name, _ := strings.Cut(o.Source, staging+"/")
			sourceOK = o.Source == "" || dir == "" && stageName.MatchString(name)
			saveOK = o.Save == "" || o.Save == backups+"/"+o.Path || o.Save == trash+"/"+o.Path
		case kindRollback:
			sourceOK = o.Source == "" || o.Source == backups+"/"+o.Path
			saveOK = o.Save == ""
		}
		if !sourceOK {
			return fmt.Errorf("%s: source %q is not where %s keeps its new files", o.Path, o.Source, j.Kind)
		}
		if !saveOK {
			return fmt.Errorf("%s: save %q is not where %s keeps old files", o.Path, o.Save, j.Kind)
		}
	}
	if err := errors.Join(checkPaths("make_dirs", j.MakeDirs), checkPaths("remove_dirs", j.RemoveDirs)); err != nil {
		return err
	}
	for _, d := range j.RemoveAfter {
		if d != staging && d != trash {
			return fmt.Errorf("remove_after: %q is not this patch's staging or trash", d)
		}
	}
	for _, d := range j.PruneAfter {
		if d != backups {
			return fmt.Errorf("prune_after: %q is not this patch's backups", d)
		}
	}
	if j.Archive != "" {
		n, ok := strings.CutPrefix(j.Archive, receiptsDir+"/"+j.Patch+"~")
		n, ok2 := strings.CutSuffix(n, ".json")
		if _, err := strconv.ParseUint(n, 10, 31); !ok || !ok2 || err != nil {
			return fmt.Errorf("archive %q is not an archived receipt of %s", j.Archive, j.Patch)
		}
	}
	for _, r := range []*Receipt{&j.Receipt, j.PrevReceipt} {
		if r == nil {
			continue
		}
		if err := r.check(); err != nil {
			return fmt.Errorf("receipt: %v", err)
		}
		if r.Patch != j.Patch {
			return fmt.Errorf("receipt of %s in the journal of %s", r.Patch, j.Patch)
		}
	}
	for _, r := range []*ReleaseRecord{&j.Release, j.PrevRelease} {
		if r == nil {
			continue
		}
		if err := r.check(); err != nil {
			return fmt.Errorf("release: %v", err)
		}
	}
	return nil
}

// Bounds on what a receipt records about people and places.
const (
	maxName = 256
	maxNote = 4 << 10
)

// checkName refuses a name (site, operator, who confirmed) that is too long
// or holds control characters: receipts are printed on terminals.
func checkName(field, s string) error {
	return checkText(field, s, maxName, false)
}

// checkText refuses text over limit bytes, not UTF-8, or with control
// characters (newlines and tabs allowed when multiline).
func checkText(field, s string, limit int, multiline bool) error {
	if len(s) > limit {
		return fmt.Errorf("%s: %d bytes, at most %d", field, len(s), limit)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s: not UTF-8", field)
	}
	if _, r, bad := textsafe.FindControl(s, multiline); bad {
		return fmt.Errorf("%s: control character %s", field, textsafe.Describe(r))
	}
	return nil
}

// receiptName reports whether name is a receipt file for patch id:
// <id>.json, or <id>~<n>.json for an archived one.
func receiptName(name, id string) bool {
	rest, ok := strings.CutPrefix(name, id)
	if !ok {
		return false
	}
	if rest == ".json" {
		return true
	}
	n, ok := strings.CutPrefix(rest, "~")
	n, ok2 := strings.CutSuffix(n, ".json")
	_, err := strconv.ParseUint(n, 10, 31)
	return ok && ok2 && err == nil
}

// readReceiptFile reads and checks one receipt file.
func readReceiptFile(name string) (*Receipt, error) {
	var r Receipt
	if err := decodeState(name, &r); err != nil {
		return nil, err
	}
	if err := r.check(); err != nil {
		return nil, stateErr("receipt %s: %v", name, err)
	}
	if !receiptName(filepath.Base(name), r.Patch) {
		return nil, stateErr("receipt %s is the receipt of %s", name, r.Patch)
	}
	return &r, nil
}

// Interruption names an apply or rollback that did not finish.
type Interruption struct {
	Kind    string    `json:"kind"` // apply or rollback
	Patch   string    `json:"patch"`
	Started time.Time `json:"started"`
}

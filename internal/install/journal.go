package install

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

const journalVersion = 1

// Kinds of journal.
const (
	kindApply    = "apply"
	kindRollback = "rollback"
)

// journal is the write-ahead record of one apply or rollback. It is written
// once, before the first change to the install tree, and removed at the
// commit point; progress in between is read back from the disk (see op).
type journal struct {
	Version int       `json:"version"`
	Kind    string    `json:"kind"`
	Patch   string    `json:"patch"`
	State   string    `json:"state"` // "prepared": every source is in place and verified
	Started time.Time `json:"started"`
	Ops     []op      `json:"ops"`
	// MakeDirs (apply) are made before the ops, parents first; undo removes
	// them again.
	MakeDirs []string `json:"make_dirs,omitempty"`
	// RemoveDirs (rollback) are removed after the ops when empty, deepest
	// first.
	RemoveDirs []string `json:"remove_dirs,omitempty"`
	// Receipt and Release are written at the end, before the commit point.
	Receipt Receipt       `json:"receipt"`
	Release ReleaseRecord `json:"release"`
	// What undo puts back: receipts/<ID>.json and release.json as they were
	// (nil: there was none), and an archived copy of the old receipt to drop.
	PrevReceipt *Receipt       `json:"prev_receipt,omitempty"`
	PrevRelease *ReleaseRecord `json:"prev_release,omitempty"`
	Archive     string         `json:"archive,omitempty"`
	// Scratch directories, under .patchline, removed after the commit point:
	// RemoveAfter entirely, PruneAfter only where empty.
	RemoveAfter []string `json:"remove_after,omitempty"`
	PruneAfter  []string `json:"prune_after,omitempty"`
}

// op turns the file at Path from content From into content To (hex SHA-256,
// "" for no file). Source and Save are slash paths under .patchline: where
// To waits ("" when To is no file) and where From goes ("" to discard it).
//
// Progress needs no marks: a rename is atomic, so while Source exists the
// new content is not in place yet, and once it is gone it is. Hashes check
// the rest, which also makes an op whose content does not change (a mode
// change) unambiguous.
type op struct {
	Path   string `json:"path"`
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
	Source string `json:"source,omitempty"`
	Save   string `json:"save,omitempty"`
}

// ensureStateDir makes .patchline, refusing one that is not a real
// directory (a symlink would carry backups and receipts out of the root).
func (in *installer) ensureStateDir() error {
	fi, err := os.Lstat(in.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := in.fs.mkdirAll(in.dir); err != nil {
			return fmt.Errorf("make %s (is the install root writable?): %w", in.dir, err)
		}
		return nil
	case err != nil:
		return err
	case !fi.IsDir() || fi.Mode()&fs.ModeSymlink != 0:
		return stateErr("%s is a %s, expected a directory", in.dir, kind(fi.Mode()))
	}
	return nil
}

func (in *installer) readJournal() (*journal, error) {
	name := in.state(journalFile)
	var j journal
	err := decodeState(name, &j)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if j.Version != journalVersion || (j.Kind != kindApply && j.Kind != kindRollback) {
		return nil, stateErr("journal %s is version %d %q; this patchline reads version %d", name, j.Version, j.Kind, journalVersion)
	}
	if err := j.check(); err != nil {
		return nil, stateErr("journal %s: %v", name, err)
	}
	return &j, nil
}

// interrupted is the error for a command that finds a journal.
func interrupted(j *journal) error {
	return fmt.Errorf("%w: the %s of %s started at %s did not finish: run `patchline apply --recover` to finish it, or `patchline rollback %s` to undo it",
		ErrInterrupted, j.Kind, j.Patch, j.Started.Format(time.RFC3339), j.Patch)
}

// sweep removes what an interrupted run left where no journal refers to it:
// staging and trash (never needed without a journal), temporary files, and
// empty directories of backups. It reports what it removed.
func (in *installer) sweep() ([]string, error) {
	var removed []string
	for _, d := range []string{stagingDir, trashDir} {
		if ok, _ := exists(in.state(d)); ok {
			if err := in.fs.removeAll(in.state(d)); err != nil {
				return removed, err
			}
			removed = append(removed, d)
		}
	}
	for _, d := range []string{"", receiptsDir} {
		tmps, _ := filepath.Glob(filepath.Join(in.state(d), ".*.tmp*"))
		for _, t := range tmps {
			if err := in.fs.remove(t); err != nil {
				return removed, err
			}
			rel, _ := filepath.Rel(in.dir, t)
			removed = append(removed, filepath.ToSlash(rel))
		}
	}
	if err := in.fs.pruneEmpty(in.state(backupsDir)); err != nil {
		return removed, err
	}
	if len(removed) > 0 {
		in.logf("removed leftovers of an interrupted run: %s", strings.Join(removed, ", "))
	}
	return removed, nil
}

// writeJournal is the write-ahead step: after it, the change is resumable.
func (in *installer) writeJournal(j *journal) error {
	j.Version, j.State = journalVersion, "prepared"
	return in.fs.writeJSON(in.state(journalFile), j)
}

// forward does the journal's ops and records, then commits by removing the
// journal. Every part is idempotent, so Recover runs it again after a crash.
// With verify, each file is checked by hash before it is touched: a journal
// found after a crash is not trusted to describe the disk until checked.
// It returns an error only before the commit point.
func (in *installer) forward(j *journal, verify bool) error {
	for _, d := range j.MakeDirs {
		if _, err := in.safeDir(d); err != nil {
			return err
		}
		if err := in.fs.mkdirAll(in.path(d)); err != nil {
			return err
		}
	}
	prefix := "swap:"
	if j.Kind == kindRollback {
		prefix = "restore:"
	}
	for _, o := range j.Ops {
		if err := in.forwardOp(o, prefix, verify); err != nil {
			return err
		}
	}
	for _, d := range j.RemoveDirs {
		if err := in.removeDirIfEmpty(d); err != nil {
			return err
		}
	}
	if j.Archive != "" && j.PrevReceipt != nil {
		if err := in.fs.writeJSON(in.state(j.Archive), j.PrevReceipt); err != nil {
			return err
		}
	}
	if err := in.fs.writeJSON(in.state(receiptsDir+"/"+j.Patch+".json"), &j.Receipt); err != nil {
		return err
	}
	if err := in.fs.writeJSON(in.state(releaseFile), &j.Release); err != nil {
		return err
	}
	in.step("receipt")
	if err := in.fs.remove(in.state(journalFile)); err != nil {
		return err
	}
	in.step("commit")
	in.cleanup(j)
	in.step("done")
	return nil
}

// cleanup removes the scratch of a committed or undone journal. A failure
// only leaves what the next sweep removes, so it is logged, not returned.
func (in *installer) cleanup(j *journal) {
	var errs []error
	for _, d := range j.RemoveAfter {
		errs = append(errs, in.fs.removeAll(in.state(d)))
	}
	for _, d := range j.PruneAfter {
		errs = append(errs, in.fs.pruneEmpty(in.state(d)))
	}
	for _, d := range []string{stagingDir, trashDir, backupsDir, receiptsDir} {
		errs = append(errs, in.fs.pruneEmpty(in.state(d)))
	}
	if err := errors.Join(errs...); err != nil {
		in.logf("warning: could not remove scratch files (the next run removes them): %v", err)
	}
}

// forwardOp brings one file to o.To.
func (in *installer) forwardOp(o op, prefix string, verify bool) error {
	place := in.path(o.Path)
	cur, err := in.inspect(o.Path, verify)
	if err != nil {
		return err
	}
	waiting := false
	if o.Source != "" {
		if waiting, err = exists(in.state(o.Source)); err != nil {
			return err
		}
		if !waiting {
			// Already in place: the rename of the source is the last step.
			if verify && cur.sha != o.To {
				return conflict(o, cur.sha)
			}
			return nil
		}
	}
	if cur.exists {
		if o.From == "" {
			return fmt.Errorf("%s: a file appeared that was not there when the change started (sha256 %s)", o.Path, shortSum(cur.sha))
		}
		if verify && cur.sha != o.From {
			return conflict(o, cur.sha)
		}
		switch {
		case o.Save != "":
			if err := in.fs.mkdirAll(filepath.Dir(in.state(o.Save))); err != nil {
				return err
			}
			if err := in.fs.rename(place, in.state(o.Save)); err != nil {
				return err
			}
			if waiting {
				in.step("backup:" + o.Path)
			}
		case !waiting:
			if err := in.fs.remove(place); err != nil {
				return err
			}
		}
	} else if o.Save != "" && o.From != "" {
		// The old content must have been saved already, or it is lost.
		saved, err := exists(in.state(o.Save))
		if err == nil && saved && verify {
			var sum string
			sum, err = hashFile(in.state(o.Save))
			saved = sum == o.From
		}
		if err != nil || !saved {
			return fmt.Errorf("%s: neither the file nor its backup %s is there with sha256 %s", o.Path, o.Save, shortSum(o.From))
		}
	}
	if waiting {
		if cur.missing != "" {
			if err := in.fs.mkdirAll(filepath.Dir(place)); err != nil {
				return err
			}
		}
		if err := in.fs.rename(in.state(o.Source), place); err != nil {
			return err
		}
	}
	in.step(prefix + o.Path)
	return nil
}

func conflict(o op, found string) error {
	return fmt.Errorf("%s: found sha256 %s, expected %s (before) or %s (after); it was changed by something else than patchline",
		o.Path, shortSum(found), shortSum(o.From), shortSum(o.To))
}

// provable checks that an interrupted journal can be rolled forward: each
// source not yet moved is still there with the SHA-256 it was verified with.
func (in *installer) provable(j *journal) error {
	for _, o := range j.Ops {
		if o.Source == "" {
			continue
		}
		sum, err := hashIfExists(in.state(o.Source))
		if err != nil {
			return err
		}
		if sum == "" {
			// Moved into place already, or lost: the file must be the new one.
			got, err := in.inspect(o.Path, true)
			if err != nil {
				return err
			}
			if got.sha != o.To {
				return fmt.Errorf("%s: %s is gone and the file has sha256 %s, not %s", o.Path, o.Source, shortSum(got.sha), shortSum(o.To))
			}
			continue
		}
		if sum != o.To {
			return fmt.Errorf("%s: %s has sha256 %s, not %s", o.Path, o.Source, shortSum(sum), shortSum(o.To))
		}
	}
	return nil
}

// undo takes an apply journal back: every saved file returns to its place
// (by hash, so a half-done swap is handled), added files go, made
// directories go, and the receipt and release.json are what they were. The
// tree is then the old release exactly.
func (in *installer) undo(j *journal) error {
	for i := len(j.Ops) - 1; i >= 0; i-- {
		if err := in.undoOp(j.Ops[i]); err != nil {
			return err
		}
	}
	for i := len(j.MakeDirs) - 1; i >= 0; i-- {
		if err := in.removeDirIfEmpty(j.MakeDirs[i]); err != nil {
			return err
		}
	}
	rec := in.state(receiptsDir + "/" + j.Patch + ".json")
	var err error
	if j.PrevReceipt != nil {
		err = in.fs.writeJSON(rec, j.PrevReceipt)
	} else {
		err = in.fs.remove(rec)
	}
	if err != nil {
		return err
	}
	if j.Archive != "" {
		if err := in.fs.remove(in.state(j.Archive)); err != nil {
			return err
		}
	}
	if j.PrevRelease != nil {
		err = in.fs.writeJSON(in.state(releaseFile), j.PrevRelease)
	} else {
		err = in.fs.remove(in.state(releaseFile))
	}
	if err != nil {
		return err
	}
	if err := in.fs.remove(in.state(journalFile)); err != nil {
		return err
	}
	in.cleanup(j)
	return nil
}

func (in *installer) undoOp(o op) error {
	place := in.path(o.Path)
	cur, err := in.inspect(o.Path, true)
	if err != nil {
		return err
	}
	if o.Save != "" {
		sum, err := hashIfExists(in.state(o.Save))
		if err != nil {
			return err
		}
		if sum != "" {
			if sum != o.From {
				return fmt.Errorf("%s: its backup %s has sha256 %s, expected %s", o.Path, o.Save, shortSum(sum), shortSum(o.From))
			}
			if cur.exists && cur.sha != o.To {
				return conflict(o, cur.sha)
			}
			return in.fs.rename(in.state(o.Save), place)
		}
	}
	if cur.sha == o.From {
		return nil // never touched, or already put back
	}
	if o.From == "" && cur.sha == o.To {
		return in.fs.remove(place) // a new file, placed
	}
	return conflict(o, cur.sha)
}

// removeDirIfEmpty removes a directory patchline made, unless something
// else now lives in it.
func (in *installer) removeDirIfEmpty(rel string) error {
	if ok, err := in.safeDir(rel); err != nil || !ok {
		return err
	}
	// ENOTEMPTY is fs.ErrExist to errors.Is.
	err := in.fs.remove(in.path(rel))
	if errors.Is(err, fs.ErrExist) {
		in.logf("kept directory %s: it holds files patchline did not put there", rel)
		return nil
	}
	return err
}

// Recover finishes or undoes an interrupted apply or rollback and says
// which. An apply is rolled forward when every new file not yet in place is
// proven present in staging with its verified SHA-256 (provable), and undone
// from the backups otherwise; a rollback is always rolled forward, from
// backups checked before it began. Without a journal there is nothing to
// recover, though leftovers of a run killed after its commit point are
// removed.
func Recover(opts Options) (string, error) {
	in, err := newInstaller(opts)
	if err != nil {
		return "", err
	}
	unlock, err := in.begin()
	if err != nil {
		return "", err
	}
	defer unlock()
	j, err := in.readJournal()
	if err != nil {
		return "", err
	}
	if j == nil {
		removed, err := in.sweep()
		if err != nil {
			return "", err
		}
		if len(removed) > 0 {
			return "nothing to recover; removed leftovers of an interrupted run", nil
		}
		return "nothing to recover", nil
	}
	return in.recover(j)
}

func (in *installer) recover(j *journal) (string, error) {
	if err := in.provable(j); err != nil {
		if j.Kind == kindRollback {
			return "", fmt.Errorf("%w: cannot finish the rollback of %s: %w", ErrInterrupted, j.Patch, err)
		}
		in.logf("cannot finish the apply of %s (%v); undoing it", j.Patch, err)
		if err := in.undo(j); err != nil {
			return "", fmt.Errorf("%w: undo the apply of %s: %w", ErrInterrupted, j.Patch, err)
		}
		return fmt.Sprintf("undid the interrupted apply of %s: %s is installed as before", j.Patch, describePrev(j)), nil
	}
	in.logf("finishing the interrupted %s of %s", j.Kind, j.Patch)
	if err := in.forward(j, true); err != nil {
		return "", fmt.Errorf("%w: finish the %s of %s: %w", ErrInterrupted, j.Kind, j.Patch, err)
	}
	if j.Kind == kindRollback {
		return fmt.Sprintf("finished the interrupted rollback of %s: %s is installed again", j.Patch, describe(j.Release.Ref)), nil
	}
	return fmt.Sprintf("finished the interrupted apply of %s: %s is installed", j.Patch, describe(j.Release.Ref)), nil
}

func describePrev(j *journal) string {
	if j.PrevRelease != nil {
		return describe(j.PrevRelease.Ref)
	}
	return describe(j.Receipt.Base)
}

// dirsOf lists the directories of p, parents first: a/b/c -> a, a/b.
func dirsOf(p string) []string {
	var out []string
	for d := path.Dir(p); d != "."; d = path.Dir(d) {
		out = append([]string{d}, out...)
	}
	return out
}

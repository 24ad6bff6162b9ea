package install

import (
	"errors"
	"fmt"
	"strings"

	"github.com/patchline/patchline/internal/release"
)

// Rollback undoes the applied patch id byte for byte: every file it
// touched gets back the content, mode and owner it had (they are the
// original files, kept in backups/<id>/), files it added go, and
// release.json is its base again. It refuses, before writing anything, a
// patch that is not applied, one with a newer patch applied over it, and
// files changed since the patch installed them (--force skips the last two
// checks, never a missing or damaged backup or an unsafe path).
//
// When an apply of id was interrupted, Rollback undoes it (the exit-6 advice
// names both `apply --recover` and `rollback`); when a rollback of id was
// interrupted, it finishes it. The receipt returned for an undone
// interrupted apply is not stored: that apply never committed.
func Rollback(id string, opts Options) (*Receipt, error) {
	in, err := newInstaller(opts)
	if err != nil {
		return nil, err
	}
	if !patchID.MatchString(id) {
		return nil, fmt.Errorf("%w: %q is not a patch id (letters, digits, '.', '_' and '-', such as PL-2026-0007)", ErrBadArgument, id)
	}
	unlock, err := in.begin()
	if err != nil {
		return nil, err
	}
	defer unlock()
	j, err := in.readJournal()
	if err != nil {
		return nil, err
	}
	if j != nil {
		return in.rollbackInterrupted(id, j)
	}
	return in.rollbackLocked(id)
}

// rollbackLocked is Rollback with the lock held and no journal.
func (in *installer) rollbackLocked(id string) (*Receipt, error) {
	if _, err := in.sweep(); err != nil {
		return nil, err
	}
	j, err := in.planRollback(id)
	if err != nil {
		return nil, err
	}
	if err := in.writeJournal(j); err != nil {
		return nil, fmt.Errorf("rollback %s: write the journal: %w (nothing was changed)", id, err)
	}
	in.step("journal")
	in.logf("restoring %d files", len(j.Ops))
	if err := in.forward(j, false); err != nil {
		// Files already restored cannot be undone (a rollback does not keep
		// what it overwrote), but every restore left is possible: finish.
		in.logf("rollback interrupted (%v); run `patchline apply --recover` to finish it", err)
		return nil, fmt.Errorf("%w: rollback %s: %w", ErrInterrupted, id, err)
	}
	in.logf("rolled back %s: %s is installed again", id, describe(j.Release.Ref))
	return &j.Receipt, nil
}

func (in *installer) rollbackInterrupted(id string, j *journal) (*Receipt, error) {
	if j.Patch != id {
		return nil, interrupted(j)
	}
	if j.Kind == kindRollback {
		if _, err := in.recover(j); err != nil {
			return nil, err
		}
		return &j.Receipt, nil
	}
	in.logf("undoing the interrupted apply of %s", id)
	if err := in.undo(j); err != nil {
		return nil, fmt.Errorf("%w: undo the apply of %s: %w", ErrInterrupted, id, err)
	}
	r := j.Receipt
	at := in.now()
	r.RolledBackAt = &at
	return &r, nil
}

// planRollback checks every precondition of rolling back id and returns
// its journal, writing nothing.
func (in *installer) planRollback(id string) (*journal, error) {
	force := in.opts.Force
	rec, err := in.readReceipt(id)
	if err != nil {
		return nil, err
	}
	all, err := Installed(in.root)
	if err != nil {
		return nil, err
	}
	var applied, newer []string
	for _, r := range all {
		if r.RolledBackAt != nil {
			continue
		}
		applied = append(applied, r.Patch)
		if rec != nil && r.Patch != id && r.AppliedAt.After(rec.AppliedAt) {
			newer = append(newer, r.Patch)
		}
	}
	switch {
	case rec == nil:
		if len(applied) == 0 {
			return nil, fmt.Errorf("%w: %s is not installed; no patch is", ErrPrecondition, id)
		}
		return nil, fmt.Errorf("%w: %s is not installed; installed: %s", ErrPrecondition, id, strings.Join(applied, ", "))
	case rec.RolledBackAt != nil:
		return nil, fmt.Errorf("%w: %s was already rolled back at %s", ErrPrecondition, id, rec.RolledBackAt.Format("2006-01-02 15:04:05Z07:00"))
	case len(newer) > 0 && !force:
		return nil, fmt.Errorf("%w: %s is not the last patch applied: %s was applied over it; roll back %s first, or use --force",
			ErrPrecondition, id, strings.Join(newer, ", "), newer[len(newer)-1])
	}

	in.logf("checking %d files", len(rec.Files))
	var changed, broken []string
	installed, err := in.readRelease()
	if err != nil {
		return nil, err
	}
	// Rolling back is a deliberate step down: the bar for downgrades goes
	// down with it, unless the install has been higher than this patch.
	next := ReleaseRecord{Ref: rec.Base}
	if rec.Replaced != nil {
		next.Ref = *rec.Replaced
	}
	if installed != nil {
		if h := installed.highest(); release.CompareTags(h, rec.Target.Tag) > 0 {
			next.Highest = h
		}
	}
	j := &journal{Kind: kindRollback, Patch: id, Started: in.now(), Release: next, PruneAfter: []string{backupsDir + "/" + id}}
	for _, f := range rec.Files {
		cur, err := in.inspect(f.Path, true)
		if errors.Is(err, ErrPrecondition) {
			broken = append(broken, strings.TrimPrefix(err.Error(), ErrPrecondition.Error()+": "))
			continue
		}
		if err != nil {
			return nil, err
		}
		if cur.sha != f.NewSHA256 && !force {
			changed = append(changed, fmt.Sprintf("%s: expected sha256 %s (installed by %s), found %s", f.Path, shortSum(f.NewSHA256), id, shortSum(cur.sha)))
		}
		o := op{Path: f.Path, From: cur.sha, To: f.BaseSHA256}
		if f.BaseSHA256 != "" {
			o.Source = backupsDir + "/" + id + "/" + f.Path
			sum, err := hashIfExists(in.state(o.Source))
			if err != nil {
				return nil, err
			}
			if sum != f.BaseSHA256 {
				broken = append(broken, fmt.Sprintf("%s: its backup %s has sha256 %s, expected %s; it cannot be restored", f.Path, in.state(o.Source), shortSum(sum), shortSum(f.BaseSHA256)))
			}
		} else if !cur.exists {
			continue // added by the patch and already gone
		}
		j.Ops = append(j.Ops, o)
	}
	if len(broken) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrPrecondition, listProblems(broken, "files cannot be restored"))
	}
	if len(changed) > 0 {
		return nil, fmt.Errorf("%w: %s\nuse --force to overwrite them with the base anyway", ErrPrecondition, listProblems(changed, "files changed since "+id+" was applied"))
	}
	for i := len(rec.CreatedDirs) - 1; i >= 0; i-- {
		j.RemoveDirs = append(j.RemoveDirs, rec.CreatedDirs[i])
	}
	j.Receipt = *rec
	at := j.Started
	j.Receipt.RolledBackAt = &at
	return j, nil
}

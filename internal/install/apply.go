package install

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/patchline/patchline/internal/bundle"
	"github.com/patchline/patchline/internal/delta"
	"github.com/patchline/patchline/internal/release"
)

// Apply installs b on opts.Root: it refuses, before writing anything, a
// bundle for another platform, a replay, a downgrade, installed files that
// are not the bundle's base and unsafe paths; rebuilds and verifies every
// new file in staging; then swaps the files under a write-ahead journal and
// writes the receipt. On an error after the first swap it undoes what it
// did, so the old release stays installed.
func Apply(b *bundle.Bundle, opts Options) (*Receipt, error) {
	in, err := newInstaller(opts)
	if err != nil {
		return nil, err
	}
	m := &b.Meta
	if m.Platform != in.platform() {
		return nil, fmt.Errorf("%w: the bundle is for %s, this system is %s; use the bundle %s", ErrPrecondition, m.Platform, in.platform(), bundle.FileName(m.Patch, m.Base.Tag, in.platform()))
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
		return nil, interrupted(j)
	}
	if _, err := in.sweep(); err != nil {
		return nil, err
	}

	in.logf("checking %d files", len(m.Files))
	j, err = in.plan(b)
	if err != nil {
		return nil, err
	}
	if _, err := in.checkRoom(b, j); err != nil {
		return nil, err
	}
	in.logf("rebuilding %d files in staging", countSources(j))
	if err := in.stage(b, j); err != nil {
		in.discardStaging(m.Patch)
		return nil, fmt.Errorf("apply %s: %w (nothing was changed)", m.Patch, err)
	}
	in.step("staged")
	if err := in.writeJournal(j); err != nil {
		in.discardStaging(m.Patch)
		return nil, fmt.Errorf("apply %s: write the journal: %w (nothing was changed)", m.Patch, err)
	}
	in.step("journal")
	in.logf("swapping %d files", len(j.Ops))
	if err := in.forward(j, false); err != nil {
		in.logf("apply failed (%v); putting the old release back", err)
		if uerr := in.undo(j); uerr != nil {
			return nil, fmt.Errorf("apply %s: %w; undoing it failed too: %w", m.Patch, err, errors.Join(ErrInterrupted, uerr))
		}
		return nil, fmt.Errorf("apply %s: %w (the old release is installed as before)", m.Patch, err)
	}
	in.logf("applied %s: %s -> %s", m.Patch, describe(m.Base), describe(m.Target))
	rec := j.Receipt
	if err := in.afterSwap(&rec, effectiveCheck(in.opts.CheckCommand, m.HealthCheck)); err != nil {
		return &rec, err
	}
	return &rec, nil
}

// DryRun makes every check Apply makes (platform, state, release, files,
// prerequisites, room and file systems) and returns the plan, writing
// nothing: no lock, no state directory, no receipt.
func DryRun(b *bundle.Bundle, opts Options) (*Plan, error) {
	opts.dryRun = true
	in, err := newInstaller(opts)
	if err != nil {
		return nil, err
	}
	m := &b.Meta
	if m.Platform != in.platform() {
		return nil, fmt.Errorf("%w: the bundle is for %s, this system is %s; use the bundle %s", ErrPrecondition, m.Platform, in.platform(), bundle.FileName(m.Patch, m.Base.Tag, in.platform()))
	}
	if err := checkStateDir(in.dir); err != nil {
		return nil, err
	}
	if ok, _ := exists(in.dir); ok {
		if err := in.checkStateTree(); err != nil {
			return nil, err
		}
	}
	inv, err := Read(in.root)
	if err != nil {
		return nil, err
	}
	if inv.Interrupted != nil {
		return nil, fmt.Errorf("%w: the %s of %s started at %s did not finish: run `patchline apply --recover` to finish it, or `patchline rollback %s` to undo it",
			ErrInterrupted, inv.Interrupted.Kind, inv.Interrupted.Patch, inv.Interrupted.Started.Format(time.RFC3339), inv.Interrupted.Patch)
	}
	j, err := in.plan(b)
	if err != nil {
		return nil, err
	}
	room, err := in.checkRoom(b, j)
	if err != nil {
		return nil, err
	}
	p := &Plan{Patch: m.Patch, Platform: m.Platform, Base: m.Base, Target: m.Target, Room: room, Receipt: j.Receipt}
	sizes := make(map[string]int64, len(m.Files))
	for _, f := range m.Files {
		sizes[f.Path] = f.Size
	}
	for _, f := range j.Receipt.Files {
		p.Files = append(p.Files, PlannedFile{Path: f.Path, Op: f.Op, Size: sizes[f.Path]})
	}
	p.HealthCheck = effectiveCheck(in.opts.CheckCommand, m.HealthCheck)
	return p, nil
}

// Plan is what an apply would do.
type Plan struct {
	Patch       string              `json:"patch"`
	Platform    string              `json:"platform"`
	Base        bundle.Ref          `json:"base"`
	Target      bundle.Ref          `json:"target"`
	Files       []PlannedFile       `json:"files"`
	Room        Room                `json:"room"`
	HealthCheck *bundle.HealthCheck `json:"health_check,omitempty"`
	Receipt     Receipt             `json:"receipt"` // what apply would record
}

// PlannedFile is one file an apply would change.
type PlannedFile struct {
	Path string `json:"path"`
	Op   string `json:"op"`
	Size int64  `json:"size,omitempty"` // of the new file
}

// A patch id names directories and files under .patchline: bundle.PatchID
// checks every one, from a bundle, the command line or a record.
var patchID = bundle.PatchID

// plan checks every precondition and returns the journal of the apply
// without writing anything. Refusals about files are collected, so one run
// names every file that is not as expected.
func (in *installer) plan(b *bundle.Bundle) (*journal, error) {
	m := &b.Meta
	force := in.opts.Force
	prev, err := in.readReceipt(m.Patch)
	if err != nil {
		return nil, err
	}
	// Refusals --force may override are collected apart from those it
	// never does, and what it overrode is kept in the receipt.
	var problems, forcible []string
	refuse := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	forbid := func(format string, args ...any) { forcible = append(forcible, fmt.Sprintf(format, args...)) }
	// A forced reinstall of an applied patch: its first apply's backups
	// stay what rollback restores.
	var active map[string]ReceiptFile
	if prev != nil && prev.RolledBackAt == nil {
		if !force {
			return nil, fmt.Errorf("%w: %s is already applied (at %s, %s -> %s); use --force to reinstall it",
				ErrPrecondition, m.Patch, prev.AppliedAt.Format("2006-01-02 15:04:05Z07:00"), describe(prev.Base), describe(prev.Target))
		}
		forcible = append(forcible, fmt.Sprintf("%s was already applied", m.Patch))
		active = make(map[string]ReceiptFile, len(prev.Files))
		for _, f := range prev.Files {
			active[f.Path] = f
		}
	}
	if len(m.Requires) > 0 {
		inv, err := Read(in.root)
		if err != nil {
			return nil, err
		}
		if err := checkRequires(m, inv.Receipts); err != nil {
			return nil, err
		}
	}
	installed, err := in.readRelease()
	if err != nil {
		return nil, err
	}
	next := ReleaseRecord{Ref: m.Target}
	// begin refused receipts without release.json.
	if installed != nil {
		if err := checkRelease(m, *installed); err != nil {
			if !force {
				return nil, err
			}
			forcible = append(forcible, strings.TrimPrefix(err.Error(), ErrPrecondition.Error()+": "))
		}
		if h := installed.highest(); release.CompareTags(h, m.Target.Tag) > 0 {
			next.Highest = h // a forced downgrade does not lower the bar
		}
	}

	paths := make(map[string]bool, len(m.Files))
	for _, f := range m.Files {
		paths[f.Path] = true
	}
	j := &journal{Kind: kindApply, Patch: m.Patch, Started: in.now(), Release: next, PrevReceipt: prev, PrevRelease: installed,
		RemoveAfter: []string{stagingDir + "/" + m.Patch, trashDir + "/" + m.Patch}}
	rec := Receipt{Patch: m.Patch, Product: m.Product, Platform: m.Platform, BundleDigest: b.Digest, Base: m.Base, Target: m.Target, AppliedAt: j.Started, Forced: force,
		Env: in.opts.Env, Site: in.opts.Site, Operator: in.opts.Operator, Host: in.opts.Host}
	if rec.Host == "" {
		rec.Host, _ = os.Hostname()
	}
	if err := in.policy(b, &rec); err != nil {
		return nil, err
	}
	for _, f := range []struct{ name, value string }{{"--env", rec.Env}, {"--site", rec.Site}, {"--operator", rec.Operator}, {"host name", rec.Host}} {
		if err := checkName(f.name, f.value); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadArgument, err)
		}
	}
	made := map[string]bool{}
	for i, f := range m.Files {
		for _, d := range dirsOf(f.Path) {
			if paths[d] {
				refuse("%s: the bundle also installs %s as a file", f.Path, d)
			}
		}
		cur, err := in.inspect(f.Path, true)
		if errors.Is(err, ErrPrecondition) {
			problems = append(problems, strings.TrimPrefix(err.Error(), ErrPrecondition.Error()+": "))
			continue
		}
		if err != nil {
			return nil, err
		}
		switch {
		case f.Op != bundle.OpAdd && !cur.exists:
			forbid("%s: expected the base file (sha256 %s, %s), found none", f.Path, shortSum(f.BaseSHA256), describe(m.Base))
		case f.Op != bundle.OpAdd && cur.exists && cur.sha != f.BaseSHA256:
			forbid("%s: expected sha256 %s (the base, %s), found %s", f.Path, shortSum(f.BaseSHA256), describe(m.Base), shortSum(cur.sha))
		case f.Op == bundle.OpAdd && cur.exists:
			forbid("%s: the patch adds this file, but one is already there (sha256 %s)", f.Path, shortSum(cur.sha))
		}
		if f.Op == bundle.OpDelete && !cur.exists {
			continue // forced, and already gone: nothing to do or undo
		}
		o := op{Path: f.Path, From: cur.sha, To: f.NewSHA256}
		rf := ReceiptFile{Path: f.Path, Op: f.Op, BaseSHA256: cur.sha, NewSHA256: f.NewSHA256, Mode: f.Mode, BaseMode: uint32(cur.mode)}
		backup := backupsDir + "/" + m.Patch + "/" + f.Path
		if cur.exists {
			o.Save = backup
		}
		if pf, ok := active[f.Path]; ok {
			rf.BaseSHA256, rf.BaseMode = pf.BaseSHA256, pf.BaseMode
			if cur.exists {
				o.Save = trashDir + "/" + m.Patch + "/" + f.Path
			}
			delete(active, f.Path)
		} else if cur.exists {
			if ok, err := exists(in.state(backup)); err != nil || ok {
				refuse("%s: a backup from an earlier apply is in the way: %s", f.Path, in.state(backup))
			}
		}
		if f.Op != bundle.OpDelete {
			o.Source = fmt.Sprintf("%s/%s/%05d", stagingDir, m.Patch, i)
		}
		// Without --force a base mismatch is refused above already.
		if force && f.Encoding == bundle.EncodingDelta && cur.sha != f.BaseSHA256 && rf.BaseSHA256 != f.BaseSHA256 {
			refuse("%s: the payload is a delta against sha256 %s, found %s; it cannot be rebuilt, even with --force", f.Path, shortSum(f.BaseSHA256), shortSum(cur.sha))
		}
		if cur.missing != "" && f.Op != bundle.OpDelete {
			for _, d := range dirsOf(f.Path) {
				if !made[d] && (d == cur.missing || strings.HasPrefix(d, cur.missing+"/")) {
					made[d] = true
					j.MakeDirs = append(j.MakeDirs, d)
				}
			}
		}
		j.Ops = append(j.Ops, o)
		rec.Files = append(rec.Files, rf)
	}
	if !force {
		problems = append(problems, forcible...)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrPrecondition, listProblems(problems, "installed files are not as "+m.Patch+" expects"))
	}
	if force {
		rec.Overrides = forcible
		if installed != nil && installed.Ref != m.Base {
			replaced := installed.Ref
			rec.Replaced = &replaced
		}
	}
	rec.CreatedDirs = j.MakeDirs
	if prev != nil && prev.RolledBackAt == nil {
		// Files of the first apply this bundle no longer lists stay applied.
		for _, f := range prev.Files {
			if _, ok := active[f.Path]; ok {
				rec.Files = append(rec.Files, f)
			}
		}
		sort.Slice(rec.Files, func(a, b int) bool { return rec.Files[a].Path < rec.Files[b].Path })
		rec.CreatedDirs = append(append([]string(nil), prev.CreatedDirs...), j.MakeDirs...)
	}
	if prev != nil && prev.RolledBackAt != nil {
		// A reapply after a rollback: the old receipt stays as history.
		j.Archive, err = in.archiveName(m.Patch)
		if err != nil {
			return nil, err
		}
	}
	j.Receipt = rec
	return j, nil
}

// checkRelease refuses a bundle built against another release than the
// installed one (whatever files it touches: a bundle from v2026.3.1 that
// only adds a file would otherwise install on v2026.3.0 and claim
// v2026.3.2), and one whose target is older than the newest release the
// install has been at. Tags compare by their version numbers (v2026.3.10
// is newer than v2026.3.9).
func checkRelease(m *bundle.Meta, installed ReleaseRecord) error {
	if h := installed.highest(); release.CompareTags(m.Target.Tag, h) < 0 {
		than := "the installed " + h
		if h != installed.Tag {
			than = h + ", the newest release this install has been at"
		}
		return fmt.Errorf("%w: the bundle installs %s, older than %s: that would be a downgrade; use --force to downgrade anyway", ErrPrecondition, m.Target.Tag, than)
	}
	if m.Target == installed.Ref {
		return fmt.Errorf("%w: %s is already installed; use --force to reinstall it", ErrPrecondition, describe(m.Target))
	}
	if m.Base != installed.Ref {
		if m.Base.Tag == installed.Tag {
			return fmt.Errorf("%w: the bundle is built against %s at commit %s, but this install's %s is commit %s: another build of the tag; use --force to apply it anyway",
				ErrPrecondition, m.Base.Tag, shortSum(m.Base.Commit), installed.Tag, shortSum(installed.Commit))
		}
		return fmt.Errorf("%w: the bundle is built against %s, but %s is installed; use the bundle built from %s (patchline build --from %s), or --force to apply it anyway",
			ErrPrecondition, describe(m.Base), describe(installed.Ref), installed.Tag, installed.Tag)
	}
	return nil
}

// archiveName is where the receipt of a rolled-back patch goes when the
// patch is applied again: receipts/<ID>~<n>.json.
func (in *installer) archiveName(id string) (string, error) {
	for n := 1; ; n++ {
		name := fmt.Sprintf("%s/%s~%d.json", receiptsDir, id, n)
		ok, err := exists(in.state(name))
		if err != nil {
			return "", err
		}
		if !ok {
			return name, nil
		}
	}
}

func listProblems(problems []string, title string) string {
	if len(problems) == 1 {
		return problems[0]
	}
	return fmt.Sprintf("%d %s:\n  %s", len(problems), title, strings.Join(problems, "\n  "))
}

func countSources(j *journal) int {
	n := 0
	for _, o := range j.Ops {
		if o.Source != "" {
			n++
		}
	}
	return n
}

// stage rebuilds every new file of j into staging/<ID>/ and checks it
// against the bundle, so nothing in the install tree changes before every
// new file is known good and durable.
func (in *installer) stage(b *bundle.Bundle, j *journal) error {
	dir := in.state(stagingDir + "/" + b.Meta.Patch)
	if err := in.fs.mkdirAll(dir); err != nil {
		return fmt.Errorf("make the staging directory: %w", err)
	}
	byPath := make(map[string]op, len(j.Ops))
	for _, o := range j.Ops {
		byPath[o.Path] = o
	}
	for i, f := range b.Meta.Files {
		o, ok := byPath[f.Path]
		if !ok || o.Source == "" {
			continue
		}
		if err := in.stageFile(b, i, o); err != nil {
			return err
		}
	}
	return syncDir(dir)
}

func (in *installer) stageFile(b *bundle.Bundle, i int, o op) error {
	f := b.Meta.Files[i]
	var base *os.File
	if f.Encoding == bundle.EncodingDelta {
		var err error
		if base, err = in.openBase(b.Meta.Patch, f); err != nil {
			return err
		}
		defer base.Close()
	}
	name := in.state(o.Source)
	out, err := in.fs.create(name)
	if err != nil {
		return fmt.Errorf("stage %s: %w", f.Path, err)
	}
	sum := sha256.New()
	fw := in.fs.writer(name, out)
	cw := &countWriter{w: io.MultiWriter(fw, sum)}
	bw := bufio.NewWriterSize(cw, 1<<20)
	switch f.Encoding {
	case bundle.EncodingZstd:
		err = unzstd(bw, b.Payload(i), f.Size)
	case bundle.EncodingDelta:
		// The base is mapped, not read: memory grows with the delta,
		// not with the file.
		err = delta.ApplyFile(base, bufio.NewReader(b.Payload(i)), bw, f.Size)
	default:
		err = fmt.Errorf("unknown encoding %q", f.Encoding)
	}
	if err == nil {
		err = bw.Flush()
	}
	if fw.err != nil {
		err = fw.err // the disk failed, not the payload
	} else if err != nil {
		err = fmt.Errorf("%w: %s: the %s payload is corrupt: %v", ErrVerification, f.Path, f.Encoding, err)
	}
	if err == nil && cw.n != f.Size {
		err = fmt.Errorf("%w: %s: rebuilt %d bytes, the bundle says %d", ErrVerification, f.Path, cw.n, f.Size)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); err == nil && got != f.NewSHA256 {
		err = fmt.Errorf("%w: %s: the rebuilt file has sha256 %s, the bundle says %s: its payload was altered or damaged", ErrVerification, f.Path, shortSum(got), shortSum(f.NewSHA256))
	}
	if err == nil {
		err = in.finishStaged(out, name, f, o)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, ErrVerification) {
		err = fmt.Errorf("stage %s: %w", f.Path, err)
	}
	return err
}

// finishStaged gives a rebuilt file its mode (and, as root, the owner of
// the file it replaces) and makes it durable.
func (in *installer) finishStaged(out *os.File, name string, f bundle.File, o op) error {
	if err := in.fs.check("chmod", name); err != nil {
		return err
	}
	if err := out.Chmod(os.FileMode(f.Mode)); err != nil {
		return err
	}
	if o.From != "" && os.Geteuid() == 0 {
		if cur, err := in.inspect(f.Path, false); err == nil && cur.exists && cur.uid >= 0 {
			if err := out.Chown(cur.uid, cur.gid); err != nil {
				return err
			}
		}
	}
	return out.Sync()
}

// openBase opens the file a delta applies to: the installed one, or for a
// forced reinstall of an applied patch, the backup of its base. It is
// hashed first and used only when it has the bundle's base SHA-256, so a
// file changed since plan looked at it is not used; a change after that
// is caught by the rebuilt file's SHA-256. It is returned at its start.
func (in *installer) openBase(id string, f bundle.File) (*os.File, error) {
	var found []string
	for _, name := range []string{in.path(f.Path), in.state(backupsDir + "/" + id + "/" + f.Path)} {
		fh, err := os.OpenFile(name, os.O_RDONLY|openNoFollow, 0)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: read the base of its delta: %w", f.Path, err)
		}
		h := sha256.New()
		_, err = io.Copy(h, io.LimitReader(fh, f.BaseSize+1))
		if err == nil {
			_, err = fh.Seek(0, io.SeekStart)
		}
		if err != nil {
			fh.Close()
			return nil, fmt.Errorf("%s: read the base of its delta: %w", f.Path, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != f.BaseSHA256 {
			fh.Close()
			found = append(found, shortSum(got))
			continue
		}
		return fh, nil
	}
	return nil, fmt.Errorf("%w: %s: expected sha256 %s (the base its delta applies to), found %s",
		ErrPrecondition, f.Path, shortSum(f.BaseSHA256), strings.Join(append(found, "none")[:max(len(found), 1)], ", "))
}

// unzstd decompresses a whole-file payload, reading at most size+1 bytes
// of output so a payload cannot make more than the bundle declares, and
// with a window no larger than the file (or the encoder's default) needs.
func unzstd(w io.Writer, r io.Reader, size int64) error {
	window := uint64(8 << 20)
	if uint64(size) > window {
		window = uint64(size)
	}
	dec, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(window))
	if err != nil {
		return err
	}
	defer dec.Close()
	n, err := io.Copy(w, io.LimitReader(dec, size+1))
	if err != nil {
		return err
	}
	if n > size {
		return errors.New("the payload decompresses to more than the file's size")
	}
	return nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// discardStaging removes what a failed stage left; a failure here only
// leaves what the next sweep removes.
func (in *installer) discardStaging(id string) {
	if err := in.fs.removeAll(in.state(stagingDir + "/" + id)); err != nil {
		in.logf("warning: could not remove %s: %v", in.state(stagingDir+"/"+id), err)
	}
	in.fs.pruneEmpty(in.state(stagingDir))
}

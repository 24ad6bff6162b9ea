package fleet

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/patchline/patchline/internal/rollout"
)

// ErrStale is wrapped when a record is older than the one filed for its
// site and environment: filing it would put the fleet back in time.
var ErrStale = errors.New("older than the record filed")

// ErrRefused is wrapped when a record decodes but cannot be filed: of
// another product, given twice, or its place holds something else.
var ErrRefused = errors.New("record refused")

type refusal struct{ error }

func (refusal) Is(target error) bool { return target == ErrRefused }

func refuse(format string, args ...any) error { return refusal{fmt.Errorf(format, args...)} }

// Incoming is a record file given to `fleet add`.
type Incoming struct {
	Name string // as the user gave it, for errors
	Data []byte
}

// Planned is one record to file.
type Planned struct {
	Filed
	Data     []byte          // the record as it is filed: Encode's canonical form
	Previous *rollout.Record // the record it replaces, if that decodes
	Replaces bool            // a file is filed at its place already
	Same     bool            // the same record is filed already: nothing to write
}

// AddOptions are the checks Plan applies beyond the record's own.
type AddOptions struct {
	// Product is [project] name: a record of another product is refused.
	// Empty: not checked.
	Product string
	// Force files a record older than the one filed, or over a filed
	// file that does not decode.
	Force bool
}

// Plan checks every record and says where each is filed under root/dir.
// Nothing is written: the caller writes and commits all of them or, on
// any error, none. Errors name the file; a record that does not decode
// wraps rollout.ErrBadRecord, one that cannot be filed ErrRefused, an
// older one ErrStale.
func Plan(root, dir string, in []Incoming, opts AddOptions) ([]Planned, error) {
	if len(in) == 0 {
		return nil, refuse("no record given")
	}
	var out []Planned
	bySlot := map[string]string{}
	for _, f := range in {
		rec, err := rollout.DecodeRecord(f.Data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		if opts.Product != "" && rec.Product != opts.Product {
			return nil, refuse("%s: a record of product %q, and this repository is %q ([project] name)", f.Name, rec.Product, opts.Product)
		}
		rel := RelPath(dir, rec.Site, rec.Env)
		if other, ok := bySlot[rel]; ok {
			return nil, refuse("%s and %s are both records of %s %s: file one of them", other, f.Name, rec.Site, rec.Env)
		}
		bySlot[rel] = f.Name
		if err := noLinks(root, dir+"/"+rec.Site); err != nil {
			return nil, err
		}
		data, err := rec.Encode()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		p := Planned{Filed: Filed{Path: rel, Site: rec.Site, Env: rec.Env, Record: rec}, Data: data}
		if err := p.compare(root, f.Name, opts.Force); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// compare reads the record filed at p's place, if any, and refuses to go
// back in time.
func (p *Planned) compare(root, name string, force bool) error {
	full := filepath.Join(root, filepath.FromSlash(p.Path))
	fi, err := os.Lstat(full)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return refuse("%s is not a regular file: remove it from the repository first", p.Path)
	}
	p.Replaces = true
	old, err := readRecord(full)
	if err != nil {
		if force {
			return nil
		}
		return refuse("%s: the record filed there does not decode (%v): give --force to replace it", p.Path, err)
	}
	p.Previous = old
	if data, err := os.ReadFile(full); err == nil && bytes.Equal(data, p.Data) {
		p.Same = true
		return nil
	}
	if !force && !p.Record.Exported.After(old.Exported) {
		what := "older than"
		if p.Record.Exported.Equal(old.Exported) {
			what = "exported at the same time as, and differs from,"
		}
		return fmt.Errorf("%w: %s (exported %s) is %s the record filed at %s (exported %s): export a fresh one with `patchline installed --export`, or give --force to file it anyway",
			ErrStale, name, p.Record.Exported.UTC().Format(time.RFC3339), what, p.Path, old.Exported.UTC().Format(time.RFC3339))
	}
	return nil
}

// noLinks refuses a fleet folder reached through a symbolic link, which
// could take the records out of the repository.
func noLinks(root, dir string) error {
	cur := root
	for _, part := range strings.Split(dir, "/") {
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 || !fi.IsDir() {
			return refuse("%s is not a folder of the repository (a link or a file)", strings.TrimPrefix(filepath.ToSlash(cur), filepath.ToSlash(root)+"/"))
		}
	}
	return nil
}

// CommitMessage is the message of the commit that files planned records.
func CommitMessage(ps []Planned) string {
	var b strings.Builder
	line := func(p Planned) string {
		return fmt.Sprintf("%s %s at %s", p.Site, p.Env, p.Record.Release.Tag)
	}
	if len(ps) == 1 {
		fmt.Fprintf(&b, "fleet: %s\n\n", line(ps[0]))
	} else {
		fmt.Fprintf(&b, "fleet: file %d delivery records\n\n", len(ps))
	}
	for _, p := range ps {
		fmt.Fprintf(&b, "%s: %s, %d patches, exported %s\n", p.Path, line(p), len(p.Record.Patches), p.Record.Exported.UTC().Format(time.RFC3339))
	}
	return b.String()
}

// Package fleet holds the installed base: the delivery records filed under
// <fleet dir>/<site>/<env>.json in the product repository, and what they
// say together (which install lacks which patch, coverage, drift, time to
// patch, SLA breaches).
package fleet

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/patchline/patchline/internal/rollout"
)

// ErrBadFleet is wrapped by every error about the fleet folder's layout or
// a record filed in it: the folder is input like any other, since anyone
// with push access may have written it.
var ErrBadFleet = errors.New("bad fleet folder")

// MaxSites bounds the site folders Load reads; each record is bounded by
// rollout.MaxRecordSize.
const MaxSites = 100_000

// Filed is one delivery record as it is filed in the repository.
type Filed struct {
	Path   string // slash path from the repository root, e.g. fleet/acme-berlin/test.json
	Site   string
	Env    string
	Record *rollout.Record
}

// RelPath is where the record of site and env is filed under dir, as a
// slash path from the repository root.
func RelPath(dir, site, env string) string {
	return dir + "/" + site + "/" + env + ".json"
}

// Load reads every record filed under root/dir: one folder per site, one
// <env>.json per environment. It is strict: a folder that is not a site
// name, a file that is not <env>.json, a symbolic link, a record that does
// not decode (rollout.DecodeRecord) or whose site and env are not the
// ones it is filed under are errors naming the file. Hidden entries
// (.gitkeep) are skipped. A missing folder is an empty fleet. The records
// come back sorted by site, then environment in rollout.Envs order.
func Load(root, dir string) ([]Filed, error) {
	base := filepath.Join(root, filepath.FromSlash(dir))
	fi, err := os.Lstat(base)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, err
	case fi.Mode()&fs.ModeSymlink != 0:
		return nil, fmt.Errorf("%w: %s is a symbolic link; the fleet folder must be a folder in the repository", ErrBadFleet, dir)
	case !fi.IsDir():
		return nil, fmt.Errorf("%w: %s is not a folder", ErrBadFleet, dir)
	}
	sites, err := os.ReadDir(base)
	if err != nil {
		return nil, err
	}
	if len(sites) > MaxSites {
		return nil, fmt.Errorf("%w: %s holds %d entries, at most %d", ErrBadFleet, dir, len(sites), MaxSites)
	}
	var out []Filed
	for _, s := range sites {
		name := s.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		rel := dir + "/" + name
		if !s.IsDir() || s.Type()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("%w: %s is not a site folder: %s holds only <site>/<env>.json", ErrBadFleet, rel, dir)
		}
		if err := rollout.CheckSite(name); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrBadFleet, rel, err)
		}
		envs, err := os.ReadDir(filepath.Join(base, name))
		if err != nil {
			return nil, err
		}
		for _, e := range envs {
			file := e.Name()
			if strings.HasPrefix(file, ".") {
				continue
			}
			path := rel + "/" + file
			env, ok := strings.CutSuffix(file, ".json")
			if !ok || rollout.CheckEnv(env) != nil {
				return nil, fmt.Errorf("%w: %s: a site folder holds only %s", ErrBadFleet, path, envFiles())
			}
			if !e.Type().IsRegular() {
				return nil, fmt.Errorf("%w: %s is not a regular file", ErrBadFleet, path)
			}
			rec, err := readRecord(filepath.Join(base, name, file))
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %w", ErrBadFleet, path, err)
			}
			if rec.Site != name || rec.Env != env {
				return nil, fmt.Errorf("%w: %s: the record is of site %q, env %q: file it with `patchline fleet add`", ErrBadFleet, path, rec.Site, rec.Env)
			}
			out = append(out, Filed{Path: path, Site: name, Env: env, Record: rec})
		}
	}
	slices.SortFunc(out, func(a, b Filed) int {
		if c := strings.Compare(a.Site, b.Site); c != 0 {
			return c
		}
		return slices.Index(rollout.Envs, a.Env) - slices.Index(rollout.Envs, b.Env)
	})
	return out, nil
}

// readRecord reads and decodes one record file, reading no more than a
// record may hold.
func readRecord(path string) (*rollout.Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, rollout.MaxRecordSize+1))
	if err != nil {
		return nil, err
	}
	return rollout.DecodeRecord(data)
}

func envFiles() string {
	names := make([]string, len(rollout.Envs))
	for i, e := range rollout.Envs {
		names[i] = e + ".json"
	}
	return strings.Join(names, ", ")
}

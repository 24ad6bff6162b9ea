package install

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/patchline/patchline/internal/bundle"
)

// Room is what an apply needs of the file system, and what it has.
type Room struct {
	// Staging is the bytes the rebuilt files take under .patchline before
	// the swap (backups are the old files renamed, and take none).
	Staging int64 `json:"staging_bytes"`
	// Free is what the file system of .patchline has for them; -1 when
	// it could not be told.
	Free int64 `json:"free_bytes"`
}

// slack is kept free beyond the staged files: journal, receipts, and the
// product's own needs while it runs.
const slack = 8 << 20

// checkRoom finds, at planning and not half way through the swap, what
// would make it fail: too little space for staging, a read-only root, and
// a tree that spans file systems (a rename cannot cross a mount point).
func (in *installer) checkRoom(b *bundle.Bundle, j *journal) (Room, error) {
	var room Room
	for _, f := range b.Meta.Files {
		if f.Op != bundle.OpDelete {
			room.Staging += f.Size
		}
	}
	stateHome := in.dir
	if ok, _ := exists(in.dir); !ok {
		stateHome = in.root
	}
	free, err := freeBytes(stateHome)
	room.Free = free
	if err == nil && room.Staging+slack > free {
		return room, fmt.Errorf("%w: %s needs %s free for the rebuilt files, and its file system has %s; free some space and apply again",
			ErrPrecondition, in.dir, human(room.Staging+slack), human(free))
	}
	rootDev, ok := device(in.root)
	if !ok {
		return room, nil
	}
	dirs := map[string]bool{stateHome: true}
	for _, o := range j.Ops {
		dirs[in.existingParent(o.Path)] = true
	}
	names := make([]string, 0, len(dirs))
	for d := range dirs {
		names = append(names, d)
	}
	sort.Strings(names)
	var problems []string
	for _, d := range names {
		if dev, ok := device(d); ok && dev != rootDev {
			problems = append(problems, fmt.Sprintf("%s is on another file system than %s (a mount point): files are swapped by rename, which cannot cross file systems", d, in.root))
			continue
		}
		if err := writable(d); err != nil {
			problems = append(problems, fmt.Sprintf("%s is not writable: %v", d, err))
		}
	}
	if len(problems) > 0 {
		return room, fmt.Errorf("%w: %s", ErrPrecondition, listProblems(problems, "places cannot be written"))
	}
	return room, nil
}

// existingParent is the deepest directory of rel's parents that exists.
func (in *installer) existingParent(rel string) string {
	dir := filepath.Dir(in.path(rel))
	for {
		fi, err := os.Lstat(dir)
		if err == nil && fi.IsDir() {
			return dir
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) || dir == in.root || !strings.HasPrefix(dir, in.root) {
			return in.root
		}
		dir = filepath.Dir(dir)
	}
}

func human(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

package gitrepo

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// FuzzPackRead hands the pack reader arbitrary index and pack bytes,
// seeded with a real pack: it must refuse or read, never panic, and never
// allocate more than the pack could inflate to.
func FuzzPackRead(f *testing.F) {
	if _, err := exec.LookPath("git"); err == nil {
		dir := packedRepo(f)
		idxs, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.idx"))
		for _, idx := range idxs {
			i, err1 := os.ReadFile(idx)
			d, err2 := os.ReadFile(strings.TrimSuffix(idx, ".idx") + ".pack")
			if err1 == nil && err2 == nil {
				f.Add(i, d)
			}
		}
	}
	f.Add([]byte{0xff, 't', 'O', 'c', 0, 0, 0, 2}, []byte("PACK\x00\x00\x00\x02\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, idx, data []byte) {
		p, err := parsePack(idx, data)
		if err != nil {
			return
		}
		s := &packStore{packs: []*pack{p}, cache: newBaseCache(packCache)}
		for i := 0; i < p.n && i < 32; i++ {
			var h plumbing.Hash
			copy(h[:], p.names[i*20:])
			if off, ok := p.find(h); ok {
				_, _, _ = s.read(p, off, 0)
			}
		}
	})
}

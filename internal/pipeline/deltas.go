package pipeline

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/klauspost/compress/zstd"

	"github.com/patchline/patchline/internal/bundle"
	"github.com/patchline/patchline/internal/delta"
)

// FileChange is one file of a bundle with its payload.
type FileChange struct {
	File    bundle.File
	Payload []byte
}

// Deltas compares the two builds of each platform: a binary delta for each
// changed file (or the whole file, compressed, when that is smaller), new
// files whole, deleted files listed.
type Deltas struct{}

func (Deltas) String() string { return "compute deltas between the builds" }

func (Deltas) Run(ctx context.Context, s *State) error {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return err
	}
	defer enc.Close()
	for _, plat := range s.Platform {
		p := s.Builds[plat]
		oldFiles, err := hashTree(p.Old)
		if err != nil {
			return err
		}
		newFiles, err := hashTree(p.New)
		if err != nil {
			return err
		}
		var names []string
		for n := range oldFiles {
			names = append(names, n)
		}
		for n := range newFiles {
			if _, ok := oldFiles[n]; !ok {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		p.Changes = nil
		for _, n := range names {
			if err := ctx.Err(); err != nil {
				return err
			}
			o, inOld := oldFiles[n]
			nw, inNew := newFiles[n]
			switch {
			case inOld && inNew && o == nw:
				continue
			case !inNew:
				p.Changes = append(p.Changes, FileChange{File: bundle.File{Path: n, Op: bundle.OpDelete, BaseSHA256: hex.EncodeToString(o.sum[:]), BaseSize: o.size}})
				continue
			}
			newData, err := os.ReadFile(filepath.Join(p.New, filepath.FromSlash(n)))
			if err != nil {
				return err
			}
			whole := enc.EncodeAll(newData, nil)
			f := bundle.File{Path: n, Op: bundle.OpAdd, Mode: nw.mode, NewSHA256: hex.EncodeToString(nw.sum[:]), Size: nw.size, Encoding: bundle.EncodingZstd}
			payload := whole
			if inOld {
				f.Op, f.BaseSHA256, f.BaseSize = bundle.OpModify, hex.EncodeToString(o.sum[:]), o.size
				oldData, err := os.ReadFile(filepath.Join(p.Old, filepath.FromSlash(n)))
				if err != nil {
					return err
				}
				var d bytes.Buffer
				if err := delta.Create(oldData, newData, &d); err != nil {
					return fmt.Errorf("delta of %s: %w", n, err)
				}
				if d.Len() < len(whole) {
					f.Encoding, payload = bundle.EncodingDelta, d.Bytes()
				}
			}
			p.Changes = append(p.Changes, FileChange{File: f, Payload: payload})
			fmt.Fprintf(s.Log, "  %s: %s %s (%d bytes -> %s payload of %d bytes)\n", plat, f.Op, n, f.Size, f.Encoding, len(payload))
		}
	}
	return nil
}

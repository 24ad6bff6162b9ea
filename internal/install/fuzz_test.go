package install

import (
	"encoding/json"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/patchline/patchline/internal/bundle"
)

// stateSeeds are records as apply writes them, and forgeries the attack run
// tried: paths out of the root, absolute paths, state paths outside the
// patch's own directories.
func stateSeeds(f *testing.F) {
	at := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	sum := strings.Repeat("ab", 32)
	rc := Receipt{Patch: "PL-2026-0001", Platform: "linux/amd64", BundleDigest: sum, AppliedAt: at,
		Base:   bundle.Ref{Tag: "v2026.3.0", Commit: strings.Repeat("1", 40)},
		Target: bundle.Ref{Tag: "v2026.3.1", Commit: strings.Repeat("2", 40)},
		Files:  []ReceiptFile{{Path: "bin/inventory", Op: "modify", BaseSHA256: sum, NewSHA256: sum, Mode: 0o755, BaseMode: 0o755}}}
	j := journal{Version: 1, Kind: "apply", Patch: rc.Patch, State: "prepared", Started: at, Receipt: rc,
		Ops:         []op{{Path: "bin/inventory", From: sum, To: sum, Source: "staging/PL-2026-0001/00001", Save: "backups/PL-2026-0001/bin/inventory"}},
		Release:     ReleaseRecord{Ref: rc.Target, Highest: rc.Target.Tag},
		RemoveAfter: []string{"staging/PL-2026-0001"}}
	for _, v := range []any{rc, j} {
		data, err := json.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		if err := checkState(data, v); err != nil {
			f.Fatalf("the good seed is refused: %v", err)
		}
		for _, evil := range []string{"../../outside/victim", "/etc/cron.d/x", "staging/../../x", "bin/./x", ""} {
			f.Add([]byte(strings.ReplaceAll(string(data), "bin/inventory", evil)))
			f.Add([]byte(strings.ReplaceAll(string(data), "staging/PL-2026-0001", evil)))
		}
	}
}

// checkState decodes and checks data as a record of v's kind.
func checkState(data []byte, v any) error {
	switch v.(type) {
	case Receipt:
		var r Receipt
		if err := decodeStateData("receipts/PL-2026-0001.json", data, &r); err != nil {
			return err
		}
		return r.check()
	default:
		var j journal
		if err := decodeStateData("journal.json", data, &j); err != nil {
			return err
		}
		return j.check()
	}
}

// stateInside reports whether a state path (under .patchline) stays under
// one of the patch's own directories.
func stateInside(p, id string) bool {
	if p == "" {
		return true
	}
	if path.IsAbs(p) || path.Clean(p) != p {
		return false
	}
	for _, dir := range []string{"staging/", "backups/", "trash/"} {
		if strings.HasPrefix(p, dir+id+"/") || p == dir+id {
			return true
		}
	}
	return false
}

// FuzzReceipt: a receipt read back from disk is accepted only when every
// path in it is one a bundle could name.
func FuzzReceipt(f *testing.F) {
	stateSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Receipt
		if decodeStateData("receipts/x.json", data, &r) != nil || r.check() != nil {
			return
		}
		for _, fl := range r.Files {
			if err := bundle.CheckPath(fl.Path); err != nil {
				t.Fatalf("accepted a receipt naming %q: %v", fl.Path, err)
			}
		}
	})
}

// FuzzJournal: a journal read back from disk is accepted only when each op
// names a path inside the root and state paths inside the patch's own
// staging, backups and trash.
func FuzzJournal(f *testing.F) {
	stateSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var j journal
		if decodeStateData("journal.json", data, &j) != nil || j.check() != nil {
			return
		}
		for _, o := range j.Ops {
			if err := bundle.CheckPath(o.Path); err != nil {
				t.Fatalf("accepted a journal op on %q: %v", o.Path, err)
			}
			if !stateInside(o.Source, j.Patch) || !stateInside(o.Save, j.Patch) {
				t.Fatalf("accepted a journal op moving %q and %q", o.Source, o.Save)
			}
		}
		for _, p := range append(append([]string{}, j.RemoveAfter...), j.PruneAfter...) {
			if !stateInside(p, j.Patch) {
				t.Fatalf("accepted a journal that removes %q", p)
			}
		}
	})
}

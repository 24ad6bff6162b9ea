package bundle_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/patchline/patchline/internal/bundle"
)

// A bundle carries an allowed toolchain change with its reason, checked as
// everything it says is.
func TestToolchainChange(t *testing.T) {
	t.Parallel()
	meta := func(c *bundle.ToolchainChange) bundle.Meta {
		return bundle.Meta{Product: "pricing", Patch: "PL-2026-0001", Platform: "linux/amd64",
			Base:   bundle.Ref{Tag: "v1.0.0", Commit: strings.Repeat("a", 40)},
			Target: bundle.Ref{Tag: "v1.0.1", Commit: strings.Repeat("b", 40)},
			Source: strings.Repeat("b", 40), Created: time.Unix(0, 0), ToolchainChange: c}
	}
	good := &bundle.ToolchainChange{Reason: "go1.26.8 fixes CVE-2026-0001", Changes: []string{"toolchain: go1.26.7 in the record, go1.26.8 now"}}
	var buf bytes.Buffer
	if _, err := bundle.Write(&buf, meta(good), nil); err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if c := b.Meta.ToolchainChange; c == nil || c.Reason != good.Reason || len(c.Changes) != 1 {
		t.Errorf("read back %+v, want %+v", c, good)
	}
	for name, c := range map[string]*bundle.ToolchainChange{
		"no reason":  {Changes: good.Changes},
		"no changes": {Reason: "x"},
		"control":    {Reason: "x\x1b[2J", Changes: good.Changes},
		"too long":   {Reason: strings.Repeat("x", bundle.MaxReasonSize+1), Changes: good.Changes},
	} {
		m := meta(c)
		if err := m.Check(); !errors.Is(err, bundle.ErrCorrupt) {
			t.Errorf("%s: Check = %v, want ErrCorrupt", name, err)
		}
	}
}

package delta

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"
)

func TestCountSearch(t *testing.T) {
	a, b := os.Getenv("DA"), os.Getenv("DB")
	if a == "" {
		t.Skip()
	}
	old, _ := os.ReadFile(a)
	nw, _ := os.ReadFile(b)
	fmt.Sscan(os.Getenv("GAP"), &tuneGap)
	fmt.Sscan(os.Getenv("RUN"), &tuneRun)
	start := time.Now()
	ix := newIndex(old)
	t.Logf("sa %v", time.Since(start))
	start = time.Now()
	e := ix.plan(nw)
	t.Logf("plan %v, %d entries, calls %d, matched bytes %d", time.Since(start), len(e), ix.calls, ix.cmp)
	t.Logf("aligned ok %d first %d", ix.alignedOK, ix.first)
	var buf bytes.Buffer
	Create(old, nw, &buf)
	t.Logf("gap %d run %d: size %d", tuneGap, tuneRun, buf.Len())
}

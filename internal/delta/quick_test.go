package delta

import (
	"bytes"
	"os"
	"testing"
	"time"
)

func TestQuickFiles(t *testing.T) {
	a, b := os.Getenv("DA"), os.Getenv("DB")
	if a == "" {
		t.Skip()
	}
	old, _ := os.ReadFile(a)
	nw, _ := os.ReadFile(b)
	start := time.Now()
	var d bytes.Buffer
	if err := Create(old, nw, &d); err != nil {
		t.Fatal(err)
	}
	t.Logf("create %v, delta %d bytes (%.3f%%)", time.Since(start), d.Len(), 100*float64(d.Len())/float64(len(nw)))
	h, _ := ReadHeader(bytes.NewReader(d.Bytes()))
	t.Logf("streams %v", h.streams)
	start = time.Now()
	var out bytes.Buffer
	if err := Apply(old, bytes.NewReader(d.Bytes()), &out, 1<<30); err != nil {
		t.Fatal(err)
	}
	t.Logf("apply %v", time.Since(start))
	if !bytes.Equal(out.Bytes(), nw) {
		t.Fatal("mismatch")
	}
}

package delta

import (
	"bytes"
	"crypto/sha256"
	"runtime"
	"testing"
)

// fuzzOld is the old file every FuzzApply input is applied to.
func fuzzOld() []byte { return noise(20, 4096) }

// fuzzMaxOut bounds what FuzzApply lets a delta rebuild.
const fuzzMaxOut = 64 << 10

// FuzzApply feeds arbitrary bytes to Apply against a fixed old file: it must
// never panic, never succeed with output other than what the header's
// SHA-256 promises, and never allocate much beyond maxOut.
func FuzzApply(f *testing.F) {
	old := fuzzOld()
	for i, new := range [][]byte{
		nil,
		old,
		flipped(old, 2000),
		splice(old, 1000, 50, noise(21, 300)),
		noise(22, 5000),
		bytes.Repeat([]byte{0xAA}, fuzzMaxOut+1), // over maxOut
	} {
		for _, coding := range []int{diffZstd, diffRange} {
			var d bytes.Buffer
			if err := create(old, new, &d, coding); err != nil {
				f.Fatal(err)
			}
			f.Add(d.Bytes())
			if i == 3 {
				f.Add(d.Bytes()[:HeaderSize+5])
			}
		}
	}
	f.Add([]byte(Magic))
	f.Fuzz(func(t *testing.T, delta []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		var out bytes.Buffer
		err := Apply(old, bytes.NewReader(delta), &out, fuzzMaxOut)
		runtime.ReadMemStats(&after)
		// Output, control entries, compressed streams and zstd's own
		// buffers: well under 16 MiB for 64 KiB of output.
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
			t.Errorf("Apply allocated %d bytes for at most %d of output", grew, fuzzMaxOut)
		}
		if err != nil {
			if out.Len() > 0 {
				t.Fatalf("Apply failed (%v) after writing %d bytes", err, out.Len())
			}
			return
		}
		h, herr := ReadHeader(bytes.NewReader(delta))
		if herr != nil {
			t.Fatalf("Apply accepted a delta whose header ReadHeader refuses: %v", herr)
		}
		if sha256.Sum256(out.Bytes()) != h.NewSum {
			t.Fatalf("Apply succeeded with output that does not match the header")
		}
	})
}

// FuzzRoundTrip checks that Apply rebuilds new from any pair.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte{}, []byte{})
	f.Add([]byte("hello, world"), []byte("hello, brave new world"))
	f.Add(noise(23, 2000), splice(noise(23, 2000), 500, 10, []byte("xyz")))
	f.Add(bytes.Repeat([]byte("ab"), 500), bytes.Repeat([]byte("ba"), 501))
	f.Fuzz(func(t *testing.T, old, new []byte) {
		if len(old) > 1<<16 || len(new) > 1<<16 {
			t.Skip("kept small so the fuzzer stays fast")
		}
		roundTrip(t, old, new)
	})
}

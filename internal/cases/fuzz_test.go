package cases

import (
	"strings"
	"testing"
)

// FuzzDecodePosted: the record of what was sent is read from the
// repository, which anyone with push access may have written. No input
// makes the reader panic, and what it accepts encodes to what it reads
// back the same.
func FuzzDecodePosted(f *testing.F) {
	f.Add([]byte(`{"schema":1,"cases":{}}`))
	f.Add([]byte(`{"schema":1,"cases":{"CRM-1":{"status":"closed","delivery":"` + strings.Repeat("ab", 32) + `","to":"webhook","at":"2026-03-07T10:00:00Z"}}}`))
	f.Add([]byte(`{"schema":1,"cases":{"acme/x#1":{"status":"awaiting confirmation","delivery":"` + strings.Repeat("0", 64) + `","to":"github","at":"2026-03-07T10:00:00+01:00"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := DecodePosted(data)
		if err != nil {
			return
		}
		out, err := p.Encode()
		if err != nil {
			t.Fatalf("accepted, and does not encode: %v", err)
		}
		back, err := DecodePosted(out)
		if err != nil {
			t.Fatalf("accepted, and its encoding is refused: %v\n%s", err, out)
		}
		if len(back.Cases) != len(p.Cases) {
			t.Fatalf("round trip: %d cases, want %d", len(back.Cases), len(p.Cases))
		}
		for id, c := range p.Cases {
			b := back.Cases[id]
			if b.Status != c.Status || b.Delivery != c.Delivery || b.To != c.To || !b.At.Equal(c.At) {
				t.Fatalf("round trip of %q: %+v, want %+v", id, b, c)
			}
		}
	})
}

package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func sample() (Meta, [][]byte) {
	return Meta{
		Product: "inventory", Patch: "PL-2026-0001", Platform: "linux/amd64",
		Base:    Ref{Tag: "v2026.3.0", Commit: strings.Repeat("a", 40)},
		Target:  Ref{Tag: "v2026.3.1", Commit: strings.Repeat("b", 40)},
		Source:  strings.Repeat("b", 40),
		Builder: Builder{Name: "go", Version: "go1.26.8"},
		Created: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC),
		Files: []File{
			{Path: "bin/inventory", Op: OpModify, Mode: 0o755, BaseSHA256: sum("old"), NewSHA256: sum("new"), Size: 3, Encoding: EncodingDelta},
			{Path: "share/new.txt", Op: OpAdd, Mode: 0o644, NewSHA256: sum("added"), Size: 5, Encoding: EncodingZstd},
			{Path: "share/gone.txt", Op: OpDelete, BaseSHA256: sum("gone")},
		},
	}, [][]byte{[]byte("delta-payload"), []byte("zstd-payload"), nil}
}

func write(t *testing.T, m Meta, payloads [][]byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	digest, err := Write(&buf, m, payloads)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), digest
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	m, payloads := sample()
	data, digest := write(t, m, payloads)
	again, _ := write(t, m, payloads)
	if !bytes.Equal(data, again) {
		t.Fatal("two writes of the same bundle differ")
	}
	h := sha256.Sum256(data)
	if digest != hex.EncodeToString(h[:]) {
		t.Errorf("digest = %s, want the file's SHA-256 %x", digest, h)
	}
	b, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if b.Digest != digest {
		t.Errorf("read digest %s, want %s", b.Digest, digest)
	}
	for i, f := range b.Meta.Files {
		var got bytes.Buffer
		if _, err := got.ReadFrom(b.Payload(i)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), payloads[i]) {
			t.Errorf("%s: payload %q, want %q", f.Path, got.Bytes(), payloads[i])
		}
	}
}

// TestTamper flips every byte of a bundle in turn: each copy is refused.
func TestTamper(t *testing.T) {
	t.Parallel()
	m, payloads := sample()
	data, _ := write(t, m, payloads)
	for i := range data {
		bad := append([]byte(nil), data...)
		bad[i] ^= 0x20
		if _, err := Read(bytes.NewReader(bad), int64(len(bad))); err == nil {
			t.Fatalf("byte %d flipped: bundle accepted", i)
		}
	}
	for n := 0; n < len(data); n++ {
		if _, err := Read(bytes.NewReader(data[:n]), int64(n)); err == nil {
			t.Fatalf("truncated to %d bytes: bundle accepted", n)
		}
	}
}

func TestRefusedMeta(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(m *Meta)
		want   string
	}{
		{"parent path", func(m *Meta) { m.Files[0].Path = "../etc/passwd" }, "leaves the install root"},
		{"absolute path", func(m *Meta) { m.Files[0].Path = "/etc/passwd" }, "absolute"},
		{"unclean path", func(m *Meta) { m.Files[0].Path = "bin//inventory" }, "not clean"},
		{"into .git", func(m *Meta) { m.Files[0].Path = ".git/config" }, ".git"},
		{"into patchline state", func(m *Meta) { m.Files[0].Path = ".patchline/receipts/x" }, ".patchline"},
		{"backslash", func(m *Meta) { m.Files[0].Path = `bin\inventory` }, "backslash"},
		{"listed twice", func(m *Meta) { m.Files[1].Path = "BIN/inventory" }, "listed twice"},
		{"symlink mode", func(m *Meta) { m.Files[0].Mode = 0o120777 }, "only regular files"},
		{"huge file", func(m *Meta) { m.Files[0].Size = MaxFileSize + 1 }, "size out of range"},
		{"bad hash", func(m *Meta) { m.Files[0].NewSHA256 = "abc" }, "not a SHA-256"},
		{"unknown op", func(m *Meta) { m.Files[0].Op = "link" }, "unknown op"},
		{"delta for a new file", func(m *Meta) { m.Files[1].Encoding = EncodingDelta }, "cannot be a delta"},
		{"no patch", func(m *Meta) { m.Patch = "" }, "required"},
		{"unknown urgency", func(m *Meta) { m.Urgency = "whenever" }, "urgency"},
		{"bad required id", func(m *Meta) { m.Requires = []string{"../PL-2026-0001"} }, "requires: patch id"},
		{"required twice", func(m *Meta) { m.Requires = []string{"PL-2026-0002", "PL-2026-0002"} }, "twice"},
		{"included twice", func(m *Meta) { m.Includes = []string{"PL-2026-0001", "PL-2026-0001"} }, "twice"},
		{"too many included", func(m *Meta) {
			for i := range MaxPatchList + 1 {
				m.Includes = append(m.Includes, fmt.Sprintf("PL-2026-%05d", i))
			}
		}, "at most"},
		{"guide too large", func(m *Meta) { m.Guide = strings.Repeat("x", MaxGuideSize+1) }, "at most"},
		{"guide not UTF-8", func(m *Meta) { m.Guide = "# Guide\n\xff" }, "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, payloads := sample()
			tt.change(&m)
			_, err := Write(&bytes.Buffer{}, m, payloads)
			if err == nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Write error = %v, want ErrCorrupt mentioning %q", err, tt.want)
			}
		})
	}
}

// TestPatchInfoRoundTrip: what a bundle says about its patch reads back.
func TestPatchInfoRoundTrip(t *testing.T) {
	t.Parallel()
	m, payloads := sample()
	m.Urgency = "emergency"
	m.Requires = []string{"PL-2026-0003"}
	m.Includes = []string{"PL-2026-0001", "PL-2026-0003"}
	m.Guide = "# Installation guide\n\nÜmlauts ✓\n"
	data, _ := write(t, m, payloads)
	b, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if b.Meta.Urgency != m.Urgency || !slices.Equal(b.Meta.Requires, m.Requires) || !slices.Equal(b.Meta.Includes, m.Includes) || b.Meta.Guide != m.Guide {
		t.Errorf("read back %q %q %q %q, want %q %q %q %q", b.Meta.Urgency, b.Meta.Requires, b.Meta.Includes, b.Meta.Guide,
			m.Urgency, m.Requires, m.Includes, m.Guide)
	}
}

func TestNotABundle(t *testing.T) {
	t.Parallel()
	for _, data := range [][]byte{nil, []byte("PK\x03\x04zip"), []byte(strings.Repeat("x", 100))} {
		if _, err := Read(bytes.NewReader(data), int64(len(data))); !errors.Is(err, ErrNotBundle) {
			t.Errorf("Read(%q) = %v, want ErrNotBundle", data[:min(len(data), 8)], err)
		}
	}
}

func FuzzRead(f *testing.F) {
	m, payloads := sample()
	var buf bytes.Buffer
	if _, err := Write(&buf, m, payloads); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(Magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		for i := range b.Meta.Files {
			if err := CheckPath(b.Meta.Files[i].Path); err != nil {
				t.Fatalf("accepted a bad path: %v", err)
			}
			var sink bytes.Buffer
			if _, err := sink.ReadFrom(b.Payload(i)); err != nil {
				t.Fatal(err)
			}
		}
	})
}

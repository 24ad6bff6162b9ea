package artifact

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/patchline/patchline/internal/bundle"
)

func jsonOf(r *Record) ([]byte, error) { return json.Marshal(r) }

// buildFS is the build output of testRecord's platform.
func buildFS(platform string) fstest.MapFS {
	bin := "amd64 binary"
	if platform == "linux/arm64" {
		bin = "arm64 binary"
	}
	return fstest.MapFS{
		"bin/hello":        {Data: []byte(bin), Mode: 0o755},
		"share/doc/README": {Data: []byte("read me\n"), Mode: 0o644},
	}
}

func goodArchive(t testing.TB, platform string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteArchive(&buf, testRecord(), platform, buildFS(platform)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestWriteReadArchive: what WriteArchive writes, ReadArchive takes, and
// Extract hands over byte for byte; the same inputs give the same bytes.
func TestWriteReadArchive(t *testing.T) {
	t.Parallel()
	data := goodArchive(t, "linux/arm64")
	if again := goodArchive(t, "linux/arm64"); !bytes.Equal(again, data) {
		t.Error("two writes of one archive differ")
	}
	a, err := ReadArchive(bytes.NewReader(data), int64(len(data)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Record.Platform != "linux/arm64" || a.Platform.Platform != "linux/arm64" || a.Dirs != 3 {
		t.Errorf("platform %s / %s, %d dirs; want linux/arm64 and 3 (bin, share, share/doc)", a.Record.Platform, a.Platform.Platform, a.Dirs)
	}
	got := map[string]string{}
	err = a.Extract(func(e Entry, r io.Reader) error {
		if e.Dir {
			got[e.Path+"/"] = "dir"
			return nil
		}
		b, err := io.ReadAll(r)
		got[e.Path] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"bin/": "dir", "share/": "dir", "share/doc/": "dir", "bin/hello": "arm64 binary", "share/doc/README": "read me\n"}
	if len(got) != len(want) {
		t.Errorf("extracted %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
	// A build that is not what the record says is not archived.
	fsys := buildFS("linux/arm64")
	fsys["bin/hello"] = &fstest.MapFile{Data: []byte("arm64 binarY"), Mode: 0o755}
	if err := WriteArchive(io.Discard, testRecord(), "linux/arm64", fsys); err == nil || !strings.Contains(err.Error(), "changed since the record was made") {
		t.Errorf("WriteArchive of other bytes: %v", err)
	}
}

// entry is one raw tar entry of a crafted archive.
type entry struct {
	hdr  tar.Header
	data string
}

func file(name, data string, mode int64) entry {
	return entry{tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data))}, data}
}

func dir(name string) entry {
	return entry{tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: 0o755}, ""}
}

// recordEntry is the record of testRecord for platform, as an archive's
// first entry; change edits it first.
func recordEntry(t testing.TB, platform string, change func(*Record)) entry {
	t.Helper()
	rec := testRecord()
	rec.Platform = platform
	if change != nil {
		change(rec)
	}
	data, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return file(RecordName, string(data), 0o644)
}

// craft writes entries as a tar.gz, with raw bytes after the tar stream
// (inside the gzip) and after the gzip stream.
func craft(t testing.TB, entries []entry, afterTar, afterGzip []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := e.hdr
		if h.Typeflag != tar.TypeXGlobalHeader {
			h.ModTime = time.Unix(0, 0)
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	zw.Write(afterTar)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	buf.Write(afterGzip)
	return buf.Bytes()
}

// amd64 is the whole amd64 build, as crafted entries.
func amd64(t testing.TB) []entry {
	return []entry{recordEntry(t, "linux/amd64", nil), dir("bin"), file("bin/hello", "amd64 binary", 0o755),
		dir("share"), dir("share/doc"), file("share/doc/README", "read me\n", 0o644)}
}

func with(base []entry, extra ...entry) []entry {
	return append(append([]entry(nil), base...), extra...)
}

// TestReadArchiveRefuses: everything install would not write as it is, or
// that is not the record's, is refused before anything is written.
func TestReadArchiveRefuses(t *testing.T) {
	t.Parallel()
	good := goodArchive(t, "linux/amd64")
	if _, err := ReadArchive(bytes.NewReader(craft(t, amd64(t), nil, nil)), 0, Limits{}); err == nil {
		t.Fatal("a zero size read a whole archive")
	}
	if data := craft(t, amd64(t), nil, nil); true {
		if _, err := ReadArchive(bytes.NewReader(data), int64(len(data)), Limits{}); err != nil {
			t.Fatalf("the crafted archive itself: %v", err)
		}
	}
	link := func(typ byte, name, target string) entry {
		return entry{tar.Header{Typeflag: typ, Name: name, Linkname: target, Mode: 0o777}, ""}
	}
	special := func(typ byte, name string) entry {
		return entry{tar.Header{Typeflag: typ, Name: name, Mode: 0o644}, ""}
	}
	withoutReadme := amd64(t)[:3]
	zeros100M := strings.Repeat("\x00", 100<<20)
	bomb := []entry{recordEntry(t, "linux/amd64", func(r *Record) {
		r.Platforms[0].Files = []File{{Path: "zeros", Mode: 0o644, Size: int64(len(zeros100M)), SHA256: sum(zeros100M)}}
	}), file("zeros", zeros100M, 0o644)}
	for _, tc := range []struct {
		name string
		data []byte
		lim  Limits
		not  bool // ErrNotArchive rather than ErrCorrupt
		want string
	}{
		{name: "not gzip", data: []byte("PLBUNDLE, not an archive"), not: true, want: "no gzip header"},
		{name: "empty", data: nil, not: true, want: "no gzip header"},
		{name: "truncated", data: good[:len(good)/2], want: "unexpected EOF"},
		{name: "flipped byte", data: flip(good, len(good)/2)},
		{name: "gzip checksum", data: flip(good, len(good)-6), want: "gzip"},
		{name: "after gzip", data: craft(t, amd64(t), nil, []byte("trailing")), want: "after the end of the gzip stream"},
		{name: "second gzip member", data: append(craft(t, amd64(t), nil, nil), craft(t, amd64(t), nil, nil)...), want: "after the end of the gzip stream"},
		{name: "after tar", data: craft(t, amd64(t), []byte("surprise"), nil), want: "after the end of the tar archive"},
		{name: "too many zeros after tar", data: craft(t, amd64(t), make([]byte, 2<<20), nil), want: "more than 1048576 bytes after"},
		{name: "no record", data: craft(t, amd64(t)[1:], nil, nil), want: "not the release record"},
		{name: "record not first", data: craft(t, append([]entry{dir("bin")}, amd64(t)...), nil, nil), want: "not the release record"},
		{name: "record twice", data: craft(t, with(amd64(t), recordEntry(t, "linux/amd64", nil)), nil, nil), want: "twice"},
		{name: "record without platform", data: craft(t, append([]entry{recordEntry(t, "", nil)}, amd64(t)[1:]...), nil, nil), want: "which platform"},
		{name: "bad record", data: craft(t, append([]entry{recordEntry(t, "linux/amd64", func(r *Record) { r.Commit = "x" })}, amd64(t)[1:]...), nil, nil), want: "not a full commit id"},
		{name: "traversal", data: craft(t, with(amd64(t), file("../evil", "x", 0o644)), nil, nil), want: "leaves the install root"},
		{name: "traversal inside", data: craft(t, with(amd64(t), file("bin/../../evil", "x", 0o644)), nil, nil), want: "not clean"},
		{name: "absolute", data: craft(t, with(amd64(t), file("/etc/passwd", "x", 0o644)), nil, nil), want: "absolute path"},
		{name: "state dir", data: craft(t, with(amd64(t), file(".patchline/release.json", "{}", 0o644)), nil, nil), want: "reaches into .patchline"},
		{name: "git dir", data: craft(t, with(amd64(t), dir(".git")), nil, nil), want: "reaches into .git"},
		{name: "symlink", data: craft(t, with(amd64(t), link(tar.TypeSymlink, "bin/sh", "/bin/sh")), nil, nil), want: "is a link (to /bin/sh)"},
		{name: "hard link", data: craft(t, with(amd64(t), link(tar.TypeLink, "bin/again", "bin/hello")), nil, nil), want: "is a link"},
		{name: "device", data: craft(t, with(amd64(t), special(tar.TypeChar, "dev/null")), nil, nil), want: "character device"},
		{name: "fifo", data: craft(t, with(amd64(t), special(tar.TypeFifo, "fifo")), nil, nil), want: "named pipe"},
		{name: "duplicate file", data: craft(t, with(amd64(t), file("bin/hello", "amd64 binary", 0o755)), nil, nil), want: "bin/hello is in the archive twice"},
		{name: "duplicate by case", data: craft(t, with(amd64(t), file("BIN/HELLO", "amd64 binary", 0o755)), nil, nil), want: "twice"},
		{name: "duplicate dir", data: craft(t, with(amd64(t), dir("bin")), nil, nil), want: "bin is in the archive twice"},
		{name: "under a file", data: craft(t, with(amd64(t), dir("bin/hello/x")), nil, nil), want: "bin/hello is a file"},
		{name: "file not in record", data: craft(t, with(amd64(t), file("extra", "x", 0o644)), nil, nil), want: "extra is not in the release record"},
		{name: "file missing", data: craft(t, withoutReadme, nil, nil), want: "share/doc/README is in the release record, not in the archive"},
		{name: "setuid", data: craft(t, []entry{recordEntry(t, "linux/amd64", nil), file("bin/hello", "amd64 binary", 0o4755)}, nil, nil), want: "mode 4755"},
		{name: "mode not the record's", data: craft(t, []entry{recordEntry(t, "linux/amd64", nil), file("bin/hello", "amd64 binary", 0o644)}, nil, nil), want: "mode 644, the record says 755"},
		{name: "world-writable dir", data: craft(t, []entry{recordEntry(t, "linux/amd64", nil), {tar.Header{Typeflag: tar.TypeDir, Name: "bin/", Mode: 0o777}, ""}}, nil, nil), want: "mode 777"},
		{name: "size not the record's", data: craft(t, []entry{recordEntry(t, "linux/amd64", nil), file("bin/hello", "amd64 binary!", 0o755)}, nil, nil), want: "13 bytes, the record says 12"},
		{name: "content altered", data: craft(t, []entry{recordEntry(t, "linux/amd64", nil), file("bin/hello", "amd64 binarY", 0o755)}, nil, nil), want: "bin/hello: sha256"},
		{name: "bomb over the total", data: craft(t, bomb, nil, nil), lim: Limits{TotalSize: 10 << 20}, want: "104857600 bytes together, more than 10485760"},
		{name: "bomb over a file", data: craft(t, bomb, nil, nil), lim: Limits{FileSize: 10 << 20}, want: "zeros: 104857600 bytes, at most 10485760"},
		{name: "too many files", data: craft(t, amd64(t), nil, nil), lim: Limits{Files: 3}, want: "more than 3 entries"},
		{name: "global header", data: craft(t, with(amd64(t)[:1], entry{tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "g", PAXRecords: map[string]string{"comment": "x"}}, ""}), nil, nil), want: "global header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadArchive(bytes.NewReader(tc.data), int64(len(tc.data)), tc.lim)
			want := ErrCorrupt
			if tc.not {
				want = ErrNotArchive
			}
			if !errors.Is(err, want) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadArchive: %v, want %v saying %q", err, want, tc.want)
			}
		})
	}
}

func flip(data []byte, at int) []byte {
	out := bytes.Clone(data)
	out[at] ^= 0xff
	return out
}

// switching is a file whose contents change between two reads.
type switching struct{ data []byte }

func (s *switching) ReadAt(p []byte, off int64) (int, error) {
	return bytes.NewReader(s.data).ReadAt(p, off)
}

// TestExtractChecksAgain: Extract checks what it hands over as ReadArchive
// did, so an archive altered between the two reads never passes.
func TestExtractChecksAgain(t *testing.T) {
	t.Parallel()
	good := craft(t, amd64(t), nil, nil)
	for _, tc := range []struct {
		name  string
		later []byte
		want  string
	}{
		{"content", craft(t, []entry{recordEntry(t, "linux/amd64", nil), file("bin/hello", "amd64 binarY", 0o755), file("share/doc/README", "read me\n", 0o644)}, nil, nil), "bin/hello: sha256"},
		{"record", craft(t, append([]entry{recordEntry(t, "linux/amd64", func(r *Record) { r.Patchline = "other" })}, amd64(t)[1:]...), nil, nil), "changed between two reads"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := &switching{data: good}
			a, err := ReadArchive(f, int64(len(good)), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			f.data = tc.later
			a.size = int64(len(tc.later))
			var handed []string
			err = a.Extract(func(e Entry, r io.Reader) error {
				if r != nil {
					if _, err := io.Copy(io.Discard, r); err != nil {
						return err
					}
				}
				handed = append(handed, e.Path)
				return nil
			})
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Extract: %v, want ErrCorrupt saying %q", err, tc.want)
			}
			for _, p := range handed {
				if p == "bin/hello" {
					t.Errorf("Extract handed over the altered bin/hello as good")
				}
			}
		})
	}
}

// FuzzReadArchive: no input makes the reader panic, exceed its limits or
// accept what Extract then refuses; whatever it accepts is only checked
// paths, directories and files of the record.
func FuzzReadArchive(f *testing.F) {
	f.Add(goodArchive(f, "linux/amd64"))
	f.Add(craft(f, amd64(f), nil, nil))
	f.Add(craft(f, with(amd64(f), file("../evil", "x", 0o644)), nil, nil))
	f.Add(craft(f, with(amd64(f), entry{tar.Header{Typeflag: tar.TypeSymlink, Name: "l", Linkname: "/"}, ""}), nil, nil))
	f.Add([]byte{0x1f, 0x8b})
	lim := Limits{Files: 1000, FileSize: 1 << 20, TotalSize: 4 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ReadArchive(bytes.NewReader(data), int64(len(data)), lim)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotArchive) {
				t.Fatalf("ReadArchive: %v is neither ErrCorrupt nor ErrNotArchive", err)
			}
			return
		}
		var total int64
		err = a.Extract(func(e Entry, r io.Reader) error {
			if err := bundle.CheckPath(e.Path); err != nil {
				t.Errorf("accepted %q: %v", e.Path, err)
			}
			if r == nil {
				return nil
			}
			n, err := io.Copy(io.Discard, r)
			total += n
			return err
		})
		if err != nil {
			t.Fatalf("ReadArchive accepted what Extract refuses: %v", err)
		}
		if total != a.Platform.TotalSize() || total > lim.TotalSize {
			t.Fatalf("extracted %d bytes, the record says %d, the limit is %d", total, a.Platform.TotalSize(), lim.TotalSize)
		}
	})
}

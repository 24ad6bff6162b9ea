package artifact

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/patchline/patchline/internal/bundle"
)

func sum(data string) string {
	s := sha256.Sum256([]byte(data))
	return hex.EncodeToString(s[:])
}

// testRecord is a release of two platforms: hello and its docs.
func testRecord() *Record {
	files := func(bin string) []File {
		return []File{
			{Path: "bin/hello", Mode: 0o755, Size: int64(len(bin)), SHA256: sum(bin)},
			{Path: "share/doc/README", Mode: 0o644, Size: int64(len("read me\n")), SHA256: sum("read me\n")},
		}
	}
	return &Record{
		Schema: Schema, Product: "hello", Tag: "v1.0.0", Commit: strings.Repeat("a", 40), SourceDateEpoch: 1763632800,
		Builder: Builder{Name: "go", Version: "go1.26.8"}, Toolchain: "go1.26.8",
		Config: BuildConfig{Builder: "go", Packages: []string{"."}, Platforms: []string{"linux/amd64", "linux/arm64"}},
		Flags:  []string{"CGO_ENABLED=0", "go", "build", "-trimpath"}, Patchline: "test",
		Platforms: []Platform{
			{Platform: "linux/amd64", Archive: "hello_1.0.0_linux_amd64.tar.gz", Files: files("amd64 binary")},
			{Platform: "linux/arm64", Archive: "hello_1.0.0_linux_arm64.tar.gz", Files: files("arm64 binary")},
		},
	}
}

// TestRecordRoundTrip: Encode and Decode give the same record back, files
// sorted, and the names are goreleaser's defaults.
func TestRecordRoundTrip(t *testing.T) {
	t.Parallel()
	rec := testRecord()
	rec.Platforms[0].Files[0], rec.Platforms[0].Files[1] = rec.Platforms[0].Files[1], rec.Platforms[0].Files[0]
	data, err := Encode(rec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if d := Diff(testRecord(), got); len(d) > 0 {
		t.Errorf("round trip differs: %v", d)
	}
	if got.Platforms[0].Files[0].Path != "bin/hello" {
		t.Errorf("files not sorted: %+v", got.Platforms[0].Files)
	}
	for _, c := range []struct{ got, want string }{
		{ArchiveName("hello", "v1.0.0", "linux/amd64"), "hello_1.0.0_linux_amd64.tar.gz"},
		{ArchiveName("inventory", "v2026.3.0", "windows/amd64"), "inventory_2026.3.0_windows_amd64.tar.gz"},
		{ChecksumsName("hello", "v1.0.0"), "hello_1.0.0_checksums.txt"},
		{RecordFileName("hello", "v1.0.0"), "hello_1.0.0_release.json"},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}

// TestDecodeRefuses: a record is input like a bundle's metadata; whatever
// patchline could not have written is refused, saying what.
func TestDecodeRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(r *Record)
		raw    string
		want   string
	}{
		{name: "unknown field", raw: `{"schema": 1, "extra": true}`, want: `unknown field "extra"`},
		{name: "trailing data", raw: "{}{}", want: "trailing data"},
		{name: "schema", change: func(r *Record) { r.Schema = 2 }, want: "schema 2"},
		{name: "product", change: func(r *Record) { r.Product = "../x" }, want: "not a plain name"},
		{name: "tag", change: func(r *Record) { r.Tag = "latest" }, want: "not a release version"},
		{name: "commit", change: func(r *Record) { r.Commit = "abc" }, want: "not a full commit id"},
		{name: "builder", change: func(r *Record) { r.Builder.Name = "make" }, want: `builder "make"`},
		{name: "control character", change: func(r *Record) { r.Toolchain = "go1\x1b[2J" }, want: "toolchain: control character"},
		{name: "no platforms", change: func(r *Record) { r.Platforms = nil }, want: "0 platforms"},
		{name: "platform twice", change: func(r *Record) { r.Platforms[1] = r.Platforms[0] }, want: "listed twice"},
		{name: "archive name", change: func(r *Record) { r.Platforms[0].Archive = "../../etc/passwd" }, want: "archive"},
		{name: "traversal", change: func(r *Record) { r.Platforms[0].Files[0].Path = "../bin/hello" }, want: "leaves the install root"},
		{name: "absolute", change: func(r *Record) { r.Platforms[0].Files[0].Path = "/bin/hello" }, want: "absolute path"},
		{name: "state dir", change: func(r *Record) { r.Platforms[0].Files[0].Path = ".patchline/release.json" }, want: "reaches into .patchline"},
		{name: "record name", change: func(r *Record) { r.Platforms[0].Files[0].Path = RecordName }, want: "record's own name"},
		{name: "duplicate", change: func(r *Record) { r.Platforms[0].Files[1].Path = "BIN/Hello" }, want: "listed twice"},
		{name: "file as directory", change: func(r *Record) { r.Platforms[0].Files[1].Path = "bin/hello/x" }, want: "bin/hello is a file"},
		{name: "mode", change: func(r *Record) { r.Platforms[0].Files[0].Mode = 0o4755 }, want: "mode 4755"},
		{name: "size", change: func(r *Record) { r.Platforms[0].Files[0].Size = 5 << 30 }, want: "size 5368709120"},
		{name: "hash", change: func(r *Record) { r.Platforms[0].Files[0].SHA256 = "abc" }, want: "not a SHA-256"},
		{name: "archive platform", change: func(r *Record) { r.Platform = "plan9/386" }, want: "not one of the record's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data := []byte(tc.raw)
			if tc.change != nil {
				rec := testRecord()
				tc.change(rec)
				var err error
				if data, err = jsonOf(rec); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Decode(data)
			if !errors.Is(err, ErrBadRecord) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Decode: %v, want ErrBadRecord saying %q", err, tc.want)
			}
		})
	}
}

// TestDiff names every difference between a record and a rebuild, and
// compares only the platforms rebuilt.
func TestDiff(t *testing.T) {
	t.Parallel()
	rec := testRecord()
	if d := Diff(rec, testRecord()); len(d) != 0 {
		t.Errorf("a record differs from itself: %v", d)
	}
	rebuilt := testRecord()
	rebuilt.Platforms = rebuilt.Platforms[:1] // a patch built for one platform
	rebuilt.Patchline = "another version"
	if d := Diff(rec, rebuilt); len(d) != 0 {
		t.Errorf("one platform of the release rebuilt the same: %v", d)
	}
	rebuilt.Toolchain, rebuilt.Builder.Version = "go1.27.0", "go1.27.0"
	rebuilt.Config.Packages = []string{"./cmd/hello"}
	rebuilt.Platforms[0].Files[0].SHA256 = sum("other")
	rebuilt.Platforms[0].Files[1].Mode = 0o755
	rebuilt.Platforms[0].Files = append(rebuilt.Platforms[0].Files, File{Path: "extra", Mode: 0o644, SHA256: sum("")})
	rebuilt.Platforms = append(rebuilt.Platforms, Platform{Platform: "darwin/arm64"})
	got := strings.Join(Diff(rec, rebuilt), "\n")
	for _, want := range []string{
		"toolchain: go1.26.8 in the record, go1.27.0 now",
		`[build] packages: ["."] in the record, ["./cmd/hello"] now`,
		"linux/amd64 bin/hello: sha256 " + sum("amd64 binary")[:12] + " (12 bytes) in the record, " + sum("other")[:12] + " (12 bytes) rebuilt",
		"linux/amd64 share/doc/README: mode 644 in the record, 755 rebuilt",
		"linux/amd64 extra: built now",
		"darwin/arm64: the release has no build for this platform (it has linux/amd64, linux/arm64)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Diff:\n%s\nwant a line %q", got, want)
		}
	}
	if strings.Contains(got, "go version") {
		t.Errorf("the go builder's version is the toolchain, said once:\n%s", got)
	}
	err := error(&MismatchError{Tag: "v1.0.0", Differences: Diff(rec, rebuilt)})
	if !errors.Is(err, ErrMismatch) {
		t.Errorf("%v is not ErrMismatch", err)
	}
}

// FuzzDecodeRecord: a release record read from a note or an archive either
// decodes into a record whose every file path a bundle could name, or is
// refused with ErrBadRecord; what it accepts encodes and decodes again.
func FuzzDecodeRecord(f *testing.F) {
	good, err := Encode(testRecord())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	for _, evil := range []string{"../../etc/passwd", "/bin/sh", "bin//hello", "bin/hello\x1b[2J"} {
		f.Add(bytes.ReplaceAll(good, []byte("bin/hello"), []byte(evil)))
	}
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(data)
		if err != nil {
			if !errors.Is(err, ErrBadRecord) {
				t.Fatalf("Decode: %v does not wrap ErrBadRecord", err)
			}
			return
		}
		for _, p := range r.Platforms {
			for _, fl := range p.Files {
				if err := bundle.CheckPath(fl.Path); err != nil {
					t.Fatalf("accepted %q: %v", fl.Path, err)
				}
			}
		}
		again, err := Encode(r)
		if err != nil {
			t.Fatalf("an accepted record does not encode: %v", err)
		}
		if _, err := Decode(again); err != nil {
			t.Fatalf("an encoded record does not decode: %v", err)
		}
	})
}

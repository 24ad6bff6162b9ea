package artifact

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/patchline/patchline/internal/bundle"
)

// Errors of the archive reader, for errors.Is.
var (
	// ErrNotArchive: the file is not gzip-compressed at all.
	ErrNotArchive = errors.New("not a release archive")
	// ErrCorrupt: the archive is damaged, altered or unsafe: a bad gzip or
	// tar stream, a path leaving the root, a link, a duplicate, a size over
	// its bound, a file that is not the record's.
	ErrCorrupt = errors.New("corrupt release archive")
)

// Limits bound what the reader accepts before it reads the data they are
// about; a zero field takes its default.
type Limits struct {
	Files     int   // entries, directories included; default 2 x bundle.MaxFiles
	FileSize  int64 // one file; default bundle.MaxFileSize
	TotalSize int64 // every file together; default DefaultMaxTotalSize
}

// DefaultMaxTotalSize bounds the files of one archive together.
const DefaultMaxTotalSize = 64 << 30

// maxTrailer bounds the zeros a tar writer may pad the stream with after
// the end of the archive (tar pads to 10 KiB records).
const maxTrailer = 1 << 20

func (l Limits) withDefaults() Limits {
	if l.Files <= 0 {
		l.Files = 2 * bundle.MaxFiles
	}
	if l.FileSize <= 0 {
		l.FileSize = bundle.MaxFileSize
	}
	if l.TotalSize <= 0 {
		l.TotalSize = DefaultMaxTotalSize
	}
	return l
}

// WriteArchive writes the archive of one platform of rec to w: the record
// first (with Platform set), then the directories and files of the build in
// files, sorted, each checked against the record as it is read. The bytes
// depend only on the record and the files: owners are root, times are the
// record's SOURCE_DATE_EPOCH, and gzip carries no name or time.
func WriteArchive(w io.Writer, rec *Record, platform string, files fs.FS) error {
	p := rec.Find(platform)
	if p == nil {
		return fmt.Errorf("the record has no build for %s", platform)
	}
	copyRec := *rec
	copyRec.Platform = platform
	recData, err := Encode(&copyRec)
	if err != nil {
		return err
	}
	mtime := time.Unix(rec.SourceDateEpoch, 0).UTC()
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	hdr := func(name string, typ byte, mode int64, size int64) *tar.Header {
		return &tar.Header{Typeflag: typ, Name: name, Mode: mode, Size: size, ModTime: mtime, Format: tar.FormatPAX}
	}
	if err := tw.WriteHeader(hdr(RecordName, tar.TypeReg, 0o644, int64(len(recData)))); err != nil {
		return err
	}
	if _, err := tw.Write(recData); err != nil {
		return err
	}
	sorted := append([]File(nil), p.Files...)
	sort.Slice(sorted, func(a, b int) bool { return sorted[a].Path < sorted[b].Path })
	dirs := map[string]bool{}
	for _, f := range sorted {
		var parents []string
		for d := parent(f.Path); d != "" && !dirs[d]; d = parent(d) {
			parents = append(parents, d)
			dirs[d] = true
		}
		for i := len(parents) - 1; i >= 0; i-- {
			if err := tw.WriteHeader(hdr(parents[i]+"/", tar.TypeDir, 0o755, 0)); err != nil {
				return err
			}
		}
		if err := writeFile(tw, files, f, hdr(f.Path, tar.TypeReg, int64(f.Mode), f.Size)); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

func writeFile(tw *tar.Writer, files fs.FS, f File, h *tar.Header) error {
	rd, err := files.Open(f.Path)
	if err != nil {
		return err
	}
	defer rd.Close()
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(tw, sum), io.LimitReader(rd, f.Size+1))
	if err != nil {
		return fmt.Errorf("%s: %w", f.Path, err)
	}
	if n != f.Size || hex.EncodeToString(sum.Sum(nil)) != f.SHA256 {
		return fmt.Errorf("%s changed since the record was made", f.Path)
	}
	return nil
}

// Entry is one directory or file of an archive, after the record.
type Entry struct {
	Path string // slash-separated, checked as a bundle's paths are
	Dir  bool
	File File // for a file: the record's entry, which it matched
}

// Archive is a release archive that passed every check: read whole, every
// header and file checked against its record, nothing written.
type Archive struct {
	// Record is the release record the archive carries; Record.Platform
	// is the platform of its files.
	Record   *Record
	Platform *Platform
	Dirs     int
	r        io.ReaderAt
	size     int64
	lim      Limits
	recSum   [32]byte
}

// ReadArchive reads and checks a whole release archive of size bytes
// without writing anything: gzip and tar well formed with nothing after
// them; the record first, decoded strictly; then only directories and
// regular files with modes 0755 and 0644, no links or devices, every path
// checked as a bundle's, none twice (case-insensitively), and each file
// exactly the record's (size before its data is read, SHA-256 after),
// every file of the record's platform present. Sizes are bounded by lim
// before anything is read, so a tar bomb is refused before its data is.
func ReadArchive(r io.ReaderAt, size int64, lim Limits) (*Archive, error) {
	a := &Archive{r: r, size: size, lim: lim.withDefaults()}
	if err := a.walk(nil); err != nil {
		return nil, err
	}
	return a, nil
}

// Extract reads the archive again and hands each directory and file to fn,
// in the archive's order (fn gets a nil reader for a directory). A file's reader ends
// with an error wrapping ErrCorrupt instead of io.EOF when its bytes are
// not the record's, and Extract fails when fn did not read them all or the
// archive differs in any way from what ReadArchive checked; the caller
// keeps what fn wrote apart until Extract returns nil.
func (a *Archive) Extract(fn func(e Entry, r io.Reader) error) error {
	return a.walk(fn)
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

func (a *Archive) walk(fn func(Entry, io.Reader) error) error {
	br := bufio.NewReader(io.NewSectionReader(a.r, 0, a.size))
	if magic, _ := br.Peek(2); len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		return fmt.Errorf("%w: no gzip header (a release archive is a .tar.gz that patchline release wrote)", ErrNotArchive)
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return corrupt("gzip: %v", err)
	}
	zr.Multistream(false)
	tr := tar.NewReader(zr)

	// The record, first.
	h, err := tr.Next()
	if err != nil {
		return corrupt("no %s: %v", RecordName, tarErr(err))
	}
	if h.Name != RecordName || h.Typeflag != tar.TypeReg {
		return corrupt("the first entry is %q, not the release record %s", h.Name, RecordName)
	}
	if h.Size < 0 || h.Size > MaxRecordSize {
		return corrupt("%s is %d bytes, at most %d", RecordName, h.Size, MaxRecordSize)
	}
	data, err := io.ReadAll(io.LimitReader(tr, h.Size))
	if err != nil {
		return corrupt("%s: %v", RecordName, tarErr(err))
	}
	recSum := sha256.Sum256(data)
	if a.Record == nil {
		rec, err := Decode(data)
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrCorrupt, RecordName, err)
		}
		if rec.Platform == "" {
			return corrupt("%s does not say which platform the archive is for", RecordName)
		}
		a.Record, a.Platform, a.recSum = rec, rec.Find(rec.Platform), recSum
		if t := a.Platform.TotalSize(); t > a.lim.TotalSize {
			return corrupt("its files are %d bytes together, more than %d", t, a.lim.TotalSize)
		}
		if len(a.Platform.Files) > a.lim.Files {
			return corrupt("%d files, more than %d", len(a.Platform.Files), a.lim.Files)
		}
	} else if recSum != a.recSum {
		return corrupt("%s changed between two reads", RecordName)
	}
	want := make(map[string]File, len(a.Platform.Files))
	for _, f := range a.Platform.Files {
		want[f.Path] = f
	}

	seen := map[string]bool{}   // lower-cased paths, files and directories
	isFile := map[string]bool{} // lower-cased paths of files
	dirs, entries := 0, 0
	var total int64
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return corrupt("%v", tarErr(err))
		}
		entries++
		if entries > a.lim.Files {
			return corrupt("more than %d entries", a.lim.Files)
		}
		e, err := checkHeader(h)
		if err != nil {
			return err
		}
		key := strings.ToLower(e.Path)
		if seen[key] {
			return corrupt("%s is in the archive twice", e.Path)
		}
		seen[key] = true
		for d := parent(e.Path); d != ""; d = parent(d) {
			if isFile[strings.ToLower(d)] {
				return corrupt("%s: %s is a file, not a directory", e.Path, d)
			}
		}
		if e, err = a.checkEntry(h, e, want); err != nil {
			return err
		}
		if e.Dir {
			dirs++
			if fn != nil {
				if err := fn(e, nil); err != nil {
					return err
				}
			}
			continue
		}
		isFile[key] = true
		total += e.File.Size
		if total > a.lim.TotalSize {
			return corrupt("its files are more than %d bytes together", a.lim.TotalSize)
		}
		if err := readFile(tr, e, fn); err != nil {
			return err
		}
	}
	for _, f := range a.Platform.Files {
		if !isFile[strings.ToLower(f.Path)] {
			return corrupt("%s is in the release record, not in the archive", f.Path)
		}
	}
	// Nothing but the zeros a tar writer pads with may follow the end of
	// the archive, and nothing may follow the gzip stream.
	if err := zeros(zr); err != nil {
		return err
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return corrupt("data after the end of the gzip stream")
	}
	a.Dirs = dirs
	return nil
}

// checkHeader refuses any entry install would not write as it is: a type
// other than a directory or a regular file, a path a bundle could not have.
func checkHeader(h *tar.Header) (Entry, error) {
	name := h.Name
	var e Entry
	switch h.Typeflag {
	case tar.TypeDir:
		e.Dir = true
		name = strings.TrimSuffix(name, "/")
	case tar.TypeReg:
	case tar.TypeSymlink, tar.TypeLink:
		return e, corrupt("%s is a link (to %s); a release archive holds only files and directories", h.Name, h.Linkname)
	default:
		return e, corrupt("%s is a %s entry; a release archive holds only files and directories", h.Name, typeName(h.Typeflag))
	}
	if err := bundle.CheckPath(name); err != nil {
		return e, corrupt("%v", err)
	}
	e.Path = name
	if strings.EqualFold(name, RecordName) {
		return e, corrupt("%s is in the archive twice", RecordName)
	}
	if h.Linkname != "" {
		return e, corrupt("%s names a link target %q", h.Name, h.Linkname)
	}
	return e, nil
}

// checkEntry checks an entry against the record: a directory's mode, a
// file's mode and size, before any of its data is read.
func (a *Archive) checkEntry(h *tar.Header, e Entry, want map[string]File) (Entry, error) {
	name := e.Path
	perm := h.Mode &^ 0o170000 // some writers keep the type bits in the mode
	if e.Dir {
		if perm != 0o755 || h.Size != 0 {
			return e, corrupt("directory %s: mode %o size %d, want 755 and 0", name, perm, h.Size)
		}
		if _, ok := want[name]; ok {
			return e, corrupt("%s is a directory in the archive and a file in the record", name)
		}
		return e, nil
	}
	f, ok := want[name]
	if !ok {
		return e, corrupt("%s is not in the release record of %s", name, a.Platform.Platform)
	}
	switch {
	case perm != 0o644 && perm != 0o755:
		return e, corrupt("%s: mode %o, want 644 or 755", name, perm)
	case uint32(perm) != f.Mode:
		return e, corrupt("%s: mode %o, the record says %o", name, perm, f.Mode)
	case h.Size < 0 || h.Size > a.lim.FileSize:
		return e, corrupt("%s: %d bytes, at most %d", name, h.Size, a.lim.FileSize)
	case h.Size != f.Size:
		return e, corrupt("%s: %d bytes, the record says %d", name, h.Size, f.Size)
	}
	e.File = f
	return e, nil
}

// readFile hashes one file's data, handing it to fn on the way.
func readFile(tr io.Reader, e Entry, fn func(Entry, io.Reader) error) error {
	v := &verifying{r: io.LimitReader(tr, e.File.Size), sum: sha256.New(), want: e.File.SHA256, size: e.File.Size, path: e.Path}
	if fn != nil {
		if err := fn(e, v); err != nil {
			return err
		}
	}
	// Whatever fn left unread is hashed too: the check never depends on it.
	if _, err := io.Copy(io.Discard, v); err != nil {
		return err
	}
	return nil
}

// verifying reads a file and ends with ErrCorrupt rather than io.EOF when
// its bytes are not the record's.
type verifying struct {
	r    io.Reader
	sum  hash.Hash
	want string
	size int64
	n    int64
	path string
}

func (v *verifying) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.sum.Write(p[:n])
	v.n += int64(n)
	if err == io.EOF {
		if v.n != v.size {
			return n, corrupt("%s: %d bytes, the record says %d", v.path, v.n, v.size)
		}
		if got := hex.EncodeToString(v.sum.Sum(nil)); got != v.want {
			return n, corrupt("%s: sha256 %s, the record says %s", v.path, short(got), short(v.want))
		}
	} else if err != nil {
		err = corrupt("%s: %v", v.path, tarErr(err))
	}
	return n, err
}

// zeros reads what is left of the decompressed stream: zero bytes only,
// at most maxTrailer of them.
func zeros(r io.Reader) error {
	buf := make([]byte, 32<<10)
	var n int64
	for {
		k, err := r.Read(buf)
		for _, b := range buf[:k] {
			if b != 0 {
				return corrupt("data after the end of the tar archive")
			}
		}
		n += int64(k)
		if n > maxTrailer {
			return corrupt("more than %d bytes after the end of the tar archive", maxTrailer)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return corrupt("gzip: %v", err)
		}
	}
}

func tarErr(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func typeName(t byte) string {
	switch t {
	case tar.TypeChar:
		return "character device"
	case tar.TypeBlock:
		return "block device"
	case tar.TypeFifo:
		return "named pipe"
	case tar.TypeXGlobalHeader:
		return "global header"
	case tar.TypeGNUSparse:
		return "sparse file"
	}
	return fmt.Sprintf("type %q", t)
}

// Checksums is the checksums file as goreleaser and sha256sum write it:
// "<sha256>  <name>" per line, sorted by name.
func Checksums(sums map[string]string) []byte {
	names := make([]string, 0, len(sums))
	for n := range sums {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, n := range names {
		fmt.Fprintf(&b, "%s  %s\n", sums[n], path.Base(n))
	}
	return b.Bytes()
}

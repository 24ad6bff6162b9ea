package gitrepo

import (
	"bytes"
	"container/list"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage"
	"github.com/klauspost/compress/zlib"
)

// packStore serves objects straight from the repository's pack files, in
// front of go-git's own storage. go-git decodes a pack's whole .idx and then
// builds a map of every object's offset the first time it resolves a delta:
// on a repository of a few hundred thousand objects that is most of what a
// `validate ID` costs. Here the .idx and the pack are mapped into memory and
// an object costs a binary search in the fan-out bucket and the inflation of
// its delta chain, as in git itself.
//
// Loose objects (objects/xx/yyyy…) it reads itself too. Anything it cannot
// serve (an alternate, a pack or loose object it cannot read) goes to
// go-git's storage, so it only ever makes reads faster.
type packStore struct {
	storage.Storer
	packs   []*pack
	objects string // the objects directory

	// mu guards the caches and nodes; objects are inflated outside it, so
	// several goroutines can read at once (the pack data never changes).
	mu    sync.Mutex
	cache *baseCache
	// commits keeps the last whole commits read, apart from cache: a walk
	// reads thousands once each, and holding them all would only grow the
	// heap (each new page a fault), while validate --all reads the same
	// base commits for many patches.
	commits *baseCache
	nodes   map[Hash]node // commits read for walks, by id

	zrs   sync.Pool  // zlib readers, reused: a new one allocates its window
	gitMu sync.Mutex // go-git's storage is not read from several goroutines
}

// packCache bounds the inflated objects kept for delta chains and repeated
// reads: the trees and commits of a validate --all over thousands of patches.
const packCache = 96 << 20

// commitCache bounds the whole commits packStore.commits keeps.
const commitCache = 64 << 10

// newStore is a packStore in front of st with no packs yet.
func newStore(st storage.Storer, objectsDir string, packs ...*pack) *packStore {
	return &packStore{Storer: st, packs: packs, objects: objectsDir,
		cache: newBaseCache(packCache), commits: newBaseCache(commitCache), nodes: map[Hash]node{}}
}

// newPackStore puts the packs in objectsDir in front of st. A directory
// without packs, or a platform without memory-mapped files, gives st as it is.
func newPackStore(st storage.Storer, objectsDir string) storage.Storer {
	if !canMap {
		return st
	}
	idxs, _ := filepath.Glob(filepath.Join(objectsDir, "pack", "pack-*.idx"))
	sort.Strings(idxs)
	s := newStore(st, objectsDir)
	for _, idx := range idxs {
		p, err := openPack(idx)
		if err != nil {
			continue // go-git reads it, or reports why it cannot
		}
		s.packs = append(s.packs, p)
	}
	if len(s.packs) == 0 {
		return st
	}
	return s
}

// ConcurrentReads reports whether the repository's objects may be read from
// several goroutines at once: when patchline reads its packs and loose
// objects itself (go-git's storage is not safe for it).
func (r *Repo) ConcurrentReads() bool {
	_, ok := r.git.Storer.(*packStore)
	return ok
}

// EncodedObject implements storer.EncodedObjectStorer.
func (s *packStore) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	for _, p := range s.packs {
		off, ok := p.find(h)
		if !ok {
			continue
		}
		typ, data, err := s.read(p, off, 0)
		if err != nil {
			break // let go-git try, and report the damage in its words
		}
		if t != plumbing.AnyObject && typ != t {
			return nil, plumbing.ErrObjectNotFound
		}
		return &packedObject{hash: h, typ: typ, data: data}, nil
	}
	if typ, data, err := s.loose(h); err == nil {
		if t != plumbing.AnyObject && typ != t {
			return nil, plumbing.ErrObjectNotFound
		}
		return &packedObject{hash: h, typ: typ, data: data}, nil
	}
	s.gitMu.Lock()
	defer s.gitMu.Unlock()
	return s.Storer.EncodedObject(t, h)
}

// maxLooseObject bounds the loose objects loose reads; a larger one (a big
// blob committed but not yet packed) is left to go-git, which streams it.
const maxLooseObject = 64 << 20

// loose reads a loose object: a zlib stream of its header ("blob 12",
// a NUL) and content. Its id is checked, as git checks an object it
// parses, so a file under another object's name is never taken for it.
// Any error (no such file, damage) sends the caller to go-git, which
// reports it in its words. go-git opens each one through a file system
// layer that stats every directory on the way (validate of a patch whose
// commits are not packed yet spent a fifth of its time there).
func (s *packStore) loose(h Hash) (plumbing.ObjectType, []byte, error) {
	hx := h.String()
	raw, err := readFileMax(filepath.Join(s.objects, hx[:2], hx[2:]), maxLooseObject)
	if err != nil {
		return 0, nil, err
	}
	zr, err := s.inflater(raw)
	if err != nil {
		return 0, nil, err
	}
	defer s.zrs.Put(zr)
	var head [32]byte
	n := 0
	for {
		if n == len(head) {
			return 0, nil, errors.New("loose object header too long")
		}
		if _, err := io.ReadFull(zr, head[n:n+1]); err != nil {
			return 0, nil, err
		}
		if head[n] == 0 {
			break
		}
		n++
	}
	kind, sizeText, ok := strings.Cut(string(head[:n]), " ")
	typ, err := plumbing.ParseObjectType(kind)
	if !ok || err != nil || typ < plumbing.CommitObject || typ > plumbing.TagObject {
		return 0, nil, fmt.Errorf("loose object header %q", head[:n])
	}
	size, err := strconv.ParseInt(sizeText, 10, 64)
	if err != nil || size < 0 || size > int64(len(raw))*1032+64 {
		return 0, nil, fmt.Errorf("loose object header %q", head[:n])
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(zr, data); err != nil {
		return 0, nil, err
	}
	var one [1]byte
	if n, err := zr.Read(one[:]); n != 0 || err != io.EOF {
		return 0, nil, errors.New("loose object longer than its header says")
	}
	sum := sha1.New()
	sum.Write(head[:n+1])
	sum.Write(data)
	if !bytes.Equal(sum.Sum(nil), h[:]) {
		return 0, nil, errors.New("loose object is not the object its name says")
	}
	return typ, data, nil
}

// inflater is a zlib reader of src from the pool (a new one allocates
// its window); callers give it back with s.zrs.Put.
func (s *packStore) inflater(src []byte) (io.ReadCloser, error) {
	if zr, ok := s.zrs.Get().(io.ReadCloser); ok {
		if err := zr.(zlib.Resetter).Reset(bytes.NewReader(src), nil); err != nil {
			return nil, err
		}
		return zr, nil
	}
	return zlib.NewReader(bytes.NewReader(src))
}

// readFileMax reads a file of at most max bytes.
func readFileMax(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, errors.New("too large")
	}
	return data, nil
}

// HasEncodedObject implements storer.EncodedObjectStorer.
func (s *packStore) HasEncodedObject(h plumbing.Hash) error {
	for _, p := range s.packs {
		if _, ok := p.find(h); ok {
			return nil
		}
	}
	s.gitMu.Lock()
	defer s.gitMu.Unlock()
	return s.Storer.HasEncodedObject(h)
}

// commitHeadSize is how much of a commit commitNode inflates first: its
// tree, parent, author and committer lines take a few hundred bytes.
const commitHeadSize = 1024

// maxNodes bounds the commits commitNode remembers (about 100 bytes each);
// past it the memory starts again empty.
const maxNodes = 1 << 18

// commitNode reads what a walk needs of a commit (its parents and committer
// time) straight from its inflated bytes, and remembers it: walks over a
// repository without a commit-graph read tens of thousands of commits, often
// the same ones from several branch tips, and go-git's full decoding of each
// (message, signature, a buffered reader per commit) cost more than
// inflating it. ok is false when the commit is not in a pack or does not
// parse; go-git then reads it and reports what is wrong.
func (s *packStore) commitNode(h Hash) (node, bool) {
	s.mu.Lock()
	n, ok := s.nodes[h]
	s.mu.Unlock()
	if ok {
		return n, true
	}
	for _, p := range s.packs {
		off, ok := p.find(h)
		if !ok {
			continue
		}
		// Only the headers: a walk's commits are read once each, and
		// neither their messages nor a place in the object cache are
		// worth what they cost (on a long walk, most of its memory).
		typ, data, whole, err := s.readPrefix(p, off, commitHeadSize, 0)
		if err != nil || typ != plumbing.CommitObject {
			return node{}, false
		}
		n, ok := parseCommitNode(h, data)
		if !ok && !whole {
			// Headers longer than the prefix (an octopus merge, say).
			if typ, data, err = s.read(p, off, 0); err != nil || typ != plumbing.CommitObject {
				return node{}, false
			}
			n, ok = parseCommitNode(h, data)
		}
		if !ok {
			return node{}, false
		}
		s.mu.Lock()
		if len(s.nodes) >= maxNodes {
			clear(s.nodes)
		}
		s.nodes[h] = n
		s.mu.Unlock()
		return n, true
	}
	return node{}, false
}

// parseCommitNode reads a commit object's parent lines and its committer's
// time where git and go-git take them from: "tree", then every "parent",
// then "author" and "committer NAME <EMAIL> SECONDS ZONE". Anything else
// (headers out of that order, ids not in lowercase hex) is left to go-git.
func parseCommitNode(h Hash, data []byte) (node, bool) {
	n := node{id: h, gen: math.MaxUint64}
	line, rest, ok := bytes.Cut(data, []byte("\n"))
	if !ok || len(line) != 45 || !bytes.HasPrefix(line, []byte("tree ")) || !isHexID(line[5:]) {
		return n, false
	}
	for {
		if line, rest, ok = bytes.Cut(rest, []byte("\n")); !ok {
			return n, false
		}
		id, isParent := bytes.CutPrefix(line, []byte("parent "))
		if !isParent {
			break
		}
		if !isHexID(id) {
			return n, false
		}
		var p Hash
		hex.Decode(p[:], id)
		n.parents = append(n.parents, p)
	}
	if bytes.HasPrefix(line, []byte("author ")) {
		if line, _, ok = bytes.Cut(rest, []byte("\n")); !ok {
			return n, false
		}
	}
	sig, ok := bytes.CutPrefix(line, []byte("committer "))
	if !ok {
		return n, false
	}
	// As go-git's Signature.Decode: the seconds follow "> " after the last '>'.
	gt := bytes.LastIndexByte(sig, '>')
	if gt < 0 || bytes.LastIndexByte(sig, '<') > gt || gt+2 >= len(sig) || sig[gt+1] != ' ' {
		return n, false
	}
	secs := sig[gt+2:]
	if sp := bytes.IndexByte(secs, ' '); sp >= 0 {
		secs = secs[:sp]
	}
	t, err := strconv.ParseInt(string(secs), 10, 64)
	if err != nil {
		return n, false
	}
	n.when = time.Unix(t, 0)
	return n, true
}

func isHexID(b []byte) bool {
	if len(b) != 40 {
		return false
	}
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// maxDeltaDepth bounds a delta chain; git writes at most 50 (pack.depth)
// and refuses more than 4095 itself.
const maxDeltaDepth = 10000

var errPack = errors.New("malformed pack")

// read inflates the object at off in p, resolving deltas against their bases.
func (s *packStore) read(p *pack, off int64, depth int) (plumbing.ObjectType, []byte, error) {
	key := baseKey{p, off}
	if typ, data, ok := s.cached(key); ok {
		return typ, data, nil
	}
	if depth > maxDeltaDepth {
		return 0, nil, fmt.Errorf("%w: delta chain longer than %d", errPack, maxDeltaDepth)
	}
	typ, size, n, err := p.header(off)
	if err != nil {
		return 0, nil, err
	}
	pos := off + int64(n)
	var base struct {
		pack *pack
		off  int64
	}
	switch typ {
	case plumbing.CommitObject, plumbing.TreeObject, plumbing.BlobObject, plumbing.TagObject:
	case plumbing.OFSDeltaObject:
		rel, m, err := p.ofsDistance(pos)
		if err != nil {
			return 0, nil, err
		}
		if rel <= 0 || rel > off {
			return 0, nil, fmt.Errorf("%w: delta base offset out of range at %d", errPack, off)
		}
		base.pack, base.off, pos = p, off-rel, pos+int64(m)
	case plumbing.REFDeltaObject:
		if pos+20 > int64(len(p.data)) {
			return 0, nil, fmt.Errorf("%w: truncated at %d", errPack, off)
		}
		var h plumbing.Hash
		copy(h[:], p.data[pos:pos+20])
		pos += 20
		for _, q := range s.packs {
			if o, ok := q.find(h); ok {
				base.pack, base.off = q, o
				break
			}
		}
		if base.pack == nil {
			return 0, nil, fmt.Errorf("%w: delta base %s is not in a pack", errPack, h)
		}
	default:
		return 0, nil, fmt.Errorf("%w: object type %d at %d", errPack, typ, off)
	}
	data, err := s.inflate(p, pos, size)
	if err != nil {
		return 0, nil, err
	}
	if base.pack != nil {
		btyp, bdata, err := s.read(base.pack, base.off, depth+1)
		if err != nil {
			return 0, nil, err
		}
		if data, err = packfile.PatchDelta(bdata, data); err != nil {
			return 0, nil, fmt.Errorf("%w: delta at %d: %v", errPack, off, err)
		}
		typ = btyp
	}
	s.mu.Lock()
	if depth == 0 && base.pack == nil && typ == plumbing.CommitObject {
		s.commits.put(key, typ, data) // a whole commit is seldom a delta base
	} else {
		s.cache.put(key, typ, data)
	}
	s.mu.Unlock()
	return typ, data, nil
}

// cached is the object at key if a cache holds it.
func (s *packStore) cached(key baseKey) (plumbing.ObjectType, []byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if typ, data, ok := s.cache.get(key); ok {
		return typ, data, true
	}
	return s.commits.get(key)
}

// pack is one pack file and its version 2 index, both mapped into memory.
type pack struct {
	idx, data []byte
	n         int
	fanout    []byte // 256 big-endian counts
	names     []byte // n sorted 20-byte ids
	offsets   []byte // n 4-byte offsets; the high bit picks a 64-bit one
	large     []byte // the 64-bit offsets
}

func openPack(idxPath string) (*pack, error) {
	idx, err := mapFile(idxPath)
	if err != nil {
		return nil, err
	}
	data, err := mapFile(strings.TrimSuffix(idxPath, ".idx") + ".pack")
	if err != nil {
		unmapFile(idx)
		return nil, err
	}
	p, err := parsePack(idx, data)
	if err != nil {
		unmapFile(idx)
		unmapFile(data)
		return nil, fmt.Errorf("%s: %w", idxPath, err)
	}
	return p, nil
}

// parsePack checks the layout of a version 2 .idx and the pack's header.
// Checksums are not verified, as git does not on every read either; a damaged
// object shows as a failed inflate or delta, and go-git then reports it.
func parsePack(idx, data []byte) (*pack, error) {
	const head = 8 + 256*4
	if len(idx) < head+40 || !bytes.Equal(idx[:8], []byte{0xff, 't', 'O', 'c', 0, 0, 0, 2}) {
		return nil, fmt.Errorf("%w: not a version 2 pack index", errPack)
	}
	if len(data) < 12+20 || string(data[:4]) != "PACK" {
		return nil, fmt.Errorf("%w: not a pack file", errPack)
	}
	p := &pack{idx: idx, data: data, fanout: idx[8:head]}
	prev := uint32(0)
	for i := 0; i < 256; i++ {
		c := binary.BigEndian.Uint32(p.fanout[i*4:])
		if c < prev {
			return nil, fmt.Errorf("%w: index fan-out is not sorted", errPack)
		}
		prev = c
	}
	p.n = int(prev)
	if uint32(p.n) != binary.BigEndian.Uint32(data[8:]) {
		return nil, fmt.Errorf("%w: index and pack disagree on the object count", errPack)
	}
	end := head + p.n*20
	if len(idx) < end+p.n*8+40 {
		return nil, fmt.Errorf("%w: index is truncated", errPack)
	}
	p.names = idx[head:end]
	p.offsets = idx[end+p.n*4 : end+p.n*8]
	p.large = idx[end+p.n*8 : len(idx)-40]
	return p, nil
}

func (p *pack) find(h plumbing.Hash) (int64, bool) {
	lo := 0
	if h[0] > 0 {
		lo = int(binary.BigEndian.Uint32(p.fanout[(int(h[0])-1)*4:]))
	}
	hi := int(binary.BigEndian.Uint32(p.fanout[int(h[0])*4:]))
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		switch c := bytes.Compare(p.names[mid*20:mid*20+20], h[:]); {
		case c == 0:
			off := int64(binary.BigEndian.Uint32(p.offsets[mid*4:]))
			if off&0x80000000 != 0 {
				k := int(off & 0x7fffffff)
				if (k+1)*8 > len(p.large) {
					return 0, false
				}
				off = int64(binary.BigEndian.Uint64(p.large[k*8:]))
			}
			if off < 12 || off >= int64(len(p.data))-20 {
				return 0, false
			}
			return off, true
		case c < 0:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return 0, false
}

// header reads an object's type and inflated size at off, and how many bytes
// the header takes.
func (p *pack) header(off int64) (plumbing.ObjectType, int64, int, error) {
	b := p.data[off:]
	if len(b) == 0 {
		return 0, 0, 0, fmt.Errorf("%w: truncated at %d", errPack, off)
	}
	c := b[0]
	typ := plumbing.ObjectType((c >> 4) & 7)
	size := int64(c & 0x0f)
	shift := uint(4)
	n := 1
	for c&0x80 != 0 {
		if n >= len(b) || shift > 56 {
			return 0, 0, 0, fmt.Errorf("%w: bad object header at %d", errPack, off)
		}
		c = b[n]
		size |= int64(c&0x7f) << shift
		shift += 7
		n++
	}
	return typ, size, n, nil
}

// ofsDistance reads the base distance of an OFS_DELTA, in git's
// offset encoding (each continuation adds one before shifting).
func (p *pack) ofsDistance(pos int64) (int64, int, error) {
	b := p.data[pos:]
	var d int64
	for i := 0; i < len(b) && i < 9; i++ {
		c := b[i]
		if i > 0 {
			d++
		}
		d = d<<7 | int64(c&0x7f)
		if c&0x80 == 0 {
			return d, i + 1, nil
		}
	}
	return 0, 0, fmt.Errorf("%w: bad delta base offset at %d", errPack, pos)
}

// inflate decompresses exactly size bytes from the zlib stream at pos in p.
func (s *packStore) inflate(p *pack, pos, size int64) ([]byte, error) {
	avail := int64(len(p.data)) - 20 - pos
	// Deflate expands at most about 1032:1: a size beyond that is damage,
	// refused before it is allocated.
	if avail <= 0 || size < 0 || size > avail*1032+64 {
		return nil, fmt.Errorf("%w: object at %d declares %d bytes", errPack, pos, size)
	}
	zr, err := s.inflater(p.data[pos : pos+avail])
	if err != nil {
		return nil, fmt.Errorf("%w: inflate at %d: %v", errPack, pos, err)
	}
	defer s.zrs.Put(zr)
	out := make([]byte, size)
	if _, err := io.ReadFull(zr, out); err != nil {
		return nil, fmt.Errorf("%w: inflate at %d: %v", errPack, pos, err)
	}
	// The stream must end here; reading its end checks its Adler-32.
	var one [1]byte
	if n, err := zr.Read(one[:]); n != 0 || err != io.EOF {
		return nil, fmt.Errorf("%w: inflate at %d: the object is longer than %d bytes or damaged", errPack, pos, size)
	}
	return out, nil
}

// packedObject is an object read from a pack: its id is known, so go-git
// never hashes it again.
type packedObject struct {
	hash plumbing.Hash
	typ  plumbing.ObjectType
	data []byte
}

var _ plumbing.EncodedObject = (*packedObject)(nil)

func (o *packedObject) Hash() plumbing.Hash           { return o.hash }
func (o *packedObject) Type() plumbing.ObjectType     { return o.typ }
func (o *packedObject) SetType(t plumbing.ObjectType) { o.typ = t }
func (o *packedObject) Size() int64                   { return int64(len(o.data)) }
func (o *packedObject) SetSize(int64)                 {}
func (o *packedObject) Reader() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(o.data)), nil
}
func (o *packedObject) Writer() (io.WriteCloser, error) {
	return nil, errors.New("objects read from a pack are read-only")
}

var _ storer.EncodedObjectStorer = (*packStore)(nil)

// baseCache is a least-recently-used cache of inflated objects by pack and
// offset, bounded in bytes.
type baseCache struct {
	max, size int
	ll        *list.List
	items     map[baseKey]*list.Element
}

type baseKey struct {
	p   *pack
	off int64
}

type baseEntry struct {
	key  baseKey
	typ  plumbing.ObjectType
	data []byte
}

func newBaseCache(max int) *baseCache {
	return &baseCache{max: max, ll: list.New(), items: map[baseKey]*list.Element{}}
}

func (c *baseCache) get(k baseKey) (plumbing.ObjectType, []byte, bool) {
	e, ok := c.items[k]
	if !ok {
		return 0, nil, false
	}
	c.ll.MoveToFront(e)
	be := e.Value.(*baseEntry)
	return be.typ, be.data, true
}

func (c *baseCache) put(k baseKey, typ plumbing.ObjectType, data []byte) {
	if len(data) > c.max/4 {
		return // one huge blob would flush everything else
	}
	c.items[k] = c.ll.PushFront(&baseEntry{k, typ, data})
	c.size += len(data)
	for c.size > c.max {
		e := c.ll.Back()
		be := e.Value.(*baseEntry)
		c.ll.Remove(e)
		delete(c.items, be.key)
		c.size -= len(be.data)
	}
}

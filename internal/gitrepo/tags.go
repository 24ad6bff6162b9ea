package gitrepo

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// tagHeadSize is how much of an object tagHead inflates first: the headers
// of a tag object ("object", "type", "tag", "tagger") fit in it, while its
// message may be a whole release's notes. Real tags of large projects carry
// tens of kilobytes each, and listing a few hundred of them in full was most
// of what `validate ID` cost on such a repository.
const tagHeadSize = 1024

// tagHead is what Tags needs of the object a tag ref names: its type, and for
// a tag object the object it points at and the tagger's time.
type tagHead struct {
	typ        plumbing.ObjectType
	target     Hash
	targetType plumbing.ObjectType
	tagged     time.Time
}

// tagHead reads the head of object h from the packs: for an object stored
// whole, only its first bytes are inflated; a delta is resolved in full. ok
// is false when h is not in a pack or its head does not parse as git writes
// it; go-git then reads it and reports what is wrong.
func (s *packStore) tagHead(h Hash) (tagHead, bool) {
	for _, p := range s.packs {
		off, ok := p.find(h)
		if !ok {
			continue
		}
		typ, _, _, err := p.header(off)
		if err != nil {
			return tagHead{}, false
		}
		switch typ {
		case plumbing.CommitObject, plumbing.TreeObject, plumbing.BlobObject:
			return tagHead{typ: typ}, true
		}
		typ, data, whole, err := s.readPrefix(p, off, tagHeadSize, 0)
		if err == nil && typ == plumbing.TagObject && !whole && !bytes.Contains(data, []byte("\n\n")) {
			typ, data, err = s.read(p, off, 0) // headers longer than the prefix
		}
		if err != nil {
			return tagHead{}, false
		}
		if typ != plumbing.TagObject {
			return tagHead{typ: typ}, true
		}
		return parseTagHead(data)
	}
	return tagHead{}, false
}

// objectType is the type of packed object h, read from its pack entry's
// header; a delta's type is its base's.
func (s *packStore) objectType(h Hash) (plumbing.ObjectType, bool) {
	for _, p := range s.packs {
		off, ok := p.find(h)
		if !ok {
			continue
		}
		for depth := 0; depth <= maxDeltaDepth; depth++ {
			typ, _, n, err := p.header(off)
			if err != nil || typ != plumbing.OFSDeltaObject {
				if err != nil || typ == plumbing.REFDeltaObject {
					return plumbing.InvalidObject, false // go-git resolves it
				}
				return typ, true
			}
			rel, _, err := p.ofsDistance(off + int64(n))
			if err != nil || rel <= 0 || rel > off {
				return plumbing.InvalidObject, false
			}
			off -= rel
		}
		return plumbing.InvalidObject, false
	}
	return plumbing.InvalidObject, false
}

// inflatePrefix decompresses the first min(size, limit) bytes of the zlib
// stream at pos. The rest of the stream, and its checksum, are not read.
func (s *packStore) inflatePrefix(p *pack, pos, size, limit int64) ([]byte, error) {
	avail := int64(len(p.data)) - 20 - pos
	if avail <= 0 || size < 0 {
		return nil, fmt.Errorf("%w: object at %d declares %d bytes", errPack, pos, size)
	}
	zr, err := s.inflater(p.data[pos : pos+avail])
	if err != nil {
		return nil, fmt.Errorf("%w: inflate at %d: %v", errPack, pos, err)
	}
	defer s.zrs.Put(zr)
	out := make([]byte, min(size, limit))
	if _, err := io.ReadFull(zr, out); err != nil {
		return nil, fmt.Errorf("%w: inflate at %d: %v", errPack, pos, err)
	}
	return out, nil
}

// parseTagHead reads a tag object's headers as git writes them: "object ID",
// "type T", "tag NAME", then "tagger NAME <EMAIL> SECONDS ZONE" (absent in
// some very old tags). Anything else is left to go-git.
func parseTagHead(data []byte) (tagHead, bool) {
	th := tagHead{typ: plumbing.TagObject}
	line, rest, ok := bytes.Cut(data, []byte("\n"))
	id, isObject := bytes.CutPrefix(line, []byte("object "))
	if !ok || !isObject || !isHexID(id) {
		return th, false
	}
	hex.Decode(th.target[:], id)
	line, rest, ok = bytes.Cut(rest, []byte("\n"))
	typ, isType := bytes.CutPrefix(line, []byte("type "))
	if !ok || !isType {
		return th, false
	}
	t, err := plumbing.ParseObjectType(string(typ))
	if err != nil {
		return th, false
	}
	th.targetType = t
	if line, rest, ok = bytes.Cut(rest, []byte("\n")); !ok || !bytes.HasPrefix(line, []byte("tag ")) {
		return th, false
	}
	line, _, ok = bytes.Cut(rest, []byte("\n"))
	sig, isTagger := bytes.CutPrefix(line, []byte("tagger "))
	if !ok || !isTagger {
		return th, len(line) == 0 // no tagger: a tag made before git recorded one
	}
	// As go-git's Signature.Decode: the seconds follow "> " after the last '>'.
	gt := bytes.LastIndexByte(sig, '>')
	if gt < 0 || gt+2 >= len(sig) || sig[gt+1] != ' ' {
		return th, false
	}
	secs := sig[gt+2:]
	if sp := bytes.IndexByte(secs, ' '); sp >= 0 {
		secs = secs[:sp]
	}
	sec, err := strconv.ParseInt(string(secs), 10, 64)
	if err != nil {
		return th, false
	}
	th.tagged = time.Unix(sec, 0).UTC()
	return th, true
}

// readPrefix reads at least the first limit bytes of the object at off (all
// of it when it is shorter; whole says so), resolving a delta only as far as
// those bytes need: a delta's copy instructions name the bytes of its base
// they take, so its base is read only up to the last of them. A tag stored
// as a delta of another tag takes its headers from the start of that tag,
// and its base's message is never inflated.
func (s *packStore) readPrefix(p *pack, off, limit int64, depth int) (typ plumbing.ObjectType, data []byte, whole bool, err error) {
	if typ, data, ok := s.cached(baseKey{p, off}); ok {
		return typ, data, true, nil
	}
	if depth > maxDeltaDepth {
		return 0, nil, false, fmt.Errorf("%w: delta chain longer than %d", errPack, maxDeltaDepth)
	}
	typ, size, n, err := p.header(off)
	if err != nil {
		return 0, nil, false, err
	}
	pos := off + int64(n)
	var bp *pack
	var boff int64
	switch typ {
	case plumbing.CommitObject, plumbing.TreeObject, plumbing.BlobObject, plumbing.TagObject:
		data, err := s.inflatePrefix(p, pos, size, limit)
		return typ, data, int64(len(data)) == size, err
	case plumbing.OFSDeltaObject:
		rel, m, err := p.ofsDistance(pos)
		if err != nil {
			return 0, nil, false, err
		}
		if rel <= 0 || rel > off {
			return 0, nil, false, fmt.Errorf("%w: delta base offset out of range at %d", errPack, off)
		}
		bp, boff, pos = p, off-rel, pos+int64(m)
	default:
		// A delta naming its base by id: read it whole, as read does.
		typ, data, err := s.read(p, off, depth)
		return typ, data, true, err
	}
	delta, err := s.inflate(p, pos, size)
	if err != nil {
		return 0, nil, false, err
	}
	need, tgtSize, err := deltaNeeds(delta, limit)
	if err != nil {
		return 0, nil, false, fmt.Errorf("%w: delta at %d: %v", errPack, off, err)
	}
	btyp, base, _, err := s.readPrefix(bp, boff, need, depth+1)
	if err != nil {
		return 0, nil, false, err
	}
	out, err := patchPrefix(base, delta, limit)
	if err != nil {
		return 0, nil, false, fmt.Errorf("%w: delta at %d: %v", errPack, off, err)
	}
	return btyp, out, int64(len(out)) == tgtSize, nil
}

// deltaOps walks a git delta's instructions (after its two sizes) until the
// output holds limit bytes, calling copy for each copy from the base and
// insert for each literal. It returns the target's size.
func deltaOps(delta []byte, limit int64, copyFn func(off, n int64) error, insertFn func(b []byte)) (int64, error) {
	i := 0
	varint := func() (int64, error) {
		var v int64
		for shift := uint(0); i < len(delta) && shift < 63; shift += 7 {
			c := delta[i]
			i++
			v |= int64(c&0x7f) << shift
			if c&0x80 == 0 {
				return v, nil
			}
		}
		return 0, errors.New("bad size")
	}
	if _, err := varint(); err != nil {
		return 0, err
	}
	tgt, err := varint()
	if err != nil {
		return 0, err
	}
	var out int64
	for out < limit && out < tgt && i < len(delta) {
		op := delta[i]
		i++
		switch {
		case op&0x80 != 0:
			var o, n int64
			for b := uint(0); b < 4; b++ {
				if op&(1<<b) != 0 {
					if i >= len(delta) {
						return 0, errors.New("truncated copy")
					}
					o |= int64(delta[i]) << (8 * b)
					i++
				}
			}
			for b := uint(0); b < 3; b++ {
				if op&(0x10<<b) != 0 {
					if i >= len(delta) {
						return 0, errors.New("truncated copy")
					}
					n |= int64(delta[i]) << (8 * b)
					i++
				}
			}
			if n == 0 {
				n = 0x10000
			}
			if err := copyFn(o, n); err != nil {
				return 0, err
			}
			out += n
		case op != 0:
			if i+int(op) > len(delta) {
				return 0, errors.New("truncated insert")
			}
			insertFn(delta[i : i+int(op)])
			i += int(op)
			out += int64(op)
		default:
			return 0, errors.New("reserved instruction 0")
		}
	}
	if out > tgt || (out < tgt && out < limit) {
		return 0, errors.New("the instructions do not make the target's size")
	}
	return tgt, nil
}

// deltaNeeds says how much of its base a delta reads to make its first
// limit bytes, and the size of its target.
func deltaNeeds(delta []byte, limit int64) (need, tgt int64, err error) {
	tgt, err = deltaOps(delta, limit, func(o, n int64) error {
		need = max(need, o+n)
		return nil
	}, func([]byte) {})
	return need, tgt, err
}

// patchPrefix makes the first limit bytes (or more, to the end of the
// instruction that crosses limit) of a delta's target from a prefix of its
// base.
func patchPrefix(base, delta []byte, limit int64) ([]byte, error) {
	var out []byte
	_, err := deltaOps(delta, limit, func(o, n int64) error {
		if o+n > int64(len(base)) {
			return errors.New("copy past the end of the base")
		}
		out = append(out, base[o:o+n]...)
		return nil
	}, func(b []byte) { out = append(out, b...) })
	return out, err
}

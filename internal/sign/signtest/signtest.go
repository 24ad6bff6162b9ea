// Package signtest is a Sigstore for tests, offline: sigstore-go's virtual
// Sigstore (a Fulcio-like certificate authority, a Rekor-like log and a
// timestamp authority, all in memory) that signs files keylessly for an
// identity and issuer and writes the Sigstore bundle and the trusted root
// JSON that verify them, as cosign sign-blob and Sigstore's TUF repository
// would. Only tests import it.
package signtest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"time"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	rekortilespb "github.com/sigstore/rekor-tiles/v2/pkg/generated/protobuf"
	rekornote "github.com/sigstore/rekor-tiles/v2/pkg/note"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
	flog "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"google.golang.org/protobuf/encoding/protojson"
)

// Sigstore is one virtual Sigstore deployment, with a Rekor v2 (tiles)
// log beside the virtual Sigstore's Rekor v1 one.
type Sigstore struct {
	vs *ca.VirtualSigstore
	// v2Key signs the Rekor v2 log's checkpoints.
	v2Key *ecdsa.PrivateKey
}

// rekorV2URL is the Rekor v2 log's URL: checkpoints are signed under its
// host name.
const rekorV2URL = "https://rekor-v2.localhost"

// New makes a virtual Sigstore with fresh keys. Its certificates are valid
// for ten minutes from now, its log and authorities for an hour.
func New() (*Sigstore, error) {
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		return nil, fmt.Errorf("virtual sigstore: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return &Sigstore{vs: vs, v2Key: key}, nil
}

// RootOptions say what a trusted root holds beside the Sigstore's own
// certificate authority, log and timestamp authority.
type RootOptions struct {
	// CTLogs adds the Sigstore's CT log, which makes certificates need an
	// SCT (the virtual Sigstore's have none).
	CTLogs bool
	// AlsoLogsOf trusts the transparency logs of other Sigstores too, but
	// not their certificate authorities.
	AlsoLogsOf []*Sigstore
}

// TrustedRoot is the Sigstore's trusted_root.json.
func (s *Sigstore) TrustedRoot(opts RootOptions) ([]byte, error) {
	logs := s.logs()
	for _, o := range opts.AlsoLogsOf {
		maps.Copy(logs, o.logs())
	}
	var ct map[string]*root.TransparencyLog
	if opts.CTLogs {
		ct = rawIDs(s.vs.CTLogs())
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, s.vs.FulcioCertificateAuthorities(), ct, s.vs.TimestampingAuthorities(), logs)
	if err != nil {
		return nil, err
	}
	return tr.MarshalJSON()
}

// logs are the Sigstore's Rekor v1 and v2 logs, keyed by hex log id.
func (s *Sigstore) logs() map[string]*root.TransparencyLog {
	logs := rawIDs(s.vs.RekorLogs())
	id := s.v2LogID()
	logs[hex.EncodeToString(id)] = &root.TransparencyLog{
		BaseURL: rekorV2URL, ID: id, HashFunc: crypto.SHA256, SignatureHashFunc: crypto.SHA256,
		PublicKey:           s.v2Key.Public(),
		ValidityPeriodStart: time.Now().Add(-time.Hour), ValidityPeriodEnd: time.Now().Add(time.Hour),
	}
	return logs
}

// v2LogID is the Rekor v2 log's id: the SHA-256 of its key's DER.
func (s *Sigstore) v2LogID() []byte {
	der, err := x509.MarshalPKIXPublicKey(s.v2Key.Public())
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(der)
	return sum[:]
}

// rawIDs copies logs with their IDs as the raw key IDs trusted_root.json
// holds: the virtual Sigstore keeps them in hex.
func rawIDs(logs map[string]*root.TransparencyLog) map[string]*root.TransparencyLog {
	out := map[string]*root.TransparencyLog{}
	for id, l := range logs {
		c := *l
		if raw, err := hex.DecodeString(string(l.ID)); err == nil {
			c.ID = raw
		}
		out[id] = &c
	}
	return out
}

// SignOptions leave parts out of a bundle.
type SignOptions struct {
	NoTlog      bool // no transparency log entry
	NoTimestamp bool // no RFC 3161 timestamp
	// RekorV2 logs the signature in the Rekor v2 log instead: a
	// hashedrekord 0.0.2 entry with an inclusion proof in a tree of
	// several entries and no promise, so only a timestamp says when.
	RekorV2 bool
	// CheckpointOrigin, with RekorV2, puts this first line in the signed
	// checkpoint instead of the log's host name: "NAME - 42" is how a
	// Rekor v1 checkpoint starts, which verifiers read the other way.
	CheckpointOrigin string
}

// Sign signs data keylessly as identity, vouched for by issuer, and
// returns the Sigstore bundle (v0.3 JSON) cosign sign-blob --bundle would
// write: the leaf certificate, the message signature with data's SHA-256,
// a hashedrekord log entry with its inclusion proof and promise, and an
// RFC 3161 timestamp.
func (s *Sigstore) Sign(identity, issuer string, data []byte, opts SignOptions) ([]byte, error) {
	ent, err := s.vs.Sign(identity, issuer, data)
	if err != nil {
		return nil, err
	}
	vc, err := ent.VerificationContent()
	if err != nil {
		return nil, err
	}
	sc, err := ent.SignatureContent()
	if err != nil {
		return nil, err
	}
	ms := sc.MessageSignatureContent()
	if ms == nil {
		return nil, errors.New("virtual sigstore: no message signature")
	}
	vm := &protobundle.VerificationMaterial{
		Content: &protobundle.VerificationMaterial_Certificate{
			Certificate: &protocommon.X509Certificate{RawBytes: vc.Certificate().Raw},
		},
	}
	if !opts.NoTlog {
		entries, err := ent.TlogEntries()
		if err != nil {
			return nil, err
		}
		var tle *protorekor.TransparencyLogEntry
		if opts.RekorV2 {
			tle, err = s.rekorV2Entry(vc.Certificate(), ms.Signature(), ms.Digest(), opts.CheckpointOrigin)
		} else {
			tle, err = s.withInclusionProof(entries[0])
		}
		if err != nil {
			return nil, err
		}
		vm.TlogEntries = []*protorekor.TransparencyLogEntry{tle}
	}
	if !opts.NoTimestamp {
		tsrs, err := ent.Timestamps()
		if err != nil {
			return nil, err
		}
		vm.TimestampVerificationData = &protobundle.TimestampVerificationData{}
		for _, tsr := range tsrs {
			vm.TimestampVerificationData.Rfc3161Timestamps = append(vm.TimestampVerificationData.Rfc3161Timestamps,
				&protocommon.RFC3161SignedTimestamp{SignedTimestamp: tsr})
		}
	}
	sum := sha256.Sum256(data)
	b := &protobundle.Bundle{
		MediaType:            "application/vnd.dev.sigstore.bundle.v0.3+json",
		VerificationMaterial: vm,
		Content: &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
			MessageDigest: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: sum[:]},
			Signature:     ms.Signature(),
		}},
	}
	js, err := protojson.Marshal(b)
	if err != nil {
		return nil, err
	}
	// protojson varies its whitespace on purpose; cosign indents by two.
	var compact, out bytes.Buffer
	if err := json.Compact(&compact, js); err != nil {
		return nil, err
	}
	if err := json.Indent(&out, compact.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// withInclusionProof logs the entry again as the only one of a new tree,
// with its inclusion proof and a promise (SET) for that index, as a v0.3
// bundle needs; the virtual Sigstore's own entry has only a promise.
func (s *Sigstore) withInclusionProof(e *tlog.Entry) (*protorekor.TransparencyLogEntry, error) {
	tle := e.TransparencyLogEntry()
	body := tle.GetCanonicalizedBody()
	set, err := s.vs.RekorSignPayload(tlog.RekorPayload{
		Body: base64.StdEncoding.EncodeToString(body), IntegratedTime: tle.GetIntegratedTime(),
		LogIndex: 0, LogID: hex.EncodeToString(tle.GetLogId().GetKeyId()),
	})
	if err != nil {
		return nil, err
	}
	proof, err := s.vs.GetInclusionProof(body)
	if err != nil {
		return nil, err
	}
	rootHash, err := hex.DecodeString(*proof.RootHash)
	if err != nil {
		return nil, err
	}
	return &protorekor.TransparencyLogEntry{
		LogIndex:          0,
		LogId:             &protocommon.LogId{KeyId: tle.GetLogId().GetKeyId()},
		KindVersion:       &protorekor.KindVersion{Kind: "hashedrekord", Version: "0.0.1"},
		IntegratedTime:    tle.GetIntegratedTime(),
		InclusionPromise:  &protorekor.InclusionPromise{SignedEntryTimestamp: set},
		InclusionProof:    &protorekor.InclusionProof{LogIndex: 0, RootHash: rootHash, TreeSize: *proof.TreeSize, Checkpoint: &protorekor.Checkpoint{Envelope: *proof.Checkpoint}},
		CanonicalizedBody: body,
	}, nil
}

// rekorV2Entry logs a signature in the Rekor v2 log as the fourth of six
// entries and returns its entry with the inclusion proof and the signed
// checkpoint, as Rekor v2 returns them.
func (s *Sigstore) rekorV2Entry(cert *x509.Certificate, sig, digest []byte, origin string) (*protorekor.TransparencyLogEntry, error) {
	alg, err := signature.GetDefaultAlgorithmDetails(cert.PublicKey, options.WithED25519ph())
	if err != nil {
		return nil, err
	}
	entry := &rekortilespb.Entry{
		ApiVersion: "0.0.2", Kind: "hashedrekord",
		Spec: &rekortilespb.Spec{Spec: &rekortilespb.Spec_HashedRekordV002{HashedRekordV002: &rekortilespb.HashedRekordLogEntryV002{
			Data: &protocommon.HashOutput{Algorithm: alg.GetProtoHashType(), Digest: digest},
			Signature: &rekortilespb.Signature{Content: sig, Verifier: &rekortilespb.Verifier{
				KeyDetails: alg.GetSignatureAlgorithm(),
				Verifier:   &rekortilespb.Verifier_X509Certificate{X509Certificate: &protocommon.X509Certificate{RawBytes: cert.Raw}},
			}},
		}}},
	}
	js, err := protojson.Marshal(entry)
	if err != nil {
		return nil, err
	}
	body, err := jsoncanonicalizer.Transform(js)
	if err != nil {
		return nil, err
	}
	const index, size = 3, 6
	leaves := make([][]byte, size)
	for i := range leaves {
		leaves[i] = rfc6962.DefaultHasher.HashLeaf([]byte(fmt.Sprintf("entry %d", i)))
	}
	leaves[index] = rfc6962.DefaultHasher.HashLeaf(body)
	sv, err := signature.LoadECDSASignerVerifier(s.v2Key, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(rekorV2URL)
	signer, err := rekornote.NewNoteSigner(context.Background(), u.Hostname(), sv)
	if err != nil {
		return nil, err
	}
	if origin == "" {
		origin = u.Hostname()
	}
	cp := flog.Checkpoint{Origin: origin, Size: size, Hash: treeHash(leaves)}.Marshal()
	signed, err := note.Sign(&note.Note{Text: string(cp)}, signer)
	if err != nil {
		return nil, err
	}
	return &protorekor.TransparencyLogEntry{
		LogIndex:    index,
		LogId:       &protocommon.LogId{KeyId: s.v2LogID()},
		KindVersion: &protorekor.KindVersion{Kind: "hashedrekord", Version: "0.0.2"},
		InclusionProof: &protorekor.InclusionProof{LogIndex: index, TreeSize: size, RootHash: treeHash(leaves),
			Hashes: inclusionPath(index, leaves), Checkpoint: &protorekor.Checkpoint{Envelope: string(signed)}},
		CanonicalizedBody: body,
	}, nil
}

// treeHash is RFC 6962's Merkle tree hash of leaf hashes.
func treeHash(leaves [][]byte) []byte {
	if len(leaves) == 1 {
		return leaves[0]
	}
	k := split(len(leaves))
	return rfc6962.DefaultHasher.HashChildren(treeHash(leaves[:k]), treeHash(leaves[k:]))
}

// inclusionPath is RFC 6962's audit path of leaf m, leaf first.
func inclusionPath(m int, leaves [][]byte) [][]byte {
	if len(leaves) == 1 {
		return nil
	}
	k := split(len(leaves))
	if m < k {
		return append(inclusionPath(m, leaves[:k]), treeHash(leaves[k:]))
	}
	return append(inclusionPath(m-k, leaves[k:]), treeHash(leaves[:k]))
}

// split is the largest power of two below n.
func split(n int) int {
	k := 1
	for k*2 < n {
		k *= 2
	}
	return k
}

// Package signtest is a Sigstore for tests, offline: sigstore-go's virtual
// Sigstore (a Fulcio-like certificate authority, a Rekor-like log and a
// timestamp authority, all in memory) that signs files keylessly for an
// identity and issuer and writes the Sigstore bundle and the trusted root
// JSON that verify them, as cosign sign-blob and Sigstore's TUF repository
// would. Only tests import it.
package signtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"google.golang.org/protobuf/encoding/protojson"
)

// Sigstore is one virtual Sigstore deployment.
type Sigstore struct {
	vs *ca.VirtualSigstore
}

// New makes a virtual Sigstore with fresh keys. Its certificates are valid
// for ten minutes from now, its log and authorities for an hour.
func New() (*Sigstore, error) {
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		return nil, fmt.Errorf("virtual sigstore: %w", err)
	}
	return &Sigstore{vs: vs}, nil
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
	logs := rawIDs(s.vs.RekorLogs())
	for _, o := range opts.AlsoLogsOf {
		maps.Copy(logs, rawIDs(o.vs.RekorLogs()))
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
		tle, err := s.withInclusionProof(entries[0])
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

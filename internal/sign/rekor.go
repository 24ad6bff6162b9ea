package sign

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
	flog "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/patchline/patchline/internal/lazyre"
)

// Transparency log (Rekor) entries of keyless bundles, checked offline the
// way sigstore-go's verify.VerifyTlogEntry checks them: the entry's promise
// (a signed entry timestamp) and its inclusion proof against a checkpoint
// signed by a log of the trusted root, and, for Rekor v1, that the entry
// logged this bundle's signature, certificate and digest. Rekor v2 entries
// are checked by rebuilding the entry from the bundle and proving that it
// is in the log, so nothing in their body is trusted.
//
// patchline checks these itself rather than through sigstore-go's verify
// package because that package links Rekor's generated API models and
// Rekor v2's gRPC service (over 200 packages whose initialisation every
// patchline command paid for at start, about 9 ms). keyless_diff_test.go
// holds this code to sigstore-go's verifier, bundle by bundle.

const (
	// maxTlogEntries and maxTimestamps bound what a bundle may carry, as
	// sigstore-go does, so a crafted bundle cannot make verification slow.
	maxTlogEntries = 32
	maxTimestamps  = 32
)

// logEntry is one transparency log entry of a bundle, its body parsed.
type logEntry struct {
	tle *protorekor.TransparencyLogEntry
	// v2 is a Rekor v2 (tiles) entry: hashedrekord 0.0.2.
	v2 bool
	// For Rekor v1, what the body says was logged: the signature, the
	// PEM block of the certificate or key, and the digest.
	signature []byte
	publicKey []byte
	digest    []byte
	digestAlg string
}

func (e *logEntry) keyID() string { return string(e.tle.GetLogId().GetKeyId()) }
func (e *logEntry) hasPromise() bool {
	return e.tle.GetInclusionPromise() != nil && e.tle.GetInclusionPromise().SignedEntryTimestamp != nil
}
func (e *logEntry) hasProof() bool { return e.tle.GetInclusionProof() != nil }
func (e *logEntry) integratedTime() time.Time {
	if e.tle.GetIntegratedTime() == 0 {
		return time.Time{}
	}
	return time.Unix(e.tle.GetIntegratedTime(), 0)
}

// hashedRekordV001 is the body of a Rekor v1 hashedrekord 0.0.1 entry.
type hashedRekordV001 struct {
	Spec struct {
		Data struct {
			Hash *struct {
				Algorithm string `json:"algorithm"`
				Value     string `json:"value"`
			} `json:"hash"`
		} `json:"data"`
		Signature *struct {
			Content   []byte `json:"content"`
			PublicKey *struct {
				Content []byte `json:"content"`
			} `json:"publicKey"`
		} `json:"signature"`
	} `json:"spec"`
}

// hashedRekordV002 is the body of a Rekor v2 hashedrekord 0.0.2 entry, in
// protobuf's JSON form. Only its shape is checked, as sigstore-go checks
// it: verification rebuilds the entry from the bundle and never trusts it.
type hashedRekordV002 struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Spec       struct {
		HashedRekordV002 *struct {
			Data *struct {
				Algorithm json.RawMessage `json:"algorithm"`
				Digest    protoBytes      `json:"digest"`
			} `json:"data"`
			Signature *struct {
				Content  protoBytes `json:"content"`
				Verifier *struct {
					PublicKey *struct {
						RawBytes protoBytes `json:"rawBytes"`
					} `json:"publicKey"`
					X509Certificate *struct {
						RawBytes protoBytes `json:"rawBytes"`
					} `json:"x509Certificate"`
					KeyDetails json.RawMessage `json:"keyDetails"`
				} `json:"verifier"`
			} `json:"signature"`
		} `json:"hashedRekordV002"`
	} `json:"spec"`
}

// protoBytes is a bytes field in protobuf's JSON form: base64, standard or
// URL-safe, padded or not.
type protoBytes string

func (b protoBytes) valid() bool {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if _, err := enc.DecodeString(string(b)); err == nil {
			return true
		}
	}
	return false
}

// protoEnum says whether an enum field in protobuf's JSON form is absent,
// a name of values, or a number.
func protoEnum(raw json.RawMessage, values map[string]int32) bool {
	if len(raw) == 0 {
		return true
	}
	var name string
	if json.Unmarshal(raw, &name) == nil {
		_, ok := values[name]
		return ok
	}
	var n int32
	return json.Unmarshal(raw, &n) == nil
}

// check is sigstore-go's check of a Rekor v2 body: a signature with its
// content and a certificate or key, and data.
func (b *hashedRekordV002) check() error {
	h := b.Spec.HashedRekordV002
	if h == nil || h.Data == nil || h.Signature == nil || h.Signature.Content == "" || h.Signature.Verifier == nil {
		return errors.New("a hashedrekord entry's body lacks its digest, signature or verifier")
	}
	v := h.Signature.Verifier
	switch {
	case (v.PublicKey == nil) == (v.X509Certificate == nil):
		return errors.New("a hashedrekord entry's verifier must hold one key or certificate")
	case v.PublicKey != nil && v.PublicKey.RawBytes == "", v.X509Certificate != nil && v.X509Certificate.RawBytes == "":
		return errors.New("a hashedrekord entry's verifier is empty")
	}
	fields := []protoBytes{h.Data.Digest, h.Signature.Content}
	if v.PublicKey != nil {
		fields = append(fields, v.PublicKey.RawBytes)
	} else {
		fields = append(fields, v.X509Certificate.RawBytes)
	}
	for _, f := range fields {
		if !f.valid() {
			return errors.New("a hashedrekord entry's body holds a field that is not base64")
		}
	}
	if !protoEnum(h.Data.Algorithm, protocommon.HashAlgorithm_value) || !protoEnum(v.KeyDetails, protocommon.PublicKeyDetails_value) {
		return errors.New("a hashedrekord entry's body names an unknown algorithm")
	}
	return nil
}

var digestHexLen = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}

// parseLogEntry reads a bundle's log entry. Only hashedrekord entries are
// read: a message signature is logged as one.
func parseLogEntry(tle *protorekor.TransparencyLogEntry) (*logEntry, error) {
	if tle == nil || tle.CanonicalizedBody == nil || tle.LogIndex < 0 || tle.LogId == nil || tle.LogId.KeyId == nil || tle.KindVersion == nil {
		return nil, errors.New("a transparency log entry lacks its body, index, log id or kind")
	}
	if p := tle.InclusionProof; p != nil && (p.Checkpoint == nil || p.Checkpoint.Envelope == "") {
		return nil, errors.New("a transparency log entry's inclusion proof has no checkpoint")
	}
	var head struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(tle.CanonicalizedBody, &head); err != nil {
		return nil, fmt.Errorf("a transparency log entry's body is not JSON: %v", err)
	}
	e := &logEntry{tle: tle}
	switch {
	case head.Kind == "hashedrekord" && head.APIVersion == "0.0.1":
		var b hashedRekordV001
		if err := json.Unmarshal(tle.CanonicalizedBody, &b); err != nil {
			return nil, fmt.Errorf("a hashedrekord entry's body: %v", err)
		}
		h, s := b.Spec.Data.Hash, b.Spec.Signature
		if h == nil || s == nil || s.PublicKey == nil || len(s.Content) == 0 || len(s.PublicKey.Content) == 0 {
			return nil, errors.New("a hashedrekord entry's body lacks its hash, signature or key")
		}
		n, ok := digestHexLen[h.Algorithm]
		if !ok || len(h.Value) != n {
			return nil, fmt.Errorf("a hashedrekord entry's hash %s:%s is not a SHA-2 digest", h.Algorithm, h.Value)
		}
		d, err := hex.DecodeString(h.Value)
		if err != nil {
			return nil, fmt.Errorf("a hashedrekord entry's hash: %v", err)
		}
		e.signature, e.publicKey, e.digest, e.digestAlg = s.Content, s.PublicKey.Content, d, h.Algorithm
	case head.Kind == "hashedrekord" && head.APIVersion == "0.0.2":
		var b hashedRekordV002
		d := json.NewDecoder(bytes.NewReader(tle.CanonicalizedBody))
		d.DisallowUnknownFields()
		if err := d.Decode(&b); err != nil {
			return nil, fmt.Errorf("a hashedrekord entry's body: %v", err)
		}
		if err := b.check(); err != nil {
			return nil, err
		}
		e.v2 = true
	default:
		return nil, fmt.Errorf("a transparency log entry of kind %s %s, where a message signature is logged as hashedrekord", head.Kind, head.APIVersion)
	}
	return e, nil
}

// signedContent is what a keyless bundle signed, for checking its log
// entries against: the signature, the certificate, and the message digest.
type signedContent struct {
	signature []byte
	cert      *x509.Certificate
	digest    []byte
	digestAlg protocommon.HashAlgorithm
}

// verifyLogEntries checks the bundle's log entries against the trusted
// root and returns the times the logs promised to have seen them. At least
// one log of the root must have verified an entry. Entries from logs the
// root does not name are skipped, as are entries whose promise does not
// verify; an entry whose inclusion proof does not verify, or that logged
// another signature, fails the whole bundle.
func verifyLogEntries(tr *root.TrustedRoot, entries []*logEntry, sc signedContent) ([]time.Time, error) {
	if len(entries) > maxTlogEntries {
		return nil, fmt.Errorf("too many transparency log entries: %d, at most %d", len(entries), maxTlogEntries)
	}
	for i := range entries {
		for j := i + 1; j < len(entries); j++ {
			if entries[i].keyID() == entries[j].keyID() && entries[i].tle.LogIndex == entries[j].tle.LogIndex {
				return nil, errors.New("the same transparency log entry is in the bundle twice")
			}
		}
	}
	logs := tr.RekorLogs()
	verified, timed := map[string]bool{}, map[string]bool{}
	var times []time.Time
	for _, e := range entries {
		log, ok := logs[hex.EncodeToString([]byte(e.keyID()))]
		if !ok {
			continue
		}
		if !e.hasPromise() && !e.hasProof() {
			return nil, errors.New("a transparency log entry has neither an inclusion proof nor a promise")
		}
		if e.v2 && !e.hasProof() {
			return nil, errors.New("a Rekor v2 entry has no inclusion proof")
		}
		if e.hasPromise() {
			if e.v2 || verifyPromise(e, log) != nil {
				continue
			}
		}
		if e.hasProof() {
			if err := verifyInclusion(e, log, sc); err != nil {
				return nil, err
			}
		}
		if !e.v2 {
			if err := sameAsLogged(e, sc); err != nil {
				return nil, err
			}
		}
		if t := e.integratedTime(); !t.IsZero() && (sc.cert.NotAfter.Before(t) || sc.cert.NotBefore.After(t)) {
			return nil, errors.New("the log saw the entry outside its certificate's validity")
		}
		// One time per log: a log's promise is one observer, however many
		// of its entries the bundle carries.
		if e.hasPromise() && !timed[e.keyID()] {
			timed[e.keyID()] = true
			times = append(times, e.integratedTime())
		}
		verified[e.keyID()] = true
	}
	if len(verified) < 1 {
		return nil, errors.New("no entry verified against a transparency log of the trusted root")
	}
	return times, nil
}

// sameAsLogged checks that a Rekor v1 entry logged this bundle: the same
// signature, certificate and digest.
func sameAsLogged(e *logEntry, sc signedContent) error {
	if !bytes.Equal(e.signature, sc.signature) {
		return errors.New("the transparency log entry logged another signature")
	}
	block, _ := pem.Decode(e.publicKey)
	if block == nil {
		return errors.New("the transparency log entry logged another certificate")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil || !c.Equal(sc.cert) {
		return errors.New("the transparency log entry logged another certificate")
	}
	want := map[protocommon.HashAlgorithm]string{protocommon.HashAlgorithm_SHA2_256: "sha256", protocommon.HashAlgorithm_SHA2_384: "sha384", protocommon.HashAlgorithm_SHA2_512: "sha512"}[sc.digestAlg]
	if e.digestAlg != want {
		return fmt.Errorf("the transparency log entry logged a %s digest, the bundle a %s one", e.digestAlg, sc.digestAlg)
	}
	if !bytes.Equal(e.digest, sc.digest) {
		return fmt.Errorf("the transparency log entry logged digest %x, not the bundle's %x", e.digest, sc.digest)
	}
	return nil
}

// verifyPromise checks a Rekor v1 entry's signed entry timestamp: the
// log's signature over the entry's body, time, index and log id.
func verifyPromise(e *logEntry, log *root.TransparencyLog) error {
	t := e.integratedTime()
	if log.ValidityPeriodStart.IsZero() {
		return errors.New("the log's key has no start of validity")
	}
	if log.ValidityPeriodStart.After(t) || (!log.ValidityPeriodEnd.IsZero() && log.ValidityPeriodEnd.Before(t)) {
		return errors.New("the log's key was not valid when the entry was logged")
	}
	payload, err := json.Marshal(struct {
		Body           string `json:"body"`
		IntegratedTime int64  `json:"integratedTime"`
		LogIndex       int64  `json:"logIndex"`
		LogID          string `json:"logID"`
	}{base64.StdEncoding.EncodeToString(e.tle.CanonicalizedBody), e.tle.IntegratedTime, e.tle.LogIndex, hex.EncodeToString([]byte(e.keyID()))})
	if err != nil {
		return err
	}
	canonical, err := jsoncanonicalizer.Transform(payload)
	if err != nil {
		return err
	}
	pk, ok := log.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return fmt.Errorf("a log key of type %T cannot sign a promise", log.PublicKey)
	}
	sum := sha256.Sum256(canonical)
	if !ecdsa.VerifyASN1(pk, sum[:], e.tle.InclusionPromise.SignedEntryTimestamp) {
		return errors.New("the promise does not verify")
	}
	return nil
}

// rekorV1Origin is how a Rekor v1 checkpoint's first line ends: the tree id.
var rekorV1Origin = lazyre.New(`.* - [0-9]+$`)

// verifyInclusion checks the entry's inclusion proof against its
// checkpoint, signed by the log.
func verifyInclusion(e *logEntry, log *root.TransparencyLog, sc signedContent) error {
	v, err := signature.LoadVerifier(log.PublicKey, log.SignatureHashFunc)
	if err != nil {
		return fmt.Errorf("the log's key: %v", err)
	}
	p := e.tle.InclusionProof
	envelope := p.GetCheckpoint().GetEnvelope()
	if lines := strings.Split(envelope, "\n"); len(lines) >= 4 && rekorV1Origin.MatchString(lines[0]) {
		if p.LogIndex < 0 || p.TreeSize < 0 {
			return errors.New("the inclusion proof's index or tree size is negative")
		}
		leaf := rfc6962.DefaultHasher.HashLeaf(e.tle.CanonicalizedBody)
		if e.v2 {
			// Its body is never compared with the bundle (sameAsLogged is
			// for Rekor v1 bodies), so it must be the bundle's own entry.
			// sigstore-go does not ask this; patchline is stricter here.
			want, err := rekorV2EntryHash(sc)
			if err != nil {
				return err
			}
			if !bytes.Equal(leaf, want) {
				return errors.New("the Rekor v2 entry is not this bundle's signature")
			}
		}
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(p.LogIndex), uint64(p.TreeSize), leaf, p.Hashes, p.RootHash); err != nil {
			return fmt.Errorf("the inclusion proof: %v", err)
		}
		return verifyRekorV1Checkpoint(envelope, v, p.RootHash)
	}
	if log.BaseURL == "" {
		return errors.New("the trusted root names no URL for the Rekor v2 log, which its checkpoints are signed under")
	}
	u, err := url.Parse(log.BaseURL)
	if err != nil {
		return fmt.Errorf("the Rekor v2 log's URL: %v", err)
	}
	nv, err := newNoteVerifier(u.Hostname(), v)
	if err != nil {
		return err
	}
	leaf, err := rekorV2EntryHash(sc)
	if err != nil {
		return err
	}
	cp, _, _, err := flog.ParseCheckpoint([]byte(envelope), nv.Name(), nv)
	if err != nil {
		return fmt.Errorf("the checkpoint: %v", err)
	}
	if e.tle.LogIndex < 0 {
		return errors.New("the entry's index is negative")
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(e.tle.LogIndex), cp.Size, leaf, p.Hashes, cp.Hash); err != nil {
		return fmt.Errorf("the inclusion proof: %v", err)
	}
	return nil
}

// verifyRekorV1Checkpoint checks a Rekor v1 signed checkpoint (a signed
// note whose every signature must be the log's) and that it commits to
// rootHash.
func verifyRekorV1Checkpoint(envelope string, v signature.Verifier, rootHash []byte) error {
	data := []byte(envelope)
	split := bytes.LastIndex(data, []byte("\n\n"))
	if split < 0 || data[len(data)-1] != '\n' {
		return errors.New("the checkpoint is not a signed note")
	}
	text, sigs := data[:split+1], data[split+2:]
	pk, err := v.PublicKey()
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKIXPublicKey(pk)
	if err != nil {
		return fmt.Errorf("the log's key: %v", err)
	}
	keyHash := sha256.Sum256(der)
	digest := sha256.Sum256(text)
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(sigs))
	for sc.Scan() {
		name, b64, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "\u2014 "), " ")
		if !ok || name == "" || !strings.HasPrefix(sc.Text(), "\u2014 ") {
			return errors.New("the checkpoint's signature line is malformed")
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err != nil || len(raw) < 5 {
			return errors.New("the checkpoint's signature is malformed")
		}
		if !bytes.Equal(raw[:4], keyHash[:4]) {
			return errors.New("the checkpoint is signed by another key than the log's")
		}
		var opts []signature.VerifyOption
		switch pk.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey:
			opts = append(opts, options.WithDigest(digest[:]))
		case ed25519.PublicKey:
		default:
			return fmt.Errorf("a log key of type %T", pk)
		}
		if err := v.VerifySignature(bytes.NewReader(raw[4:]), bytes.NewReader(text), opts...); err != nil {
			return errors.New("the checkpoint's signature does not verify with the log's key")
		}
		n++
	}
	if n == 0 {
		return errors.New("the checkpoint is not signed")
	}
	lines := strings.Split(string(text), "\n")
	if len(lines) < 4 || lines[0] == "" {
		return errors.New("the checkpoint is malformed")
	}
	if _, err := strconv.ParseUint(lines[1], 10, 64); err != nil {
		return fmt.Errorf("the checkpoint's tree size: %v", err)
	}
	h, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil {
		return fmt.Errorf("the checkpoint's root hash: %v", err)
	}
	if !bytes.Equal(h, rootHash) {
		return fmt.Errorf("the checkpoint's root hash %x is not the inclusion proof's %x", h, rootHash)
	}
	return nil
}

// noteVerifier checks a Rekor v2 checkpoint's signature: a signed note
// (C2SP signed-note) under the log's host name.
type noteVerifier struct {
	name string
	hash uint32
	v    signature.Verifier
}

func (n *noteVerifier) Name() string    { return n.name }
func (n *noteVerifier) KeyHash() uint32 { return n.hash }
func (n *noteVerifier) Verify(msg, sig []byte) bool {
	return n.v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(msg)) == nil
}

var _ note.Verifier = (*noteVerifier)(nil)

// newNoteVerifier names the log's key as Rekor v2 does: an ECDSA key by
// the SHA-256 of its DER, Ed25519 and RSA keys by C2SP's key hash over
// the origin.
func newNoteVerifier(origin string, v signature.Verifier) (*noteVerifier, error) {
	if origin == "" || !utf8.ValidString(origin) || strings.IndexFunc(origin, unicode.IsSpace) >= 0 || strings.Contains(origin, "+") {
		return nil, fmt.Errorf("the Rekor v2 log's host name %q cannot name a checkpoint", origin)
	}
	pk, err := v.PublicKey()
	if err != nil {
		return nil, err
	}
	conformant := func(alg []byte, key []byte) uint32 {
		h := sha256.New()
		h.Write([]byte(origin + "\n"))
		h.Write(alg)
		h.Write(key)
		return binary.BigEndian.Uint32(h.Sum(nil))
	}
	var hash uint32
	switch k := pk.(type) {
	case *ecdsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(der)
		hash = binary.BigEndian.Uint32(sum[:])
	case ed25519.PublicKey:
		hash = conformant([]byte{1}, k)
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return nil, err
		}
		hash = conformant(append([]byte{255}, "PKIX-RSA-PKCS#1v1.5"...), der)
	default:
		return nil, fmt.Errorf("a log key of type %T", pk)
	}
	return &noteVerifier{name: origin, hash: hash, v: v}, nil
}

// rekorV2EntryHash rebuilds the Rekor v2 hashedrekord 0.0.2 entry that
// logging this bundle's signature made, canonical JSON of its protobuf
// form, and returns its Merkle leaf hash.
func rekorV2EntryHash(sc signedContent) ([]byte, error) {
	alg, err := signature.GetDefaultAlgorithmDetails(sc.cert.PublicKey, options.WithED25519ph())
	if err != nil {
		return nil, fmt.Errorf("the certificate's key: %v", err)
	}
	if alg.GetHashType() == crypto.Hash(0) {
		return nil, errors.New("a Rekor v2 log takes only prehashed signatures")
	}
	// protobuf's JSON leaves out empty fields and enums at zero.
	put := func(m map[string]any, k string, v any, empty bool) {
		if !empty {
			m[k] = v
		}
	}
	data := map[string]any{}
	put(data, "algorithm", alg.GetProtoHashType().String(), alg.GetProtoHashType() == 0)
	put(data, "digest", base64.StdEncoding.EncodeToString(sc.digest), len(sc.digest) == 0)
	verifier := map[string]any{"x509Certificate": map[string]any{"rawBytes": base64.StdEncoding.EncodeToString(sc.cert.Raw)}}
	put(verifier, "keyDetails", alg.GetSignatureAlgorithm().String(), alg.GetSignatureAlgorithm() == 0)
	sig := map[string]any{"verifier": verifier}
	put(sig, "content", base64.StdEncoding.EncodeToString(sc.signature), len(sc.signature) == 0)
	entry := map[string]any{
		"kind": "hashedrekord", "apiVersion": "0.0.2",
		"spec": map[string]any{"hashedRekordV002": map[string]any{"data": data, "signature": sig}},
	}
	js, err := json.Marshal(entry)
	if err != nil {
		return nil, err
	}
	canonical, err := jsoncanonicalizer.Transform(js)
	if err != nil {
		return nil, err
	}
	return rfc6962.DefaultHasher.HashLeaf(canonical), nil
}

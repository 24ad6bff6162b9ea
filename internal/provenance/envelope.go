package provenance

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	slsa "github.com/in-toto/attestation/go/predicates/provenance/v1"
	attv1 "github.com/in-toto/attestation/go/v1"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/patchline/patchline/internal/sign"
)

// KeyID is the DSSE keyid of a key: its SSH SHA-256 fingerprint, what
// go-securesystemslib's envelope verifier, and so cosign, computes for a
// key and compares with a signature's keyid before it tries the
// signature.
func KeyID(k *sign.PublicKey) (string, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(k.PEM())
	if err != nil {
		return "", err
	}
	return dsse.SHA256KeyID(pub)
}

// Sign signs a statement's canonical bytes as a DSSE envelope, one line of
// JSON and a newline, as cosign attest-blob writes it (with the keyid).
// The payload is exactly payload; ECDSA signatures are randomized, so
// only an Ed25519 key gives the same envelope twice.
func Sign(key *sign.PrivateKey, payload []byte) ([]byte, error) {
	if _, _, err := Parse(payload); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBad, err)
	}
	sig, err := key.Sign(bytes.NewReader(dsse.PAE(PayloadType, payload)))
	if err != nil {
		return nil, err
	}
	keyID, err := KeyID(key.Public())
	if err != nil {
		return nil, fmt.Errorf("sign provenance: %w", err)
	}
	env := dsse.Envelope{
		PayloadType: PayloadType,
		Payload:     base64.StdEncoding.EncodeToString(payload),
		Signatures:  []dsse.Signature{{KeyID: keyID, Sig: base64.StdEncoding.EncodeToString(sig.Raw)}},
	}
	out, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("sign provenance: %w", err)
	}
	return append(out, '\n'), nil
}

// Verified is a statement whose envelope verified, about the file checked.
type Verified struct {
	Statement  *attv1.Statement
	Provenance *slsa.Provenance
	// Params are the parameters of patchline's build types; nil for a
	// statement another builder made.
	Params *Parameters
	// Subject is the name the statement gives the file.
	Subject string
	KeyID   string
}

// Verify checks an envelope as cosign verify-blob-attestation does, and
// more: one DSSE envelope of an in-toto statement, signed over its PAE by
// key (a signature whose keyid names another key is not tried), naming
// the file's SHA-256 (sha256, hex) as a subject, of SLSA provenance v1
// with a valid predicate. Any failure wraps ErrInvalid.
func Verify(key *sign.PublicKey, envelope []byte, sha256 string) (*Verified, error) {
	if len(envelope) > MaxSize {
		return nil, invalid("an attestation of %d bytes is too large", len(envelope))
	}
	var env dsse.Envelope
	dec := json.NewDecoder(bytes.NewReader(envelope))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		return nil, invalid("not a DSSE envelope: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, invalid("more than one DSSE envelope: patchline writes one per file, as cosign reads it")
	}
	if env.PayloadType != PayloadType {
		return nil, invalid("payload type %q: want %s (an in-toto statement)", env.PayloadType, PayloadType)
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, invalid("the envelope's payload is not base64")
	}
	if len(env.Signatures) == 0 {
		return nil, invalid("the envelope holds no signature")
	}
	ours, err := KeyID(key)
	if err != nil {
		return nil, err
	}
	pae := dsse.PAE(PayloadType, payload)
	var others []string
	verified := false
	for _, s := range env.Signatures {
		if s.KeyID != "" && s.KeyID != ours {
			others = append(others, s.KeyID)
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil || len(raw) == 0 {
			continue
		}
		if key.Verify(bytes.NewReader(pae), &sign.Signature{Raw: raw, Format: sign.FormatSignature}) == nil {
			verified = true
			break
		}
	}
	if !verified {
		if len(others) == len(env.Signatures) {
			return nil, invalid("signed with another key: the envelope's keyid %s is not this key's (%s)", others[0], ours)
		}
		return nil, invalid("the signature over the statement does not verify with this key (%s): the statement was altered after it was signed, or another key signed it", key.Algorithm())
	}
	st, pred, err := Parse(payload)
	if err != nil {
		return nil, invalid("the signed statement: %v", err)
	}
	if !hasSubject(st, sha256) {
		name, sum, _ := SubjectSHA256(st)
		return nil, invalid("the provenance is for other bytes: its subject %s has sha256 %s, the file's is %s", name, sum, sha256)
	}
	params, err := ParametersOf(pred)
	if err != nil {
		return nil, invalid("the signed statement: %v", err)
	}
	v := &Verified{Statement: st, Provenance: pred, Params: params, KeyID: ours}
	for _, s := range st.GetSubject() {
		if s.GetDigest()["sha256"] == sha256 {
			v.Subject = s.GetName()
			break
		}
	}
	return v, nil
}

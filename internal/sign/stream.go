package sign

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"

	"github.com/sigstore/sigstore/pkg/signature/options"
)

// A MessageVerifier checks signatures over a message that is written to it
// once, as a copy of it is made: it keeps the digests the key and the
// signatures need, never the message, so the copy and the check are one
// pass over the original. It always takes the SHA-256, which callers
// report.
type MessageVerifier struct {
	key    *PublicKey
	hashes map[crypto.Hash]hash.Hash
	n      int64
}

// NewMessageVerifier returns a MessageVerifier for sigs, the signatures
// Verify will be asked about.
func (k *PublicKey) NewMessageVerifier(sigs ...*Signature) *MessageVerifier {
	v := &MessageVerifier{key: k, hashes: map[crypto.Hash]hash.Hash{crypto.SHA256: crypto.SHA256.New()}}
	need := func(h crypto.Hash) {
		if _, ok := v.hashes[h]; !ok && h.Available() {
			v.hashes[h] = h.New()
		}
	}
	if k.prehashed != nil {
		need(crypto.SHA512) // Ed25519ph signs the message's SHA-512
	} else {
		need(k.hash)
	}
	for _, s := range sigs {
		if s.Digest != nil {
			need(s.DigestAlgorithm)
		}
	}
	return v
}

// Write hashes the next bytes of the message.
func (v *MessageVerifier) Write(p []byte) (int, error) {
	for _, h := range v.hashes {
		h.Write(p)
	}
	v.n += int64(len(p))
	return len(p), nil
}

// Size is the number of bytes written.
func (v *MessageVerifier) Size() int64 { return v.n }

// Sum is the digest with h of the bytes written, or nil if it was not
// taken.
func (v *MessageVerifier) Sum(h crypto.Hash) []byte {
	if d, ok := v.hashes[h]; ok {
		return d.Sum(nil)
	}
	return nil
}

// Verify checks sig, given to NewMessageVerifier, over the bytes written,
// as PublicKey.Verify does. Only a pure Ed25519 signature, over the bytes
// themselves, needs the message again: it is read from message, which must
// hold what was written, and is otherwise left unread.
func (v *MessageVerifier) Verify(sig *Signature, message io.Reader) error {
	k := v.key
	var verr error
	switch {
	case k.prehashed != nil:
		verr = k.prehashed.VerifySignature(bytes.NewReader(sig.Raw), nil, options.WithDigest(v.Sum(crypto.SHA512)))
		if verr != nil {
			data, err := io.ReadAll(io.LimitReader(message, v.n+1))
			if err != nil {
				return fmt.Errorf("verify: %w", err)
			}
			// What the signature is checked over must be what was hashed.
			if sum := sha256.Sum256(data); !bytes.Equal(sum[:], v.Sum(crypto.SHA256)) {
				return fmt.Errorf("verify: the message read back is not the %d bytes hashed", v.n)
			}
			verr = k.verifier.VerifySignature(bytes.NewReader(sig.Raw), bytes.NewReader(data))
		}
	default:
		verr = k.verifier.VerifySignature(bytes.NewReader(sig.Raw), nil, options.WithDigest(v.Sum(k.hash)))
	}
	var digest []byte
	if sig.Digest != nil {
		digest = v.Sum(sig.DigestAlgorithm)
	}
	return k.judge(sig, digest, verr)
}

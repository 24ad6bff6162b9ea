package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"io"
	"testing"

	"github.com/sigstore/sigstore/pkg/signature"
)

// signer is a key that signs, and the key that verifies it.
type signer struct {
	name string
	sign func(msg []byte) ([]byte, error)
	pub  *PublicKey
}

func streamSigners(t *testing.T) []signer {
	t.Helper()
	var out []signer
	for _, alg := range Algorithms {
		priv, pub := loadPair(t, alg)
		out = append(out, signer{alg, func(msg []byte) ([]byte, error) {
			s, err := priv.Sign(bytes.NewReader(msg))
			if err != nil {
				return nil, err
			}
			return s.Raw, nil
		}, pub})
	}
	add := func(name string, key crypto.PrivateKey, pubKey crypto.PublicKey, load func() (signature.Signer, error)) {
		sv, err := load()
		if err != nil {
			t.Fatal(err)
		}
		pub, err := newPublicKey(pubKey)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, signer{name, func(msg []byte) ([]byte, error) { return sv.SignMessage(bytes.NewReader(msg)) }, pub})
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	add("ecdsa-p384", p384, p384.Public(), func() (signature.Signer, error) { return signature.LoadDefaultSignerVerifier(p384) })
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	add("rsa-2048", rk, rk.Public(), func() (signature.Signer, error) { return signature.LoadDefaultSignerVerifier(rk) })
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	add("ed25519ph", ed, ed.Public(), func() (signature.Signer, error) { return signature.LoadED25519phSigner(ed) })
	return out
}

// TestMessageVerifierAgreesWithVerify: checking signatures from digests
// taken while a file is copied gives exactly Verify's answer, for every
// key kind, for good and bad signatures, bare and in Sigstore bundles.
func TestMessageVerifierAgreesWithVerify(t *testing.T) {
	t.Parallel()
	msg := bytes.Repeat([]byte("PLBUNDLE a bundle, copied once "), 3000)
	other := append(bytes.Clone(msg), '!')
	for _, s := range streamSigners(t) {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			raw, err := s.sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(msg)
			otherSum := sha256.Sum256(other)
			flipped := bytes.Clone(raw)
			flipped[len(flipped)/2] ^= 1
			sigs := map[string]*Signature{
				"signature file":          {Raw: raw, Format: FormatSignature},
				"Sigstore bundle":         {Raw: raw, Digest: sum[:], DigestAlgorithm: crypto.SHA256, KeyHint: s.pub.Hint(), Format: FormatSigstoreBundle},
				"flipped signature":       {Raw: flipped, Format: FormatSignature},
				"bundle of other bytes":   {Raw: raw, Digest: otherSum[:], DigestAlgorithm: crypto.SHA256, KeyHint: s.pub.Hint(), Format: FormatSigstoreBundle},
				"bundle of another key":   {Raw: raw, Digest: sum[:], DigestAlgorithm: crypto.SHA256, KeyHint: "c29tZW9uZSBlbHNl", Format: FormatSigstoreBundle},
				"SHA-512 digest, bundled": {Raw: raw, Digest: sha512Of(msg), DigestAlgorithm: crypto.SHA512, Format: FormatSigstoreBundle},
			}
			var all []*Signature
			for _, sig := range sigs {
				all = append(all, sig)
			}
			for _, message := range [][]byte{msg, other} {
				v := s.pub.NewMessageVerifier(all...)
				if _, err := io.Copy(v, bytes.NewReader(message)); err != nil {
					t.Fatal(err)
				}
				for name, sig := range sigs {
					want := s.pub.Verify(bytes.NewReader(message), sig)
					got := v.Verify(sig, bytes.NewReader(message))
					if good := bytes.Equal(message, msg) && (name == "signature file" || name == "Sigstore bundle" || name == "SHA-512 digest, bundled"); good != (got == nil) {
						t.Errorf("%s over %d bytes: MessageVerifier says %v", name, len(message), got)
					}
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("%s over %d bytes: MessageVerifier says %v, Verify %v", name, len(message), got, want)
					}
				}
				if got := v.Sum(crypto.SHA256); !bytes.Equal(got, sha256Of(message)) || v.Size() != int64(len(message)) {
					t.Errorf("Sum(SHA256), Size() = %x, %d: not the message's", got, v.Size())
				}
			}
		})
	}
}

// TestMessageVerifierReadsOnlyForPureEd25519: a signature over a digest
// (ECDSA, RSA, Ed25519ph) is checked from the digests alone; only a pure
// Ed25519 one reads the message again, and refuses other bytes.
func TestMessageVerifierReadsOnlyForPureEd25519(t *testing.T) {
	t.Parallel()
	msg := []byte("PLBUNDLE read once")
	for _, s := range streamSigners(t) {
		raw, err := s.sign(msg)
		if err != nil {
			t.Fatal(err)
		}
		sig := &Signature{Raw: raw, Format: FormatSignature}
		v := s.pub.NewMessageVerifier(sig)
		v.Write(msg)
		r := &countingReader{r: bytes.NewReader(msg)}
		if err := v.Verify(sig, r); err != nil {
			t.Errorf("%s: %v", s.name, err)
		}
		if pure := s.name == Ed25519; (r.n > 0) != pure {
			t.Errorf("%s: read %d bytes of the message again", s.name, r.n)
		}
		if s.name == Ed25519 {
			if err := v.Verify(sig, bytes.NewReader([]byte("PLBUNDLE read twice"))); err == nil {
				t.Errorf("%s: verified over bytes other than those hashed", s.name)
			}
		}
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func sha256Of(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

func sha512Of(b []byte) []byte {
	h := crypto.SHA512.New()
	h.Write(b)
	return h.Sum(nil)
}

package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	"github.com/sigstore/sigstore/pkg/signature"
)

func password(pw string) PassFunc { return func() ([]byte, error) { return []byte(pw), nil } }

// keyPairs are generated once: scrypt makes each one cost a fraction of a second.
var keyPairs = struct {
	sync.Mutex
	m map[string]*KeyPair
}{m: map[string]*KeyPair{}}

func keyPair(t *testing.T, alg string) *KeyPair {
	t.Helper()
	keyPairs.Lock()
	defer keyPairs.Unlock()
	if kp, ok := keyPairs.m[alg]; ok {
		return kp
	}
	kp, err := GenerateKeyPair(alg, []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	keyPairs.m[alg] = kp
	return kp
}

func loadPair(t *testing.T, alg string) (*PrivateKey, *PublicKey) {
	t.Helper()
	kp := keyPair(t, alg)
	priv, err := ParsePrivateKey(kp.PrivatePEM, password("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(kp.PublicPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !priv.Public().Equal(pub) {
		t.Fatal("the private key's public key is not the public key file's")
	}
	return priv, pub
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ alg, name string }{
		{ECDSAP256, "ecdsa-p256-sha256"},
		{Ed25519, "ed25519"},
	} {
		t.Run(tc.alg, func(t *testing.T) {
			t.Parallel()
			priv, pub := loadPair(t, tc.alg)
			if got := pub.Algorithm(); got != tc.name {
				t.Errorf("Algorithm() = %q, want %q", got, tc.name)
			}
			msg := bytes.Repeat([]byte("patchline bundle "), 1000)
			sig, err := priv.Sign(bytes.NewReader(msg))
			if err != nil {
				t.Fatal(err)
			}
			fromFile, err := ParseSignatureFile(sig.SignatureFile())
			if err != nil {
				t.Fatal(err)
			}
			if err := pub.Verify(bytes.NewReader(msg), fromFile); err != nil {
				t.Errorf("signature file: %v", err)
			}
			sb, err := sig.SigstoreBundle()
			if err != nil {
				t.Fatal(err)
			}
			again, err := sig.SigstoreBundle()
			if err != nil || !bytes.Equal(sb, again) {
				t.Errorf("the Sigstore bundle of one signature is not the same bytes twice")
			}
			fromBundle, err := ParseBundleFile(sb)
			if err != nil {
				t.Fatal(err)
			}
			if fromBundle.KeyHint != pub.Hint() || fromBundle.DigestAlgorithm != crypto.SHA256 {
				t.Errorf("bundle hint %q digest %v, want %q SHA-256", fromBundle.KeyHint, fromBundle.DigestAlgorithm, pub.Hint())
			}
			if err := pub.Verify(bytes.NewReader(msg), fromBundle); err != nil {
				t.Errorf("Sigstore bundle: %v", err)
			}
			for _, want := range []string{`"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"`, `"hint": "` + pub.Hint() + `"`, `"algorithm": "SHA2_256"`} {
				if !strings.Contains(string(sb), want) {
					t.Errorf("Sigstore bundle lacks %s:\n%s", want, sb)
				}
			}
		})
	}
}

// A file made by cosign v2.6.5 (testdata/cosign/README.md) reads and
// verifies here, and patchline's own output has cosign's shape.
func TestCosignFiles(t *testing.T) {
	t.Parallel()
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join("testdata", "cosign", name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	pub, err := ParsePublicKey(read("cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	blob := read("blob")
	sigFile, err := ParseSignatureFile(read("blob.sig"))
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Verify(bytes.NewReader(blob), sigFile); err != nil {
		t.Errorf("cosign's blob.sig: %v", err)
	}
	for _, name := range []string{"blob.sigstore.json", "blob.cosign.json"} {
		sig, err := ParseBundleFile(read(name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := pub.Verify(bytes.NewReader(blob), sig); err != nil {
			t.Errorf("cosign's %s: %v", name, err)
		}
	}
	priv, err := ParsePrivateKey(read("cosign.key"), password("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if !priv.Public().Equal(pub) {
		t.Error("cosign.key's public key is not cosign.pub")
	}
	// The hint is cosign's: blob.sigstore.json carries it.
	sig, _ := ParseBundleFile(read("blob.sigstore.json"))
	if sig.KeyHint != pub.Hint() {
		t.Errorf("Hint() = %s, cosign wrote %s", pub.Hint(), sig.KeyHint)
	}
	ed, err := ParsePrivateKey(read("ed25519.key"), password("pw"))
	if err != nil {
		t.Fatal(err)
	}
	edPub, err := ParsePublicKey(read("ed25519.pub"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := ed.Sign(bytes.NewReader(blob))
	if err != nil {
		t.Fatal(err)
	}
	if err := edPub.Verify(bytes.NewReader(blob), s); err != nil {
		t.Errorf("cosign's imported Ed25519 key: %v", err)
	}
}

// cosign signs with Ed25519ph when it uploads to a transparency log; such
// a signature verifies too.
func TestEd25519ph(t *testing.T) {
	t.Parallel()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ph, err := signature.LoadED25519phSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("bundle")
	raw, err := ph.SignMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := newPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Verify(bytes.NewReader(msg), &Signature{Raw: raw}); err != nil {
		t.Errorf("Ed25519ph: %v", err)
	}
	if err := pub.Verify(bytes.NewReader([]byte("bundlf")), &Signature{Raw: raw}); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("Ed25519ph over other bytes: %v, want ErrInvalidSignature", err)
	}
}

// Every way a signature can fail is ErrInvalidSignature, whichever byte
// of the file, the signature file or the Sigstore bundle was altered.
func TestTamper(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{ECDSAP256, Ed25519} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			priv, pub := loadPair(t, alg)
			msg := []byte("PLBUNDLE\x01\x00\x00\x00 a small bundle")
			other := []byte("PLBUNDLE\x01\x00\x00\x00 another bundle")
			sig, err := priv.Sign(bytes.NewReader(msg))
			if err != nil {
				t.Fatal(err)
			}
			otherSig, err := priv.Sign(bytes.NewReader(other))
			if err != nil {
				t.Fatal(err)
			}
			sigFile := sig.SignatureFile()
			bundleFile, err := sig.SigstoreBundle()
			if err != nil {
				t.Fatal(err)
			}
			otherBundle, _ := otherSig.SigstoreBundle()
			_, stranger := loadPair(t, map[string]string{ECDSAP256: Ed25519, Ed25519: ECDSAP256}[alg])
			fresh, err := GenerateKeyPair(alg, nil)
			if err != nil {
				t.Fatal(err)
			}
			sameAlgStranger := fresh.Public

			check := func(name string, key *PublicKey, message []byte, parse func([]byte) (*Signature, error), file []byte) {
				t.Helper()
				s, err := parse(file)
				if err == nil {
					err = key.Verify(bytes.NewReader(message), s)
				}
				if !errors.Is(err, ErrInvalidSignature) {
					t.Errorf("%s: %v, want ErrInvalidSignature", name, err)
				}
			}
			for i := range msg {
				flipped := bytes.Clone(msg)
				flipped[i] ^= 0xff
				check("bundle byte flipped", pub, flipped, ParseSignatureFile, sigFile)
				check("bundle byte flipped, Sigstore bundle", pub, flipped, ParseBundleFile, bundleFile)
			}
			for i := range sigFile {
				flipped := bytes.Clone(sigFile)
				flipped[i] ^= 0xff
				check("signature byte flipped", pub, msg, ParseSignatureFile, flipped)
			}
			for i := range bundleFile {
				flipped := bytes.Clone(bundleFile)
				flipped[i] ^= 0xff
				check("Sigstore bundle byte flipped", pub, msg, ParseBundleFile, flipped)
			}
			for n := range len(sigFile) {
				check("truncated signature", pub, msg, ParseSignatureFile, sigFile[:n])
			}
			rawSig := base64.StdEncoding.EncodeToString(sig.Raw[:len(sig.Raw)-1])
			check("signature one byte short", pub, msg, ParseSignatureFile, []byte(rawSig))
			for n := range len(bytes.TrimSpace(bundleFile)) {
				check("truncated Sigstore bundle", pub, msg, ParseBundleFile, bundleFile[:n])
			}
			check("another bundle's signature", pub, msg, ParseSignatureFile, otherSig.SignatureFile())
			check("another bundle's Sigstore bundle", pub, msg, ParseBundleFile, otherBundle)
			check("wrong key", sameAlgStranger, msg, ParseSignatureFile, sigFile)
			check("wrong key, Sigstore bundle", sameAlgStranger, msg, ParseBundleFile, bundleFile)
			check("wrong kind of key", stranger, msg, ParseSignatureFile, sigFile)
			check("empty signature file", pub, msg, ParseSignatureFile, nil)
			check("blank signature file", pub, msg, ParseSignatureFile, []byte("\n"))
			check("empty Sigstore bundle", pub, msg, ParseBundleFile, nil)
			check("empty file", pub, nil, ParseSignatureFile, sigFile)
			check("JSON that is not a bundle", pub, msg, ParseBundleFile, []byte(`{"mediaType": "application/json"}`))
			check("a signature file given as a bundle", pub, msg, ParseBundleFile, sigFile)
		})
	}
}

// A bundle from keyless signing, or one holding an attestation, is
// refused with a reason.
func TestBundleRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, json, want string }{
		{"certificate", `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"certificate":{"rawBytes":"AAAA"}},"messageSignature":{"signature":"AAAA"}}`, "keyless"},
		{"dsse", `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"x"}},"dsseEnvelope":{"payload":"AAAA","payloadType":"x","signatures":[{"sig":"AAAA"}]}}`, "DSSE"},
		{"old media type", `{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.4","verificationMaterial":{"publicKey":{"hint":"x"}},"messageSignature":{"signature":"AAAA"}}`, "media type"},
		{"unknown field", `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","extra":1}`, "malformed"},
		{"cosign bundle with certificate", `{"base64Signature":"AAAA","cert":"` + base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----")) + `"}`, "keyless"},
	} {
		_, err := ParseBundleFile([]byte(tc.json))
		if !errors.Is(err, ErrInvalidSignature) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrInvalidSignature mentioning %q", tc.name, err, tc.want)
		}
	}
}

func encryptPEM(t *testing.T, key any, pw string) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := encrypted.Encrypt(der, []byte(pw))
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: SigstorePrivateKeyPEM, Bytes: sealed})
}

func TestKeyErrors(t *testing.T) {
	t.Parallel()
	kp := keyPair(t, ECDSAP256)
	x25519, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	x25519Pub, _ := x509.MarshalPKIXPublicKey(x25519.PublicKey())
	unencrypted, _ := x509.MarshalPKCS8PrivateKey(p224)
	corrupt := bytes.Replace(kp.PrivatePEM, []byte("\n"), []byte("\n!"), 3)
	damaged := pem.EncodeToMemory(&pem.Block{Type: SigstorePrivateKeyPEM, Bytes: []byte(`{"kdf":{}}`)})

	for _, tc := range []struct {
		name    string
		private []byte
		public  []byte
		want    error
		says    string
	}{
		{name: "wrong password", private: kp.PrivatePEM, want: ErrWrongPassword, says: "COSIGN_PASSWORD"},
		{name: "corrupt PEM", private: corrupt, want: ErrBadKey, says: "no PEM block"},
		{name: "not PEM", private: []byte("hello"), want: ErrBadKey, says: "no PEM block"},
		{name: "empty", private: []byte{}, want: ErrBadKey},
		{name: "damaged encryption", private: damaged, want: ErrBadKey, says: "damaged"},
		{name: "public key as private", private: kp.PublicPEM, want: ErrBadKey, says: "public key"},
		{name: "unencrypted key", private: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: unencrypted}), want: ErrBadKey, says: "import-key-pair"},
		{name: "X25519 private", private: encryptPEM(t, x25519, "correct horse"), want: ErrUnsupportedKey},
		{name: "P-224 private", private: encryptPEM(t, p224, "correct horse"), want: ErrUnsupportedKey},
		{name: "RSA 1024 private", private: encryptPEM(t, rsa1024, "correct horse"), want: ErrUnsupportedKey},
		{name: "private key as public", public: kp.PrivatePEM, want: ErrBadKey, says: "private key"},
		{name: "corrupt public", public: corrupt, want: ErrBadKey},
		{name: "garbage in PEM", public: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte("junk")}), want: ErrBadKey},
		{name: "X25519 public", public: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: x25519Pub}), want: ErrUnsupportedKey},
	} {
		var err error
		if tc.private != nil {
			_, err = ParsePrivateKey(tc.private, password("wrong"))
			if tc.want != ErrWrongPassword {
				_, err = ParsePrivateKey(tc.private, password("correct horse"))
			}
		} else {
			_, err = ParsePublicKey(tc.public)
		}
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want %v saying %q", tc.name, err, tc.want, tc.says)
		}
		if err != nil && strings.Contains(err.Error(), "correct horse") {
			t.Errorf("%s: the error shows the password: %v", tc.name, err)
		}
	}
}

func TestReadKeyRef(t *testing.T) {
	t.Parallel()
	kp := keyPair(t, ECDSAP256)
	dir := t.TempDir()
	file := filepath.Join(dir, "cosign.pub")
	if err := os.WriteFile(file, kp.PublicPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"KEY": string(kp.PublicPEM)}
	getenv := func(k string) string { return env[k] }
	for _, ref := range []string{file, "env://KEY"} {
		k, err := LoadPublicKey(ref, getenv)
		if err != nil || !k.Equal(kp.Public) {
			t.Errorf("LoadPublicKey(%s): %v", ref, err)
		}
	}
	for _, tc := range []struct{ ref, says string }{
		{"env://MISSING", "not set"},
		{"env://", "names no variable"},
		{"awskms:///alias/release", "awskms keys are not supported"},
		{"hashivault://release", "hashivault keys are not supported"},
		{"pkcs11:token=x", "pkcs11 keys are not supported"},
		{filepath.Join(dir, "missing.pub"), "no such file"},
		{"", "no key"},
	} {
		_, err := LoadPublicKey(tc.ref, getenv)
		if !errors.Is(err, ErrBadKey) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("LoadPublicKey(%q): %v, want ErrBadKey saying %q", tc.ref, err, tc.says)
		}
	}
	if _, err := LoadPrivateKey("env://KEY", getenv, password("x")); !errors.Is(err, ErrBadKey) {
		t.Errorf("a public key as a private key ref: %v, want ErrBadKey", err)
	}
}

func TestGenerateKeyPairFormat(t *testing.T) {
	t.Parallel()
	kp := keyPair(t, Ed25519)
	block, _ := pem.Decode(kp.PrivatePEM)
	if block == nil || block.Type != SigstorePrivateKeyPEM {
		t.Fatalf("private key PEM type: %v", block)
	}
	// cosign's encrypted format: scrypt and NaCl secretbox, as JSON.
	for _, want := range []string{`"name":"scrypt"`, `"name":"nacl/secretbox"`, `"N":65536`} {
		if !bytes.Contains(block.Bytes, []byte(want)) {
			t.Errorf("encrypted key lacks %s: %s", want, block.Bytes)
		}
	}
	if _, err := GenerateKeyPair("rsa", nil); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("GenerateKeyPair(rsa): %v, want ErrUnsupportedKey", err)
	}
}

func TestParsePrivateKeyNoPassword(t *testing.T) {
	t.Parallel()
	locked, err := GenerateKeyPair(ECDSAP256, []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	open, err := GenerateKeyPair(ECDSAP256, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		key  []byte
		want error
		says string
	}{
		{name: "encrypted key, no password", key: locked.PrivatePEM, want: ErrNoPassword, says: "no password was given: set COSIGN_PASSWORD"},
		{name: "key with the empty password", key: open.PrivatePEM},
	} {
		_, err := ParsePrivateKey(tc.key, password(""))
		if tc.want == nil {
			if err != nil {
				t.Errorf("%s: %v, want a key", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) || errors.Is(err, ErrWrongPassword) {
			t.Errorf("%s: got %v, want %v saying %q", tc.name, err, tc.want, tc.says)
		}
	}
}

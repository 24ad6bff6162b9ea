package sign

import (
	"crypto/sha256"
	"testing"

	"github.com/patchline/patchline/internal/sign/signtest"
)

// FuzzKeyless feeds Sigstore bundles and trusted roots as they arrive from
// a customer's disk, untrusted: the parsers and the verifier refuse or
// accept, never panic, and nothing but the file signed verifies.
func FuzzKeyless(f *testing.F) {
	ss, err := signtest.New()
	if err != nil {
		f.Fatal(err)
	}
	msg := []byte("the bundle's bytes")
	good, err := ss.Sign(testIdentity, testIssuer, msg, signtest.SignOptions{})
	if err != nil {
		f.Fatal(err)
	}
	rootJSON, err := ss.TrustedRoot(signtest.RootOptions{})
	if err != nil {
		f.Fatal(err)
	}
	tr, err := ParseTrustedRoot(rootJSON)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	v2, err := ss.Sign(testIdentity, testIssuer, msg, signtest.SignOptions{RekorV2: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(v2)
	f.Add(rootJSON)
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`))
	sum := sha256.Sum256(msg)
	other := sha256.Sum256([]byte("other bytes"))
	policy := KeylessPolicy{Identity: testIdentity, Issuer: testIssuer}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseTrustedRoot(data)
		b, err := ParseKeylessBundle(data)
		if err != nil {
			return
		}
		if _, err := VerifyKeyless(tr, b, policy, sum[:]); err == nil {
			// Never more lenient than sigstore-go's verifier.
			if err := sigstoreGoVerify(data, rootJSON, policy, sum[:]); err != nil {
				t.Fatalf("patchline verified a bundle sigstore-go refuses: %v", err)
			}
		}
		if _, err := VerifyKeyless(tr, b, policy, other[:]); err == nil {
			t.Fatalf("a bundle for %q verified other bytes", msg)
		}
	})
}

package sign

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/patchline/patchline/internal/sign/signtest"
)

const (
	testIdentity = "https://github.com/acme/inventory/.github/workflows/patchline.yml@refs/heads/patch/PL-2026-0007"
	testIssuer   = GitHubActionsIssuer
)

func newSigstore(t *testing.T) *signtest.Sigstore {
	t.Helper()
	s, err := signtest.New()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// trustedRootJSON is s's trusted_root.json, as both verifiers read it.
func trustedRootJSON(t *testing.T, s *signtest.Sigstore) []byte {
	t.Helper()
	data, err := s.TrustedRoot(signtest.RootOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func trustedRoot(t *testing.T, s *signtest.Sigstore, opts signtest.RootOptions) *TrustedRoot {
	t.Helper()
	data, err := s.TrustedRoot(opts)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := ParseTrustedRoot(data)
	if err != nil {
		t.Fatalf("ParseTrustedRoot: %v\n%s", err, data)
	}
	return tr
}

func signKeyless(t *testing.T, s *signtest.Sigstore, identity string, data []byte, opts signtest.SignOptions) []byte {
	t.Helper()
	b, err := s.Sign(identity, testIssuer, data, opts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// editBundle changes a bundle's JSON as an attacker would.
func editBundle(t *testing.T, data []byte, edit func(map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestKeyless verifies keyless bundles from a virtual Sigstore offline:
// the right identity and issuer pass, exactly or by regexp, with or without
// an RFC 3161 timestamp; everything else is refused with a reason.
func TestKeyless(t *testing.T) {
	t.Parallel()
	ss, other := newSigstore(t), newSigstore(t)
	tr := trustedRoot(t, ss, signtest.RootOptions{})
	msg := []byte("the bundle's bytes\n")
	digest := sha256.Sum256(msg)
	good := signKeyless(t, ss, testIdentity, msg, signtest.SignOptions{})
	exact := KeylessPolicy{Identity: testIdentity, Issuer: testIssuer}

	for _, tc := range []struct {
		name   string
		root   *TrustedRoot
		bundle []byte
		policy KeylessPolicy
		digest []byte
		want   string // "" passes
	}{
		{name: "right identity and issuer", bundle: good, policy: exact},
		{name: "no RFC 3161 timestamp", bundle: signKeyless(t, ss, testIdentity, msg, signtest.SignOptions{NoTimestamp: true}), policy: exact},
		{name: "identity and issuer regexps", bundle: good,
			policy: KeylessPolicy{IdentityRegexp: `^https://github\.com/acme/inventory/\.github/workflows/patchline\.yml@refs/heads/patch/`, IssuerRegexp: `^https://token\.actions\.githubusercontent\.com$`}},
		{name: "wrong identity", bundle: good, policy: KeylessPolicy{Identity: "https://github.com/evil/inventory/.github/workflows/patchline.yml@refs/heads/main", Issuer: testIssuer},
			want: "signed by " + testIdentity + " (issuer " + testIssuer + "), not the identity asked for (--certificate-identity https://github.com/evil/inventory/"},
		{name: "wrong issuer", bundle: good, policy: KeylessPolicy{Identity: testIdentity, Issuer: "https://accounts.google.com"},
			want: "not the identity asked for (--certificate-identity " + testIdentity + " and --certificate-oidc-issuer https://accounts.google.com)"},
		{name: "identity regexp that does not match", bundle: good, policy: KeylessPolicy{IdentityRegexp: `^https://github\.com/acme/other/`, Issuer: testIssuer},
			want: "not the identity asked for (--certificate-identity-regexp ^https://github\\.com/acme/other/"},
		{name: "other bytes", bundle: good, policy: exact, digest: bytes.Repeat([]byte{7}, 32),
			want: "the Sigstore bundle is for other bytes"},
		{name: "another Sigstore altogether", bundle: signKeyless(t, other, testIdentity, msg, signtest.SignOptions{}), policy: exact,
			want: "transparency log entry does not verify against the trusted root's logs"},
		{name: "a certificate from another CA, logged where the root trusts",
			root:   trustedRoot(t, ss, signtest.RootOptions{AlsoLogsOf: []*signtest.Sigstore{other}}),
			bundle: signKeyless(t, other, testIdentity, msg, signtest.SignOptions{}), policy: exact,
			want: "the certificate (for " + testIdentity + ") was not issued by a certificate authority of the trusted root"},
		{name: "no transparency log entry", bundle: signKeyless(t, ss, testIdentity, msg, signtest.SignOptions{NoTlog: true}), policy: exact,
			want: "no transparency log (Rekor) entry"},
		{name: "tampered signature", policy: exact, bundle: editBundle(t, good, func(m map[string]any) {
			ms := m["messageSignature"].(map[string]any)
			sig, _ := base64.StdEncoding.DecodeString(ms["signature"].(string))
			sig[len(sig)/2] ^= 0x01
			ms["signature"] = base64.StdEncoding.EncodeToString(sig)
		}), want: "transparency log entry does not verify"},
		{name: "tampered log entry", policy: exact, bundle: editBundle(t, good, func(m map[string]any) {
			tle := m["verificationMaterial"].(map[string]any)["tlogEntries"].([]any)[0].(map[string]any)
			tle["integratedTime"] = "1"
		}), want: "transparency log entry does not verify"},
		{name: "a root with CT logs wants an SCT", root: trustedRoot(t, ss, signtest.RootOptions{CTLogs: true}), bundle: good, policy: exact,
			want: "no signed certificate timestamp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root, d := tc.root, tc.digest
			if root == nil {
				root = tr
			}
			if d == nil {
				d = digest[:]
			}
			kb, err := ParseKeylessBundle(tc.bundle)
			if err != nil {
				t.Fatalf("ParseKeylessBundle: %v", err)
			}
			if kb.DigestAlgorithm != crypto.SHA256 {
				t.Errorf("digest algorithm %v, want SHA-256", kb.DigestAlgorithm)
			}
			got, err := VerifyKeyless(root, kb, tc.policy, d)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("VerifyKeyless: %v", err)
				}
				if got.Identity != testIdentity || got.Issuer != testIssuer {
					t.Errorf("verified %s (issuer %s), want %s (issuer %s)", got.Identity, got.Issuer, testIdentity, testIssuer)
				}
				if len(got.LogIndexes) != 1 || got.SignedAt.IsZero() {
					t.Errorf("verified log indexes %v at %v, want one entry and a time", got.LogIndexes, got.SignedAt)
				}
				return
			}
			if !errors.Is(err, ErrInvalidSignature) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("VerifyKeyless: %v\nwant ErrInvalidSignature saying %q", err, tc.want)
			}
		})
	}
}

// TestKeylessTimestamps counts the RFC 3161 timestamps that verified.
func TestKeylessTimestamps(t *testing.T) {
	t.Parallel()
	ss := newSigstore(t)
	msg := []byte("x")
	d := sha256.Sum256(msg)
	kb, err := ParseKeylessBundle(signKeyless(t, ss, testIdentity, msg, signtest.SignOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	got, err := VerifyKeyless(trustedRoot(t, ss, signtest.RootOptions{}), kb, KeylessPolicy{Identity: testIdentity, Issuer: testIssuer}, d[:])
	if err != nil {
		t.Fatal(err)
	}
	if got.Timestamps != 1 {
		t.Errorf("%d timestamps verified, want 1", got.Timestamps)
	}
}

// TestKeylessBundleRefusals: what is not a keyless message signature is
// refused before anything is verified, with the flag to use instead.
func TestKeylessBundleRefusals(t *testing.T) {
	t.Parallel()
	priv, _ := loadPair(t, ECDSAP256)
	sig, err := priv.Sign(strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	keyBundle, err := sig.SigstoreBundle()
	if err != nil {
		t.Fatal(err)
	}
	ss := newSigstore(t)
	good := signKeyless(t, ss, testIdentity, []byte("x"), signtest.SignOptions{})
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"signed with a key", keyBundle, "signed with a key, not keylessly: verify it with --key"},
		{"older cosign bundle", []byte(`{"base64Signature":"AAAA","cert":"x","rekorBundle":{}}`), "older bundle format"},
		{"empty", nil, "empty"},
		{"not JSON", []byte("nope"), "not JSON"},
		{"unknown field", editBundle(t, good, func(m map[string]any) { m["extra"] = 1 }), "malformed"},
		{"no digest", editBundle(t, good, func(m map[string]any) {
			delete(m["messageSignature"].(map[string]any), "messageDigest")
		}), "not SHA-2"},
		{"certificate is not DER", editBundle(t, good, func(m map[string]any) {
			m["verificationMaterial"].(map[string]any)["certificate"] = map[string]any{"rawBytes": "AAAA"}
		}), "certificate"},
		{"too large", bytes.Repeat([]byte(" "), MaxSignatureFileSize+1), "too large"},
	} {
		_, err := ParseKeylessBundle(tc.data)
		if !errors.Is(err, ErrInvalidSignature) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrInvalidSignature saying %q", tc.name, err, tc.want)
		}
	}
}

// TestKeylessPolicy: the flags a policy needs, and clashes, each named.
func TestKeylessPolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		policy KeylessPolicy
		want   string
	}{
		{"no identity", KeylessPolicy{Issuer: testIssuer}, "give --certificate-identity"},
		{"both identities", KeylessPolicy{Identity: "a", IdentityRegexp: "b", Issuer: testIssuer}, "--certificate-identity and --certificate-identity-regexp both"},
		{"no issuer", KeylessPolicy{Identity: "a"}, "give --certificate-oidc-issuer (" + GitHubActionsIssuer},
		{"both issuers", KeylessPolicy{Identity: "a", Issuer: "b", IssuerRegexp: "c"}, "pick one"},
		{"bad regexp", KeylessPolicy{IdentityRegexp: "(", Issuer: "b"}, "--certificate-identity-regexp \"(\""},
	} {
		err := tc.policy.Check()
		if !errors.Is(err, ErrBadPolicy) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrBadPolicy saying %q", tc.name, err, tc.want)
		}
	}
	if err := (KeylessPolicy{Identity: "a", Issuer: "b"}).Check(); err != nil {
		t.Errorf("a full policy: %v", err)
	}
}

// TestTrustedRootRefusals: a trusted root that is not one, or trusts
// nothing that could verify, is refused as bad input.
func TestTrustedRootRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, json, want string }{
		{"not JSON", "nope", "not a Sigstore trusted_root.json"},
		{"wrong media type", `{"mediaType":"application/json"}`, "not a Sigstore trusted_root.json"},
		{"empty", `{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`, "no certificate authority"},
	} {
		_, err := ParseTrustedRoot([]byte(tc.json))
		if !errors.Is(err, ErrBadTrustedRoot) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrBadTrustedRoot saying %q", tc.name, err, tc.want)
		}
	}
	if _, err := LoadTrustedRoot("testdata/no-such-root.json"); !errors.Is(err, ErrBadTrustedRoot) {
		t.Errorf("a missing file: %v, want ErrBadTrustedRoot", err)
	}
}

package sign

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/patchline/patchline/internal/sign/signtest"
)

// sigstoreGoVerify is sigstore-go's verifier with the options patchline
// verifies with: what keyless.go and rekor.go are held to.
func sigstoreGoVerify(bundleJSON, rootJSON []byte, policy KeylessPolicy, digest []byte) error {
	var b sgbundle.Bundle
	if err := b.UnmarshalJSON(bundleJSON); err != nil {
		return err
	}
	tr, err := root.NewTrustedRootFromJSON(rootJSON)
	if err != nil {
		return err
	}
	opts := []verify.VerifierOption{verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1)}
	if len(tr.CTLogs()) > 0 {
		opts = append(opts, verify.WithSignedCertificateTimestamps(1))
	}
	v, err := verify.NewVerifier(tr, opts...)
	if err != nil {
		return err
	}
	id, err := verify.NewShortCertificateIdentity(policy.Issuer, policy.IssuerRegexp, policy.Identity, policy.IdentityRegexp)
	if err != nil {
		return err
	}
	_, err = v.Verify(&b, verify.NewPolicy(verify.WithArtifactDigest("sha256", digest), verify.WithCertificateIdentity(id)))
	return err
}

// patchlineVerify is ParseKeylessBundle and VerifyKeyless.
func patchlineVerify(bundleJSON, rootJSON []byte, policy KeylessPolicy, digest []byte) error {
	tr, err := ParseTrustedRoot(rootJSON)
	if err != nil {
		return err
	}
	b, err := ParseKeylessBundle(bundleJSON)
	if err != nil {
		return err
	}
	_, err = VerifyKeyless(tr, b, policy, digest)
	return err
}

// bundleEdit changes a bundle's JSON; entry edits reach the first log entry.
type bundleEdit struct {
	name string
	edit func(m map[string]any)
}

func tlogEntry(m map[string]any) map[string]any {
	return m["verificationMaterial"].(map[string]any)["tlogEntries"].([]any)[0].(map[string]any)
}

// flipB64 flips a bit in the middle of a base64 field.
func flipB64(m map[string]any, key string) {
	v, ok := m[key].(string)
	if !ok {
		return
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(b) == 0 {
		return
	}
	b[len(b)/2] ^= 0x10
	m[key] = base64.StdEncoding.EncodeToString(b)
}

func bumpInt(m map[string]any, key string, by int64) {
	n, _ := strconv.ParseInt(fmt.Sprint(m[key]), 10, 64)
	m[key] = strconv.FormatInt(n+by, 10)
}

var bundleEdits = []bundleEdit{
	{"as it is", func(map[string]any) {}},
	{"media type v0.1", func(m map[string]any) { m["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.1" }},
	{"media type v0.2", func(m map[string]any) { m["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.2" }},
	{"media type v0.4", func(m map[string]any) { m["mediaType"] = "application/vnd.dev.sigstore.bundle.v0.4+json" }},
	{"media type v0.3.1", func(m map[string]any) { m["mediaType"] = "application/vnd.dev.sigstore.bundle.v0.3.1+json" }},
	{"media type unknown", func(m map[string]any) { m["mediaType"] = "application/json" }},
	{"certificate as a chain", func(m map[string]any) {
		vm := m["verificationMaterial"].(map[string]any)
		vm["x509CertificateChain"] = map[string]any{"certificates": []any{vm["certificate"]}}
		delete(vm, "certificate")
	}},
	{"certificate as a chain, v0.2", func(m map[string]any) {
		m["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.2"
		vm := m["verificationMaterial"].(map[string]any)
		vm["x509CertificateChain"] = map[string]any{"certificates": []any{vm["certificate"]}}
		delete(vm, "certificate")
	}},
	{"no promise", func(m map[string]any) { delete(tlogEntry(m), "inclusionPromise") }},
	{"no promise, v0.1", func(m map[string]any) {
		m["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.1"
		delete(tlogEntry(m), "inclusionPromise")
	}},
	{"no proof", func(m map[string]any) { delete(tlogEntry(m), "inclusionProof") }},
	{"no proof, v0.1", func(m map[string]any) {
		m["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.1"
		delete(tlogEntry(m), "inclusionProof")
	}},
	{"no proof nor promise", func(m map[string]any) {
		delete(tlogEntry(m), "inclusionProof")
		delete(tlogEntry(m), "inclusionPromise")
	}},
	{"integrated time later", func(m map[string]any) { bumpInt(tlogEntry(m), "integratedTime", 1) }},
	{"integrated time zero", func(m map[string]any) { delete(tlogEntry(m), "integratedTime") }},
	{"integrated time a day later", func(m map[string]any) { bumpInt(tlogEntry(m), "integratedTime", 86400) }},
	{"log index", func(m map[string]any) { bumpInt(tlogEntry(m), "logIndex", 1) }},
	{"log index negative", func(m map[string]any) { tlogEntry(m)["logIndex"] = "-1" }},
	{"log id", func(m map[string]any) { flipB64(tlogEntry(m)["logId"].(map[string]any), "keyId") }},
	{"promise", func(m map[string]any) {
		if p, ok := tlogEntry(m)["inclusionPromise"].(map[string]any); ok {
			flipB64(p, "signedEntryTimestamp")
		}
	}},
	{"body", func(m map[string]any) { flipB64(tlogEntry(m), "canonicalizedBody") }},
	{"kind version", func(m map[string]any) {
		tlogEntry(m)["kindVersion"] = map[string]any{"kind": "hashedrekord", "version": "0.0.3"}
	}},
	{"proof index", func(m map[string]any) { bumpInt(tlogEntry(m)["inclusionProof"].(map[string]any), "logIndex", 1) }},
	{"proof tree size", func(m map[string]any) { bumpInt(tlogEntry(m)["inclusionProof"].(map[string]any), "treeSize", 1) }},
	{"proof root hash", func(m map[string]any) { flipB64(tlogEntry(m)["inclusionProof"].(map[string]any), "rootHash") }},
	{"proof path longer", func(m map[string]any) {
		p := tlogEntry(m)["inclusionProof"].(map[string]any)
		h, _ := p["hashes"].([]any)
		p["hashes"] = append(h, base64.StdEncoding.EncodeToString(make([]byte, 32)))
	}},
	{"proof path hash", func(m map[string]any) {
		p := tlogEntry(m)["inclusionProof"].(map[string]any)
		if h, ok := p["hashes"].([]any); ok && len(h) > 0 {
			w := map[string]any{"h": h[0]}
			flipB64(w, "h")
			h[0] = w["h"]
		}
	}},
	{"checkpoint signature", func(m map[string]any) {
		cp := tlogEntry(m)["inclusionProof"].(map[string]any)["checkpoint"].(map[string]any)
		env := cp["envelope"].(string)
		i := strings.LastIndex(env, " ")
		sig, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(env[i+1:]))
		if len(sig) > 8 {
			sig[8] ^= 1
		}
		cp["envelope"] = env[:i+1] + base64.StdEncoding.EncodeToString(sig) + "\n"
	}},
	{"checkpoint origin", func(m map[string]any) {
		cp := tlogEntry(m)["inclusionProof"].(map[string]any)["checkpoint"].(map[string]any)
		cp["envelope"] = "x" + cp["envelope"].(string)
	}},
	{"checkpoint unsigned", func(m map[string]any) {
		cp := tlogEntry(m)["inclusionProof"].(map[string]any)["checkpoint"].(map[string]any)
		env := cp["envelope"].(string)
		cp["envelope"] = env[:strings.LastIndex(env, "\n\n")+2]
	}},
	{"entry twice", func(m map[string]any) {
		vm := m["verificationMaterial"].(map[string]any)
		vm["tlogEntries"] = append(vm["tlogEntries"].([]any), vm["tlogEntries"].([]any)[0])
	}},
	{"signature", func(m map[string]any) { flipB64(m["messageSignature"].(map[string]any), "signature") }},
	{"digest", func(m map[string]any) {
		flipB64(m["messageSignature"].(map[string]any)["messageDigest"].(map[string]any), "digest")
	}},
	{"certificate", func(m map[string]any) {
		flipB64(m["verificationMaterial"].(map[string]any)["certificate"].(map[string]any), "rawBytes")
	}},
	{"timestamp", func(m map[string]any) {
		if tvd, ok := m["verificationMaterial"].(map[string]any)["timestampVerificationData"].(map[string]any); ok {
			if ts, ok := tvd["rfc3161Timestamps"].([]any); ok && len(ts) > 0 {
				flipB64(ts[0].(map[string]any), "signedTimestamp")
			}
		}
	}},
	{"timestamp twice", func(m map[string]any) {
		if tvd, ok := m["verificationMaterial"].(map[string]any)["timestampVerificationData"].(map[string]any); ok {
			if ts, ok := tvd["rfc3161Timestamps"].([]any); ok && len(ts) > 0 {
				tvd["rfc3161Timestamps"] = append(ts, ts[0])
			}
		}
	}},
	{"no timestamps", func(m map[string]any) {
		delete(m["verificationMaterial"].(map[string]any), "timestampVerificationData")
	}},
}

// TestKeylessAgreesWithSigstoreGo holds patchline's keyless verification
// to sigstore-go's verifier: every bundle (Rekor v1 and v2 entries, with
// and without timestamps, from this Sigstore and another) under every
// edit an attacker or a broken client could make, against several roots
// and policies, is accepted by both or refused by both.
func TestKeylessAgreesWithSigstoreGo(t *testing.T) {
	t.Parallel()
	ss, other := newSigstore(t), newSigstore(t)
	msg := []byte("the bundle's bytes\n")
	digest := sha256.Sum256(msg)
	otherDigest := sha256.Sum256([]byte("other bytes"))
	bundles := map[string][]byte{
		"rekor v1":                 signKeyless(t, ss, testIdentity, msg, signtest.SignOptions{}),
		"rekor v1, no timestamp":   signKeyless(t, ss, testIdentity, msg, signtest.SignOptions{NoTimestamp: true}),
		"rekor v2":                 signKeyless(t, ss, testIdentity, msg, signtest.SignOptions{RekorV2: true}),
		"rekor v2, no timestamp":   signKeyless(t, ss, testIdentity, msg, signtest.SignOptions{RekorV2: true, NoTimestamp: true}),
		"another Sigstore":         signKeyless(t, other, testIdentity, msg, signtest.SignOptions{}),
		"another Sigstore, v2 log": signKeyless(t, other, testIdentity, msg, signtest.SignOptions{RekorV2: true}),
	}
	roots := map[string][]byte{}
	for name, opts := range map[string]signtest.RootOptions{
		"own root":             {},
		"root with CT logs":    {CTLogs: true},
		"root trusting others": {AlsoLogsOf: []*signtest.Sigstore{other}},
	} {
		data, err := ss.TrustedRoot(opts)
		if err != nil {
			t.Fatal(err)
		}
		roots[name] = data
	}
	policies := map[string]KeylessPolicy{
		"exact":          {Identity: testIdentity, Issuer: testIssuer},
		"regexp":         {IdentityRegexp: `^https://github\.com/acme/`, IssuerRegexp: `actions`},
		"wrong identity": {Identity: testIdentity + "x", Issuer: testIssuer},
		"wrong issuer":   {Identity: testIdentity, IssuerRegexp: `^https://accounts\.google\.com$`},
	}
	accepted, cases := 0, 0
	for bname, good := range bundles {
		for _, e := range bundleEdits {
			data := editBundle(t, good, e.edit)
			for rname, rootJSON := range roots {
				for pname, policy := range policies {
					for _, d := range [][]byte{digest[:], otherDigest[:]} {
						cases++
						ours := patchlineVerify(data, rootJSON, policy, d)
						theirs := sigstoreGoVerify(data, rootJSON, policy, d)
						if (ours == nil) != (theirs == nil) {
							t.Errorf("%s, edited %q, %s, policy %s, digest %x…: patchline says %v, sigstore-go %v",
								bname, e.name, rname, pname, d[:4], ours, theirs)
						}
						if ours == nil {
							accepted++
						}
					}
				}
			}
		}
	}
	t.Logf("%d cases, %d accepted by both", cases, accepted)
	if accepted == 0 {
		t.Fatal("no case verified: the comparison proves nothing")
	}
}

// TestRekorV2EntryHash: the Rekor v2 entry patchline rebuilds from a bundle
// is byte for byte the one Rekor v2's own types make, so its leaf hash is.
func TestRekorV2EntryHash(t *testing.T) {
	t.Parallel()
	ss := newSigstore(t)
	data := signKeyless(t, ss, testIdentity, []byte("x"), signtest.SignOptions{RekorV2: true})
	b, err := ParseKeylessBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	ms := b.bundle.GetMessageSignature()
	got, err := rekorV2EntryHash(signedContent{signature: ms.GetSignature(), cert: b.cert, digest: b.Digest})
	if err != nil {
		t.Fatal(err)
	}
	// The bundle's entry body is what signtest made with rekor-tiles'
	// protobuf types and the canonicaliser Rekor v2 uses.
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	body, _ := base64.StdEncoding.DecodeString(tlogEntry(m)["canonicalizedBody"].(string))
	want := sha256.Sum256(append([]byte{0}, body...))
	if string(got) != string(want[:]) {
		t.Errorf("rebuilt entry hash %x, want %x (of %s)", got, want, body)
	}
}

// TestKeylessRekorV2EntryIsTheBundles: a Rekor v2 entry whose checkpoint
// reads as a Rekor v1 one ("NAME - 42") is proved by its own body, which
// sigstore-go then never compares with the bundle. patchline wants that
// body to be the bundle's entry: another signature's entry, however
// genuinely logged, does not vouch for this one.
func TestKeylessRekorV2EntryIsTheBundles(t *testing.T) {
	t.Parallel()
	ss := newSigstore(t)
	rootJSON := trustedRootJSON(t, ss)
	msg, other := []byte("the bundle's bytes\n"), []byte("other bytes\n")
	v1Style := signtest.SignOptions{RekorV2: true, CheckpointOrigin: "rekor-v2.localhost - 42"}
	own := signKeyless(t, ss, testIdentity, msg, v1Style)
	digest := sha256.Sum256(msg)
	policy := KeylessPolicy{Identity: testIdentity, Issuer: testIssuer}
	if err := patchlineVerify(own, rootJSON, policy, digest[:]); err != nil {
		t.Fatalf("its own entry: %v", err)
	}
	if err := sigstoreGoVerify(own, rootJSON, policy, digest[:]); err != nil {
		t.Fatalf("sigstore-go refuses its own entry: %v", err)
	}
	// The entry of another signature, spliced in.
	var donor map[string]any
	if err := json.Unmarshal(signKeyless(t, ss, testIdentity, other, v1Style), &donor); err != nil {
		t.Fatal(err)
	}
	spliced := editBundle(t, own, func(m map[string]any) {
		m["verificationMaterial"].(map[string]any)["tlogEntries"] = donor["verificationMaterial"].(map[string]any)["tlogEntries"]
	})
	err := patchlineVerify(spliced, rootJSON, policy, digest[:])
	if err == nil || !strings.Contains(err.Error(), "is not this bundle's signature") {
		t.Errorf("another signature's entry: %v, want it refused as not this bundle's", err)
	}
	t.Logf("sigstore-go on the same bundle: %v", sigstoreGoVerify(spliced, rootJSON, policy, digest[:]))
}

// TestKeylessTooManyTimestamps: a bundle padded with timestamps is refused
// as sigstore-go refuses it, even when its log entry alone would do.
func TestKeylessTooManyTimestamps(t *testing.T) {
	t.Parallel()
	ss := newSigstore(t)
	rootJSON := trustedRootJSON(t, ss)
	msg := []byte("x")
	digest := sha256.Sum256(msg)
	policy := KeylessPolicy{Identity: testIdentity, Issuer: testIssuer}
	padded := editBundle(t, signKeyless(t, ss, testIdentity, msg, signtest.SignOptions{}), func(m map[string]any) {
		tvd := m["verificationMaterial"].(map[string]any)["timestampVerificationData"].(map[string]any)
		ts := tvd["rfc3161Timestamps"].([]any)
		for len(ts) <= maxTimestamps {
			ts = append(ts, ts[0])
		}
		tvd["rfc3161Timestamps"] = ts
	})
	ours, theirs := patchlineVerify(padded, rootJSON, policy, digest[:]), sigstoreGoVerify(padded, rootJSON, policy, digest[:])
	if ours == nil || theirs == nil || !strings.Contains(ours.Error(), "more than the 32") {
		t.Errorf("%d timestamps: patchline %v, sigstore-go %v; want both to refuse", maxTimestamps+1, ours, theirs)
	}
}

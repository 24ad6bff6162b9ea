package provenance_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/patchline/patchline/internal/provenance"
	"github.com/patchline/patchline/internal/sign"
)

const (
	bundleSum = "e98cf2a34c40154f0d85ff34218fa3bdd78525ef73fbceddf746913ac254203b"
	otherSum  = "0000000000000000000000000000000000000000000000000000000000000001"
	source    = "181b39aebc7930bac4c9441d316901c0389b2d3e"
	baseTag   = "e1f463583ab76303c292623ce4e01e0d5d6f335b"
)

func sampleBuild() *provenance.Build {
	return &provenance.Build{
		BuildType: provenance.BuildTypeBundle,
		Name:      "PL-2026-0001_v2.0.0_linux-amd64.plb",
		SHA256:    bundleSum,
		Params: provenance.Parameters{
			Product: "pricing", Repository: "https://github.com/acme/pricing",
			Source:   provenance.Source{Ref: "refs/heads/patch/PL-2026-0001", Commit: source},
			Platform: "linux/amd64", Patch: "PL-2026-0001",
			Base:   &provenance.Ref{Tag: "v2.0.0", Commit: baseTag},
			From:   &provenance.Ref{Tag: "v2.0.0", Commit: baseTag},
			Target: &provenance.Ref{Tag: "v2.0.1"},
			Build:  provenance.BuildConfig{Builder: "go", Packages: []string{"."}, Flags: []string{"CGO_ENABLED=0", "go", "build", "-trimpath"}},
			Approvals: []provenance.Approval{
				{Role: "qa", By: "quinn", At: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC), Ref: "https://github.com/acme/pricing/pull/7#pullrequestreview-1"},
			},
		},
		Toolchain: "go1.26.8", GoSum: otherSum, Patchline: "v1.2.3",
		SourceDateEpoch: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC),
		InvocationID:    "urn:patchline:bundle:PL-2026-0001:v2.0.0:linux-amd64:" + source,
	}
}

func statement(t *testing.T, b *provenance.Build) []byte {
	t.Helper()
	st, err := provenance.New(b)
	if err != nil {
		t.Fatal(err)
	}
	data, err := provenance.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

type pair struct {
	priv *sign.PrivateKey
	pub  *sign.PublicKey
}

// keys are made once: each costs two rounds of scrypt.
var keys = map[string]func() (pair, error){}

func init() {
	for _, name := range []string{"ecdsa", "other", sign.Ed25519} {
		alg := name
		if name != sign.Ed25519 {
			alg = sign.ECDSAP256
		}
		keys[name] = sync.OnceValues(func() (pair, error) {
			kp, err := sign.GenerateKeyPair(alg, []byte("pw"))
			if err != nil {
				return pair{}, err
			}
			priv, err := sign.ParsePrivateKey(kp.PrivatePEM, func() ([]byte, error) { return []byte("pw"), nil })
			return pair{priv, kp.Public}, err
		})
	}
}

func keyPair(t *testing.T, name string) (*sign.PrivateKey, *sign.PublicKey) {
	t.Helper()
	p, err := keys[name]()
	if err != nil {
		t.Fatal(err)
	}
	return p.priv, p.pub
}

// The same inputs give the same bytes: nothing comes from the clock, and
// the indented file reads back to the same payload.
func TestStatementReproducible(t *testing.T) {
	t.Parallel()
	a, b := statement(t, sampleBuild()), statement(t, sampleBuild())
	if !bytes.Equal(a, b) {
		t.Fatalf("two statements of the same build differ:\n%s\n%s", a, b)
	}
	st, err := provenance.New(sampleBuild())
	if err != nil {
		t.Fatal(err)
	}
	indented, err := provenance.MarshalIndent(st)
	if err != nil {
		t.Fatal(err)
	}
	back, _, err := provenance.Parse(indented)
	if err != nil {
		t.Fatal(err)
	}
	again, err := provenance.Marshal(back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, a) {
		t.Errorf("the statement file does not read back to the payload:\n got %s\nwant %s", again, a)
	}
	for _, want := range []string{
		`"_type":"https://in-toto.io/Statement/v1"`,
		`"predicateType":"https://slsa.dev/provenance/v1"`,
		`"subject":[{"name":"PL-2026-0001_v2.0.0_linux-amd64.plb","digest":{"sha256":"` + bundleSum + `"}}]`,
		`"uri":"git+https://github.com/acme/pricing@refs/heads/patch/PL-2026-0001"`,
		`"digest":{"gitCommit":"` + source + `","sha1":"` + source + `"}`,
		`"startedOn":"2026-11-20T10:00:00Z"`,
		`"sourceDateEpoch":1795168800`,
		`{"digest":{"sha256":"` + otherSum + `"},"name":"go.sum"}`,
		`"by":"quinn"`,
	} {
		if !strings.Contains(string(a), want) {
			t.Errorf("statement lacks %s:\n%s", want, a)
		}
	}
	if strings.Contains(string(a), `"name":"from"`) {
		t.Errorf("a bundle from its own base names it twice as a dependency:\n%s", a)
	}
}

// Each input that changes shows in the statement.
func TestStatementInputs(t *testing.T) {
	t.Parallel()
	base := statement(t, sampleBuild())
	for name, change := range map[string]func(*provenance.Build){
		"time":      func(b *provenance.Build) { b.SourceDateEpoch = b.SourceDateEpoch.Add(time.Second) },
		"toolchain": func(b *provenance.Build) { b.Toolchain = "go1.26.9" },
		"approvals": func(b *provenance.Build) { b.Params.Approvals = nil },
		"flags":     func(b *provenance.Build) { b.Params.Build.Flags = append(b.Params.Build.Flags, "-race") },
		"change": func(b *provenance.Build) {
			b.Params.ToolchainChange = &provenance.ToolchainChange{Reason: "CVE", Changes: []string{"toolchain: go1.26.7 in the record, go1.26.8 now"}}
		},
	} {
		b := sampleBuild()
		change(b)
		if bytes.Equal(statement(t, b), base) {
			t.Errorf("%s: the statement did not change", name)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	for name, change := range map[string]func(*provenance.Build){
		"subject path":  func(b *provenance.Build) { b.Name = "dist/app.plb" },
		"short digest":  func(b *provenance.Build) { b.SHA256 = "abc" },
		"no commit":     func(b *provenance.Build) { b.Params.Source.Commit = "" },
		"no build type": func(b *provenance.Build) { b.BuildType = "" },
	} {
		b := sampleBuild()
		change(b)
		if _, err := provenance.New(b); !errors.Is(err, provenance.ErrBad) {
			t.Errorf("%s: New = %v, want ErrBad", name, err)
		}
	}
}

func TestSignVerify(t *testing.T) {
	t.Parallel()
	payload := statement(t, sampleBuild())
	for _, alg := range []string{"ecdsa", sign.Ed25519} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			priv, pub := keyPair(t, alg)
			env, err := provenance.Sign(priv, payload)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Count(env, []byte("\n")) != 1 || !bytes.HasSuffix(env, []byte("\n")) {
				t.Errorf("envelope is not one line: %q", env)
			}
			v, err := provenance.Verify(pub, env, bundleSum)
			if err != nil {
				t.Fatal(err)
			}
			if v.Subject != "PL-2026-0001_v2.0.0_linux-amd64.plb" || v.Params == nil || v.Params.Patch != "PL-2026-0001" ||
				len(v.Params.Approvals) != 1 || v.Params.Approvals[0].By != "quinn" {
				t.Errorf("Verify = %+v, params %+v", v, v.Params)
			}
			if alg == sign.Ed25519 {
				again, err := provenance.Sign(priv, payload)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(again, env) {
					t.Errorf("Ed25519 envelopes of the same statement differ")
				}
			}
		})
	}
}

func envelopeOf(t *testing.T, env []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(env, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func marshal(t *testing.T, m map[string]any) []byte {
	t.Helper()
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// What a verifier refuses, each with ErrInvalid and a message that says
// which.
func TestVerifyRefuses(t *testing.T) {
	t.Parallel()
	priv, pub := keyPair(t, "ecdsa")
	otherPriv, otherPub := keyPair(t, "other")
	payload := statement(t, sampleBuild())
	good, err := provenance.Sign(priv, payload)
	if err != nil {
		t.Fatal(err)
	}
	tampered := envelopeOf(t, good)
	altered := strings.Replace(string(payload), `"platform":"linux/amd64"`, `"platform":"linux/arm64"`, 1)
	tampered["payload"] = base64.StdEncoding.EncodeToString([]byte(altered))
	noKeyID := envelopeOf(t, good)
	noKeyID["signatures"].([]any)[0].(map[string]any)["keyid"] = ""
	wrongType := envelopeOf(t, good)
	wrongType["payloadType"] = "text/plain"

	otherType := strings.Replace(string(payload), provenance.PredicateType, "https://slsa.dev/provenance/v0.2", 1)
	otherTypeEnv, err := provenance.Sign(priv, []byte(otherType))
	if err == nil {
		t.Fatalf("Sign signed a statement of another predicate type: %s", otherTypeEnv)
	}
	byOther, err := provenance.Sign(otherPriv, payload)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		key  *sign.PublicKey
		env  []byte
		sum  string
		want string
	}{
		{"other bytes", pub, good, otherSum, "the provenance is for other bytes"},
		{"another key", otherPub, good, bundleSum, "signed with another key"},
		{"another key's envelope", pub, byOther, bundleSum, "signed with another key"},
		{"tampered predicate", pub, marshal(t, tampered), bundleSum, "does not verify with this key"},
		{"another key, no keyid", otherPub, marshal(t, noKeyID), bundleSum, "does not verify with this key"},
		{"payload type", pub, marshal(t, wrongType), bundleSum, "payload type"},
		{"two envelopes", pub, append(append([]byte{}, good...), good...), bundleSum, "more than one DSSE envelope"},
		{"not JSON", pub, []byte("MEUCIQ"), bundleSum, "not a DSSE envelope"},
		{"unknown field", pub, []byte(`{"payloadType":"application/vnd.in-toto+json","payload":"","signatures":[],"extra":1}`), bundleSum, "not a DSSE envelope"},
		{"no signature", pub, []byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}`), bundleSum, "no signature"},
	} {
		_, err := provenance.Verify(tc.key, tc.env, tc.sum)
		if !errors.Is(err, provenance.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Verify = %v, want ErrInvalid saying %q", tc.name, err, tc.want)
		}
	}
	// Without a keyid, the right key still verifies, as cosign's do.
	if _, err := provenance.Verify(pub, marshal(t, noKeyID), bundleSum); err != nil {
		t.Errorf("an envelope without keyid: %v", err)
	}
}

// signRaw signs any payload as an envelope, as another tool could.
func signRaw(t *testing.T, priv *sign.PrivateKey, payload string) []byte {
	t.Helper()
	sig, err := priv.Sign(bytes.NewReader(dsse.PAE(provenance.PayloadType, []byte(payload))))
	if err != nil {
		t.Fatal(err)
	}
	return marshal(t, map[string]any{
		"payloadType": provenance.PayloadType,
		"payload":     base64.StdEncoding.EncodeToString([]byte(payload)),
		"signatures":  []any{map[string]any{"keyid": "", "sig": base64.StdEncoding.EncodeToString(sig.Raw)}},
	})
}

// A statement signed by the right key but not of SLSA provenance v1, or
// whose predicate is not provenance, is refused after the signature.
func TestVerifyPredicate(t *testing.T) {
	t.Parallel()
	priv, pub := keyPair(t, "ecdsa")
	subject := `"subject":[{"name":"a","digest":{"sha256":"` + bundleSum + `"}}]`
	for _, tc := range []struct{ name, payload, want string }{
		{"predicate type", `{"_type":"https://in-toto.io/Statement/v1",` + subject + `,"predicateType":"https://spdx.dev/Document","predicate":{"a":1}}`, "predicate type"},
		{"not provenance", `{"_type":"https://in-toto.io/Statement/v1",` + subject + `,"predicateType":"https://slsa.dev/provenance/v1","predicate":{"builder":{"id":"x"}}}`, "not SLSA provenance v1"},
		{"statement type", `{"_type":"https://in-toto.io/Statement/v2",` + subject + `,"predicateType":"https://slsa.dev/provenance/v1","predicate":{"a":1}}`, "statement type"},
	} {
		_, err := provenance.Verify(pub, signRaw(t, priv, tc.payload), bundleSum)
		if !errors.Is(err, provenance.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Verify = %v, want ErrInvalid saying %q", tc.name, err, tc.want)
		}
	}
}

func TestParametersRefuseControlCharacters(t *testing.T) {
	t.Parallel()
	priv, pub := keyPair(t, "ecdsa")
	b := sampleBuild()
	b.Params.Approvals[0].By = "quinn\x1b[2J"
	env, err := provenance.Sign(priv, statement(t, b))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provenance.Verify(pub, env, bundleSum); !errors.Is(err, provenance.ErrInvalid) || !strings.Contains(err.Error(), "control character") {
		t.Errorf("Verify = %v, want a refused control character", err)
	}
}

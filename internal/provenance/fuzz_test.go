package provenance_test

import (
	"testing"

	"github.com/patchline/patchline/internal/provenance"
)

// FuzzVerify feeds envelopes and statements read back from disk, which are
// untrusted: Verify and Parse refuse or accept, never panic, and what
// Verify accepts names the file's digest and parses as a statement.
func FuzzVerify(f *testing.F) {
	p, err := keys["ecdsa"]()
	if err != nil {
		f.Fatal(err)
	}
	st, err := provenance.New(sampleBuild())
	if err != nil {
		f.Fatal(err)
	}
	payload, err := provenance.Marshal(st)
	if err != nil {
		f.Fatal(err)
	}
	env, err := provenance.Sign(p.priv, payload)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(env)
	f.Add(payload)
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"","sig":"AA=="}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if v, err := provenance.Verify(p.pub, data, bundleSum); err == nil {
			if v.Statement == nil || v.Provenance == nil {
				t.Fatalf("Verify accepted %q without a statement", data)
			}
			if _, sum, ok := provenance.SubjectSHA256(v.Statement); !ok || sum != bundleSum {
				t.Fatalf("Verify accepted a statement for %q", sum)
			}
		}
		_, _, _ = provenance.Parse(data)
	})
}

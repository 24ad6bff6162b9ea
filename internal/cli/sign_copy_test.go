package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/patchline/patchline/internal/sign"
	"github.com/patchline/patchline/internal/sign/signtest"
)

// TestVerifyBundleFileOnePass: a file signed with either kind of key
// verifies from the copy hashed as it was made, with both signature files,
// and a flipped byte is refused; nothing stays in $TMPDIR but the copy of
// a file that verified, until it is closed. Not parallel: it sets $TMPDIR.
func TestVerifyBundleFileOnePass(t *testing.T) {
	for _, alg := range sign.Algorithms {
		t.Run(alg, func(t *testing.T) {
			kp, err := sign.GenerateKeyPair(alg, []byte("pw"))
			if err != nil {
				t.Fatal(err)
			}
			key, err := sign.ParsePrivateKey(kp.PrivatePEM, func() ([]byte, error) { return []byte("pw"), nil })
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			pub := filepath.Join(dir, "cosign.pub")
			data := bytes.Repeat([]byte("PLBUNDLE signed "), 5000)
			path := filepath.Join(dir, "app.plb")
			sig, err := key.Sign(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			sb, err := sig.SigstoreBundle()
			if err != nil {
				t.Fatal(err)
			}
			for name, b := range map[string][]byte{pub: kp.PublicPEM, path: data, path + sign.SignatureSuffix: sig.SignatureFile(), path + sign.SigstoreBundleSuffix: sb} {
				if err := os.WriteFile(name, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			getenv := func(string) string { return "" }

			check := signtest.EmptyTempDir(t)
			v, err := verifyBundleFile(path, VerifyFlags{Key: pub}, getenv)
			if err != nil {
				t.Fatal(err)
			}
			if sum := sha256.Sum256(data); v.SHA256 != hex.EncodeToString(sum[:]) || len(v.Signatures) != 2 {
				t.Errorf("verified %s with %d signatures, want the file's SHA-256 and 2", v.SHA256, len(v.Signatures))
			}
			v.Close()
			check()

			data[len(data)/2] ^= 1
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = verifyBundleFile(path, VerifyFlags{Key: pub}, getenv)
			if code := ExitCode(err); code != ExitVerification {
				t.Errorf("a flipped byte: exit %d (%v), want %d", code, err, ExitVerification)
			}
			check()
		})
	}
}

package sign

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/patchline/patchline/internal/bundle"
	"github.com/patchline/patchline/internal/sign/signtest"
)

func fmtErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// TestPrivateCopyCap: the copy a bundle is verified from is refused before
// it starts when the bundle is over the cap (exit 2), stops at the cap when
// the file turns out longer than it said (exit 3), and leaves nothing in
// $TMPDIR either way. Not parallel: it sets $TMPDIR.
func TestPrivateCopyCap(t *testing.T) {
	kp, err := GenerateKeyPair(ECDSAP256, nil)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("PLBUNDLE "), 111)
	path := filepath.Join(t.TempDir(), "app.plb")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("within the cap", func(t *testing.T) {
		check := signtest.EmptyTempDir(t)
		v, err := privateCopy(path, int64(len(data)), kp.Public.NewMessageVerifier())
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(v.Path)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("the copy holds %d bytes (%v), want the %d of the file", len(got), err, len(data))
		}
		if sum := sha256.Sum256(data); v.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("SHA256 = %s, want the file's", v.SHA256)
		}
		v.Close()
		check()
	})

	t.Run("over the cap", func(t *testing.T) {
		check := signtest.EmptyTempDir(t)
		_, err := privateCopy(path, int64(len(data))-1, kp.Public.NewMessageVerifier())
		var in *InputError
		if !errors.As(err, &in) || !strings.Contains(fmtErr(err), "larger than the 998 bytes") {
			t.Errorf("got %v; want an InputError, larger than the cap", err)
		}
		check()
	})

	t.Run("grows past the cap", func(t *testing.T) {
		// A file in /proc says it is empty and reads as more: as a file
		// that grows while it is copied.
		if runtime.GOOS != "linux" {
			t.Skip("needs /proc")
		}
		check := signtest.EmptyTempDir(t)
		_, err := privateCopy("/proc/self/status", 100, kp.Public.NewMessageVerifier())
		var in *InputError
		if errors.As(err, &in) || !errors.Is(err, bundle.ErrCorrupt) {
			t.Errorf("got %v; want a corrupt bundle", err)
		}
		check()
	})
}

// TestVerifyFilePolicy: which signature files count, what an unsigned, a
// tampered and an unreadable file are, and where the key comes from. Not
// parallel: it sets $TMPDIR.
func TestVerifyFilePolicy(t *testing.T) {
	kp := keyPair(t, ECDSAP256)
	key, err := ParsePrivateKey(kp.PrivatePEM, password("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("PLBUNDLE policy "), 100)
	sig, err := key.Sign(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sig.SigstoreBundle()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	// write lays out a directory with the named files and returns it.
	write := func(t *testing.T, files map[string][]byte) string {
		dir := t.TempDir()
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	tampered := bytes.Clone(data)
	tampered[3] ^= 1

	for _, tc := range []struct {
		name    string
		files   map[string][]byte
		policy  func(dir string) FilePolicy
		formats []string // of the signatures that verified, in order
		want    error    // or an *InputError when wantInput
		input   bool
		says    string
	}{
		{
			name:    "both files beside it",
			files:   map[string][]byte{"app.plb": data, "app.plb.sig": sig.SignatureFile(), "app.plb.sigstore.json": sb},
			policy:  func(dir string) FilePolicy { return FilePolicy{KeyRef: filepath.Join(dir, "cosign.pub")} },
			formats: []string{FormatSigstoreBundle, FormatSignature},
		},
		{
			name:    "only the .sig",
			files:   map[string][]byte{"app.plb": data, "app.plb.sig": sig.SignatureFile()},
			policy:  func(dir string) FilePolicy { return FilePolicy{KeyRef: filepath.Join(dir, "cosign.pub")} },
			formats: []string{FormatSignature},
		},
		{
			name:  "named signature, the one beside it ignored",
			files: map[string][]byte{"app.plb": data, "other.sig": sig.SignatureFile(), "app.plb.sigstore.json": []byte("garbage")},
			policy: func(dir string) FilePolicy {
				return FilePolicy{KeyRef: filepath.Join(dir, "cosign.pub"), Signature: filepath.Join(dir, "other.sig")}
			},
			formats: []string{FormatSignature},
		},
		{
			name:  "key from $PATCHLINE_KEY",
			files: map[string][]byte{"app.plb": data, "app.plb.sig": sig.SignatureFile()},
			policy: func(dir string) FilePolicy {
				return FilePolicy{Getenv: envOf(EnvPublicKey, filepath.Join(dir, "cosign.pub"))}
			},
			formats: []string{FormatSignature},
		},
		{
			name:   "no key at all",
			files:  map[string][]byte{"app.plb": data, "app.plb.sig": sig.SignatureFile()},
			policy: func(string) FilePolicy { return FilePolicy{} },
			input:  true, says: "no public key to verify with: give --key cosign.pub (or env://VAR), or set PATCHLINE_KEY",
		},
		{
			name:   "unsigned",
			files:  map[string][]byte{"app.plb": data},
			policy: func(dir string) FilePolicy { return FilePolicy{KeyRef: filepath.Join(dir, "cosign.pub")} },
			want:   ErrUnsigned, says: "no app.plb.sig or app.plb.sigstore.json beside",
		},
		{
			name:  "named signature missing",
			files: map[string][]byte{"app.plb": data, "app.plb.sig": sig.SignatureFile()},
			policy: func(dir string) FilePolicy {
				return FilePolicy{KeyRef: filepath.Join(dir, "cosign.pub"), Signature: filepath.Join(dir, "gone.sig")}
			},
			want: ErrUnsigned,
		},
		{
			name:   "tampered",
			files:  map[string][]byte{"app.plb": tampered, "app.plb.sig": sig.SignatureFile()},
			policy: func(dir string) FilePolicy { return FilePolicy{KeyRef: filepath.Join(dir, "cosign.pub")} },
			want:   ErrInvalidSignature, says: "app.plb.sig",
		},
		{
			name:   "over the size cap",
			files:  map[string][]byte{"app.plb": data, "app.plb.sig": sig.SignatureFile()},
			policy: func(dir string) FilePolicy { return FilePolicy{KeyRef: filepath.Join(dir, "cosign.pub"), MaxSize: 10} },
			input:  true, says: "larger than the 10 bytes",
		},
		{
			name:  "keyless with a bare signature",
			files: map[string][]byte{"app.plb": data},
			policy: func(dir string) FilePolicy {
				return FilePolicy{Signature: "x.sig", Keyless: &KeylessPolicy{Identity: testIdentity, Issuer: testIssuer}, TrustedRoot: "root.json"}
			},
			input: true, says: "--signature names a bare signature",
		},
		{
			name:  "keyless without a trusted root",
			files: map[string][]byte{"app.plb": data},
			policy: func(dir string) FilePolicy {
				return FilePolicy{Keyless: &KeylessPolicy{Identity: testIdentity, Issuer: testIssuer}}
			},
			input: true, says: "needs --trusted-root",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string][]byte{"cosign.pub": kp.PublicPEM}
			for k, v := range tc.files {
				files[k] = v
			}
			dir := write(t, files)
			check := signtest.EmptyTempDir(t)
			v, err := VerifyFile(filepath.Join(dir, "app.plb"), tc.policy(dir))
			if tc.want == nil && !tc.input {
				if err != nil {
					t.Fatalf("got %v, want verified", err)
				}
				var got []string
				for _, s := range v.Signatures {
					got = append(got, s.Format)
				}
				if strings.Join(got, ",") != strings.Join(tc.formats, ",") || v.SHA256 != hex.EncodeToString(sum[:]) {
					t.Errorf("verified %v, sha256 %s; want %v, %x", got, v.SHA256, tc.formats, sum)
				}
				if copied, err := os.ReadFile(v.Path); err != nil || !bytes.Equal(copied, data) {
					t.Errorf("the copy holds %d bytes (%v), want the file", len(copied), err)
				}
				v.Close()
				check()
				return
			}
			var in *InputError
			switch {
			case err == nil:
				t.Fatalf("verified %+v, want an error", v)
			case tc.input && !errors.As(err, &in):
				t.Errorf("got %v, want an InputError", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Errorf("got %v, want %v", err, tc.want)
			case !strings.Contains(err.Error(), tc.says):
				t.Errorf("got %q, want it to say %q", err, tc.says)
			}
			check()
		})
	}
}

func envOf(k, v string) func(string) string {
	return func(name string) string {
		if name == k {
			return v
		}
		return ""
	}
}

func TestVerifiedFileSigner(t *testing.T) {
	t.Parallel()
	kp := keyPair(t, ECDSAP256)
	for _, tc := range []struct {
		v    VerifiedFile
		want string
	}{
		{VerifiedFile{KeyRef: "cosign.pub", Key: kp.Public}, "cosign.pub (" + kp.Public.Algorithm() + ")"},
		{VerifiedFile{Keyless: &KeylessVerified{Identity: testIdentity, Issuer: testIssuer}}, testIdentity + " (issuer " + testIssuer + ", keyless)"},
		{VerifiedFile{KeyRef: "env://K"}, "env://K"},
	} {
		if got := tc.v.Signer(); got != tc.want {
			t.Errorf("Signer() = %q, want %q", got, tc.want)
		}
	}
}

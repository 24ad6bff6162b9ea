package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/sign"
	"github.com/patchline/patchline/internal/sign/signtest"
)

const (
	keylessID   = "https://github.com/acme/inventory/.github/workflows/patchline.yml@refs/heads/patch/PL-2026-0007"
	keylessIss  = sign.GitHubActionsIssuer
	keylessRoot = "trusted_root.json"
)

// TestKeylessFlags: verify and apply take the keyless flags into
// Options.Verify.Keyless, refuse them beside --key, --signature or
// --insecure-skip-verify, and say which flag is missing; all exit 2.
func TestKeylessFlags(t *testing.T) {
	t.Parallel()
	keyless := []string{"--certificate-identity", keylessID, "--certificate-oidc-issuer", keylessIss, "--trusted-root", keylessRoot}
	for _, tc := range []struct {
		name string
		args []string
		want string // "" parses
	}{
		{"keyless", keyless, ""},
		{"regexps", []string{"--certificate-identity-regexp", "^https://github.com/acme/", "--certificate-oidc-issuer-regexp", "githubusercontent", "--trusted-root", keylessRoot}, ""},
		{"with --key", append([]string{"--key", "cosign.pub"}, keyless...), "pick one, --key or the --certificate-* flags"},
		{"with --signature", append([]string{"--signature", "app.sig"}, keyless...), "give the Sigstore bundle (what cosign sign-blob --bundle writes) with --bundle"},
		{"no issuer", []string{"--certificate-identity", keylessID, "--trusted-root", keylessRoot}, "give --certificate-oidc-issuer"},
		{"no identity", []string{"--certificate-oidc-issuer", keylessIss, "--trusted-root", keylessRoot}, "give --certificate-identity"},
		{"no trusted root", []string{"--certificate-identity", keylessID, "--certificate-oidc-issuer", keylessIss}, "needs --trusted-root FILE"},
		{"both identities", append([]string{"--certificate-identity-regexp", "x"}, keyless...), "pick one"},
		{"bad regexp", []string{"--certificate-identity-regexp", "(", "--certificate-oidc-issuer", keylessIss, "--trusted-root", keylessRoot}, "--certificate-identity-regexp \"(\""},
	} {
		for _, verb := range []string{"verify", "apply"} {
			t.Run(verb+" "+tc.name, func(t *testing.T) {
				t.Parallel()
				f := &Factory{IO: &IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}, Getenv: func(string) string { return "" }}
				var got *KeylessFlags
				var cmd *cobra.Command
				args := append([]string{"app.plb"}, tc.args...)
				if verb == "verify" {
					cmd = NewCmdVerify(f, func(o *VerifyOptions) error { got = &o.Verify.Keyless; return nil })
				} else {
					cmd = NewCmdApply(f, func(o *ApplyOptions) error { got = &o.Verify.Keyless; return nil })
					args = append(args, "--to", "opt")
				}
				cmd.SetArgs(args)
				cmd.SetOut(io.Discard)
				cmd.SetErr(io.Discard)
				err := cmd.Execute()
				if tc.want == "" {
					if err != nil {
						t.Fatal(err)
					}
					if !got.Set() || got.TrustedRoot != keylessRoot {
						t.Errorf("keyless flags %+v, want them set with --trusted-root %s", *got, keylessRoot)
					}
					return
				}
				if err == nil || !strings.Contains(err.Error(), tc.want) || ExitCode(err) != ExitUsage {
					t.Errorf("%v (exit %d), want exit %d saying %q", err, ExitCode(err), ExitUsage, tc.want)
				}
			})
		}
	}
	t.Run("apply --insecure-skip-verify", func(t *testing.T) {
		t.Parallel()
		f := &Factory{IO: &IOStreams{Out: io.Discard, ErrOut: io.Discard}, Getenv: func(string) string { return "" }}
		cmd := NewCmdApply(f, func(*ApplyOptions) error { return nil })
		cmd.SetArgs(append([]string{"app.plb", "--to", "opt", "--insecure-skip-verify"}, keyless...))
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "--trusted-root and the --certificate-* flags") {
			t.Errorf("%v, want --insecure-skip-verify refused beside the keyless flags", err)
		}
	})
}

// TestVerifyKeylessFile checks a file's keyless bundle through
// verifyBundleFile, as verify and apply call it: the copy it hands back is
// the file, and a wrong identity leaves nothing behind. Not parallel: it
// sets $TMPDIR.
func TestVerifyKeylessFile(t *testing.T) {
	ss, err := signtest.New()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rootJSON, err := ss.TrustedRoot(signtest.RootOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("PLBUNDLE "), 100)
	b, err := ss.Sign(keylessID, keylessIss, data, signtest.SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "app.plb")
	for name, content := range map[string][]byte{"app.plb": data, "app.plb.sigstore.json": b, keylessRoot: rootJSON, "app.plb.sig": []byte("not checked keylessly")} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	flags := VerifyFlags{Keyless: KeylessFlags{Identity: keylessID, Issuer: keylessIss, TrustedRoot: filepath.Join(dir, keylessRoot)}}
	noenv := func(string) string { return "" }

	check := signtest.EmptyTempDir(t)
	v, err := verifyBundleFile(path, flags, noenv)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(v.Path); err != nil || !bytes.Equal(got, data) {
		t.Errorf("the verified copy holds %d bytes (%v), want the file's %d", len(got), err, len(data))
	}
	if v.Keyless == nil || v.Keyless.Identity != keylessID || len(v.Signatures) != 1 || v.Signatures[0].Path != path+sign.SigstoreBundleSuffix {
		t.Errorf("verified %+v with %+v, want the Sigstore bundle beside it, by %s", v.Keyless, v.Signatures, keylessID)
	}
	if got, want := v.Signer(), keylessID+" (issuer "+keylessIss+", keyless)"; got != want {
		t.Errorf("signer %q, want %q", got, want)
	}
	v.Close()
	check()

	check = signtest.EmptyTempDir(t)
	wrong := flags
	wrong.Keyless.Identity = "https://github.com/evil/inventory/.github/workflows/x.yml@refs/heads/main"
	_, err = verifyBundleFile(path, wrong, noenv)
	if ExitCode(err) != ExitVerification || !strings.Contains(err.Error(), "app.plb.sigstore.json: signature verification failed: signed by "+keylessID) {
		t.Errorf("a wrong identity: %v (exit %d), want exit %d naming who signed", err, ExitCode(err), ExitVerification)
	}
	check()

	// No bundle beside the file: unsigned, and it says where to look.
	if err := os.Remove(path + sign.SigstoreBundleSuffix); err != nil {
		t.Fatal(err)
	}
	_, err = verifyBundleFile(path, flags, noenv)
	if ExitCode(err) != ExitVerification || !strings.Contains(err.Error(), "not signed: no app.plb.sigstore.json beside") {
		t.Errorf("no bundle: %v (exit %d), want exit %d", err, ExitCode(err), ExitVerification)
	}
	// A trusted root that is not one is bad input.
	bad := flags
	bad.Keyless.TrustedRoot = path
	if _, err = verifyBundleFile(path, bad, noenv); ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "bad trusted root") {
		t.Errorf("a bad trusted root: %v (exit %d), want exit %d", err, ExitCode(err), ExitUsage)
	}
}

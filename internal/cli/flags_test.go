package cli

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// parseFlags builds a command with a runF that keeps its Options, runs it
// with args and returns what the flags parsed into.
func parseFlags[O any](t *testing.T, newCmd func(*Factory, func(*O) error) *cobra.Command, args ...string) (*O, error) {
	t.Helper()
	f := &Factory{IO: &IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, Getenv: func(string) string { return "" }}
	var got *O
	cmd := newCmd(f, func(o *O) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageError("%w", err) })
	if err := cmd.Execute(); err != nil {
		return nil, err
	}
	if got == nil {
		t.Fatalf("%s %s: runF was not called", cmd.Name(), strings.Join(args, " "))
	}
	return got, nil
}

// TestFlagParsing checks, through each command's runF, that representative
// command lines parse into the Options the run functions are given, and
// that clashing or missing flags are refused as usage errors (exit 2)
// before anything runs.
func TestFlagParsing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		parse   func(t *testing.T) (string, error) // what parsed, as %+v of the fields checked
		want    string
		wantErr string
	}{
		{
			name: "sign defaults",
			parse: func(t *testing.T) (string, error) {
				o, err := parseFlags(t, NewCmdSign, "app.plb")
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%s|%s|%s|%s|%v|%s", o.Bundle, o.Key, o.Signature, o.SigstoreBundle, o.JSON, o.Repo.Dir), nil
			},
			want: "app.plb||||false|.",
		},
		{
			name: "sign with every flag",
			parse: func(t *testing.T) (string, error) {
				o, err := parseFlags(t, NewCmdSign, "app.plb", "--key", "env://K", "--signature", "a.sig", "--bundle", "a.json", "--json", "--repo", "/r")
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%s|%s|%s|%s|%v|%s", o.Bundle, o.Key, o.Signature, o.SigstoreBundle, o.JSON, o.Repo.Dir), nil
			},
			want: "app.plb|env://K|a.sig|a.json|true|/r",
		},
		{
			name: "sign needs the bundle",
			parse: func(t *testing.T) (string, error) {
				_, err := parseFlags(t, NewCmdSign)
				return "", err
			},
			wantErr: "accepts 1 arg",
		},
		{
			name: "verify with a key",
			parse: func(t *testing.T) (string, error) {
				o, err := parseFlags(t, NewCmdVerify, "app.plb", "--key", "cosign.pub", "--max-bundle-size", "1000")
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%s|%s|%d|%v", o.Bundle, o.Verify.Key, o.Verify.MaxBundleSize, o.Verify.Keyless.Set()), nil
			},
			want: "app.plb|cosign.pub|1000|false",
		},
		{
			name: "verify default size cap",
			parse: func(t *testing.T) (string, error) {
				o, err := parseFlags(t, NewCmdVerify, "app.plb")
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%v", o.Verify.MaxBundleSize == DefaultMaxBundleSize), nil
			},
			want: "true",
		},
		{
			name: "verify: --key and keyless clash",
			parse: func(t *testing.T) (string, error) {
				_, err := parseFlags(t, NewCmdVerify, "app.plb", "--key", "cosign.pub", "--certificate-identity", "x")
				return "", err
			},
			wantErr: "pick one, --key or the --certificate-* flags",
		},
		{
			name: "keys generate defaults",
			parse: func(t *testing.T) (string, error) {
				o, err := parseFlags(t, NewCmdKeysGenerate)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%s|%s|%v|%v", o.Prefix, o.Algorithm, o.Force, o.NoPassword), nil
			},
			want: "cosign|ecdsa-p256|false|false",
		},
		{
			name: "keys generate --no-password",
			parse: func(t *testing.T) (string, error) {
				o, err := parseFlags(t, NewCmdKeysGenerate, "--output-key-prefix", "release", "--algorithm", "ed25519", "--force", "--no-password")
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%s|%s|%v|%v", o.Prefix, o.Algorithm, o.Force, o.NoPassword), nil
			},
			want: "release|ed25519|true|true",
		},
		{
			name: "pr with an id and --dry-run",
			parse: func(t *testing.T) (string, error) {
				o, err := parseFlags(t, NewCmdPR, "PL-2026-0007", "--dry-run", "--bundles", "dist")
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%s|%v|%v|%s|%v", o.ID, o.DryRun, o.Merged, o.Bundles, o.JSON), nil
			},
			want: "PL-2026-0007|true|false|dist|false",
		},
		{
			name: "pr --merged without an id",
			parse: func(t *testing.T) (string, error) {
				o, err := parseFlags(t, NewCmdPR, "--merged", "--json")
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%s|%v|%v|%s|%v", o.ID, o.DryRun, o.Merged, o.Bundles, o.JSON), nil
			},
			want: "|false|true||true",
		},
		{
			name: "pr: --bundles has no use with --merged",
			parse: func(t *testing.T) (string, error) {
				_, err := parseFlags(t, NewCmdPR, "--merged", "--bundles", "dist")
				return "", err
			},
			wantErr: "--bundles describes the pull request; it has no use with --merged",
		},
		{
			name: "gate",
			parse: func(t *testing.T) (string, error) {
				o, err := parseFlags(t, NewCmdGate, "PL-2026-0007", "--dry-run", "--json")
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%s|%v|%v", o.ID, o.DryRun, o.JSON), nil
			},
			want: "PL-2026-0007|true|true",
		},
		{
			name: "demo",
			parse: func(t *testing.T) (string, error) {
				o, err := parseFlags(t, NewCmdDemo, "--dir", "/tmp/inventory", "--keep")
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%s|%v", o.Dir, o.Keep), nil
			},
			want: "/tmp/inventory|true",
		},
		{
			name: "demo takes no arguments",
			parse: func(t *testing.T) (string, error) {
				_, err := parseFlags(t, NewCmdDemo, "extra")
				return "", err
			},
			wantErr: "unknown command",
		},
		{
			name: "new",
			parse: func(t *testing.T) (string, error) {
				o, err := parseFlags(t, NewCmdNew, "--base", "v2026.3.0", "--title", "t", "--module", "a", "--module", "b", "--case", "CRM-1")
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%s|%s|%s|%s|%s|%v|%v", o.Base, o.Title, o.Kind, o.Severity, o.Risk, o.Modules, o.Cases), nil
			},
			want: "v2026.3.0|t|fix|moderate|medium|[a b]|[CRM-1]",
		},
		{
			name: "new needs --base",
			parse: func(t *testing.T) (string, error) {
				_, err := parseFlags(t, NewCmdNew, "--title", "t")
				return "", err
			},
			wantErr: "--base is required",
		},
		{
			name: "apply",
			parse: func(t *testing.T) (string, error) {
				o, err := parseFlags(t, NewCmdApply, "app.plb", "--to", "/opt/x", "--key", "cosign.pub", "--env", "test", "--site", "s", "--operator", "o", "--check", "./c", "--dry-run")
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%v", o.Bundle, o.Install.Root, o.Verify.Key, o.Stage.Env, o.Stage.Site, o.Stage.Operator, o.Check, o.DryRun), nil
			},
			want: "app.plb|/opt/x|cosign.pub|test|s|o|./c|true",
		},
		{
			name: "install",
			parse: func(t *testing.T) (string, error) {
				o, err := parseFlags(t, NewCmdInstall, "a.tar.gz", "--to", "/opt/x", "--key", "cosign.pub")
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%s|%s|%s", o.Archive, o.Install.Root, o.Verify.Key), nil
			},
			want: "a.tar.gz|/opt/x|cosign.pub",
		},
		{
			name: "release",
			parse: func(t *testing.T) (string, error) {
				o, err := parseFlags(t, NewCmdRelease, "v2026.3.0", "--out", "rel", "--sign", "--key", "cosign.key")
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%s|%s|%v|%s", o.Tag, o.Out, o.Sign, o.Key), nil
			},
			want: "v2026.3.0|rel|true|cosign.key",
		},
		{
			name: "build",
			parse: func(t *testing.T) (string, error) {
				o, err := parseFlags(t, NewCmdBuild, "PL-2026-0007", "--platform", "linux/amd64,linux/arm64", "--out", "d", "--json")
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%s|%v|%s|%v|%v", o.ID, o.Platforms, o.Out, o.JSON, o.Sign), nil
			},
			want: "PL-2026-0007|[linux/amd64 linux/arm64]|d|true|false",
		},
		{
			name: "confirm, rollback",
			parse: func(t *testing.T) (string, error) {
				c, err := parseFlags(t, NewCmdConfirm, "PL-1", "--to", "/opt/x", "--by", "Chris", "--note", "ok")
				if err != nil {
					return "", err
				}
				r, err := parseFlags(t, NewCmdRollback, "PL-1", "--to", "/opt/x", "--force")
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%s|%s|%s|%s|%s|%s|%v", c.ID, c.Install.Root, c.By, c.Note, r.ID, r.Install.Root, r.Force), nil
			},
			want: "PL-1|/opt/x|Chris|ok|PL-1|/opt/x|true",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.parse(t)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || ExitCode(err) != ExitUsage {
					t.Fatalf("got %v (exit %d), want exit %d saying %q", err, ExitCode(err), ExitUsage, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("parsed %q, want %q", got, tc.want)
			}
		})
	}
}

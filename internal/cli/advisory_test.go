package cli

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/patchline/patchline/internal/advisory"
)

// TestNewCmdAdvisory checks what the flags parse into, and the
// combinations that are refused with exit 2 and a hint.
func TestNewCmdAdvisory(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args    string
		want    AdvisoryOptions // IO and Repo are not compared
		wantErr string
	}{
		{args: "PL-2026-0007 --format osv", want: AdvisoryOptions{ID: "PL-2026-0007", Format: "osv", Dir: "dist"}},
		{args: "PL-2026-0007 --format CSAF --out a.json", want: AdvisoryOptions{ID: "PL-2026-0007", Format: "csaf", Out: "a.json", Dir: "dist"}},
		{args: "--release v2026.3.2", want: AdvisoryOptions{Release: "v2026.3.2", Dir: "dist"}},
		{args: "--release v2026.3.2 --dir out --format openvex", want: AdvisoryOptions{Release: "v2026.3.2", Dir: "out", Format: "openvex"}},
		{args: "PL-2026-0007", wantErr: "--format is required: osv, csaf or openvex"},
		{args: "PL-2026-0007 --format spdx", wantErr: `--format "spdx": want osv, csaf or openvex`},
		{args: "--format osv", wantErr: "give the patch id"},
		{args: "PL-2026-0007 --release v2026.3.2", wantErr: "drop PL-2026-0007, or drop --release"},
		{args: "--release v2026.3.2 --out a.json", wantErr: "with --release, give the folder with --dir"},
		{args: "PL-2026-0007 --format osv --dir out", wantErr: "--dir goes with --release"},
		{args: "PL-2026-0007 PL-2026-0008 --format osv", wantErr: "accepts at most 1 arg(s)"},
	} {
		t.Run(tc.args, func(t *testing.T) {
			t.Parallel()
			var got *AdvisoryOptions
			f := &Factory{IO: &IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}}
			cmd := NewCmdAdvisory(f, func(o *AdvisoryOptions) error { got = o; return nil })
			cmd.SetArgs(strings.Fields(tc.args))
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || ExitCode(err) != ExitUsage {
					t.Fatalf("err = %v (exit %d), want exit 2 with %q", err, ExitCode(err), tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.IO, got.Repo = nil, RepoFlags{}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("options = %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestAdvisoryExitCodes(t *testing.T) {
	t.Parallel()
	for err, want := range map[error]int{
		advisory.ErrNotSecurity: ExitUsage,
		advisory.ErrBadManifest: ExitUsage,
		advisory.ErrNoProduct:   ExitUsage,
		advisory.ErrNoNamespace: ExitUsage,
		advisory.ErrNotReleased: ExitPrecondition,
	} {
		if got := ExitCode(fmt.Errorf("PL-2026-0007: %w", err)); got != want {
			t.Errorf("ExitCode(%v) = %d, want %d", err, got, want)
		}
	}
}

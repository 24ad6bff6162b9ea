package cli

import (
	"bytes"
	"strings"
	"testing"
)

// TestValidateJSONFlag checks that validate takes --json, as every other
// command does, as --format json, and refuses it beside another format.
func TestValidateJSONFlag(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args       []string
		wantFormat string
		wantErr    string
	}{
		{[]string{"--json"}, "json", ""},
		{[]string{"--json", "--format", "json"}, "json", ""},
		{[]string{"--format", "json"}, "json", ""},
		{nil, "text", ""},
		{[]string{"--json", "--format", "github"}, "", "--json and --format github: pick one"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			f := &Factory{IO: &IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}}
			var got *ValidateOptions
			cmd := NewCmdValidate(f, func(o *ValidateOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if ExitCode(err) != 2 {
					t.Errorf("exit %d, want 2", ExitCode(err))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Format != tc.wantFormat {
				t.Errorf("format %q, want %q", got.Format, tc.wantFormat)
			}
		})
	}
}

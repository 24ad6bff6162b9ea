package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"testing"

	"github.com/patchline/patchline/internal/bundle"
	"github.com/patchline/patchline/internal/delta"
	"github.com/patchline/patchline/internal/forge"
	"github.com/patchline/patchline/internal/install"
	"github.com/patchline/patchline/internal/patchdiff"
	"github.com/patchline/patchline/internal/sign"
)

// TestExitCode checks the one place errors meet exit codes: 1 is only
// ever findings, whatever else goes wrong.
func TestExitCode(t *testing.T) {
	t.Parallel()
	wrap := func(err error) error { return fmt.Errorf("apply PL-2026-0001: %w", err) }
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"success", nil, ExitOK},
		{"findings", findings(), ExitFindings},
		{"usage", usageError("give a BUNDLE"), ExitUsage},
		{"bad install root", wrap(install.ErrBadArgument), ExitUsage},
		{"missing file", wrap(&fs.PathError{Op: "open", Path: "x.plb", Err: syscall.ENOENT}), ExitUsage},
		{"not a directory", wrap(&fs.PathError{Op: "open", Path: "x/y", Err: syscall.ENOTDIR}), ExitUsage},
		{"not a bundle", wrap(bundle.ErrNotBundle), ExitUsage},
		{"malformed diff", wrap(patchdiff.ErrMalformed), ExitUsage},
		{"no token", wrap(forge.ErrNoToken), ExitUsage},
		{"redirect to another host", wrap(forge.ErrRedirect), ExitUsage},
		{"bad key", wrap(sign.ErrBadKey), ExitUsage},
		{"corrupt bundle", wrap(bundle.ErrCorrupt), ExitVerification},
		{"corrupt delta", wrap(delta.ErrCorrupt), ExitVerification},
		{"bad signature", wrap(sign.ErrInvalidSignature), ExitVerification},
		{"unsigned", wrap(sign.ErrUnsigned), ExitVerification},
		{"rebuilt file mismatch", wrap(install.ErrVerification), ExitVerification},
		{"forged state", wrap(install.ErrUnsafeState), ExitVerification},
		{"not the base", wrap(install.ErrPrecondition), ExitPrecondition},
		{"delta base mismatch", wrap(delta.ErrMismatch), ExitPrecondition},
		{"disk full", wrap(&fs.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}), ExitPrecondition},
		{"read-only", wrap(&os.LinkError{Op: "rename", Old: "a", New: "b", Err: syscall.EROFS}), ExitPrecondition},
		{"permission", wrap(&fs.PathError{Op: "open", Path: "x", Err: syscall.EACCES}), ExitPrecondition},
		{"forge down", wrap(errors.New("502 Bad Gateway")), ExitPrecondition},
		{"conflict", wrap(patchdiff.ErrConflict), ExitConflict},
		{"interrupted", wrap(install.ErrInterrupted), ExitInterrupted},
		{"interrupted wins over precondition", errors.Join(install.ErrPrecondition, install.ErrInterrupted), ExitInterrupted},
	} {
		if got := ExitCode(tc.err); got != tc.want {
			t.Errorf("%s: ExitCode(%v) = %d, want %d", tc.name, tc.err, got, tc.want)
		}
	}
}

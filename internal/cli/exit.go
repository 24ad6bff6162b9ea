package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"

	"github.com/patchline/patchline/internal/advisory"
	"github.com/patchline/patchline/internal/artifact"
	"github.com/patchline/patchline/internal/backport"
	"github.com/patchline/patchline/internal/bundle"
	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/delta"
	"github.com/patchline/patchline/internal/fleet"
	"github.com/patchline/patchline/internal/forge"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/install"
	"github.com/patchline/patchline/internal/patchdiff"
	"github.com/patchline/patchline/internal/provenance"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/review"
	"github.com/patchline/patchline/internal/rollout"
	"github.com/patchline/patchline/internal/rollup"
	"github.com/patchline/patchline/internal/sign"
)

// Exit codes, as SPEC.md defines them.
const (
	ExitOK           = 0
	ExitFindings     = 1 // the check ran and found problems
	ExitUsage        = 2 // bad input or usage
	ExitVerification = 3 // signature, checksum, tampering
	ExitPrecondition = 4 // installed files are not the base, downgrade, replay, platform
	ExitConflict     = 5 // a diff does not apply
	ExitInterrupted  = 6 // an interrupted apply was found
	ExitRolledBack   = 7 // applied, failed its health check, and rolled back by itself
)

// exitError carries an explicit exit code. A silent one has already told the
// user everything (a validation report), so main prints nothing more.
type exitError struct {
	code   int
	err    error
	silent bool
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError marks bad flags, arguments or input files.
func usageError(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// findings is returned by a check that printed its problems.
func findings() error { return &exitError{code: ExitFindings, silent: true} }

// ExitCode maps an error to the process exit code. It is the one place
// where domain errors meet exit codes.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	switch {
	case errors.Is(err, review.ErrHeadBranchMissing):
		return ExitPrecondition // push the patch branch first
	case errors.Is(err, review.ErrNotMerged), errors.Is(err, review.ErrNotOpen):
		return ExitFindings // --merged before the merge; gate with no pull request open
	case errors.Is(err, review.ErrBadInput):
		return ExitUsage
	case errors.Is(err, registry.ErrNothingToRecord):
		return ExitFindings // diff before the fix is committed
	}
	var signInput *sign.InputError
	if errors.As(err, &signInput) {
		return ExitUsage // a file or reference given to verify that cannot be used
	}
	var newInput *registry.InputError
	var backportInput *backport.InputError
	var backportExists *backport.BranchExistsError
	if errors.As(err, &newInput) || errors.As(err, &backportInput) || errors.As(err, &backportExists) {
		return ExitUsage // new: a value the manifest refuses, an unknown module; --from: no backport to make, or one under way
	}
	var wrongBranch *gitrepo.WrongBranchError
	if errors.As(err, &wrongBranch) {
		return ExitPrecondition // fleet add, cases --post: switch to the main branch first
	}
	var cfgErr *config.DecodeError
	var tagErr *registry.NotReleaseTagError
	var notOut *registry.NotCheckedOutError
	switch {
	case errors.As(err, &cfgErr), errors.As(err, &tagErr), errors.As(err, &notOut),
		errors.Is(err, config.ErrNotFound),
		errors.Is(err, config.ErrUnsupportedLine),
		errors.Is(err, gitrepo.ErrNotRepository),
		errors.Is(err, gitrepo.ErrDirtyWorktree),
		errors.Is(err, registry.ErrUnknownPatch),
		errors.Is(err, patchdiff.ErrMalformed),
		errors.Is(err, patchdiff.ErrUnsafePath),
		errors.Is(err, rollup.ErrBadAccepted),
		errors.Is(err, fleet.ErrBadFleet), errors.Is(err, fleet.ErrRefused), errors.Is(err, rollout.ErrBadRecord):
		return ExitUsage
	case errors.Is(err, advisory.ErrNotSecurity), errors.Is(err, advisory.ErrBadManifest),
		errors.Is(err, advisory.ErrNoProduct), errors.Is(err, advisory.ErrNoNamespace):
		return ExitUsage
	case errors.Is(err, advisory.ErrNotReleased):
		return ExitPrecondition // no release carries the fix yet
	case errors.Is(err, fleet.ErrStale):
		return ExitPrecondition // an older record would put the fleet back in time
	case errors.Is(err, forge.ErrNoToken), errors.Is(err, forge.ErrUnauthorized),
		errors.Is(err, forge.ErrForbidden), errors.Is(err, forge.ErrNotFound),
		errors.Is(err, forge.ErrRedirect):
		return ExitUsage
	case errors.Is(err, patchdiff.ErrConflict):
		return ExitConflict
	case errors.Is(err, bundle.ErrNotBundle), errors.Is(err, bundle.ErrUnsupported):
		return ExitUsage
	case errors.Is(err, install.ErrInterrupted):
		return ExitInterrupted
	case errors.Is(err, install.ErrHealthCheck):
		return ExitRolledBack
	case errors.Is(err, install.ErrUnhealthy):
		return ExitFindings
	case errors.Is(err, install.ErrUnsafeState):
		return ExitVerification
	case errors.Is(err, install.ErrBadArgument):
		return ExitUsage
	case errors.Is(err, install.ErrPrecondition), errors.Is(err, delta.ErrMismatch):
		return ExitPrecondition
	case errors.Is(err, artifact.ErrMismatch):
		return ExitPrecondition // a rebuilt release that is not its record
	case errors.Is(err, artifact.ErrChanged):
		return ExitPrecondition // a patch built with another toolchain than its base release
	case errors.Is(err, provenance.ErrInvalid), errors.Is(err, provenance.ErrMissing):
		return ExitVerification
	case errors.Is(err, install.ErrVerification), errors.Is(err, bundle.ErrCorrupt), errors.Is(err, delta.ErrCorrupt):
		return ExitVerification
	case errors.Is(err, sign.ErrInvalidSignature), errors.Is(err, sign.ErrUnsigned):
		return ExitVerification
	case errors.Is(err, sign.ErrBadKey), errors.Is(err, sign.ErrWrongPassword), errors.Is(err, sign.ErrNoPassword), errors.Is(err, sign.ErrUnsupportedKey),
		errors.Is(err, sign.ErrBadTrustedRoot), errors.Is(err, sign.ErrBadPolicy):
		return ExitUsage
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.EISDIR):
		return ExitUsage // a path given on the command line or in a file that is not there
	}
	// Exit 1 is only ever a check's findings, returned above as an
	// exitError. Whatever else stopped the command is a precondition that
	// did not hold: a full disk (ENOSPC) or read-only file system, a
	// permission, a forge or network that did not answer, a build that
	// failed. docs/decisions.md, "Exit codes".
	return ExitPrecondition
}

// Silent reports whether the error was already explained on the output.
func Silent(err error) bool {
	var ee *exitError
	return errors.As(err, &ee) && ee.silent
}

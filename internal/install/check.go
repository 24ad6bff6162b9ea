package install

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/patchline/patchline/internal/bundle"
)

// ErrHealthCheck (exit 7): the patch was applied, its health check failed,
// and apply rolled it back by itself: the old release is installed.
var ErrHealthCheck = errors.New("the health check failed")

// ErrUnhealthy (exit 1, a finding): `patchline check` ran the health check
// and it failed. Nothing was changed.
var ErrUnhealthy = errors.New("unhealthy")

// Health check defaults, as [install] documents them.
const (
	DefaultCheckTimeout = 60 * time.Second
	// DefaultCheckAttempts is [install] check_retries' default, 3, and the
	// first run.
	DefaultCheckAttempts = 4
	// maxCheckOutput is how much of a check's output a receipt keeps: its
	// last lines, enough to see why it failed.
	maxCheckOutput = 4 << 10
)

// effectiveCheck is the check to run: --check when given, else the
// bundle's (nil: none).
func effectiveCheck(override string, fromBundle *bundle.HealthCheck) *bundle.HealthCheck {
	if strings.TrimSpace(override) != "" {
		hc := bundle.HealthCheck{Command: override}
		if fromBundle != nil {
			hc.Timeout, hc.Attempts = fromBundle.Timeout, fromBundle.Attempts
		}
		return &hc
	}
	if fromBundle == nil || strings.TrimSpace(fromBundle.Command) == "" {
		return nil
	}
	return fromBundle
}

// healthCheck runs hc in the install root, up to its retries, and says how
// it went. The command sees PATCHLINE_ROOT and PATCHLINE_PATCH.
func (in *installer) healthCheck(hc *bundle.HealthCheck, patch string) CheckOutcome {
	timeout := DefaultCheckTimeout
	if hc.Timeout > 0 {
		timeout = time.Duration(hc.Timeout) * time.Second
	}
	attempts := DefaultCheckAttempts
	if hc.Attempts > 0 {
		attempts = hc.Attempts
	}
	sleep := in.opts.Sleep
	if sleep == nil {
		sleep = time.Sleep
	}
	env := []string{"PATCHLINE_ROOT=" + in.root, "PATCHLINE_PATCH=" + patch}
	var out CheckOutcome
	for i := 1; i <= attempts; i++ {
		if i > 1 {
			sleep(time.Duration(i-1) * 2 * time.Second)
		}
		in.logf("health check (attempt %d of %d): %s", i, attempts, hc.Command)
		output, code, err := runCheck(context.Background(), in.root, hc.Command, timeout, env)
		out = CheckOutcome{At: in.now(), Attempts: i, ExitCode: code, Output: lastLines(output, maxCheckOutput)}
		if err == nil && code == 0 {
			out.OK = true
			return out
		}
		if err != nil {
			out.Output = lastLines(strings.TrimRight(output, "\n")+"\n"+err.Error(), maxCheckOutput)
		}
	}
	return out
}

// lastLines keeps the end of s, whole lines, at most limit bytes.
func lastLines(s string, limit int) string {
	s = strings.TrimRight(s, "\n")
	if len(s) <= limit {
		return s
	}
	s = s[len(s)-limit:]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// lastLine is the last line of a check's output, for one-line messages.
func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// afterSwap runs the health check of a committed apply, records it in the
// receipt, and when it fails rolls the patch back byte for byte.
func (in *installer) afterSwap(rec *Receipt, hc *bundle.HealthCheck) error {
	if hc == nil {
		return nil
	}
	out := in.healthCheck(hc, rec.Patch)
	rec.HealthCheck = hc
	rec.Checks = append(rec.Checks, out)
	if err := in.fs.writeJSON(in.state(receiptsDir+"/"+rec.Patch+".json"), rec); err != nil {
		return fmt.Errorf("record the health check of %s: %w", rec.Patch, err)
	}
	if out.OK {
		in.logf("health check passed")
		return nil
	}
	why := fmt.Sprintf("exit status %d", out.ExitCode)
	if out.ExitCode < 0 {
		why = "it did not finish"
	}
	if l := lastLine(out.Output); l != "" {
		why += ": " + l
	}
	in.logf("health check failed after %d attempts (%s); rolling %s back", out.Attempts, why, rec.Patch)
	force := in.opts.Force
	in.opts.Force = true // the check may have touched the files it checks
	rb, err := in.rollbackLocked(rec.Patch)
	in.opts.Force = force
	if err != nil {
		return fmt.Errorf("%w: %s was applied and its health check failed (%s), and rolling it back failed: %w", ErrInterrupted, rec.Patch, why, err)
	}
	rb.AutoRolledBack = true
	if err := in.fs.writeJSON(in.state(receiptsDir+"/"+rec.Patch+".json"), rb); err != nil {
		in.logf("warning: could not mark the receipt of %s as rolled back by its check: %v", rec.Patch, err)
	}
	*rec = *rb
	return fmt.Errorf("%w: %s was applied, its health check failed after %d attempts (%s), and it was rolled back: %s is installed as before",
		ErrHealthCheck, rec.Patch, out.Attempts, why, describe(rb.Base))
}

// Check runs the health check of the newest applied patch of root again
// (or command, when given) and records the outcome in its receipt. An
// unhealthy install is ErrUnhealthy; nothing is rolled back.
func Check(opts Options, command string) (*Receipt, CheckOutcome, error) {
	in, err := newInstaller(opts)
	if err != nil {
		return nil, CheckOutcome{}, err
	}
	unlock, err := in.begin()
	if err != nil {
		return nil, CheckOutcome{}, err
	}
	defer unlock()
	if j, err := in.readJournal(); err != nil {
		return nil, CheckOutcome{}, err
	} else if j != nil {
		return nil, CheckOutcome{}, interrupted(j)
	}
	rec, err := in.newestApplied()
	if err != nil {
		return nil, CheckOutcome{}, err
	}
	var hc *bundle.HealthCheck
	if rec != nil {
		hc = effectiveCheck(command, rec.HealthCheck)
	} else {
		hc = effectiveCheck(command, nil)
	}
	if hc == nil {
		return rec, CheckOutcome{}, fmt.Errorf("%w: no health check: the applied patch's bundle carries none ([install] check); give one with --check", ErrBadArgument)
	}
	id := ""
	if rec != nil {
		id = rec.Patch
	}
	out := in.healthCheck(hc, id)
	if rec != nil {
		rec.Checks = append(rec.Checks, out)
		if err := in.fs.writeJSON(in.state(receiptsDir+"/"+rec.Patch+".json"), rec); err != nil {
			return rec, out, err
		}
	}
	if !out.OK {
		return rec, out, fmt.Errorf("%w: the health check failed after %d attempts (exit status %d): %s", ErrUnhealthy, out.Attempts, out.ExitCode, lastLine(out.Output))
	}
	return rec, out, nil
}

// newestApplied is the receipt of the patch applied last and not rolled
// back, or nil.
func (in *installer) newestApplied() (*Receipt, error) {
	inv, err := Read(in.root)
	if err != nil {
		return nil, err
	}
	for i := len(inv.Receipts) - 1; i >= 0; i-- {
		if r := inv.Receipts[i]; r.RolledBackAt == nil {
			return &r, nil
		}
	}
	return nil, nil
}

// Confirm records the customer's confirmation that an applied patch
// resolved their issue.
func Confirm(opts Options, id string, c Confirmation) (*Receipt, error) {
	in, err := newInstaller(opts)
	if err != nil {
		return nil, err
	}
	if !patchID.MatchString(id) {
		return nil, fmt.Errorf("%w: %q is not a patch id", ErrBadArgument, id)
	}
	if err := checkName("by", c.By); err != nil || c.By == "" {
		return nil, fmt.Errorf("%w: --by: who confirms, e.g. --by \"Dana at Acme\"", ErrBadArgument)
	}
	if err := checkText("note", c.Note, maxNote, true); err != nil {
		return nil, fmt.Errorf("%w: --note: %v", ErrBadArgument, err)
	}
	unlock, err := in.begin()
	if err != nil {
		return nil, err
	}
	defer unlock()
	rec, err := in.readReceipt(id)
	if err != nil {
		return nil, err
	}
	if rec == nil || rec.RolledBackAt != nil {
		return nil, fmt.Errorf("%w: %s is not applied to %s", ErrPrecondition, id, in.root)
	}
	c.At = in.now()
	rec.Confirmations = append(rec.Confirmations, c)
	if err := in.fs.writeJSON(in.state(receiptsDir+"/"+id+".json"), rec); err != nil {
		return nil, err
	}
	return rec, nil
}

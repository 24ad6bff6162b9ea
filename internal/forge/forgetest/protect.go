package forgetest

import (
	"fmt"
	"slices"
	"strings"
)

// Protection is a branch protection rule as a repository's settings make
// it. GitHub checks it on every update of the branch's ref, whoever makes
// it and however (a push, a ref update or a commit through the contents
// API), and refuses the update unless it satisfies the rule; a pull request
// that satisfies it merges. Tags and refs outside refs/heads/ (notes) are
// not branches and stay writable.
type Protection struct {
	// RequiredChecks are the status contexts that must be success on the
	// commit the branch moves to ("Require status checks to pass").
	RequiredChecks []string
	// AllowDirect lets updates land without a pull request; false is
	// "Require a pull request before merging", where every change comes
	// through a merged pull request.
	AllowDirect bool
}

// Protect sets the protection rule of a branch, which need not exist yet.
func (s *Server) Protect(branch string, p Protection) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.RequiredChecks = slices.Clone(p.RequiredChecks)
	s.protected[branch] = &p
}

// Unprotect removes a branch's protection rule.
func (s *Server) Unprotect(branch string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.protected, branch)
}

// directRefusal says why the protection of a branch refuses to move it to
// sha outside a pull request, in GitHub's words; "" when it allows it. A
// commit made by the update itself carries no status yet, so required
// checks always refuse it.
func (s *Server) directRefusal(branch, sha string) string {
	p := s.protected[branch]
	if p == nil {
		return ""
	}
	var why []string
	if !p.AllowDirect {
		why = append(why, "Changes must be made through a pull request.")
	}
	if m := s.checksMissing(p, sha); m != "" {
		why = append(why, m)
	}
	return strings.Join(why, " ")
}

// mergeRefusal says why a pull request cannot merge into its protected
// base; "" when it can.
func (s *Server) mergeRefusal(pr *Pull) string {
	p := s.protected[pr.Base]
	if p == nil {
		return ""
	}
	return s.checksMissing(p, pr.HeadSHA)
}

// checksMissing is GitHub's sentence for the required statuses a commit
// lacks: `Required status check "x" is expected.` for one, `2 of 3
// required status checks are expected.` for several.
func (s *Server) checksMissing(p *Protection, sha string) string {
	latest := map[string]string{}
	for _, st := range s.statuses[sha] {
		latest[st.Context] = st.State
	}
	var missing, failing []string
	for _, ctx := range p.RequiredChecks {
		switch latest[ctx] {
		case "success":
		case "":
			missing = append(missing, ctx)
		default:
			failing = append(failing, ctx)
		}
	}
	switch {
	case len(failing) == 1 && len(missing) == 0:
		return fmt.Sprintf("Required status check %q is failing.", failing[0])
	case len(failing) > 0:
		return fmt.Sprintf("%d of %d required status checks have not succeeded.", len(failing)+len(missing), len(p.RequiredChecks))
	case len(missing) == 1:
		return fmt.Sprintf("Required status check %q is expected.", missing[0])
	case len(missing) > 1:
		return fmt.Sprintf("%d of %d required status checks are expected.", len(missing), len(p.RequiredChecks))
	}
	return ""
}

// protectedDocs is where GitHub's refusals point.
const protectedDocs = "https://docs.github.com/articles/about-protected-branches"

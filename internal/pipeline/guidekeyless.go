package pipeline

import "strings"

// DefaultTrustedRoot is the trusted root file the guide's commands name
// when the product signs keylessly: Sigstore's trusted_root.json.
const DefaultTrustedRoot = "trusted_root.json"

// setKeyless makes the guide's commands verify the keyless signature the
// workflow makes on the patch's branch, when [sign] keyless is set.
func (s *State) setKeyless(g *Guide) {
	ref := s.Patch.Branch.Full
	if ref == "" {
		ref = s.Config.PatchBranchRef(s.Patch.ID)
	}
	if id := s.Config.KeylessIdentity(ref); id != "" {
		g.SetKeyless(id, s.Config.KeylessIssuer())
	}
}

// SetKeyless makes the guide's verify and apply commands check a keyless
// signature by identity, vouched for by issuer, against DefaultTrustedRoot,
// instead of a signature made with the public key.
func (g *Guide) SetKeyless(identity, issuer string) {
	g.Identity, g.Issuer, g.TrustedRoot = identity, issuer, DefaultTrustedRoot
	key := " --key " + g.Key
	flags := " --certificate-identity " + identity + " --certificate-oidc-issuer " + issuer + " --trusted-root " + g.TrustedRoot
	c := &g.Commands
	for _, cmd := range []*string{&c.Verify, &c.DryRunTest, &c.ApplyTest, &c.DryRun, &c.ApplyProduction} {
		*cmd = strings.Replace(*cmd, key, flags, 1)
	}
	g.Key = ""
}

package config

import "testing"

// TestKeylessIdentity: the identity Fulcio certifies for the workflow init
// writes, run on a patch branch, and none without keyless signing.
func TestKeylessIdentity(t *testing.T) {
	t.Parallel()
	c := Default("inventory", "acme/inventory")
	if got := c.KeylessIdentity(c.PatchBranchRef("PL-2026-0007")); got != "" {
		t.Errorf("without [sign] keyless: identity %q, want none", got)
	}
	c.Sign.Keyless = true
	want := "https://github.com/acme/inventory/.github/workflows/patchline.yml@refs/heads/patch/PL-2026-0007"
	if got := c.KeylessIdentity(c.PatchBranchRef("PL-2026-0007")); got != want {
		t.Errorf("identity %q, want %q", got, want)
	}
	if got, want := c.KeylessIssuer(), "https://token.actions.githubusercontent.com"; got != want {
		t.Errorf("issuer %q, want %q", got, want)
	}
}

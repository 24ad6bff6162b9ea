package pipeline_test

import (
	"strings"
	"testing"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/pipeline"
)

// TestGuideKeyless: when the product signs keylessly, the guide names who
// signs and the issuer, and its verify and apply commands check them
// against the trusted root instead of a key.
func TestGuideKeyless(t *testing.T) {
	t.Parallel()
	cfg := config.Default("inventory", "acme/inventory")
	cfg.Sign.Keyless = true
	identity := cfg.KeylessIdentity(cfg.PatchBranchRef("PL-2026-0007"))
	g := pipeline.NewGuide(guideMeta("linux/amd64"), guideManifest(), guidePrereqs)
	g.SetKeyless(identity, cfg.KeylessIssuer())
	md, err := pipeline.RenderGuide(builtinGuide(t), g)
	if err != nil {
		t.Fatal(err)
	}
	flags := " --certificate-identity https://github.com/acme/inventory/.github/workflows/patchline.yml@refs/heads/patch/PL-2026-0007" +
		" --certificate-oidc-issuer https://token.actions.githubusercontent.com --trusted-root trusted_root.json"
	for _, want := range []string{
		"signed keylessly",
		"`https://github.com/acme/inventory/.github/workflows/patchline.yml@refs/heads/patch/PL-2026-0007`",
		"`https://token.actions.githubusercontent.com`",
		"`trusted_root.json`",
		"patchline verify PL-2026-0007_v2026.3.0_linux-amd64.plb" + flags,
		"--env production --evidence PL-2026-0007-test-evidence.json" + flags,
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the guide lacks %q:\n%s", want, md)
		}
	}
	for _, unwanted := range []string{"--key", "cosign.pub", "PATCHLINE_KEY"} {
		if strings.Contains(md, unwanted) {
			t.Errorf("the keyless guide names %s", unwanted)
		}
	}
}

package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/sign"
)

// KeylessFlags say who must have signed a bundle keylessly and what to
// trust, with the names cosign verify-blob gives them.
type KeylessFlags struct {
	Identity       string
	IdentityRegexp string
	Issuer         string
	IssuerRegexp   string
	TrustedRoot    string
}

// AddFlags registers --certificate-identity[-regexp],
// --certificate-oidc-issuer[-regexp] and --trusted-root.
func (k *KeylessFlags) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&k.Identity, "certificate-identity", "", "keyless: who signed, as the certificate names it, e.g. https://github.com/OWNER/REPO/.github/workflows/patchline.yml@refs/heads/patch/ID")
	cmd.Flags().StringVar(&k.IdentityRegexp, "certificate-identity-regexp", "", "keyless: a regular expression the certificate's identity must match (anchor it with ^ and $)")
	cmd.Flags().StringVar(&k.Issuer, "certificate-oidc-issuer", "", "keyless: the OIDC issuer the certificate names, e.g. "+sign.GitHubActionsIssuer)
	cmd.Flags().StringVar(&k.IssuerRegexp, "certificate-oidc-issuer-regexp", "", "keyless: a regular expression the certificate's OIDC issuer must match")
	cmd.Flags().StringVar(&k.TrustedRoot, "trusted-root", "", "keyless: Sigstore's trusted_root.json, the certificate authorities and logs to verify against, offline")
}

// Set reports whether any keyless flag was given: then the signature is
// checked keylessly, and never with a key.
func (k *KeylessFlags) Set() bool {
	return k.Identity != "" || k.IdentityRegexp != "" || k.Issuer != "" || k.IssuerRegexp != "" || k.TrustedRoot != ""
}

// Policy is who must have signed.
func (k *KeylessFlags) Policy() sign.KeylessPolicy {
	return sign.KeylessPolicy{Identity: k.Identity, IdentityRegexp: k.IdentityRegexp, Issuer: k.Issuer, IssuerRegexp: k.IssuerRegexp}
}

// Check says which flags clash or are missing: a key or a keyless
// identity, never both, and for keyless an identity, an issuer, a trusted
// root and a Sigstore bundle.
func (v *VerifyFlags) Check() error {
	k := &v.Keyless
	if !k.Set() {
		return nil
	}
	if v.Key != "" {
		return usageError("--key verifies a signature made with a key, --certificate-identity and --certificate-oidc-issuer one made keylessly: pick one, --key or the --certificate-* flags with --trusted-root")
	}
	if v.Signature != "" {
		return usageError("--signature names a bare signature, which has no certificate to verify keylessly: give the Sigstore bundle (what cosign sign-blob --bundle writes) with --bundle")
	}
	if err := k.Policy().Check(); err != nil {
		return err
	}
	if k.TrustedRoot == "" {
		return usageError("keyless verification needs --trusted-root FILE: Sigstore's trusted_root.json (from its TUF repository, as cosign and sigstore-go use it), which patchline reads offline")
	}
	return nil
}

// initConfig is the config init writes, or the one it keeps (without
// --force), which the workflow then follows: [sign] keyless shapes its
// signing step. --keyless needs the GitHub repository, and a kept config
// that says the same.
func initConfig(opts *InitOptions, root, name, gh string) (*config.Config, error) {
	cfg := config.Default(name, gh)
	kept := false
	if !opts.Force {
		if _, err := os.Stat(filepath.Join(root, config.FileName)); err == nil {
			existing, err := config.Load(root)
			if err != nil {
				return nil, fmt.Errorf("%s is kept, and the workflow follows it: fix it, or --force to write a new one: %w", config.FileName, err)
			}
			cfg, kept = existing, true
		}
	}
	if !opts.Keyless {
		return cfg, nil
	}
	switch {
	case kept && !cfg.Sign.Keyless:
		return nil, usageError("--keyless: %s is kept and signs with a key: set keyless = true under [sign] in it (and remove key), or --force to write a new one", config.FileName)
	case cfg.Project.GitHub == "":
		return nil, usageError("--keyless needs the repository on GitHub, whose workflow the signatures name: give --github owner/repo")
	}
	cfg.Sign.Keyless = true
	return cfg, nil
}

package config

import (
	"fmt"
	"strings"
)

// githubActionsIssuer is the OIDC issuer of GitHub Actions' tokens, which
// certifies a workflow that signs keylessly.
const githubActionsIssuer = "https://token.actions.githubusercontent.com"

// WorkflowFile is the workflow `patchline init` writes, under
// .github/workflows/.
const WorkflowFile = "patchline.yml"

// sign checks [sign]: a key, or keyless signing in the workflow, which
// needs the repository whose workflow signs.
func (k *checker) sign(c *Config) {
	k.str(c.Sign.Key, "sign", "key")
	if !c.Sign.Keyless {
		return
	}
	pos := k.doc.ValuePos("sign", "keyless")
	if k.set("sign", "key") {
		k.bad(pos, "sign.keyless = true signs with the workflow's OIDC token, and sign.key names a key: choose one",
			"remove key to sign keylessly, or keyless to sign with the key")
	}
	if strings.TrimSpace(c.Project.GitHub) == "" {
		k.add(pos, CodeMissingField, RuleMissingField,
			"sign.keyless needs project.github: the signature names the repository's workflow",
			"add "+examples["project.github"]+" under [project]")
	}
}

// KeylessIdentity is the identity a keyless signature made by the
// workflow init writes carries when it runs on ref (a full git ref, e.g.
// refs/heads/patch/PL-2026-0007): the workflow's URL at that ref,
// https://github.com/OWNER/REPO/.github/workflows/patchline.yml@REF, as
// Fulcio certifies a GitHub Actions token. "" when the config does not
// sign keylessly.
func (c *Config) KeylessIdentity(ref string) string {
	if !c.Sign.Keyless || c.Project.GitHub == "" {
		return ""
	}
	return fmt.Sprintf("https://github.com/%s/.github/workflows/%s@%s", c.Project.GitHub, WorkflowFile, ref)
}

// KeylessIssuer is the OIDC issuer of the workflow's keyless signatures,
// GitHub Actions', or "" when the config does not sign keylessly.
func (c *Config) KeylessIssuer() string {
	if !c.Sign.Keyless {
		return ""
	}
	return githubActionsIssuer
}

// PatchBranchRef is the full ref of a patch's branch, as a workflow run
// on it sees it.
func (c *Config) PatchBranchRef(id string) string {
	return "refs/heads/" + c.PatchBranchFor(id)
}

package config

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/patchline/patchline/internal/manifest"
	tt "github.com/patchline/patchline/internal/manifest/stricttoml"
)

// Encode writes the config as `patchline init` does: every table, in the
// order of SPEC.md, with a comment on what is not obvious and commented-out
// examples for optional keys left empty. The same config gives the same
// bytes, and Decode reads them back as the same config.
func (c *Config) Encode() []byte {
	var b bytes.Buffer
	kv := func(key, value string) { fmt.Fprintf(&b, "%s = %s\n", key, value) }
	str := func(key, value string) {
		if value != "" {
			kv(key, tt.String(value))
		}
	}
	list := func(key string, values []string) {
		if len(values) > 0 {
			kv(key, tt.Strings(values))
		}
	}
	comment := func(lines ...string) {
		for _, l := range lines {
			fmt.Fprintf(&b, "# %s\n", l)
		}
	}
	orExample := func(key, value, example string) {
		if value != "" {
			kv(key, tt.String(value))
		} else {
			comment(example)
		}
	}

	comment("patchline repository configuration. Patches live in patches/<ID>/.")

	b.WriteString("\n[project]\n")
	str("name", c.Project.Name)
	comment("owner/repo on GitHub")
	str("github", c.Project.GitHub)

	b.WriteString("\n[release]\n")
	comment("Go regular expressions for release tags and quarterly release tags.")
	str("tags", c.Release.Tags)
	str("quarterly", c.Release.Quarterly)
	comment(`Supported release lines: a quarterly tag without its last number, e.g. "v2026.3".`,
		"Empty: every line a release tag opens. Every command sees only these lines.")
	kv("lines", tt.Strings(c.Release.Lines))
	comment("Whether a release tag must carry a valid signature, and the public keys to check it with.")
	kv("signed_tags", fmt.Sprint(c.Release.SignedTags))
	orExample("tag_keys", c.Release.TagKeys, `tag_keys = "keys/release-signers.asc"`)
	comment("Branch names: patch_branch + id; maintenance_branch + release line, or a template",
		`with {line} (v2026.3), {major} (2026) and {minor} (3), e.g. "release-{major}.{minor}".`)
	str("patch_branch", c.Release.PatchBranch)
	str("maintenance_branch", c.Release.MaintenanceBranch)
	str("main_branch", c.Release.MainBranch)

	b.WriteString("\n[ids]\n")
	comment("Patch ids are <prefix>-<year>-<sequence>, e.g. PL-2026-0007.")
	str("prefix", c.IDs.Prefix)

	b.WriteString("\n[modules]\n")
	comment("module name = path globs (** crosses directories). A patch's modules",
		"must cover every path its diff touches. For example:",
		`importer = ["internal/importer/**", "cmd/importer/**"]`)
	for _, name := range sortedKeys(c.Modules) {
		kv(tt.Key(name), tt.Strings(c.Modules[name]))
	}

	b.WriteString("\n[build]\n")
	comment(strings.Join(Builders, " | "))
	str("builder", c.Build.Builder)
	list("packages", c.Build.Packages)
	comment("os/arch, as `go tool dist list` prints them")
	list("platforms", c.Build.Platforms)
	orExample("command", c.Build.Command, `command = "make dist" (with builder = "command")`)
	if len(c.Build.Artifacts) > 0 {
		kv("artifacts", tt.Strings(c.Build.Artifacts))
	} else {
		comment(`artifacts = ["dist/**"]`)
	}

	b.WriteString("\n[qa]\n")
	comment("GitHub users or org/team whose approval counts, and how many approvals are needed.")
	kv("reviewers", tt.Strings(c.QA.Reviewers))
	if c.QA.Approvals != 0 {
		kv("approvals", fmt.Sprint(c.QA.Approvals))
	}

	b.WriteString("\n[sla]\n")
	comment("Longest time from reported to a signed bundle, per severity (units h, d, w).")
	sev := sortedKeys(c.SLA)
	slices.SortStableFunc(sev, func(a, b string) int { return manifest.SeverityRank(a) - manifest.SeverityRank(b) })
	for _, s := range sev {
		kv(tt.Key(s), tt.String(c.SLA[s]))
	}

	b.WriteString("\n[sign]\n")
	comment("cosign key: a file or env://VAR (the PEM in a variable); KMS URIs and hardware tokens are not read.")
	orExample("key", c.Sign.Key, `key = "cosign.key"`)
	comment("keyless = true: the workflow signs with GitHub's OIDC token (cosign sign-blob, Fulcio and",
		"Rekor) instead of a key; it needs [project] github, not key. Verify with --certificate-identity",
		"(the workflow's URL) and --certificate-oidc-issuer "+githubActionsIssuer+".")
	kv("keyless", fmt.Sprint(c.Sign.Keyless))

	b.WriteString("\n[rollup]\n")
	comment("Test files: a backport whose only differences are in them is adapted, not missing.")
	if len(c.Rollup.Tests) > 0 {
		kv("tests", tt.Strings(c.Rollup.Tests))
	} else {
		comment(`tests = ["**/*_test.go", "**/testdata/**"]`)
	}

	b.WriteString("\n[install]\n")
	comment("The health check: a shell command run in the install root after a patch is swapped in,",
		"carried in the signed bundle. When it still fails after check_retries more runs, apply",
		"rolls the patch back by itself (exit 7). `apply --check` overrides it at a site.")
	orExample("check", c.Install.Check, `check = "./bin/inventory selftest"`)
	str("check_timeout", c.Install.CheckTimeout)
	kv("check_retries", fmt.Sprint(c.Install.CheckRetries))

	b.WriteString("\n[rollout]\n")
	comment("Whether `apply --env production` needs --evidence: the record of a healthy test install",
		"of the same bundle, from `patchline installed --to DIR --export FILE`.")
	kv("require_test", fmt.Sprint(c.Rollout.RequireTest))
	comment(`Freeze windows, in the site's time zone: weekly "Fri 18:00-Mon 06:00", whole days "Sat-Sun",`,
		`dates "2026-12-24" or "2026-12-20..2027-01-04". apply inside one exits 4, unless the patch is`,
		"an emergency or --override-freeze --reason is given. A site adds its own in .patchline/site.toml.")
	kv("freeze", tt.Strings(c.Rollout.Freeze))

	b.WriteString("\n[fleet]\n")
	comment("Where `patchline fleet add` files delivery records: <dir>/<site>/<env>.json.")
	str("dir", c.Fleet.Dir)

	b.WriteString("\n[advisory]\n")
	comment("How `patchline advisory` names the product and its publisher. Without purl, each",
		"release is pkg:golang/<module>, the module path in its go.mod; set it for a product",
		"that is not a Go module. publisher defaults to the owner in [project] github, and",
		"namespace (the publisher's URL) to https://github.com/<owner>.")
	orExample("purl", c.Advisory.PURL, `purl = "pkg:generic/acme/inventory"`)
	orExample("publisher", c.Advisory.Publisher, `publisher = "ACME Corp"`)
	orExample("namespace", c.Advisory.Namespace, `namespace = "https://acme.example"`)
	return b.Bytes()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

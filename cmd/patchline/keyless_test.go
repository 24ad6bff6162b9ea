package main

import (
	"flag"
	"os"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/patchline/patchline/internal/sign"
	"github.com/patchline/patchline/internal/sign/signtest"
)

// cmdKeyless signs files keylessly, offline, as a GitHub workflow running
// cosign sign-blob --bundle would, with a new virtual Sigstore each time:
//
//	keyless [-identity ID] [-issuer URL] [-no-tlog] [-no-timestamp] ROOT [FILE...]
//
// It writes the Sigstore's trusted root to ROOT (trusted_root.json) and
// each FILE's Sigstore bundle to FILE.sigstore.json. Its certificates are
// valid for ten minutes, so verify right after.
func cmdKeyless(ts *testscript.TestScript, neg bool, args []string) {
	fl := flag.NewFlagSet("keyless", flag.ContinueOnError)
	identity := fl.String("identity", "https://github.com/acme/inventory/.github/workflows/patchline.yml@refs/heads/patch/PL-2026-0001", "who signs")
	issuer := fl.String("issuer", sign.GitHubActionsIssuer, "the OIDC issuer that vouches for them")
	noTlog := fl.Bool("no-tlog", false, "leave the transparency log entry out")
	noTimestamp := fl.Bool("no-timestamp", false, "leave the RFC 3161 timestamp out")
	if neg || fl.Parse(args) != nil || fl.NArg() < 1 {
		ts.Fatalf("usage: keyless [-identity ID] [-issuer URL] [-no-tlog] [-no-timestamp] ROOT [FILE...]")
	}
	ss, err := signtest.New()
	ts.Check(err)
	root, err := ss.TrustedRoot(signtest.RootOptions{})
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(fl.Arg(0)), root, 0o644))
	for _, name := range fl.Args()[1:] {
		data, err := os.ReadFile(ts.MkAbs(name))
		ts.Check(err)
		b, err := ss.Sign(*identity, *issuer, data, signtest.SignOptions{NoTlog: *noTlog, NoTimestamp: *noTimestamp})
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(name)+sign.SigstoreBundleSuffix, b, 0o644))
	}
}

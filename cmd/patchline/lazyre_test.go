package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/patchline/patchline/internal/lazyre"
)

// TestRegexpsCompile compiles every package-level regular expression the
// command links in. They compile on first use, not at init, so without
// this a typo in one would only show when some input first reached it.
func TestRegexpsCompile(t *testing.T) {
	t.Parallel()
	if err := lazyre.CheckAll(); err != nil {
		t.Fatal(err)
	}
}

// TestStartupDependencies keeps out of the command what would make every
// patchline process start slowly: Rekor's generated API models (their
// validators compile dozens of regular expressions at init) and Rekor
// v2's gRPC service, which sigstore-go's verify package links. Keyless
// verification is internal/sign's own, held to sigstore-go's verifier by
// its tests (docs/decisions.md).
func TestStartupDependencies(t *testing.T) {
	t.Parallel()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the dependencies with")
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{
			"github.com/sigstore/rekor/", "github.com/sigstore/rekor-tiles/", "github.com/sigstore/sigstore-go/pkg/verify",
			"github.com/sigstore/sigstore-go/pkg/tlog", "google.golang.org/grpc", "github.com/go-openapi/", "github.com/asaskevich/govalidator",
		} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("patchline links %s, which it keeps out to start fast", dep)
			}
		}
	}
}

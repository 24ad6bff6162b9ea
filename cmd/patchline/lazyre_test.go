package main

import (
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

package artifact_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/patchline/patchline/internal/artifact"
)

func recorded() *artifact.Record {
	return &artifact.Record{
		Schema: artifact.Schema, Product: "hello", Tag: "v1.0.0", Commit: strings.Repeat("a", 40),
		Builder: artifact.Builder{Name: "go", Version: "go1.26.7"}, Toolchain: "go1.26.7",
		Config: artifact.BuildConfig{Builder: "go", Packages: []string{"."}, Platforms: []string{"linux/amd64"}},
		Flags:  []string{"CGO_ENABLED=0", "go", "build", "-trimpath"},
		Platforms: []artifact.Platform{{Platform: "linux/amd64", Archive: "hello_1.0.0_linux_amd64.tar.gz",
			Files: []artifact.File{{Path: "hello", Mode: 0o755, Size: 1, SHA256: strings.Repeat("b", 64)}}}},
	}
}

func planned() artifact.Planned {
	r := recorded()
	return artifact.Planned{Product: r.Product, Toolchain: r.Toolchain, Builder: r.Builder, Config: r.Config,
		Flags: slices.Clone(r.Flags), Platforms: []string{"linux/amd64"}}
}

// ConfigDiff names each field that differs and how, in Diff's words; the
// files a plan has not built are never compared.
func TestConfigDiff(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		change        func(*artifact.Planned)
		want, missing []string
	}{
		{"same", func(*artifact.Planned) {}, nil, nil},
		{"toolchain", func(p *artifact.Planned) { p.Toolchain, p.Builder.Version = "go1.26.8", "go1.26.8" },
			[]string{"toolchain: go1.26.7 in the record, go1.26.8 now"}, nil},
		{"flags", func(p *artifact.Planned) { p.Flags = append(p.Flags, "-race") },
			[]string{`build flags: ["CGO_ENABLED=0" "go" "build" "-trimpath"] in the record, ["CGO_ENABLED=0" "go" "build" "-trimpath" "-race"] now`}, nil},
		{"builder", func(p *artifact.Planned) { p.Builder = artifact.Builder{Name: "command"}; p.Config.Builder = "command" },
			[]string{"builder: go in the record, command now", `[build] builder: "go" in the record, "command" now`}, nil},
		{"platform", func(p *artifact.Planned) { p.Platforms = append(p.Platforms, "linux/arm64") },
			nil, []string{"linux/arm64: the release has no build for this platform (it has linux/amd64)"}},
		{"[build] platforms", func(p *artifact.Planned) { p.Config.Platforms = []string{"linux/arm64", "linux/amd64"} },
			[]string{`[build] platforms: ["linux/amd64"] in the record, ["linux/amd64" "linux/arm64"] now`}, nil},
	} {
		p := planned()
		tc.change(&p)
		got, missing := artifact.ConfigDiff(recorded(), p)
		if !slices.Equal(got, tc.want) || !slices.Equal(missing, tc.missing) {
			t.Errorf("%s: ConfigDiff = %q, %q; want %q, %q", tc.name, got, missing, tc.want, tc.missing)
		}
	}
}

func TestChangeError(t *testing.T) {
	t.Parallel()
	err := error(&artifact.ChangeError{Patch: "PL-2026-0001", Tag: "v1.0.0", Differences: []string{"a", "b"}, Hint: "do this"})
	if !errors.Is(err, artifact.ErrChanged) {
		t.Errorf("%v is not ErrChanged", err)
	}
	if want := "PL-2026-0001 would not be built as its base v1.0.0 was released: 2 differences:\n  a\n  b\ndo this"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
}

// SameBuild keeps the files and takes the record's toolchain and
// configuration: only the files are then compared.
func TestSameBuild(t *testing.T) {
	t.Parallel()
	rec, rebuilt := recorded(), recorded()
	rebuilt.Toolchain, rebuilt.Builder.Version, rebuilt.Flags = "go1.26.8", "go1.26.8", []string{"x"}
	if d := artifact.Diff(rec, artifact.SameBuild(rec, rebuilt)); len(d) != 0 {
		t.Errorf("Diff = %q, want none", d)
	}
	rebuilt.Platforms[0].Files[0].SHA256 = strings.Repeat("c", 64)
	if d := artifact.Diff(rec, artifact.SameBuild(rec, rebuilt)); len(d) != 1 || !strings.Contains(d[0], "linux/amd64 hello: sha256") {
		t.Errorf("Diff = %q, want the file", d)
	}
}

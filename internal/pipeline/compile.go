package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"
)

// CompilePatched builds the patched tree for every platform, after
// CompileRelease built the old release.
type CompilePatched struct{}

func (CompilePatched) String() string { return "build the patched release for every platform" }

func (CompilePatched) Run(ctx context.Context, s *State) error {
	b, err := newBuilder(s)
	if err != nil {
		return err
	}
	for _, plat := range s.Platform {
		p := s.Builds[plat]
		p.New = filepath.Join(s.Work, "build-new", strings.ReplaceAll(plat, "/", "-"))
		fmt.Fprintf(s.Log, "  %s: building %s + patch\n", plat, s.BaseTag.Name)
		if err := b.build(ctx, s.PatchedTree, p.New, plat, s.SourceTime); err != nil {
			return fmt.Errorf("patched %s: %w", plat, err)
		}
	}
	return nil
}

// startBuild picks the builder and records what it is: its name, its
// version and flags, the Go toolchain the old release's tree builds with,
// and that release's commit time.
func (s *State) startBuild(ctx context.Context) (builder, error) {
	b, err := newBuilder(s)
	if err != nil {
		return nil, err
	}
	if s.FromTime.IsZero() {
		c, err := s.Repo.Commit(s.FromTag.Commit)
		if err != nil {
			return nil, err
		}
		s.FromTime = c.Committer.When
	}
	s.Toolchain = goVersion(ctx, s.OldTree, buildEnv(s, "", s.FromTime))
	s.BuilderName, s.BuilderVer, s.BuilderFlags = b.name(), b.version(ctx, s), b.flags()
	return b, nil
}

// buildRelease builds the old release's tree for one platform, as
// `patchline release` builds a release and `build` its base: with
// SOURCE_DATE_EPOCH at the release's commit time, twice unless
// NoReproCheck, refusing a build that is not reproducible.
func (s *State) buildRelease(ctx context.Context, b builder, plat string) (*Platform, error) {
	p := &Platform{Name: plat}
	dir := strings.ReplaceAll(plat, "/", "-")
	p.Old = filepath.Join(s.Work, "build-old", dir)
	fmt.Fprintf(s.Log, "  %s: building %s\n", plat, s.FromTag.Name)
	if err := b.build(ctx, s.OldTree, p.Old, plat, s.FromTime); err != nil {
		return nil, fmt.Errorf("%s %s: %w", s.FromTag.Name, plat, err)
	}
	if !s.NoReproCheck {
		again := filepath.Join(s.Work, "build-again", dir)
		if err := b.build(ctx, s.OldTree, again, plat, s.FromTime); err != nil {
			return nil, fmt.Errorf("%s %s (second build): %w", s.FromTag.Name, plat, err)
		}
		if diff, err := sameTree(p.Old, again); err != nil {
			return nil, err
		} else if diff != "" {
			return nil, fmt.Errorf("the build of %s for %s is not reproducible: %s differs between two builds of the same tree; a delta against it could not be applied at customers (for the command builder, remove timestamps and paths from the output, e.g. honour SOURCE_DATE_EPOCH)", s.FromTag.Name, plat, diff)
		}
	}
	return p, nil
}

// builder turns a source tree into the files installed for one platform.
type builder interface {
	name() string
	version(ctx context.Context, s *State) string
	// flags are the environment and arguments that make its builds what
	// they are, kept in the release record.
	flags() []string
	// build builds src for platform into out, with SOURCE_DATE_EPOCH at
	// epoch.
	build(ctx context.Context, src, out, platform string, epoch time.Time) error
}

func newBuilder(s *State) (builder, error) {
	switch s.Config.Build.Builder {
	case "", "go":
		return goBuilder{s: s}, nil
	case "command":
		return commandBuilder{s: s}, nil
	case "goreleaser":
		return goreleaserBuilder{s: s}, nil
	}
	return nil, fmt.Errorf("unknown builder %q", s.Config.Build.Builder)
}

// buildEnv is the environment of a build: the user's, with what makes builds
// repeat (SOURCE_DATE_EPOCH, the commit time of the tree built) and the
// platform.
func buildEnv(s *State, platform string, epoch time.Time, extra ...string) []string {
	env := os.Environ()
	if platform != "" {
		goos, goarch, _ := strings.Cut(platform, "/")
		env = append(env, "GOOS="+goos, "GOARCH="+goarch, "PATCHLINE_PLATFORM="+platform)
	}
	env = append(env, fmt.Sprintf("SOURCE_DATE_EPOCH=%d", epoch.Unix()))
	return append(env, extra...)
}

func run(ctx context.Context, dir string, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 4000 {
			msg = msg[len(msg)-4000:]
		}
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, msg)
	}
	return nil
}

// goVersion is the Go toolchain that builds in dir (`go env GOVERSION`
// there, so a toolchain line in its go.mod counts), "" without Go.
func goVersion(ctx context.Context, dir string, env []string) string {
	cmd := exec.CommandContext(ctx, "go", "env", "GOVERSION")
	cmd.Dir, cmd.Env = dir, append(env, "GOWORK=off")
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// goBuildEnv and goBuildArgs make Go builds byte-for-byte repeatable.
var (
	goBuildEnv  = []string{"CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOWORK=off"}
	goBuildArgs = []string{"build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid="}
)

// goBuilder builds each of [build] packages with the flags that make Go
// builds byte-for-byte repeatable.
type goBuilder struct{ s *State }

func (goBuilder) name() string { return "go" }

func (goBuilder) version(ctx context.Context, s *State) string {
	if s.Toolchain != "" {
		return s.Toolchain
	}
	return runtime.Version()
}

func (goBuilder) flags() []string {
	return append(append(slices.Clone(goBuildEnv), "go"), goBuildArgs...)
}

func (g goBuilder) build(ctx context.Context, src, out, platform string, epoch time.Time) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	env := buildEnv(g.s, platform, epoch, goBuildEnv...)
	for _, pkg := range g.s.Config.Build.Packages {
		name := path.Base(pkg)
		if pkg == "." || name == "." {
			name = g.s.Config.Project.Name
		}
		if strings.HasPrefix(platform, "windows/") {
			name += ".exe"
		}
		args := append(slices.Clone(goBuildArgs), "-o", filepath.Join(out, name), pkg)
		if err := run(ctx, src, env, "go", args...); err != nil {
			return err
		}
	}
	return nil
}

// commandBuilder runs [build] command in the tree with $PATCHLINE_OUT naming
// the directory to fill.
type commandBuilder struct{ s *State }

func (commandBuilder) name() string                                 { return "command" }
func (commandBuilder) version(ctx context.Context, s *State) string { return "" }
func (c commandBuilder) flags() []string                            { return []string{"sh", "-c", c.s.Config.Build.Command} }

func (c commandBuilder) build(ctx context.Context, src, out, platform string, epoch time.Time) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	return run(ctx, src, buildEnv(c.s, platform, epoch, "PATCHLINE_OUT="+out), "sh", "-c", c.s.Config.Build.Command)
}

// goreleaserBuilder runs `goreleaser build --snapshot --clean` and copies
// the platform's binaries from dist/artifacts.json.
type goreleaserBuilder struct{ s *State }

func (goreleaserBuilder) name() string { return "goreleaser" }
func (goreleaserBuilder) flags() []string {
	return []string{"goreleaser", "build", "--snapshot", "--clean"}
}

func (goreleaserBuilder) version(ctx context.Context, s *State) string {
	out, err := exec.CommandContext(ctx, "goreleaser", "--version").Output()
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "GitVersion:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func (g goreleaserBuilder) build(ctx context.Context, src, out, platform string, epoch time.Time) error {
	if _, err := exec.LookPath("goreleaser"); err != nil {
		return fmt.Errorf("[build] builder = \"goreleaser\" needs the goreleaser CLI on PATH (go install github.com/goreleaser/goreleaser/v2@v2.16.0)")
	}
	if err := run(ctx, src, buildEnv(g.s, platform, epoch), "goreleaser", "build", "--snapshot", "--clean"); err != nil {
		return err
	}
	data, err := os.ReadFile(filepath.Join(src, "dist", "artifacts.json"))
	if err != nil {
		return fmt.Errorf("goreleaser wrote no dist/artifacts.json: %w", err)
	}
	var arts []struct {
		Name, Path, Type, Goos, Goarch string
	}
	if err := json.Unmarshal(data, &arts); err != nil {
		return fmt.Errorf("dist/artifacts.json: %w", err)
	}
	goos, goarch, _ := strings.Cut(platform, "/")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	n := 0
	for _, a := range arts {
		if a.Type != "Binary" || a.Goos != goos || a.Goarch != goarch {
			continue
		}
		if err := copyFile(filepath.Join(src, a.Path), filepath.Join(out, a.Name)); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("goreleaser built no binary for %s (check builds[].goos/goarch in .goreleaser.yaml)", platform)
	}
	return os.RemoveAll(filepath.Join(src, "dist"))
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// hashTree maps each regular file under dir to its SHA-256 and mode.
func hashTree(dir string) (map[string]fileInfo, error) {
	out := map[string]fileInfo{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: build outputs must be regular files", p)
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		mode := uint32(0o644)
		if fi.Mode().Perm()&0o111 != 0 {
			mode = 0o755
		}
		out[filepath.ToSlash(rel)] = fileInfo{sum: sha256.Sum256(data), mode: mode, size: int64(len(data))}
		return nil
	})
	return out, err
}

type fileInfo struct {
	sum  [32]byte
	mode uint32
	size int64
}

// sameTree returns the first path that differs between two build outputs.
func sameTree(a, b string) (string, error) {
	ha, err := hashTree(a)
	if err != nil {
		return "", err
	}
	hb, err := hashTree(b)
	if err != nil {
		return "", err
	}
	var names []string
	for n := range ha {
		names = append(names, n)
	}
	for n := range hb {
		if _, ok := ha[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		if ha[n] != hb[n] {
			return n, nil
		}
	}
	return "", nil
}

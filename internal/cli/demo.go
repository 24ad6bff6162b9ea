package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/rogpeppe/go-internal/txtar"
	"github.com/spf13/cobra"

	"github.com/patchline/patchline"
	"github.com/patchline/patchline/internal/artifact"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/patchdiff"
	"github.com/patchline/patchline/internal/pipeline"
	"github.com/patchline/patchline/internal/registry"
	"github.com/patchline/patchline/internal/sign"
)

// DemoOptions are the flags of `patchline demo`. There is no Getenv: the
// demo runs offline on its own sample, so it reads nothing of the caller's
// environment (no GITHUB_TOKEN, GITHUB_API_URL or GITHUB_REPOSITORY, no
// signing key or password) and uses none of the caller's credentials.
type DemoOptions struct {
	IO  *IOStreams
	Now func() time.Time
	// Version is patchline's, which the commands the demo runs report.
	Version string
	Dir     string
	Keep    bool
}

// NewCmdDemo builds `patchline demo`.
func NewCmdDemo(f *Factory, runF func(*DemoOptions) error) *cobra.Command {
	opts := &DemoOptions{IO: f.IO, Now: f.Now, Version: f.Version}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the pipeline on a built-in sample product, offline",
		Long: `Makes a sample product repository (a small Go program) in a temporary
directory, tags release v2026.3.0, cuts a patch branch with patchline new,
commits the example fix, records it with patchline diff and checks it with
patchline validate, printing each step. Then, with an ephemeral cosign key
pair made in the temporary directory, it releases v2026.3.0 (signed
archives and the release record), builds and signs the delta bundle, and
plays the customer: installs the release from its archive, reads the
bundle's installation guide, sees a tampered copy refused (exit 3, nothing
written), makes a dry run, sees a failing health check rolled back by
itself (exit 7), applies the bundle with its health check passing,
confirms the fix and rolls it back. Nothing outside the temporary
directory is touched, and nothing goes over the network.`,
		Example: `  patchline demo
  patchline demo --dir /tmp/inventory --keep   # look around afterwards`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runDemo(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Dir, "dir", "", "make the sample repository here (must not exist) instead of a temporary directory")
	cmd.Flags().BoolVar(&opts.Keep, "keep", false, "keep the sample repository afterwards")
	return cmd
}

// demo is one run of the demo: where it is and how it reports.
type demo struct {
	opts *DemoOptions
	dir  string
	step int
	// env is the whole environment the commands the demo runs see: its own
	// identity for git, so its commits do not depend on the user's git
	// config, and nothing else, so no GitHub token or API URL reaches them.
	env map[string]string
}

func (d *demo) say(format string, args ...any) {
	d.step++
	fmt.Fprintf(d.opts.IO.Out, "\n==> %d. %s\n", d.step, fmt.Sprintf(format, args...))
}

// run runs one patchline command line through the real command tree, as
// a user types it, with the demo's clock and the given streams and
// environment: every flag the command has takes the value a user would
// give or its default, never one the demo filled in by hand.
func (d *demo) run(ctx context.Context, streams *IOStreams, getenv func(string) string, args ...string) error {
	if streams.In == nil {
		streams = &IOStreams{In: bytes.NewReader(nil), Out: streams.Out, ErrOut: streams.ErrOut}
	}
	root := NewCmdRoot(&Factory{IO: streams, Getenv: getenv, Now: d.opts.Now, Version: d.opts.Version})
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}

// getenv is the demo's closed environment: a variable it did not set is
// empty, whatever the caller's environment holds.
func (d *demo) getenv(k string) string {
	return d.env[k]
}

// The example patch shipped in patches/ and applied by the demo.
const (
	demoExample = "PL-2026-0001"
	demoBase    = "v2026.3.0"
)

func runDemo(ctx context.Context, opts *DemoOptions) (err error) {
	d := &demo{opts: opts}
	root := opts.Dir
	if root != "" {
		if _, err := os.Stat(root); err == nil {
			return usageError("--dir %s exists: give a path that does not", root)
		}
		if err := os.MkdirAll(root, 0o755); err != nil {
			return err
		}
	} else {
		tmp, err := os.MkdirTemp("", "patchline-demo-")
		if err != nil {
			return err
		}
		root = tmp
		if !opts.Keep {
			defer os.RemoveAll(tmp)
		}
	}
	d.dir = filepath.Join(root, "inventory")
	now := opts.Now().UTC().Truncate(time.Second)
	sig := func(name string, when time.Time) *object.Signature {
		return &object.Signature{Name: name, Email: strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@inventory.example", When: when}
	}
	release := sig("Release Manager", now.Add(-30*24*time.Hour))
	d.env = map[string]string{
		"GIT_AUTHOR_NAME": "Dana Developer", "GIT_AUTHOR_EMAIL": "dana.developer@inventory.example",
		"GIT_COMMITTER_NAME": "Dana Developer", "GIT_COMMITTER_EMAIL": "dana.developer@inventory.example",
	}

	d.say("make the sample product repository in %s", d.dir)
	if err := extractTxtar(patchline.Sample, d.dir); err != nil {
		return err
	}
	repo, err := gitrepo.Init(d.dir, "main")
	if err != nil {
		return err
	}
	tip, err := repo.CommitAll("inventory: first release", release, release)
	if err != nil {
		return err
	}
	if err := repo.CreateTag(demoBase, tip, "inventory "+demoBase, release); err != nil {
		return err
	}
	if err := repo.CreateBranch("release/v2026.3", tip); err != nil {
		return err
	}
	// The main line moves on after the release, as it does in real life: the
	// patch must be cut from the tag, not from here.
	if err := os.WriteFile(filepath.Join(d.dir, "CHANGELOG.md"), []byte("# Unreleased\n\n- work for v2026.4\n"), 0o644); err != nil {
		return err
	}
	later := sig("Main Line", now.Add(-10*24*time.Hour))
	if _, err := repo.CommitAll("start v2026.4 work", later, later); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "tagged %s, opened release/v2026.3, main has moved on since\n", demoBase)

	d.say("patchline new: cut a patch branch from %s", demoBase)
	out := &bytes.Buffer{}
	if err := d.run(ctx, &IOStreams{Out: out, ErrOut: opts.IO.Out}, d.getenv, "new", "--repo", d.dir,
		"--base", demoBase, "--title", "CSV importer splits item names that contain a comma",
		"--kind", "fix", "--severity", "important", "--urgency", "scheduled", "--module", "importer", "--case", "CRM-1042",
		"--summary", "Stock lists whose item names contain a comma inside quotes, such as \"Washer, stainless 8mm\", are read correctly instead of failing with \"want name,stock\".",
		"--risk", "low", "--reported", now.Add(-26*time.Hour).Format(time.RFC3339)); err != nil {
		return err
	}
	id := strings.TrimSpace(out.String())

	d.say("fix the importer on patch/%s and commit", id)
	fix, err := fs.ReadFile(patchline.Examples, path.Join("patches", demoExample, registry.DiffName))
	if err != nil {
		return err
	}
	files, err := patchdiff.Parse(bytes.NewReader(fix))
	if err != nil {
		return err
	}
	if err := pipeline.ApplyToDir(files, d.dir); err != nil {
		return err
	}
	dev := sig("Dana Developer", now.Add(-2*time.Hour))
	if _, err := repo.CommitAll("importer: read quoted fields as CSV does", dev, dev); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "applied the example fix from patches/%s/patch.diff\n", demoExample)

	d.say("patchline diff: record the fix as patches/%s/patch.diff", id)
	if err := d.run(ctx, &IOStreams{Out: opts.IO.Out, ErrOut: io.Discard}, d.getenv, "diff", "--repo", d.dir); err != nil {
		return err
	}
	recorded, err := os.ReadFile(filepath.Join(d.dir, registry.PatchDir(id), registry.DiffName))
	if err != nil {
		return err
	}
	if bytes.Equal(recorded, fix) {
		fmt.Fprintln(opts.IO.Out, "the recorded diff equals the example patch byte for byte")
	} else {
		fmt.Fprintln(opts.IO.Out, "note: the recorded diff differs from the example patch's bytes")
	}
	if _, err := repo.CommitAll(id+": record patch.diff", dev, dev); err != nil {
		return err
	}

	d.say("patchline validate %s", id)
	if err := d.run(ctx, opts.IO, d.getenv, "validate", "--repo", d.dir, "--format", "text", id); err != nil {
		return fmt.Errorf("the demo patch did not validate: %w", err)
	}

	d.say("patchline list")
	if err := d.run(ctx, opts.IO, d.getenv, "list", "--repo", d.dir); err != nil {
		return err
	}
	// Offline whatever the caller's environment says: d.getenv has no
	// GITHUB_TOKEN, so the dry run's client sends nothing to any GitHub.
	d.say("patchline pr --dry-run: the QA pull request CI would open")
	if err := d.run(ctx, opts.IO, d.getenv, "pr", "--repo", d.dir, "--dry-run", id); err != nil {
		return err
	}
	if err := d.ship(ctx, root, id); err != nil {
		return err
	}
	if opts.Keep || opts.Dir != "" {
		fmt.Fprintf(opts.IO.Out, "\nthe sample repository, bundles and customer install are in %s\n", root)
	}
	fmt.Fprintln(opts.IO.Out, "\ndemo finished: the patch was cut, recorded and validated; the release was built and installed; the bundle was built, signed, applied with its health check, confirmed and rolled back")
	return nil
}

// ship is the second half of the demo: release the base, build and sign
// the bundle, install the release at a "customer", read the guide, dry-run,
// see a failing health check rolled back, apply, confirm, roll back.
func (d *demo) ship(ctx context.Context, root, id string) error {
	plat := runtime.GOOS + "/" + runtime.GOARCH
	d.say("patchline keys generate: an ephemeral cosign key pair for the demo")
	keys, err := d.makeKeys(ctx, root)
	if err != nil {
		return err
	}

	d.say("patchline release %s --sign: the archives customers install, and the release record", demoBase)
	releaseDir := filepath.Join(root, "release")
	var paths bytes.Buffer
	if err := d.run(ctx, &IOStreams{Out: &paths, ErrOut: io.Discard}, keys.getenv, "release", "--repo", d.dir,
		"--out", releaseDir, "--sign", "--key", keys.private, demoBase); err != nil {
		return err
	}
	var archive string
	for _, p := range strings.Fields(paths.String()) {
		fmt.Fprintf(d.opts.IO.Out, "wrote %s, signed\n", filepath.Base(p))
		if strings.HasSuffix(p, ".tar.gz") && archive == "" {
			archive = p
		}
	}
	fmt.Fprintf(d.opts.IO.Out, "kept the record as a git note on %s (%s): bundle builds check their base against it\n", demoBase, artifact.NotesRef)

	d.say("patchline build %s for %s: both releases, one delta bundle", id, plat)
	bundlePath, err := d.build(ctx, root, id, plat)
	if err != nil {
		return err
	}
	var signed bytes.Buffer
	if err := d.run(ctx, &IOStreams{Out: &signed, ErrOut: io.Discard}, keys.getenv, "sign", "--repo", d.dir, "--key", keys.private, "--json", bundlePath); err != nil {
		return err
	}
	var sb SignedBundle
	if err := json.Unmarshal(signed.Bytes(), &sb); err != nil {
		return fmt.Errorf("sign --json: %w", err)
	}
	fmt.Fprintf(d.opts.IO.Out, "signed %s (%s): %s, %s\n", filepath.Base(bundlePath), sb.Algorithm, filepath.Base(sb.Signature), filepath.Base(sb.SigstoreBundle))

	d.say("patchline install: a customer installs %s from the signed archive", demoBase)
	install := filepath.Join(root, "customer", "opt", "inventory")
	if err := os.MkdirAll(filepath.Dir(install), 0o755); err != nil {
		return err
	}
	quiet := &IOStreams{Out: io.Discard, ErrOut: io.Discard}
	if err := d.run(ctx, &IOStreams{Out: d.opts.IO.Out, ErrOut: io.Discard}, d.getenv, "install", "--to", install, "--key", keys.public, archive); err != nil {
		return err
	}
	reg, err := (&RepoFlags{Dir: d.dir}).Registry()
	if err != nil {
		return err
	}
	stock := filepath.Join(d.dir, "data", "stock.csv")
	program := filepath.Join(install, reg.Config.Project.Name)
	before, _ := os.ReadFile(program)
	if fi, err := os.Stat(bundlePath); err == nil {
		fmt.Fprintf(d.opts.IO.Out, "%s: %d bytes to patch a %d-byte program (%.1f%%)\n", filepath.Base(bundlePath), fi.Size(), len(before), 100*float64(fi.Size())/float64(max(len(before), 1)))
	}
	d.runProgram(ctx, program, stock)

	d.say("patchline guide: the installation guide signed into the bundle")
	if err := d.showGuide(ctx, bundlePath, keys.public); err != nil {
		return err
	}

	d.say("a tampered copy of the bundle is refused before anything is read or written")
	if err := d.refuseTampered(ctx, bundlePath, keys.public, install); err != nil {
		return err
	}

	apply := func(streams *IOStreams, check string, dryRun bool) error {
		args := []string{"apply", "--to", install, "--key", keys.public, "--env", "test", "--site", "acme-berlin", "--operator", "Sam Support"}
		if check != "" {
			args = append(args, "--check", check)
		}
		if dryRun {
			args = append(args, "--dry-run")
		}
		return d.run(ctx, streams, d.getenv, append(args, bundlePath)...)
	}
	d.say("patchline apply --dry-run: every check apply makes, and the plan; nothing written")
	if err := apply(&IOStreams{Out: d.opts.IO.Out, ErrOut: io.Discard}, "", true); err != nil {
		return err
	}

	const siteCheck = "./inventory /srv/inventory/stock.csv"
	d.say("a site's own health check fails after the swap: apply rolls the patch back by itself")
	err = apply(quiet, siteCheck, false)
	if ExitCode(err) != ExitRolledBack {
		return fmt.Errorf("the failing health check did not roll the patch back: %v", err)
	}
	fmt.Fprintf(d.opts.IO.Out, "patchline apply --check '%s': exit %d\n  %s\n", siteCheck, ExitRolledBack, strings.ReplaceAll(err.Error(), root+string(filepath.Separator), ""))
	if now, _ := os.ReadFile(program); !bytes.Equal(now, before) {
		return fmt.Errorf("the automatic rollback did not restore %s byte for byte", program)
	}
	fmt.Fprintf(d.opts.IO.Out, "%s is byte for byte the %s release again; the receipt keeps the check's output\n", filepath.Base(program), demoBase)

	d.say("patchline apply --env test: verify, check the base, swap atomically, run the bundle's health check")
	if err := apply(&IOStreams{Out: d.opts.IO.Out, ErrOut: io.Discard}, "", false); err != nil {
		return err
	}
	d.runProgram(ctx, program, stock)
	if err := apply(quiet, "", false); ExitCode(err) == ExitPrecondition {
		fmt.Fprintf(d.opts.IO.Out, "applying it a second time is refused (exit %d): %v\n", ExitPrecondition, err)
	} else {
		return fmt.Errorf("a replayed apply was not refused: %v", err)
	}

	d.say("patchline confirm: the customer says CRM-1042 is resolved")
	if err := d.run(ctx, d.opts.IO, d.getenv, "confirm", "--to", install,
		"--by", "Chris Customer", "--note", "CRM-1042: the stock list with quoted names imports", id); err != nil {
		return err
	}

	d.say("patchline installed, then rollback")
	if err := d.run(ctx, d.opts.IO, d.getenv, "installed", "--to", install); err != nil {
		return err
	}
	if err := d.run(ctx, &IOStreams{Out: d.opts.IO.Out, ErrOut: io.Discard}, d.getenv, "rollback", "--to", install, id); err != nil {
		return err
	}
	after, _ := os.ReadFile(program)
	if bytes.Equal(before, after) {
		fmt.Fprintf(d.opts.IO.Out, "%s is byte for byte the %s build again\n", filepath.Base(program), demoBase)
	} else {
		return fmt.Errorf("rollback did not restore %s byte for byte", program)
	}
	d.runProgram(ctx, program, stock)
	return nil
}

// build runs patchline build for one platform on the release the patch
// was cut from, and says how small the bundle is next to the program.
func (d *demo) build(ctx context.Context, root, id, plat string) (string, error) {
	var out bytes.Buffer
	if err := d.run(ctx, &IOStreams{Out: &out, ErrOut: d.opts.IO.ErrOut}, d.getenv, "build", "--repo", d.dir,
		"--out", filepath.Join(root, "dist"), "--platform", plat, "--json", id); err != nil {
		return "", err
	}
	var built []BuiltBundle
	if err := json.Unmarshal(out.Bytes(), &built); err != nil {
		return "", fmt.Errorf("build --json: %w", err)
	}
	if len(built) != 1 {
		return "", fmt.Errorf("the demo expected one bundle, got %d", len(built))
	}
	return built[0].Path, nil
}

// showGuide prints the guide's heading, what it fixes and its steps; the
// whole guide is what patchline guide prints.
func (d *demo) showGuide(ctx context.Context, bundlePath, pubKey string) error {
	var guide bytes.Buffer
	if err := d.run(ctx, &IOStreams{Out: &guide, ErrOut: io.Discard}, d.getenv, "guide", "--key", pubKey, bundlePath); err != nil {
		return err
	}
	lines := strings.Split(guide.String(), "\n")
	for i, l := range lines {
		if i == 0 || i == 2 || strings.HasPrefix(l, "| Applies to") || strings.HasPrefix(l, "### ") {
			fmt.Fprintf(d.opts.IO.Out, "  %s\n", l)
		}
	}
	fmt.Fprintf(d.opts.IO.Out, "(%d lines in all: patchline guide dist/%s)\n", len(lines), filepath.Base(bundlePath))
	return nil
}

// demoKeys is the demo's ephemeral key pair and the environment that
// holds its password.
type demoKeys struct {
	private, public string
	getenv          func(string) string
}

// makeKeys makes an ephemeral key pair under root/keys, with a random
// password that is never shown, as CI keeps one in its secrets.
func (d *demo) makeKeys(ctx context.Context, root string) (*demoKeys, error) {
	keys := filepath.Join(root, "keys")
	if err := os.MkdirAll(keys, 0o700); err != nil {
		return nil, err
	}
	secret := make([]byte, 18)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	password := base64.RawURLEncoding.EncodeToString(secret)
	getenv := func(k string) string {
		if k == EnvCosignPassword {
			return password
		}
		return d.getenv(k)
	}
	prefix := filepath.Join(keys, "cosign")
	if err := d.run(ctx, &IOStreams{Out: io.Discard, ErrOut: io.Discard}, getenv, "keys", "generate", "--output-key-prefix", prefix); err != nil {
		return nil, err
	}
	fmt.Fprintf(d.opts.IO.Out, "wrote %s.key (encrypted, password in COSIGN_PASSWORD) and %s.pub\n", prefix, prefix)
	return &demoKeys{private: prefix + ".key", public: prefix + ".pub", getenv: getenv}, nil
}

// refuseTampered flips one byte of a copy of the signed bundle, shows
// apply refusing it with exit 3, and checks that nothing was written to the
// install: not its files, not its state.
func (d *demo) refuseTampered(ctx context.Context, bundlePath, pubKey, install string) error {
	dir := filepath.Join(filepath.Dir(bundlePath), "tampered")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	was, err := treeSum(install)
	if err != nil {
		return err
	}
	tampered := filepath.Join(dir, filepath.Base(bundlePath))
	for _, suffix := range []string{"", sign.SignatureSuffix, sign.SigstoreBundleSuffix} {
		data, err := os.ReadFile(bundlePath + suffix)
		if err != nil {
			return err
		}
		if suffix == "" {
			data[len(data)/2] ^= 0x01 // one bit of one delta
		}
		if err := os.WriteFile(tampered+suffix, data, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(d.opts.IO.Out, "copied the bundle and its signatures to tampered/ and flipped one bit in the middle of the bundle\n")
	err = d.run(ctx, &IOStreams{Out: io.Discard, ErrOut: io.Discard}, d.getenv, "apply", "--to", install, "--key", pubKey, tampered)
	if ExitCode(err) != ExitVerification {
		return fmt.Errorf("a tampered bundle was not refused: %v", err)
	}
	fmt.Fprintf(d.opts.IO.Out, "patchline apply tampered/%s --key cosign.pub: refused (exit %d)\n  %s\n", filepath.Base(tampered), ExitVerification, strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "tampered/"))
	is, err := treeSum(install)
	if err != nil {
		return err
	}
	if is != was {
		return fmt.Errorf("the refused apply wrote to %s", install)
	}
	fmt.Fprintf(d.opts.IO.Out, "nothing was written to the customer's install\n")
	return nil
}

// treeSum is a digest of every name, mode and byte under dir.
func treeSum(dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%q %v %d\n", p, info.Mode(), info.Size())
		if info.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(data)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

// runProgram runs the installed sample program and shows what it prints.
func (d *demo) runProgram(ctx context.Context, program, input string) {
	out, err := exec.CommandContext(ctx, program, input).CombinedOutput()
	fmt.Fprintf(d.opts.IO.Out, "$ inventory data/stock.csv\n%s", out)
	if err != nil {
		fmt.Fprintf(d.opts.IO.Out, "(%v)\n", err)
	}
}

// extractTxtar writes the files of a txtar archive under dst.
func extractTxtar(archive []byte, dst string) error {
	for _, f := range txtar.Parse(archive).Files {
		target := filepath.Join(dst, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(target, f.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

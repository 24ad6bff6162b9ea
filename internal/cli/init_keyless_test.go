package cli

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/repotest"
)

// signJob is the part of the workflow's sign job the keyless tests read.
type signJob struct {
	Jobs map[string]struct {
		Permissions map[string]string `yaml:"permissions"`
		Steps       []struct {
			Name string            `yaml:"name"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			Env  map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func renderSignJob(t *testing.T, keyless bool) (string, signJob) {
	t.Helper()
	cfg := config.Default("inventory", "acme/inventory")
	cfg.Sign.Keyless = keyless
	data, err := renderTemplate("", "workflow.yml.tmpl", newWorkflowData(cfg, "v1.4.2"))
	if err != nil {
		t.Fatal(err)
	}
	var wf signJob
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("the workflow init writes is not YAML: %v\n%s", err, data)
	}
	return string(data), wf
}

// TestInitWorkflowKeyless: with [sign] keyless the sign job asks for the
// workflow's OIDC token (id-token: write) and signs every bundle with
// cosign sign-blob into BUNDLE.sigstore.json, with no key secret, and its
// comment names the identity and issuer customers verify; without it, the
// job signs with the key secret and asks for no token.
func TestInitWorkflowKeyless(t *testing.T) {
	t.Parallel()
	text, wf := renderSignJob(t, true)
	job := wf.Jobs["sign"]
	if got := job.Permissions; got["id-token"] != "write" || got["contents"] != "read" {
		t.Errorf("sign permissions %v, want id-token: write and contents: read", got)
	}
	var installer, run string
	for _, s := range job.Steps {
		if strings.HasPrefix(s.Uses, "sigstore/cosign-installer@") {
			installer = s.Uses
		}
		if strings.Contains(s.Run, "cosign sign-blob") {
			run = s.Run
		}
		usesSecret := false
		for _, v := range s.Env {
			usesSecret = usesSecret || strings.Contains(v, "secrets.")
		}
		if usesSecret || strings.Contains(s.Run, "patchline sign") {
			t.Errorf("keyless step %q uses a key: env %v, run %q", s.Name, s.Env, s.Run)
		}
	}
	if installer == "" {
		t.Error("the sign job does not install cosign")
	}
	if want := `cosign sign-blob --yes --new-bundle-format --bundle "$b.sigstore.json" "$b"`; !strings.Contains(run, want) {
		t.Errorf("sign runs %q, want %s", run, want)
	}
	for _, want := range []string{
		"--certificate-identity https://github.com/acme/inventory/.github/workflows/patchline.yml@refs/heads/patch/<ID>",
		"--certificate-oidc-issuer https://token.actions.githubusercontent.com",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the workflow does not tell customers %s", want)
		}
	}

	// The step signs every bundle, each into its own Sigstore bundle.
	if bash, err := exec.LookPath("bash"); err == nil {
		dir := t.TempDir()
		fake := "#!/bin/sh\necho \"cosign $*\" >> calls.log\n"
		if err := os.WriteFile(filepath.Join(dir, "cosign"), []byte(fake), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, "dist"), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, b := range []string{"a.plb", "b.plb"} {
			if err := os.WriteFile(filepath.Join(dir, "dist", b), []byte(b), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command(bash, "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", run)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("the sign step: %v\n%s", err, out)
		}
		calls, _ := os.ReadFile(filepath.Join(dir, "calls.log"))
		want := "cosign sign-blob --yes --new-bundle-format --bundle dist/a.plb.sigstore.json dist/a.plb\n" +
			"cosign sign-blob --yes --new-bundle-format --bundle dist/b.plb.sigstore.json dist/b.plb\n"
		if string(calls) != want {
			t.Errorf("the sign step ran\n%swant\n%s", calls, want)
		}
	}

	text, wf = renderSignJob(t, false)
	if strings.Contains(text, "id-token") || strings.Contains(text, "cosign sign-blob") {
		t.Error("the key-signing workflow asks for an OIDC token or signs keylessly")
	}
	signs := false
	for _, s := range wf.Jobs["sign"].Steps {
		signs = signs || strings.Contains(s.Run, "patchline sign") && s.Env["COSIGN_PRIVATE_KEY"] != ""
	}
	if !signs {
		t.Error("without keyless, the sign job does not sign with the key secret")
	}
}

// TestInitKeyless: init --keyless writes [sign] keyless = true and the
// keyless workflow; it needs the GitHub repository, and a kept config
// says how the workflow signs.
func TestInitKeyless(t *testing.T) {
	t.Parallel()
	run := func(r *repotest.Repo, opts InitOptions) error {
		opts.IO = &IOStreams{Out: io.Discard, ErrOut: io.Discard}
		opts.Repo = RepoFlags{Dir: r.Dir}
		return runInit(&opts)
	}
	read := func(r *repotest.Repo, name string) string {
		data, err := os.ReadFile(filepath.Join(r.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	workflow := filepath.Join(".github", "workflows", "patchline.yml")

	r := repotest.New(t)
	if err := run(r, InitOptions{GitHub: "acme/inventory", Keyless: true}); err != nil {
		t.Fatal(err)
	}
	if got := read(r, config.FileName); !strings.Contains(got, "\nkeyless = true\n") {
		t.Errorf(".patchline.toml:\n%s\nwant keyless = true under [sign]", got)
	}
	if !strings.Contains(read(r, workflow), "cosign sign-blob") {
		t.Error("init --keyless wrote a workflow that does not sign keylessly")
	}

	// A kept config that signs keylessly: the workflow follows it.
	if err := os.Remove(filepath.Join(r.Dir, workflow)); err != nil {
		t.Fatal(err)
	}
	if err := run(r, InitOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(read(r, workflow), "cosign sign-blob") {
		t.Error("the workflow does not follow the kept .patchline.toml's [sign] keyless")
	}

	for _, tc := range []struct {
		name   string
		config string // a kept .patchline.toml, if any
		opts   InitOptions
		want   string
	}{
		{"no GitHub repository", "", InitOptions{Keyless: true}, "--keyless needs the repository on GitHub"},
		{"a kept config with a key", string(config.Default("inventory", "acme/inventory").Encode()), InitOptions{Keyless: true}, "set keyless = true under [sign]"},
	} {
		r := repotest.New(t)
		if tc.config != "" {
			r.Write(map[string]string{config.FileName: tc.config})
		}
		err := run(r, tc.opts)
		if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v (exit %d), want exit %d saying %q", tc.name, err, ExitCode(err), ExitUsage, tc.want)
		}
		if _, err := os.Stat(filepath.Join(r.Dir, workflow)); err == nil {
			t.Errorf("%s: a workflow was written", tc.name)
		}
	}
}

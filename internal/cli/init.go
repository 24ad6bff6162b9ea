package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline"
	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/registry"
)

// InitOptions are the flags of `patchline init`.
type InitOptions struct {
	IO   *IOStreams
	Repo RepoFlags
	// Version is the running patchline's: the workflow installs it.
	Version string
	Name    string
	GitHub  string
	Force   bool
	// Keyless writes [sign] keyless = true: the workflow signs with its
	// OIDC token instead of a key secret.
	Keyless bool
}

// NewCmdInit builds `patchline init`.
func NewCmdInit(f *Factory, runF func(*InitOptions) error) *cobra.Command {
	opts := &InitOptions{IO: f.IO, Version: f.Version}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Set a product repository up for patchline",
		Long: `Writes .patchline.toml, the patches/ folder and the GitHub workflow
.github/workflows/patchline.yml. Existing files are left alone unless --force;
a .patchline.toml that is kept is the one the workflow follows.

The workflow signs bundles with a cosign key from the repository's secrets,
or, with --keyless ([sign] keyless = true), keylessly with GitHub's OIDC
token: cosign sign-blob gets a Fulcio certificate naming the workflow and
logs the signature in Rekor, and customers verify it with
--certificate-identity and --certificate-oidc-issuer.`,
		Example: `  patchline init
  patchline init --name inventory --github acme/inventory
  patchline init --github acme/inventory --keyless`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runInit(opts)
		},
	}
	opts.Repo.AddFlags(cmd)
	cmd.Flags().StringVar(&opts.Name, "name", "", "product name (default: the repository folder's name)")
	cmd.Flags().StringVar(&opts.GitHub, "github", "", "owner/repo on GitHub (default: from the origin remote)")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "overwrite files that exist")
	cmd.Flags().BoolVar(&opts.Keyless, "keyless", false, "sign in the workflow with GitHub's OIDC token (cosign keyless) instead of a key secret")
	return cmd
}

func runInit(opts *InitOptions) error {
	repo, err := opts.Repo.Open()
	if err != nil {
		return err
	}
	root := repo.Root()
	if root == "" {
		return usageError("%s is a bare repository: run init in a clone with a work tree", opts.Repo.Dir)
	}
	name := opts.Name
	if name == "" {
		name = filepath.Base(root)
	}
	gh := opts.GitHub
	if gh == "" {
		gh = repo.GitHubRemote()
	}
	if gh != "" && strings.Count(gh, "/") != 1 {
		return usageError("--github %q: want owner/repo", gh)
	}
	cfg, err := initConfig(opts, root, name, gh) // keyless.go
	if err != nil {
		return err
	}
	data := newWorkflowData(cfg, opts.Version)
	workflow, err := renderTemplate(root, "workflow.yml.tmpl", data)
	if err != nil {
		return err
	}
	if data.Patchline.Ref == "latest" {
		fmt.Fprintf(opts.IO.ErrOut, "warning: this patchline does not know its version (%s): the workflow installs patchline@latest; pin a release in it\n", opts.Version)
	}
	files := []struct {
		path string
		data []byte
	}{
		{".patchline.toml", cfg.Encode()},
		{filepath.Join(registry.Dir, "README.md"), []byte(patchesReadme)},
		{filepath.Join(".github", "workflows", "patchline.yml"), workflow},
	}
	for _, file := range files {
		full := filepath.Join(root, file.path)
		if _, err := os.Stat(full); err == nil && !opts.Force {
			fmt.Fprintf(opts.IO.ErrOut, "kept      %s (exists; --force overwrites)\n", file.path)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := gitrepo.WriteFileAtomic(full, file.data, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.ErrOut, "wrote     %s\n", file.path)
	}
	fmt.Fprintln(opts.IO.ErrOut, "\nnext: review [modules] and [release] in .patchline.toml, then\n  git add .patchline.toml patches .github && git commit -m \"Set up patchline\"")
	return nil
}

// workflowData is what workflow.yml.tmpl is rendered with: the config,
// and the patchline every job installs.
type workflowData struct {
	*config.Config
	Patchline workflowPin
}

type workflowPin struct {
	installPin
	Module string
}

func newWorkflowData(cfg *config.Config, version string) workflowData {
	return workflowData{Config: cfg, Patchline: workflowPin{installPin: pinFor(version), Module: ModulePath}}
}

const patchesReadme = `# Patches

Each folder here is one patch between quarterly releases, made by
` + "`patchline new`" + `: patch.toml is its manifest, patch.diff its fix as
` + "`git diff --binary --full-index`" + ` of the release tag and the patch branch.
Run ` + "`patchline list`" + ` for the registry.
`

// renderTemplate renders a built-in template, or the product repository's
// own templates/<name> when it has one.
func renderTemplate(root, name string, data any) ([]byte, error) {
	text, err := patchline.Template(root, name)
	if err != nil {
		return nil, err
	}
	t, err := template.New(name).Delims("[[", "]]").Parse(text)
	if err != nil {
		return nil, usageError("template %s: %w", name, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	return b.Bytes(), nil
}

package cli

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/pipeline"
	"github.com/patchline/patchline/internal/textsafe"
)

// GuideOptions are the flags of `patchline guide`.
type GuideOptions struct {
	IO     *IOStreams
	Verify VerifyFlags
	Getenv func(string) string
	Bundle string
	HTML   bool
}

// NewCmdGuide builds `patchline guide`.
func NewCmdGuide(f *Factory, runF func(*GuideOptions) error) *cobra.Command {
	opts := &GuideOptions{IO: f.IO, Getenv: f.Getenv}
	cmd := &cobra.Command{
		Use:   "guide BUNDLE [--html]",
		Short: "Print the installation guide a bundle carries",
		Long: `Prints the installation guide written into the bundle when it was built
and signed with it: what the patch fixes, the release it applies to, its
prerequisites, the services to stop, each step as a command (verify, dry
run, apply in test, health check, apply in production, confirm), the
rollback plan and the known issues. Markdown by default; --html writes one
self-contained HTML page.

With a public key (--key, else $` + EnvPublicKey + `) the bundle's signature is
checked first, as verify does, and a bundle that does not verify is
refused (exit 3). Without one the guide is printed with a warning that it is
unverified.`,
		Example: `  patchline guide PL-2026-0007_v2026.3.0_linux-amd64.plb --key cosign.pub
  patchline guide PL-2026-0007_v2026.3.0_linux-amd64.plb --key cosign.pub --html > guide.html
  PATCHLINE_KEY=/etc/patchline/cosign.pub patchline guide app.plb | less`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Bundle = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runGuide(opts)
		},
	}
	opts.Verify.AddFlags(cmd)
	cmd.Flags().BoolVar(&opts.HTML, "html", false, "write the guide as one self-contained HTML page")
	return cmd
}

func runGuide(opts *GuideOptions) error {
	path := opts.Bundle
	if _, err := opts.Verify.keyRef(opts.Getenv); err == nil {
		v, err := verifyBundleFile(opts.Bundle, opts.Verify, opts.Getenv)
		if err != nil {
			return err
		}
		defer v.Close()
		for _, s := range v.Signatures {
			fmt.Fprintf(opts.IO.ErrOut, "checked %s (%s)\n", s.Path, s.Format)
		}
		path = v.Path
	} else {
		fmt.Fprintf(opts.IO.ErrOut, "warning: %s is not verified: no public key (--key cosign.pub, or $%s); run patchline verify before you follow the guide\n",
			filepath.Clean(opts.Bundle), EnvPublicKey)
	}
	b, closeBundle, err := openBundle(path)
	if err != nil && path != opts.Bundle {
		return fmt.Errorf("%s: signed, but %w", opts.Bundle, err)
	}
	if err != nil {
		return err
	}
	defer closeBundle()
	guide := b.Meta.Guide
	if guide == "" {
		return usageError("%s carries no installation guide: it was built by a patchline from before guides; build it again", filepath.Clean(opts.Bundle))
	}
	if opts.HTML {
		page, err := pipeline.GuideHTML(guide)
		if err != nil {
			return err
		}
		_, err = opts.IO.Out.Write(page)
		return err
	}
	_, err = io.WriteString(opts.IO.Out, textsafe.Text(guide))
	return err
}

package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/advisory"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/history"
)

// AdvisoryOptions are the flags of `patchline advisory`.
type AdvisoryOptions struct {
	IO      *IOStreams
	Repo    RepoFlags
	ID      string
	Format  string // osv, csaf or openvex; with --release, "" is all three
	Out     string // the one document's file; "" is stdout
	Release string // a release tag: every security patch it ships
	Dir     string // with --release: where advisories/<format>/ go
}

// NewCmdAdvisory builds `patchline advisory`.
func NewCmdAdvisory(f *Factory, runF func(*AdvisoryOptions) error) *cobra.Command {
	opts := &AdvisoryOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "advisory ID --format osv|csaf|openvex [--out FILE]",
		Short: "Write a security patch's advisory as OSV, CSAF 2.0 or OpenVEX",
		Long: `Writes the advisory of a security patch (kind = "security", or any CVE in its
manifest) in a format scanners and verifiers read:

  osv       OSV (ossf/osv-schema), id x_<ID>, the CVEs as aliases
  csaf      CSAF 2.0, profile csaf_security_advisory, tracking id <ID>
  openvex   OpenVEX 0.2.0: per CVE and release line, fixed and affected

Everything comes from the repository. On each release line the patch was
merged on, the releases before the patch-level tag that first carries the
fix are affected and that tag and the later ones are fixed; a line its
manifest names (base, also) or a backport branch is under way for, but that
has no release with the fix yet, is affected throughout and makes the
advisory interim. Each release that fixed a line is a revision, dated when
it was tagged; the document lists the releases tagged by its newest
revision, so the same repository gives the same bytes.

Products are package URLs: pkg:golang/<module>@<tag>, the module path read
from the go.mod of the release, or [advisory] purl in .patchline.toml for a
product that is not a Go module. The publisher is [advisory] publisher and
namespace, or the owner in [project] github.

--out writes the document to FILE atomically (nothing is written when it
fails). --release TAG writes the advisories of every security patch whose
first release on its line is TAG, in every format (or --format's), to
DIR/advisories/<format>/ and prints their paths: the release workflow
attaches them to the release.

Exit status: 0; 2 for an unknown id, a patch that is not a security patch,
or a product or publisher the config does not name; 4 when no release tag
carries the fix yet.`,
		Example: `  patchline advisory PL-2026-0007 --format osv
  patchline advisory PL-2026-0007 --format csaf --out pl-2026-0007.json
  patchline advisory PL-2026-0007 --format openvex | jq -r '.statements[] | .status + " " + .products[]."@id"'
  patchline advisory --release v2026.3.2 --dir dist   # dist/advisories/{osv,csaf,openvex}/…`,
		Args: argsUsage(cobra.MaximumNArgs(1)),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.ID = args[0]
			}
			if opts.Format != "" {
				f, ok := advisory.ParseFormat(opts.Format)
				if !ok {
					return usageError("--format %q: want osv, csaf or openvex", opts.Format)
				}
				opts.Format = string(f)
			}
			if opts.Release != "" {
				switch {
				case opts.ID != "":
					return usageError("--release writes the advisories of every security patch of %s: drop %s, or drop --release", opts.Release, opts.ID)
				case cmd.Flags().Changed("out"):
					return usageError("--out names one document's file: with --release, give the folder with --dir")
				}
				return nil
			}
			switch {
			case opts.ID == "":
				return usageError("give the patch id (patchline advisory PL-2026-0007 --format osv), or --release TAG\nRun '%s --help' for usage.", cmd.CommandPath())
			case opts.Format == "":
				return usageError("--format is required: osv, csaf or openvex")
			case cmd.Flags().Changed("dir"):
				return usageError("--dir goes with --release: for one document, give --out FILE")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runAdvisory(opts)
		},
	}
	opts.Repo.AddFlags(cmd)
	cmd.Flags().StringVar(&opts.Format, "format", "", "osv, csaf or openvex (with --release: only this one)")
	cmd.Flags().StringVar(&opts.Out, "out", "", "write the document to this file, atomically (default: stdout)")
	cmd.Flags().StringVar(&opts.Release, "release", "", "write the advisories of every security patch this release tag ships")
	cmd.Flags().StringVar(&opts.Dir, "dir", "dist", "with --release: the folder that gets advisories/<format>/")
	return cmd
}

func runAdvisory(opts *AdvisoryOptions) error {
	h, err := openHistory(&opts.Repo)
	if err != nil {
		return err
	}
	if opts.Release != "" {
		return runAdvisoryRelease(opts, h)
	}
	a, err := advisory.Build(h, opts.ID)
	if err != nil {
		return err
	}
	data, err := a.Encode(advisory.Format(opts.Format))
	if err != nil {
		return err
	}
	if opts.Out == "" {
		_, err := opts.IO.Out.Write(data)
		return err
	}
	if err := writeAdvisory(opts.Out, data); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "wrote %s (%s, version %d, %s)\n", opts.Out, opts.Format, a.Version(), statusWord(a))
	return nil
}

// runAdvisoryRelease writes every advisory a release publishes.
func runAdvisoryRelease(opts *AdvisoryOptions, h *history.History) error {
	tag, err := h.Tags.ReleaseTag(opts.Release)
	if err != nil {
		return fmt.Errorf("--release: %w", err)
	}
	ids, problems, err := advisory.InRelease(h, tag)
	if err != nil {
		return err
	}
	formats := advisory.Formats
	if opts.Format != "" {
		formats = []advisory.Format{advisory.Format(opts.Format)}
	}
	for _, id := range ids {
		a, err := advisory.Build(h, id)
		if err != nil {
			return err
		}
		for _, f := range formats {
			data, err := a.Encode(f)
			if err != nil {
				return err
			}
			name := filepath.Join(opts.Dir, filepath.FromSlash(advisory.Path(f, id)))
			if err := writeAdvisory(name, data); err != nil {
				return err
			}
			fmt.Fprintln(opts.IO.Out, name)
		}
		fmt.Fprintf(opts.IO.ErrOut, "%s: version %d, %s\n", id, a.Version(), statusWord(a))
	}
	if len(ids) == 0 && len(problems) == 0 {
		fmt.Fprintf(opts.IO.ErrOut, "%s ships no security patch: no advisory to write\n", tag.Name)
	}
	warnProblems(opts.IO, problems)
	if len(problems) > 0 {
		return usageError("manifests of %s do not decode (%d problems above): fix them on the line, then run advisory --release again", tag.Name, len(problems))
	}
	return nil
}

// writeAdvisory writes a document into place atomically, making its folder.
func writeAdvisory(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	return gitrepo.WriteFileAtomic(name, data, 0o644)
}

func statusWord(a *advisory.Advisory) string {
	if a.Final {
		return "final"
	}
	var waiting []string
	for _, l := range a.Lines {
		if l.State != advisory.Released {
			waiting = append(waiting, l.Name)
		}
	}
	return "interim: no release of " + strings.Join(waiting, ", ") + " carries the fix yet"
}

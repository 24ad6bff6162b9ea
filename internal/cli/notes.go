package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/notes"
)

// NotesOptions are the flags of `patchline notes`.
type NotesOptions struct {
	IO   *IOStreams
	Repo RepoFlags
	JSONFlag
	Range  RangeFlags
	Format string
}

// NewCmdNotes builds `patchline notes`.
func NewCmdNotes(f *Factory, runF func(*NotesOptions) error) *cobra.Command {
	opts := &NotesOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "notes --from TAG --to TAG [--format markdown|json|html]",
		Short: "Compile the release notes from the manifests merged in a range",
		Long: `Compiles the release notes of --to from the manifests merged since --from on
every release line: the line of --from after it, the older lines' maintenance
branches in the same span of time, and the main line. One entry per patch id,
grouped by kind and ordered by severity, with its summary, cases, CVEs,
modules, the release tags it shipped in on each line and who approved it.

The manifest shown is the one merged on the line (an edit on the patch branch
after the merge does not count; a follow-up commit on the line does). A patch
taken out of every line again is listed as reverted or withdrawn, not as a
fix. For a quarterly --to, each fix says whether the release contains it,
checked by content as rollup does.

Markdown comes from templates/release-notes.md.tmpl and HTML (one
self-contained page) from templates/release-notes.html.tmpl: the product
repository's own when it has them, else the built-in ones. The data they get
is what --format json prints.

Exit status: 0, or 2 for a bad range or when a manifest in the range does
not decode (the notes are still printed, with the commit and path).`,
		Example: `  patchline notes --from v2026.2.0 --to v2026.3.0 > NOTES.md
  patchline notes --from v2026.2.0 --to v2026.3.0 --format html > notes.html
  patchline notes --from v2026.3.0 --to v2026.3.2 --format json | jq -r '.groups[].patches[].id'`,
		Args: argsUsage(cobra.NoArgs),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Range.check(cmd); err != nil {
				return err
			}
			if opts.JSON {
				if cmd.Flags().Changed("format") && opts.Format != "json" {
					return usageError("--json and --format %s disagree: pick one", opts.Format)
				}
				opts.Format = "json"
			}
			switch opts.Format {
			case "markdown", "md":
				opts.Format = "markdown"
			case "json", "html":
			default:
				return usageError("--format %q: want markdown, json or html", opts.Format)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runNotes(opts)
		},
	}
	opts.Repo.AddFlags(cmd)
	opts.JSONFlag.AddFlags(cmd)
	opts.Range.AddFlags(cmd)
	cmd.Flags().StringVar(&opts.Format, "format", "markdown", "output: markdown, json, or html (a self-contained page)")
	return cmd
}

func runNotes(opts *NotesOptions) error {
	h, err := openHistory(&opts.Repo)
	if err != nil {
		return err
	}
	from, to, err := opts.Range.resolve(h)
	if err != nil {
		return err
	}
	n, err := notes.Compile(h, from, to)
	if err != nil {
		return err
	}
	root := h.Reg.Repo.Root()
	var out []byte
	switch opts.Format {
	case "json":
		out, err = n.JSON()
	case "html":
		out, err = n.HTML(root)
	default:
		out, err = n.Markdown(root)
	}
	if errors.Is(err, notes.ErrTemplate) {
		return usageError("%w", err)
	}
	if err != nil {
		return err
	}
	if _, err := opts.IO.Out.Write(out); err != nil {
		return err
	}
	warnProblems(opts.IO, n.Problems)
	if len(n.Problems) > 0 {
		return usageError("manifests in the range do not decode (%d problems above): fix them on their line, then run notes again", len(n.Problems))
	}
	return nil
}

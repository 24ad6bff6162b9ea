package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/cases"
	"github.com/patchline/patchline/internal/fleet"
	"github.com/patchline/patchline/internal/forge"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/textsafe"
)

// WebhookSecretEnv holds the secret `cases --post` signs with.
const WebhookSecretEnv = "PATCHLINE_WEBHOOK_SECRET"

// CasesOptions are the flags of `patchline cases`.
type CasesOptions struct {
	IO   *IOStreams
	Repo RepoFlags
	JSONFlag
	Getenv  func(string) string
	Now     func() time.Time
	Version string

	Format  string
	Post    string
	Timeout time.Duration
	Tries   int
}

// NewCmdCases builds `patchline cases`.
func NewCmdCases(f *Factory, runF func(*CasesOptions) error) *cobra.Command {
	opts := &CasesOptions{IO: f.IO, Getenv: f.Getenv, Now: f.Now, Version: f.Version}
	cmd := &cobra.Command{
		Use:   "cases [--format text|csv|json] [--post URL]",
		Short: "Customer cases with their evidence: release, install, confirmation, QA",
		Long: `Lists every customer case the manifests name (key cases), one row per case,
patch and install: the patch and its title, the patch-level release tag that
shipped it, where it was applied (the delivery records filed under the fleet
folder, [fleet] dir), the customer's confirmation, QA's approvals with the
pull request, and the case's status:

  open                   no patch of the case is in a release tag yet
  delivered              released, and applied on no install (or rolled back everywhere)
  awaiting confirmation  applied, and an install that has it has no confirmation
  closed                 every install that has it applied has a confirmation

--format csv is RFC 4180 with a header row, for a CRM's import.

--post URL sends each case whose status changed since the last post, one
JSON document per case, signed with HMAC-SHA256 over the body in
X-Patchline-Signature (sha256=<hex>), the secret taken from
PATCHLINE_WEBHOOK_SECRET, with an X-Patchline-Delivery id that is the same
for a repeat of the same change. It retries on 5xx, 429 and timeouts with
backoff. Cases written as GitHub issues (#123, owner/repo#123) are not sent
to the URL: the issue gets a comment with the evidence (needs GITHUB_TOKEN)
and is closed once the case is closed. What was sent is recorded after each
delivery in <fleet dir>/.cases-posted.json and committed, so a change is
never sent twice. Run it on the main branch.`,
		Example: `  patchline cases
  patchline cases --format csv > cases.csv
  patchline cases --json | jq '.cases[] | select(.status == "awaiting confirmation") | .case'
  PATCHLINE_WEBHOOK_SECRET=… patchline cases --post https://crm.example.com/hooks/patchline`,
		Args: argsUsage(cobra.NoArgs),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if opts.JSON {
				if cmd.Flags().Changed("format") && opts.Format != "json" {
					return usageError("--json and --format %s disagree: pick one", opts.Format)
				}
				opts.Format = "json"
			}
			switch opts.Format {
			case "text", "csv", "json":
			default:
				return usageError("--format %q: want text, csv or json", opts.Format)
			}
			if opts.Post == "" {
				for _, name := range []string{"timeout", "tries"} {
					if cmd.Flags().Changed(name) {
						return usageError("--%s goes with --post URL", name)
					}
				}
				return nil
			}
			if opts.Format == "csv" {
				return usageError("--post sends JSON: leave out --format csv (--json prints what was sent)")
			}
			if err := cases.CheckURL(opts.Post); err != nil {
				return usageError("%w", err)
			}
			if opts.Timeout <= 0 {
				return usageError("--timeout %s: want a positive duration such as 30s", opts.Timeout)
			}
			if opts.Tries < 1 || opts.Tries > 20 {
				return usageError("--tries %d: want 1 to 20", opts.Tries)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runCases(cmd.Context(), opts)
		},
	}
	opts.Repo.AddFlags(cmd)
	opts.JSONFlag.AddFlags(cmd)
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output: text, csv (RFC 4180, for a CRM) or json")
	cmd.Flags().StringVar(&opts.Post, "post", "", "send the cases whose status changed to this webhook URL (secret in "+WebhookSecretEnv+")")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", cases.DefaultTimeout, "with --post: how long one try waits for the receiver")
	cmd.Flags().IntVar(&opts.Tries, "tries", cases.DefaultMaxAttempts, "with --post: tries per delivery, the first included")
	return cmd
}

func runCases(ctx context.Context, opts *CasesOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	var secret string
	if opts.Post != "" {
		// Before anything is read: nothing is sent unsigned.
		if secret = opts.Getenv(WebhookSecretEnv); secret == "" {
			return usageError("--post needs the webhook's secret in %s: the receiver checks X-Patchline-Signature with it", WebhookSecretEnv)
		}
	}
	h, err := openHistory(&opts.Repo)
	if err != nil {
		return err
	}
	rep, problems, err := buildCases(h, opts.Getenv)
	if err != nil {
		return err
	}
	warnProblems(opts.IO, problems)
	if opts.Post != "" {
		return postCases(ctx, opts, h, rep, []byte(secret))
	}
	switch opts.Format {
	case "csv":
		return rep.WriteCSV(opts.IO.Out)
	case "json":
		return rep.WriteJSON(opts.IO.Out)
	}
	return rep.WriteText(opts.IO.Out)
}

// buildCases reads the patches from history and the records filed in the
// work tree's fleet folder.
func buildCases(h *history.History, getenv func(string) string) (*cases.Report, []string, error) {
	reg := h.Reg
	patches, problems, err := cases.Read(h)
	if err != nil {
		return nil, nil, err
	}
	filed, err := fleet.Load(reg.Repo.Root(), reg.Config.FleetDir())
	if errors.Is(err, fleet.ErrBadFleet) {
		return nil, nil, usageError("%w", err)
	}
	if err != nil {
		return nil, nil, err
	}
	installs := make([]cases.Install, len(filed))
	for i, f := range filed {
		installs[i] = cases.Install{Path: f.Path, Site: f.Site, Env: f.Env, Record: f.Record}
	}
	// #123 is an issue of the product's repository, as pr names it.
	repo := reg.Config.Project.GitHub
	if repo == "" {
		repo = getenv("GITHUB_REPOSITORY")
	}
	return cases.Build(reg.Config.Project.Name, repo, patches, installs), problems, nil
}

func postCases(ctx context.Context, opts *CasesOptions, h *history.History, rep *cases.Report, secret []byte) error {
	reg := h.Reg
	if err := reg.Repo.RequireBranch(reg.Config.Release.MainBranch, "what --post sends is recorded on"); err != nil {
		return err
	}
	rel := reg.Config.FleetDir() + "/" + cases.PostedFile
	file := filepath.Join(reg.Repo.Root(), filepath.FromSlash(rel))
	posted, err := readPosted(file)
	if err != nil {
		return usageError("%s: %w (fix or remove it: without it every case is sent again)", rel, err)
	}
	pending := cases.Pending(rep, posted)
	poster := &cases.Poster{
		Project: reg.Config.Project.Name,
		Webhook: &cases.Webhook{
			URL: opts.Post, Secret: secret, Client: &http.Client{Timeout: opts.Timeout},
			UserAgent: "patchline/" + opts.Version, MaxAttempts: opts.Tries, Log: opts.IO.ErrOut,
		},
		Posted: posted, Now: opts.Now, Log: opts.IO.ErrOut,
		Save: func(p *cases.Posted) error {
			data, err := p.Encode()
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				return err
			}
			return gitrepo.WriteFileAtomic(file, data, 0o644)
		},
	}
	for _, c := range pending {
		if c.Issue == "" {
			continue
		}
		// Only when an issue has something to say: a token is not needed
		// otherwise.
		o := forge.FromEnv(opts.Getenv)
		o.Repo = reg.Config.Project.GitHub
		if o.Repo == "" {
			o.Repo = opts.Getenv("GITHUB_REPOSITORY")
		}
		if o.Repo == "" {
			owner, name, _, _ := cases.IssueOf(c.Issue, "")
			o.Repo = owner + "/" + name
		}
		client, err := forge.New(o)
		if err != nil {
			return fmt.Errorf("case %s is a GitHub issue: %w", textsafe.Line(c.ID), err)
		}
		poster.Issues = client
		break
	}
	res, runErr := poster.Run(ctx, rep)
	commit, commitErr := cases.CommitPosted(reg.Repo, rel, len(res.Sent), reg.Repo.SignerFrom(opts.Getenv, opts.Now))
	if commit != "" {
		fmt.Fprintf(opts.IO.ErrOut, "committed %s (%s)\n", rel, commit[:7])
	}
	if opts.Format == "json" {
		if err := writeJSON(opts.IO, res); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(opts.IO.Out, "sent %d of %d changed cases; %d unchanged\n", len(res.Sent), len(pending), res.Unchanged)
	}
	if runErr != nil {
		if commitErr != nil {
			fmt.Fprintf(opts.IO.ErrOut, "warning: %v\n", commitErr)
		}
		return fmt.Errorf("%w; %d left for the next run", runErr, res.Left)
	}
	return commitErr
}

// readPosted reads the record of what was sent from the work tree, where
// each delivery writes it at once: after a run that stopped before its
// commit, the work tree knows more than the last commit.
func readPosted(file string) (*cases.Posted, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return cases.NewPosted(), nil
	}
	if err != nil {
		return nil, err
	}
	return cases.DecodePosted(data)
}

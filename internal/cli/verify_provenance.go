package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchline/patchline/internal/provenance"
	"github.com/patchline/patchline/internal/sign"
	"github.com/patchline/patchline/internal/textsafe"
)

// ProvenanceFlags are verify's flags for a provenance attestation.
type ProvenanceFlags struct {
	// Enabled is --provenance: check FILE's provenance instead of its
	// signature files.
	Enabled bool
	// Attestation is the DSSE envelope (default FILE.intoto.jsonl); it
	// implies --provenance.
	Attestation string
}

// AddFlags registers --provenance and --attestation.
func (p *ProvenanceFlags) AddFlags(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&p.Enabled, "provenance", false, "check FILE's signed SLSA provenance (FILE.intoto.jsonl), a bundle's or a release archive's, and print it")
	cmd.Flags().StringVar(&p.Attestation, "attestation", "", "the provenance's DSSE envelope (default: FILE.intoto.jsonl; implies --provenance)")
}

func (p *ProvenanceFlags) on() bool { return p.Enabled || p.Attestation != "" }

// VerifiedProvenance is what verify --provenance reports.
type VerifiedProvenance struct {
	File        string `json:"file"`
	SHA256      string `json:"sha256"`
	Attestation string `json:"attestation"`
	Verified    bool   `json:"verified"`
	Key         string `json:"key"`
	KeyID       string `json:"keyid"`
	Algorithm   string `json:"algorithm"`
	// Subject is the name the statement gives the file.
	Subject       string            `json:"subject"`
	PredicateType string            `json:"predicate_type"`
	BuildType     string            `json:"build_type"`
	Builder       ProvenanceBuilder `json:"builder"`
	InvocationID  string            `json:"invocation_id,omitempty"`
	// Params are the build's parameters, for patchline's build types.
	Params *provenance.Parameters `json:"parameters,omitempty"`
	// Dependencies are the resolved dependencies: name, uri and digest.
	Dependencies []ProvenanceDependency `json:"dependencies"`
}

// ProvenanceBuilder is runDetails.builder.
type ProvenanceBuilder struct {
	ID      string            `json:"id"`
	Version map[string]string `json:"version,omitempty"`
}

// ProvenanceDependency is one resolved dependency.
type ProvenanceDependency struct {
	Name   string            `json:"name,omitempty"`
	URI    string            `json:"uri,omitempty"`
	Digest map[string]string `json:"digest,omitempty"`
}

// runVerifyProvenance checks FILE's provenance as cosign
// verify-blob-attestation --type slsaprovenance1 does: the envelope's
// signature over its PAE with the key, the subject's SHA-256 against the
// file's, the predicate type; then prints what it says.
func runVerifyProvenance(opts *VerifyOptions) error {
	if opts.Verify.Signature != "" || opts.Verify.SigstoreBundle != "" {
		return usageError("--provenance checks FILE.intoto.jsonl (or --attestation), not --signature or --bundle: check the signature with another patchline verify")
	}
	ref, err := opts.Verify.keyRef(opts.Getenv)
	if err != nil {
		return err
	}
	key, err := sign.LoadPublicKey(ref, opts.Getenv)
	if err != nil {
		return err
	}
	att := opts.Provenance.Attestation
	if att == "" {
		att = opts.Bundle + provenance.EnvelopeSuffix
	}
	env, err := readBounded(att, provenance.MaxSize)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: no %s beside %s (patchline build --sign and release --sign write it; name another with --attestation)",
			provenance.ErrMissing, filepath.Base(att), opts.Bundle)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", provenance.ErrInvalid, err)
	}
	sum, err := hashFile(opts.Bundle)
	if err != nil {
		return err
	}
	v, err := provenance.Verify(key, env, sum)
	if err != nil {
		return fmt.Errorf("%s: %w", att, err)
	}
	rep := provenanceReport(v)
	rep.File, rep.SHA256, rep.Attestation, rep.Key, rep.Algorithm = filepath.Clean(opts.Bundle), sum, filepath.Clean(att), ref, key.Algorithm()
	if opts.JSON {
		return writeJSON(opts.IO, rep)
	}
	fmt.Fprintf(opts.IO.ErrOut, "checked %s (in-toto statement, DSSE)\n", rep.Attestation)
	writeProvenanceText(opts.IO, rep)
	return nil
}

func provenanceReport(v *provenance.Verified) VerifiedProvenance {
	bd, rd := v.Provenance.GetBuildDefinition(), v.Provenance.GetRunDetails()
	rep := VerifiedProvenance{
		Verified: true, KeyID: v.KeyID, Subject: v.Subject,
		PredicateType: v.Statement.GetPredicateType(), BuildType: bd.GetBuildType(),
		Builder:      ProvenanceBuilder{ID: rd.GetBuilder().GetId(), Version: rd.GetBuilder().GetVersion()},
		InvocationID: rd.GetMetadata().GetInvocationId(), Params: v.Params,
		Dependencies: []ProvenanceDependency{},
	}
	for _, d := range bd.GetResolvedDependencies() {
		rep.Dependencies = append(rep.Dependencies, ProvenanceDependency{Name: d.GetName(), URI: d.GetUri(), Digest: d.GetDigest()})
	}
	return rep
}

// writeProvenanceText prints the report: the builder, the source and the
// approvers first, what a reader checks.
func writeProvenanceText(streams *IOStreams, r VerifiedProvenance) {
	w := streams.Out
	line := textsafe.Line
	fmt.Fprintf(w, "Verified OK: %s: SLSA provenance v1 signed with %s (%s)\n", r.File, r.Key, r.Algorithm)
	builder := line(r.Builder.ID)
	if len(r.Builder.Version) > 0 {
		var vs []string
		for k, v := range r.Builder.Version {
			vs = append(vs, line(k)+" "+line(v))
		}
		slices.Sort(vs)
		builder += " (" + strings.Join(vs, ", ") + ")"
	}
	fmt.Fprintf(w, "  builder     %s\n", builder)
	p := r.Params
	if p == nil {
		fmt.Fprintf(w, "  build type  %s (not patchline's: its parameters are not shown)\n", line(r.BuildType))
		for _, d := range r.Dependencies {
			fmt.Fprintf(w, "  dependency  %s\n", describeDependency(d))
		}
		return
	}
	repo := p.Repository
	if repo == "" {
		repo = p.Product + " (no repository URL: set [project] github)"
	}
	fmt.Fprintf(w, "  source      %s %s %s\n", line(repo), line(orDash(p.Source.Ref)), line(p.Source.Commit))
	switch {
	case p.Patch != "":
		fmt.Fprintf(w, "  bundle      %s for %s, %s -> %s\n", line(p.Patch), line(p.Platform), line(refText(p.From)), line(refText(p.Target)))
		if p.Base != nil && p.From != nil && *p.Base != *p.From {
			fmt.Fprintf(w, "  base        %s\n", line(refText(p.Base)))
		}
	default:
		fmt.Fprintf(w, "  release     %s for %s\n", line(p.Tag), line(p.Platform))
	}
	fmt.Fprintf(w, "  built with  %s builder%s\n", line(p.Build.Builder), toolchainText(r.Dependencies))
	approvals := p.Approvals
	for _, pa := range p.Patches {
		for _, a := range pa.Approvals {
			a.Role = strings.TrimSpace(pa.ID + " " + a.Role)
			approvals = append(approvals, a)
		}
	}
	switch {
	case p.Patch == "" && len(p.Patches) == 0:
		fmt.Fprintf(w, "  patches     none: the tag names no Patch-Id\n")
	case len(approvals) == 0:
		fmt.Fprintf(w, "  approved    no approval recorded\n")
	}
	for _, a := range approvals {
		fmt.Fprintf(w, "  approved    %s\n", approvalText(a))
	}
	if c := p.ToolchainChange; c != nil {
		fmt.Fprintf(w, "  toolchain change allowed: %s\n", line(c.Reason))
		for _, ch := range c.Changes {
			fmt.Fprintf(w, "    %s\n", line(ch))
		}
	}
}

func refText(r *provenance.Ref) string {
	if r == nil {
		return "-"
	}
	if r.Commit == "" {
		return r.Tag
	}
	c := r.Commit
	if len(c) > 12 {
		c = c[:12]
	}
	return fmt.Sprintf("%s (%s)", r.Tag, c)
}

func toolchainText(deps []ProvenanceDependency) string {
	for _, d := range deps {
		if d.Name == "go" {
			_, v, _ := strings.Cut(d.URI, "#")
			return ", " + textsafe.Line(v)
		}
	}
	return ""
}

func approvalText(a provenance.Approval) string {
	s := textsafe.Line(a.By)
	if a.Role != "" {
		s += " (" + textsafe.Line(a.Role) + ")"
	}
	if !a.At.IsZero() {
		s += " " + a.At.UTC().Format(time.RFC3339)
	}
	if a.Ref != "" {
		s += " " + textsafe.Line(a.Ref)
	}
	return s
}

func describeDependency(d ProvenanceDependency) string {
	s := textsafe.Line(d.Name)
	if d.URI != "" {
		s += " " + textsafe.Line(d.URI)
	}
	var ds []string
	for k, v := range d.Digest {
		ds = append(ds, textsafe.Line(k)+":"+textsafe.Line(v))
	}
	slices.Sort(ds)
	if len(ds) > 0 {
		s += " " + strings.Join(ds, " ")
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

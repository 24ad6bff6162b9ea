package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/patchline/patchline/internal/bundle"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/release"
)

// Write writes one bundle per platform into Out.
type Write struct{}

func (Write) String() string { return "write the bundles" }

func (Write) Run(ctx context.Context, s *State) error {
	if err := os.MkdirAll(s.Out, 0o755); err != nil {
		return err
	}
	created, err := s.created()
	if err != nil {
		return err
	}
	m := s.Patch.Manifest
	var approvals []bundle.Approval
	for _, a := range m.Approvals {
		approvals = append(approvals, bundle.Approval{Role: a.Role, By: a.By, At: a.At.UTC(), Ref: a.Ref})
	}
	target, _ := release.Next(s.BaseTag.Name)
	info, err := s.patchInfo()
	if err != nil {
		return err
	}
	for _, plat := range s.Platform {
		p := s.Builds[plat]
		if len(p.Changes) == 0 {
			fmt.Fprintf(s.Log, "  %s: the patch changes no built file; no bundle\n", plat)
			continue
		}
		meta := bundle.Meta{
			Product:   s.Config.Project.Name,
			Patch:     s.Patch.ID,
			Platform:  plat,
			Base:      bundle.Ref{Tag: s.FromTag.Name, Commit: s.FromTag.Commit.String()},
			Target:    bundle.Ref{Tag: target, Commit: s.Source.String()},
			Source:    s.Source.String(),
			Approvals: approvals,
			Builder:   bundle.Builder{Name: s.BuilderName, Version: s.BuilderVer},
			Created:   created,
			// The installer refuses base and target tags that do not match.
			TagPattern: s.Config.ReleaseTagPattern(),
			Urgency:    m.Urgency,
			Requires:   info.requires,
			Includes:   info.includes,
			// An allowed change of toolchain or configuration, and why.
			ToolchainChange: s.Provenance.Change,
		}
		if c := s.Config.Install.Check; strings.TrimSpace(c) != "" {
			// check_retries = 0 is one attempt.
			meta.HealthCheck = &bundle.HealthCheck{Command: c, Timeout: int64(s.Config.CheckTimeout() / time.Second), Attempts: 1 + s.Config.CheckRetries()}
		}
		if r := s.Config.Rollout; r.RequireTest || len(r.Freeze) > 0 {
			meta.Rollout = &bundle.Rollout{RequireTest: r.RequireTest, Freeze: r.Freeze}
		}
		payloads := make([][]byte, 0, len(p.Changes))
		for _, c := range p.Changes {
			meta.Files = append(meta.Files, c.File)
			payloads = append(payloads, c.Payload)
		}
		// The guide is rendered last, from the metadata it describes.
		if meta.Guide, err = s.guide(&meta, info); err != nil {
			return err
		}
		var buf bytes.Buffer
		digest, err := bundle.Write(&buf, meta, payloads)
		if err != nil {
			return err
		}
		name := filepath.Join(s.Out, bundle.FileName(s.Patch.ID, s.FromTag.Name, plat))
		if err := gitrepo.WriteFileAtomic(name, buf.Bytes(), 0o644); err != nil {
			return err
		}
		s.Bundles = append(s.Bundles, name)
		fmt.Fprintf(s.Log, "  %s: %s, %d files, %d bytes, sha256 %s\n", plat, filepath.Base(name), len(meta.Files), buf.Len(), digest)
	}
	return nil
}

// created is the bundle's time: SOURCE_DATE_EPOCH when set, else the source
// commit's time, never the wall clock, so rebuilding gives the same bytes.
func (s *State) created() (time.Time, error) {
	if v := s.Getenv("SOURCE_DATE_EPOCH"); v != "" {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want Unix seconds", v)
		}
		return time.Unix(secs, 0).UTC(), nil
	}
	return s.SourceTime.UTC(), nil
}

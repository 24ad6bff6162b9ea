package install

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/patchline/patchline/internal/bundle"
	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/rollout"
)

// readSite reads .patchline/site.toml, a state file like the others (the
// site's administrator writes it); nil when there is none.
func (in *installer) readSite() (*rollout.Site, error) {
	name := in.state(rollout.SiteFile)
	data, err := readStateFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	site, err := rollout.DecodeSite(name, data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadArgument, err)
	}
	return site, nil
}

// policy applies the site's defaults to the receipt, then the rollout
// rules the bundle carries: freeze windows (the bundle's and the site's)
// and, for production, evidence of a healthy test install.
func (in *installer) policy(b *bundle.Bundle, rec *Receipt) error {
	m := &b.Meta
	site, err := in.readSite()
	if err != nil {
		return err
	}
	loc := time.Local
	var windows []rollout.Window
	if site != nil {
		if rec.Env == "" {
			rec.Env = site.Env
		}
		if rec.Site == "" {
			rec.Site = site.Name
		}
		if rec.Operator == "" {
			rec.Operator = site.Operator
		}
		if l := site.Location(); l != nil {
			loc = l
		}
		windows = append(windows, site.Windows()...)
	}
	var ro bundle.Rollout
	if m.Rollout != nil {
		ro = *m.Rollout
	}
	for _, s := range ro.Freeze {
		w, err := rollout.ParseWindow(s)
		if err != nil {
			return fmt.Errorf("%w: freeze window %q: %v", bundle.ErrCorrupt, s, err)
		}
		windows = append(windows, w)
	}
	now := in.now()
	if frozen, w, end := rollout.Frozen(windows, now, loc); frozen {
		f := &FreezeOverride{Window: w.String(), Until: end.UTC()}
		switch {
		case m.Urgency == manifest.UrgencyEmergency:
			f.Emergency = true
			in.logf("inside the freeze window %s until %s: applying anyway, %s is an emergency patch", w, rollout.FormatEnd(end, loc), m.Patch)
		case in.opts.OverrideFreeze != "":
			f.Reason = in.opts.OverrideFreeze
			in.logf("inside the freeze window %s until %s: applying anyway (--override-freeze)", w, rollout.FormatEnd(end, loc))
		default:
			return fmt.Errorf("%w: deployments are frozen (%s) until %s; apply then, or give --override-freeze --reason \"...\" (recorded in the receipt)",
				ErrPrecondition, w, rollout.FormatEnd(end, loc))
		}
		rec.Freeze = f
	}
	if ro.RequireTest && rec.Env == rollout.EnvProduction {
		ev := in.opts.Evidence
		if ev == nil {
			return fmt.Errorf("%w: %s requires a healthy test install of this bundle before production: on the test install run `patchline installed --to DIR --export evidence.json`, then apply here with --evidence evidence.json", ErrPrecondition, m.Patch)
		}
		if ev.Env == rollout.EnvProduction {
			return fmt.Errorf("%w: --evidence is from a production install (%s); it must come from test or staging", ErrPrecondition, ev.Site)
		}
		p, ok := ev.Healthy(b.Digest)
		if !ok {
			why := "it does not hold this bundle (sha256 " + shortSum(b.Digest) + ")"
			if p.ID != "" {
				why = p.Problem()
			}
			return fmt.Errorf("%w: --evidence from %s (%s) does not show this bundle applied and healthy: %s", ErrPrecondition, ev.Site, ev.Env, why)
		}
		rec.Evidence = &Evidence{Site: ev.Site, Env: ev.Env, Host: ev.Host, Exported: ev.Exported}
	}
	return nil
}

// Export is the record of root for `installed --export`: the evidence a
// production apply asks for, and the installed base's delivery record.
func Export(root string, now time.Time) (*rollout.Record, error) {
	in, err := newInstaller(Options{Root: root})
	if err != nil {
		return nil, err
	}
	inv, err := Read(in.root)
	if err != nil {
		return nil, err
	}
	if inv.Interrupted != nil {
		return nil, fmt.Errorf("%w: the %s of %s did not finish: recover it before exporting", ErrInterrupted, inv.Interrupted.Kind, inv.Interrupted.Patch)
	}
	if inv.Release == nil {
		return nil, fmt.Errorf("%w: %s has no installed release to export", ErrPrecondition, root)
	}
	site, err := in.readSite()
	if err != nil {
		return nil, err
	}
	r := &rollout.Record{Schema: rollout.RecordSchema, Exported: now.UTC(),
		Release: rollout.Ref{Tag: inv.Release.Tag, Commit: inv.Release.Commit}, Patches: []rollout.RecordPatch{}}
	r.Host, _ = os.Hostname()
	if site != nil {
		r.Site, r.Env, r.Operator = site.Name, site.Env, site.Operator
	}
	for _, rc := range inv.Receipts {
		if r.Site == "" {
			r.Site = rc.Site
		}
		if r.Env == "" {
			r.Env = rc.Env
		}
		if rc.Product != "" {
			r.Product = rc.Product
		}
		p := rollout.RecordPatch{ID: rc.Patch, BundleDigest: rc.BundleDigest, Platform: rc.Platform,
			Base: rollout.Ref{Tag: rc.Base.Tag, Commit: rc.Base.Commit}, Target: rollout.Ref{Tag: rc.Target.Tag, Commit: rc.Target.Commit},
			AppliedAt: rc.AppliedAt, RolledBackAt: rc.RolledBackAt, AutoRolledBack: rc.AutoRolledBack}
		for _, c := range rc.Checks {
			p.Checks = append(p.Checks, rollout.CheckOutcome{At: c.At, OK: c.OK, Attempts: c.Attempts, ExitCode: c.ExitCode, Output: c.Output})
		}
		for _, c := range rc.Confirmations {
			p.Confirmations = append(p.Confirmations, rollout.Confirmation{By: c.By, At: c.At, Note: c.Note})
		}
		r.Patches = append(r.Patches, p)
	}
	if r.Site == "" || r.Env == "" {
		return nil, fmt.Errorf("%w: the record needs the install's site and env: set them in %s (site = \"...\", env = \"test\") or apply with --site and --env",
			ErrBadArgument, in.state(rollout.SiteFile))
	}
	if err := r.Check(); err != nil {
		return nil, err
	}
	return r, nil
}

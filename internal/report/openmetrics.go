package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/patchline/patchline/internal/fleet"
	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/stats"
)

// OpenMetricsContentType is what a server would send WriteOpenMetrics'
// output as.
const OpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8"

// om writes OpenMetrics text: one family at a time, each with its HELP
// and TYPE (and UNIT, when its name ends in one), ending with # EOF.
type om struct {
	b strings.Builder
}

func (o *om) family(name, typ, unit, help string) {
	fmt.Fprintf(&o.b, "# HELP %s %s\n# TYPE %s %s\n", name, escapeHelp(help), name, typ)
	if unit != "" {
		fmt.Fprintf(&o.b, "# UNIT %s %s\n", name, unit)
	}
}

// sample writes one sample; labels are name, value pairs.
func (o *om) sample(name string, v float64, labels ...string) {
	o.b.WriteString(name)
	if len(labels) > 0 {
		o.b.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				o.b.WriteByte(',')
			}
			fmt.Fprintf(&o.b, "%s=\"%s\"", labels[i], escapeLabel(labels[i+1]))
		}
		o.b.WriteByte('}')
	}
	o.b.WriteByte(' ')
	o.b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	o.b.WriteByte('\n')
}

// summary writes a summary of durations in seconds: the 90th percentile,
// the sum and the count.
func (o *om) summary(name string, ds []time.Duration, labels ...string) {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	if len(ds) > 0 {
		o.sample(name, stats.Percentile(ds, 0.9).Seconds(), append(slices.Clone(labels), "quantile", "0.9")...)
	}
	o.sample(name+"_sum", sum.Seconds(), labels...)
	o.sample(name+"_count", float64(len(ds)), labels...)
}

func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}

// WriteOpenMetrics writes the report's metrics, and the fleet's when it
// has one, as OpenMetrics text for a dashboard's scraper.
func (r *Report) WriteOpenMetrics(w io.Writer) error {
	var o om
	m := r.Metrics

	o.family("patchline_patches", "gauge", "", "Patches in the report's window, by status.")
	status := map[string]int{}
	for _, p := range r.Patches {
		status[p.Status]++
	}
	for _, s := range []string{Draft, InReview, Approved, Released, RolledInto, Superseded, RolledBack, Withdrawn} {
		o.sample("patchline_patches", float64(status[s]), "status", s)
	}

	o.family("patchline_time_to_patch_seconds", "summary", "seconds", "Time from reported to the first release tag that shipped the patch, by severity.")
	took := map[string][]time.Duration{}
	for _, p := range r.Patches {
		if p.TimeToFix != 0 {
			took[p.Severity] = append(took[p.Severity], time.Duration(p.TimeToFix))
		}
	}
	for _, sev := range manifest.Severities {
		o.summary("patchline_time_to_patch_seconds", took[sev], "severity", sev)
	}

	o.family("patchline_sla_breaches", "gauge", "", "Patches that took, or are open, longer than [sla] allows, by severity.")
	for _, s := range m.TimeToPatch {
		o.sample("patchline_sla_breaches", float64(s.Breaches), "severity", s.Severity)
	}

	o.family("patchline_rollbacks", "gauge", "", "Patches released and then reverted.")
	o.sample("patchline_rollbacks", float64(len(m.Rollbacks)))

	o.family("patchline_missing_from_next_quarterly", "gauge", "", "Patches of a line that the next quarterly release lacks.")
	o.sample("patchline_missing_from_next_quarterly", float64(len(m.Missing)))

	if f := r.Fleet; f != nil {
		writeFleetMetrics(&o, f)
	}
	o.b.WriteString("# EOF\n")
	_, err := io.WriteString(w, o.b.String())
	return err
}

func writeFleetMetrics(o *om, f *fleet.Fleet) {
	o.family("patchline_fleet_installs", "gauge", "", "Installs with a filed delivery record, by release line.")
	lines := map[string]int{}
	for _, i := range f.Installs {
		lines[i.Line]++
	}
	for _, l := range sortedKeysInt(lines) {
		o.sample("patchline_fleet_installs", float64(lines[l]), "line", l)
	}

	o.family("patchline_fleet_patch_coverage_ratio", "gauge", "ratio", "Share of the installs on a line that have a patch it released.")
	for _, c := range f.Coverage {
		o.sample("patchline_fleet_patch_coverage_ratio", float64(c.Have)/float64(c.Installs), "patch", c.ID, "line", c.Line, "severity", c.Severity)
	}

	o.family("patchline_fleet_missing_patches", "gauge", "", "Released patches of its line an install lacks, by severity.")
	for _, i := range f.Installs {
		n := map[string]int{}
		for _, m := range i.Missing {
			n[m.Severity]++
		}
		for _, sev := range manifest.Severities {
			o.sample("patchline_fleet_missing_patches", float64(n[sev]), "site", i.Site, "env", i.Env, "severity", sev)
		}
	}

	o.family("patchline_fleet_sla_breaches", "gauge", "", "Installs lacking a critical or security patch released longer than its SLA ago, by severity.")
	breaches := map[string]int{}
	for _, b := range f.Breaches {
		breaches[b.Severity]++
	}
	for _, sev := range manifest.Severities {
		o.sample("patchline_fleet_sla_breaches", float64(breaches[sev]), "severity", sev)
	}

	o.family("patchline_fleet_time_to_patch_seconds", "summary", "seconds", "Time from the patch-level tag of an install's line to the patch applied there, by severity.")
	took := map[string][]time.Duration{}
	for _, i := range f.Installs {
		for _, t := range i.TimeToPatch {
			took[t.Severity] = append(took[t.Severity], time.Duration(t.Hours))
		}
	}
	for _, sev := range manifest.Severities {
		o.summary("patchline_fleet_time_to_patch_seconds", took[sev], "severity", sev)
	}

	o.family("patchline_fleet_rollbacks", "gauge", "", "Patches an install rolled back; auto: apply rolled it back after its health check failed.")
	for _, i := range f.Installs {
		auto, manual := 0, 0
		for _, rb := range i.Rollbacks {
			if rb.Auto {
				auto++
			} else {
				manual++
			}
		}
		o.sample("patchline_fleet_rollbacks", float64(auto), "site", i.Site, "env", i.Env, "auto", "true")
		o.sample("patchline_fleet_rollbacks", float64(manual), "site", i.Site, "env", i.Env, "auto", "false")
	}

	o.family("patchline_fleet_failed_health_checks", "gauge", "", "Failed health-check runs an install's record shows.")
	for _, i := range f.Installs {
		o.sample("patchline_fleet_failed_health_checks", float64(len(i.FailedChecks)), "site", i.Site, "env", i.Env)
	}

	o.family("patchline_fleet_record_age_seconds", "gauge", "seconds", "Time since an install's record was exported.")
	for _, i := range f.Installs {
		o.sample("patchline_fleet_record_age_seconds", time.Duration(i.Age).Seconds(), "site", i.Site, "env", i.Env)
	}
}

func sortedKeysInt(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

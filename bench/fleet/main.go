// Command fleet times `patchline fleet` over a generated installed base:
// a release line with N patches, each tagged (v2026.3.1 .. v2026.3.N), and
// M install records filed under fleet/<site>/<env>.json, beside the plain
// loop a user would write to read the same files (read, decode as JSON),
// in the same run. Figures, not a pass or fail.
//
//	go run ./bench/fleet [-patches 2000] [-records 10000] [-out bench/out/fleet]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/patchline/patchline/internal/fleet"
	"github.com/patchline/patchline/internal/rollout"
)

func main() {
	patches := flag.Int("patches", 2000, "patches on the line, one patch-level tag each")
	records := flag.Int("records", 10000, "install records (two environments a site)")
	out := flag.String("out", "bench/out/fleet", "where the repository and the binary go")
	runs := flag.Int("runs", 3, "timed runs of each")
	flag.Parse()
	root, err := filepath.Abs(*out)
	check(err)
	check(os.RemoveAll(root))
	repo := filepath.Join(root, "repo")
	check(os.MkdirAll(repo, 0o755))

	start := time.Now()
	gitRepo(repo, *patches)
	files := writeRecords(repo, *patches, *records)
	fmt.Printf("generated %d patches and %d records (%.1f MiB) in %s\n", *patches, *records, float64(files)/(1<<20), time.Since(start).Round(time.Millisecond))

	bin := filepath.Join(root, "patchline")
	run("", "bash", "bench/build-patchline.sh", bin) // as released
	env := append(os.Environ(), "PATCHLINE_NOW=2026-12-01T00:00:00Z")

	for i := 0; i < *runs; i++ {
		t := time.Now()
		cmd := exec.Command(bin, "fleet", "--json", "--repo", repo)
		cmd.Env = env
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		_ = cmd.Run() // exit 1: some install lacks a patch past its SLA
		fleetTime := time.Since(t)
		if !bytes.Contains(stdout.Bytes(), []byte(`"installs"`)) {
			log.Fatalf("patchline fleet printed no fleet")
		}

		t = time.Now()
		filed, err := fleet.Load(repo, "fleet")
		check(err)
		loadTime := time.Since(t)

		t = time.Now()
		n := plainLoop(filepath.Join(repo, "fleet"))
		loopTime := time.Since(t)
		if n != len(filed) {
			log.Fatalf("the loop read %d records, fleet.Load %d", n, len(filed))
		}
		fmt.Printf("run %d: patchline fleet --json %s | fleet.Load (strict decode) %s | plain loop (read + json.Unmarshal) %s\n",
			i+1, fleetTime.Round(time.Millisecond), loadTime.Round(time.Millisecond), loopTime.Round(time.Millisecond))
	}
}

// plainLoop is what a user would write: every <site>/<env>.json, read and
// decoded into a generic value.
func plainLoop(dir string) int {
	sites, err := os.ReadDir(dir)
	check(err)
	n := 0
	for _, s := range sites {
		envs, err := os.ReadDir(filepath.Join(dir, s.Name()))
		check(err)
		for _, e := range envs {
			data, err := os.ReadFile(filepath.Join(dir, s.Name(), e.Name()))
			check(err)
			var v map[string]any
			check(json.Unmarshal(data, &v))
			n++
		}
	}
	return n
}

var severities = []string{"critical", "important", "moderate", "low"}

// gitRepo writes the product repository with git fast-import: v2026.3.0
// on main, then one commit and one patch-level tag per patch on
// release/v2026.3.
func gitRepo(dir string, patches int) {
	run(dir, "git", "init", "-q", "-b", "main")
	var b bytes.Buffer
	when := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	data := func(s string) { fmt.Fprintf(&b, "data %d\n%s\n", len(s), s) }
	sig := func(t time.Time) string { return fmt.Sprintf("Bench <bench@example.com> %d +0000", t.Unix()) }
	fmt.Fprintf(&b, "commit refs/heads/main\nmark :1\ncommitter %s\n", sig(when))
	data("inventory v2026.3.0")
	b.WriteString("M 100644 inline .patchline.toml\n")
	data("[project]\nname = \"inventory\"\n\n[modules]\ncore = [\"**\"]\n\n[sla]\ncritical = \"48h\"\nimportant = \"7d\"\nmoderate = \"30d\"\nlow = \"90d\"\n")
	fmt.Fprintf(&b, "tag v2026.3.0\nfrom :1\ntagger %s\n", sig(when))
	data("release v2026.3.0")
	for i := 1; i <= patches; i++ {
		t := when.Add(time.Duration(i) * 3 * time.Hour)
		id := fmt.Sprintf("PL-2026-%04d", i)
		fmt.Fprintf(&b, "commit refs/heads/release/v2026.3\nmark :%d\ncommitter %s\n", i+1, sig(t))
		data(id + ": fix")
		fmt.Fprintf(&b, "from :%d\nM 100644 inline patches/%s/patch.toml\n", i, id)
		kind := "fix"
		if i%5 == 0 {
			kind = "security"
		}
		data(fmt.Sprintf("schema = 1\nid = %q\ntitle = \"Fix %d\"\nbase = \"v2026.3.%d\"\nkind = %q\nseverity = %q\nurgency = \"scheduled\"\nmodules = [\"core\"]\nreported = %s\nsummary = \"Fix %d.\"\nrisk = \"low\"\nrollback = \"patchline rollback %s\"\n",
			id, i, i-1, kind, severities[i%4], t.Add(-24*time.Hour).Format(time.RFC3339), i, id))
		fmt.Fprintf(&b, "tag v2026.3.%d\nfrom :%d\ntagger %s\n", i, i+1, sig(t))
		data("release v2026.3." + fmt.Sprint(i))
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir, cmd.Stdin, cmd.Stderr = dir, &b, os.Stderr
	check(cmd.Run())
	run(dir, "git", "checkout", "-q", "-f", "main")
}

// writeRecords files records for records/2 sites, a test and a production
// install each, as `fleet add` writes them; it returns their size.
func writeRecords(repo string, patches, records int) int {
	rng := rand.New(rand.NewPCG(1, 2))
	when := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	total := 0
	for i := 0; i < records; i++ {
		site, env := fmt.Sprintf("site-%05d", i/2), []string{"test", "production"}[i%2]
		rel := patches - rng.IntN(min(patches, 200)) // most installs are recent
		r := &rollout.Record{Schema: 1, Site: site, Env: env, Host: "host-" + site, Product: "inventory",
			Release: rollout.Ref{Tag: fmt.Sprintf("v2026.3.%d", rel), Commit: strings.Repeat("1", 40)}, Patches: []rollout.RecordPatch{},
			Exported: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)}
		// The last 20 patches up to its release, applied one by one.
		for p := max(1, rel-19); p <= rel; p++ {
			applied := when.Add(time.Duration(p)*3*time.Hour + time.Duration(rng.IntN(72))*time.Hour)
			rp := rollout.RecordPatch{ID: fmt.Sprintf("PL-2026-%04d", p), BundleDigest: strings.Repeat("ab", 32), Platform: "linux/amd64",
				Base:   rollout.Ref{Tag: fmt.Sprintf("v2026.3.%d", p-1), Commit: strings.Repeat("1", 40)},
				Target: rollout.Ref{Tag: fmt.Sprintf("v2026.3.%d", p), Commit: strings.Repeat("2", 40)}, AppliedAt: applied,
				Checks: []rollout.CheckOutcome{{At: applied.Add(time.Minute), OK: true, Attempts: 1}}}
			r.Patches = append(r.Patches, rp)
		}
		data, err := r.Encode()
		check(err)
		path := filepath.Join(repo, fleet.RelPath("fleet", site, env))
		check(os.MkdirAll(filepath.Dir(path), 0o755))
		check(os.WriteFile(path, data, 0o644))
		total += len(data)
	}
	return total
}

func run(dir string, name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, os.Stderr, os.Stderr
	check(cmd.Run())
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

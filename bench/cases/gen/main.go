// Command gen files synthetic delivery records for benchmarking `patchline
// cases` (and `patchline fleet`) on the release benchmark's repository
// (bench/release/merge.sh: 2,000 patches merged into their lines). It tags
// each line's tip with the line's next patch-level release, so every merged
// patch is released, and writes -records install records, three
// environments per site, under fleet/<site>/<env>.json in the work tree:
// each install is on one line, at its new tag, with 10 to 30 of the line's
// patches applied, some rolled back, about half confirmed. Everything is
// seeded, so the same flags write the same files.
//
//	go run ./bench/cases/gen -repo bench/out/cases/repo -records 10000
//
// With -read it is the plain loop the benchmark sets beside `cases`: it
// reads every fleet/*/*.json and decodes it with encoding/json, nothing
// checked, and prints how many it read.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/patchline/patchline/internal/rollout"
)

func main() {
	repo := flag.String("repo", "", "the product repository (bench/release/merge.sh's)")
	records := flag.Int("records", 10000, "install records to write")
	seed := flag.Uint64("seed", 1, "random seed")
	read := flag.Bool("read", false, "only read and decode every record, as a plain loop")
	flag.Parse()
	if *repo == "" {
		fail(errors.New("-repo is required"))
	}
	if *read {
		n, err := readAll(*repo)
		if err != nil {
			fail(err)
		}
		fmt.Printf("read %d records\n", n)
		return
	}
	if err := generate(*repo, *records, *seed); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}

// readAll is the plain loop: every record file read and decoded into
// generic JSON.
func readAll(repo string) (int, error) {
	files, err := filepath.Glob(filepath.Join(repo, "fleet", "*", "*.json"))
	if err != nil {
		return 0, err
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return 0, err
		}
		var v map[string]any
		if err := json.Unmarshal(data, &v); err != nil {
			return 0, fmt.Errorf("%s: %w", f, err)
		}
	}
	return len(files), nil
}

type line struct {
	name          string
	start, newTag string // the line's first tag and the patch-level tag at its tip
	startCommit   string
	tipCommit     string
	tagged        time.Time
	patches       []string
}

func git(repo string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = repo
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, ee.Stderr)
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// version orders v2025.3.10 after v2025.3.9.
func version(tag string) []int {
	var out []int
	for _, p := range strings.Split(strings.TrimPrefix(tag, "v"), ".") {
		n, _ := strconv.Atoi(p)
		out = append(out, n)
	}
	return out
}

func readLines(repo string) ([]line, error) {
	branches, err := git(repo, "for-each-ref", "refs/heads/release", "--format=%(refname:short)")
	if err != nil {
		return nil, err
	}
	var out []line
	for _, b := range strings.Fields(branches) {
		l := line{name: strings.TrimPrefix(b, "release/")}
		tags, err := git(repo, "tag", "--list", l.name+".*")
		if err != nil {
			return nil, err
		}
		list := strings.Fields(tags)
		if len(list) == 0 {
			continue
		}
		slices.SortFunc(list, func(a, b string) int { return slices.Compare(version(a), version(b)) })
		l.start = list[0]
		if l.tipCommit, err = git(repo, "rev-parse", b+"^{commit}"); err != nil {
			return nil, err
		}
		if l.startCommit, err = git(repo, "rev-parse", l.start+"^{commit}"); err != nil {
			return nil, err
		}
		if l.tipCommit == l.startCommit {
			continue
		}
		// Tag the tip, once: every patch merged on the line is released.
		at, err := git(repo, "tag", "--points-at", l.tipCommit, "--list", l.name+".*")
		if err != nil {
			return nil, err
		}
		if at != "" {
			l.newTag = strings.Fields(at)[0]
		} else {
			v := version(list[len(list)-1])
			l.newTag = fmt.Sprintf("v%d.%d.%d", v[0], v[1], v[2]+1)
			when, err := git(repo, "log", "-1", "--format=%ct", l.tipCommit)
			if err != nil {
				return nil, err
			}
			cmd := exec.Command("git", "tag", "-a", l.newTag, "-m", "release "+l.newTag, l.tipCommit)
			cmd.Dir = repo
			cmd.Env = append(os.Environ(), "GIT_COMMITTER_DATE=@"+when+" +0000")
			if out, err := cmd.CombinedOutput(); err != nil {
				return nil, fmt.Errorf("git tag %s: %v: %s", l.newTag, err, out)
			}
		}
		secs, err := git(repo, "log", "-1", "--format=%ct", l.tipCommit)
		if err != nil {
			return nil, err
		}
		n, _ := strconv.ParseInt(secs, 10, 64)
		l.tagged = time.Unix(n, 0).UTC()
		tip, err := git(repo, "ls-tree", "--name-only", l.tipCommit+":patches")
		if err != nil {
			return nil, err
		}
		before, _ := git(repo, "ls-tree", "--name-only", l.startCommit+":patches")
		old := map[string]bool{}
		for _, id := range strings.Fields(before) {
			old[id] = true
		}
		for _, id := range strings.Fields(tip) {
			if !old[id] && strings.HasPrefix(id, "PL-") {
				l.patches = append(l.patches, id)
			}
		}
		sort.Strings(l.patches)
		if len(l.patches) > 0 {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no release line has merged patches: run bench/release/merge.sh first")
	}
	return out, nil
}

func generate(repo string, records int, seed uint64) error {
	lines, err := readLines(repo)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	dir := filepath.Join(repo, "fleet")
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	exported := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	total := 0
	for i := range records {
		site := fmt.Sprintf("site-%05d", i/len(rollout.Envs))
		env := rollout.Envs[i%len(rollout.Envs)]
		l := lines[(i/len(rollout.Envs))%len(lines)]
		rec := &rollout.Record{Schema: rollout.RecordSchema, Site: site, Env: env, Host: site + "-" + env, Product: "synthetic",
			Release: rollout.Ref{Tag: l.newTag, Commit: l.tipCommit}, Exported: exported}
		k := min(10+rng.IntN(21), len(l.patches))
		for _, j := range rng.Perm(len(l.patches))[:k] {
			id := l.patches[j]
			sum := sha256.Sum256([]byte(id + "/" + l.newTag))
			applied := l.tagged.Add(time.Duration(1+rng.IntN(24*60)) * time.Hour)
			p := rollout.RecordPatch{ID: id, BundleDigest: hex.EncodeToString(sum[:]), Platform: "linux/amd64",
				Base: rollout.Ref{Tag: l.start, Commit: l.startCommit}, Target: rollout.Ref{Tag: l.newTag, Commit: l.tipCommit},
				AppliedAt: applied,
				Checks:    []rollout.CheckOutcome{{At: applied.Add(time.Minute), OK: true, Attempts: 1}}}
			switch r := rng.Float64(); {
			case r < 0.05:
				back := applied.Add(2 * time.Minute)
				p.RolledBackAt = &back
			case r < 0.55:
				p.Confirmations = []rollout.Confirmation{{By: "Customer " + site, At: applied.Add(24 * time.Hour), Note: "works, thanks"}}
			}
			rec.Patches = append(rec.Patches, p)
			total++
		}
		sort.Slice(rec.Patches, func(a, b int) bool { return rec.Patches[a].AppliedAt.Before(rec.Patches[b].AppliedAt) })
		data, err := rec.Encode()
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dir, site), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, site, env+".json"), data, 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("wrote %d records (%d applied patches) on %d lines under %s\n", records, total, len(lines), dir)
	return nil
}

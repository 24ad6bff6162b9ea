// Command rollupcheck holds rollup's content evidence to ground truth on a
// real history: every `git cherry-pick -x` backport made on a maintenance
// branch after --from and before --to was tagged is a fix whose original
// commit either is in --to's history (git says so: `git merge-base
// --is-ancestor`) or is not. rollup is asked about each backport's diff
// twice:
//
//   - content only: no commits, only the diff, as for a fix ported by hand
//     or a patch whose commits were squashed, so that its files must be
//     found in --to's tree, following the directories --to moved them to;
//   - as rollup runs: with the backport commit, whose trailer names the
//     original (ancestry evidence first).
//
// It prints a table of verdicts against the truth, and every backport where
// content evidence and git disagree, for reading by hand.
//
//	go run ./bench/realclone/rollupcheck -repo bench/out/realclone/containerd \
//	    -branch refs/remotes/origin/release/1.7 -from v1.7.0 -to v2.0.0
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/patchline/patchline/internal/cli"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/patchdiff"
	"github.com/patchline/patchline/internal/rollup"
)

var trailer = regexp.MustCompile(`\(cherry picked from commit ([0-9a-f]{40})\)`)

type backport struct {
	commit, subject string
	originals       []string
	in              bool // an original is an ancestor of --to
	content, full   rollup.Verdict
}

func main() {
	repoDir := flag.String("repo", "bench/out/realclone/containerd", "the clone")
	branch := flag.String("branch", "refs/remotes/origin/release/1.7", "the maintenance branch whose backports are checked")
	from := flag.String("from", "v1.7.0", "the line's release the backports follow")
	to := flag.String("to", "v2.0.0", "the newer release they should have reached")
	list := flag.Bool("list", true, "list the backports where content evidence and git disagree")
	later := flag.Bool("later", false, "also check the backports made after --to was tagged: most fix what --to does not have, so they test that content evidence finds nothing that is not there")
	flag.Parse()
	if err := run(*repoDir, *branch, *from, *to, *later, *list); err != nil {
		fmt.Fprintln(os.Stderr, "rollupcheck:", err)
		os.Exit(1)
	}
}

func git(dir string, args ...string) (string, error) {
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return string(out), nil
}

func run(dir, branch, from, to string, later, list bool) error {
	start := time.Now()
	toDate, err := git(dir, "log", "-1", "--format=%ct", to+"^{commit}")
	if err != nil {
		return err
	}
	toTime, err := strconv.ParseInt(strings.TrimSpace(toDate), 10, 64)
	if err != nil {
		return fmt.Errorf("date of %s: %w", to, err)
	}
	// Backports on the branch after --from, committed before --to (fixes
	// --to could have had), or all of them with -later. %x00 ends each
	// commit's message.
	log, err := git(dir, "log", "--no-merges", "--format=%H%x01%s%x01%ct%x01%B%x00", from+".."+branch)
	if err != nil {
		return err
	}
	var bps []*backport
	skipped := 0
	for _, rec := range strings.Split(log, "\x00") {
		f := strings.SplitN(strings.TrimLeft(rec, "\n"), "\x01", 4)
		if len(f) != 4 {
			continue
		}
		if when, err := strconv.ParseInt(f[2], 10, 64); err != nil || when > toTime && !later {
			continue
		}
		m := trailer.FindAllStringSubmatch(f[3], -1)
		if len(m) == 0 {
			continue
		}
		bp := &backport{commit: f[0], subject: f[1]}
		known := true
		for _, s := range m {
			bp.originals = append(bp.originals, s[1])
			// Exit 0: an ancestor; 1: not one; anything else (an original
			// the clone lacks): no truth to hold rollup to.
			err := exec.Command("git", "-C", dir, "merge-base", "--is-ancestor", s[1], to).Run()
			var exit *exec.ExitError
			switch {
			case err == nil:
				bp.in = true
			case errors.As(err, &exit) && exit.ExitCode() == 1:
			default:
				known = false
			}
		}
		if !known {
			skipped++
			continue
		}
		bps = append(bps, bp)
	}
	sort.Slice(bps, func(i, j int) bool { return bps[i].commit < bps[j].commit })

	reg, err := (&cli.RepoFlags{Dir: dir}).Registry()
	if err != nil {
		return err
	}
	h, err := history.New(reg)
	if err != nil {
		return err
	}
	toTag, err := h.Tags.ReleaseTag(to)
	if err != nil {
		return err
	}
	fromTag, err := h.Tags.ReleaseTag(from)
	if err != nil {
		return err
	}
	checker, err := rollup.NewChecker(h, toTag, rollup.Options{Tests: reg.Config.TestGlobs()})
	if err != nil {
		return err
	}
	repo := reg.Repo
	for i, bp := range bps {
		c := plumbing.NewHash(bp.commit)
		info, err := repo.CommitInfo(c)
		if err != nil {
			return err
		}
		if len(info.Parents) != 1 {
			return fmt.Errorf("%s: %d parents", bp.commit, len(info.Parents)) // git log --no-merges lists none
		}
		changes, err := repo.Changes(info.Parents[0], c, nil)
		if err != nil {
			return err
		}
		var diff bytes.Buffer
		if err := patchdiff.Write(&diff, changes); err != nil {
			return err
		}
		id := fmt.Sprintf("BP-%04d", i+1)
		if bp.content, err = checker.Prove(id, diff.Bytes(), nil, fromTag.Commit); err != nil {
			return fmt.Errorf("%s: %w", bp.commit, err)
		}
		if bp.full, err = checker.Prove(id, diff.Bytes(), []gitrepo.Hash{c}, fromTag.Commit); err != nil {
			return fmt.Errorf("%s: %w", bp.commit, err)
		}
	}
	report(os.Stdout, branch, from, to, later, list, skipped, bps, time.Since(start))
	return nil
}

func report(w *os.File, branch, from, to string, later, list bool, skipped int, bps []*backport, took time.Duration) {
	type key struct {
		in     bool
		status rollup.Status
	}
	content, full := map[key]int{}, map[key]int{}
	nIn := 0
	for _, bp := range bps {
		content[key{bp.in, bp.content.Status}]++
		full[key{bp.in, bp.full.Status}]++
		if bp.in {
			nIn++
		}
	}
	statuses := []rollup.Status{rollup.Contained, rollup.Adapted, rollup.Missing}
	row := func(label string, m map[key]int, in bool) string {
		cells := []string{label}
		for _, s := range statuses {
			cells = append(cells, fmt.Sprint(m[key{in, s}]))
		}
		return "| " + strings.Join(cells, " | ") + " |"
	}
	when := "and before " + to + " was tagged"
	if later {
		when = "(" + to + " was tagged in between)"
	}
	fmt.Fprintf(w, "%d `cherry-pick -x` backports on `%s` after %s %s; git says the original of %d is in %s, of %d not",
		len(bps), strings.TrimPrefix(branch, "refs/remotes/"), from, when, nIn, to, len(bps)-nIn)
	if skipped > 0 {
		fmt.Fprintf(w, "; %d more name an original the clone does not have, and are left out", skipped)
	}
	fmt.Fprintf(w, " (%s).\n\n", took.Round(time.Second))
	fmt.Fprintln(w, "| original in "+to+" (git) / rollup's verdict | contained | adapted | missing |")
	fmt.Fprintln(w, "|---|---|---|---|")
	fmt.Fprintln(w, row("yes, content evidence only", content, true))
	fmt.Fprintln(w, row("no, content evidence only", content, false))
	fmt.Fprintln(w, row("yes, as rollup runs (ancestry first)", full, true))
	fmt.Fprintln(w, row("no, as rollup runs (ancestry first)", full, false))
	fmt.Fprintln(w)
	methods := map[string]int{}
	moved := 0
	for _, bp := range bps {
		if bp.in && bp.content.Status == rollup.Contained {
			methods[bp.content.Method]++
			if len(bp.content.Files) > 0 {
				moved++
			}
		}
	}
	var ms []string
	for m, n := range methods {
		ms = append(ms, fmt.Sprintf("%s %d", m, n))
	}
	sort.Strings(ms)
	fmt.Fprintf(w, "Content evidence for the fixes git places in %s: %s; %d of them found in files %s moved.\n", to, strings.Join(ms, ", "), moved, to)
	if !list {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Where content evidence and git disagree:")
	fmt.Fprintln(w)
	any := false
	for _, bp := range bps {
		agree := bp.in == (bp.content.Status == rollup.Contained || bp.content.Status == rollup.Adapted)
		if agree {
			continue
		}
		any = true
		truth := "not in"
		if bp.in {
			truth = "in"
		}
		fmt.Fprintf(w, "- `%.12s` %s (original %s %s): %s: %s\n", bp.commit, bp.subject, short(bp.originals), truth, bp.content.Status, bp.content.Evidence)
	}
	if !any {
		fmt.Fprintln(w, "- none")
	}
}

func short(ids []string) string {
	var out []string
	for _, id := range ids {
		out = append(out, "`"+id[:12]+"`")
	}
	return strings.Join(out, ", ")
}

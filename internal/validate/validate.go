package validate

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/patchdiff"
	"github.com/patchline/patchline/internal/registry"
)

// Rule is one named check of the policy. Rules run in order over a shared
// per-patch State; a rule that needs what an earlier one could not establish
// returns no findings.
type Rule interface {
	String() string
	Check(v *Validator, s *State) ([]Finding, error)
}

// Rules is what `patchline validate` checks, in order.
var Rules = []Rule{
	manifestRule{}, // PL100-PL106: the manifest decodes strictly and its values are valid
	idRule{},       // PL110-PL111: the id equals its folder and no other patch uses it
	baseRule{},     // PL120-PL121: base is a release tag (signed, where the config asks)
	branchRule{},   // PL130-PL133: the branch was cut at base and base is still the line's newest release
	diffRule{},     // PL140-PL144, PL150-PL151: patch.diff is safe, applies to base and equals the branch's change
	alsoRule{},     // PL143, PL180: the fix applies to every other line it names
	moduleRule{},   // PL160-PL161: modules are known and cover every touched path
	requiresRule{}, // PL190-PL192: each prerequisite is on the same line and comes before the patch
	depsRule{},     // PL200-PL204: dependencies lists every go.mod change of patch.diff, and nothing else
	slaRule{},      // PL170-PL171: the SLA clock of the severity
}

// State is what the rules learn about one patch as they go.
type State struct {
	Patch    *registry.Patch
	BaseTag  *gitrepo.Tag
	BaseTree *object.Tree
	Files    []*gitdiff.File    // patch.diff, parsed
	Touched  []string           // every path patch.diff writes or removes
	Base     patchdiff.Source   // the base tree, once patch.diff applies to it
	Applied  []patchdiff.Result // patch.diff applied to base: every touched path after the patch
	Merged   bool               // the branch tip is on its line's maintenance branch
}

// Validator holds what every patch's checks share: the repository, its
// config, its tags and reachability indexes, built once per run.
type Validator struct {
	Repo     *gitrepo.Repo
	Config   *config.Config
	Registry *registry.Registry
	Now      time.Time
	// KeyRing is an armored PGP key ring for checking signed release tags;
	// empty means a signature's presence is checked, not its validity.
	KeyRing string

	tags   *registry.Tags
	lines  []registry.Line // the supported release lines, oldest first
	reach  map[string]*gitrepo.Reach
	places []gitrepo.Ref
	ids    map[string][]string // manifest id -> folders declaring it, in a run over many patches
	known  map[string]bool     // every patch id the repository knows, for a run over one
	// folders are the patches/<ID>/ folders of commits, and branches the
	// patch branches by id, read when a prerequisite is looked up.
	folders  map[gitrepo.Hash]map[string]bool
	branches map[string][]gitrepo.Ref
}

// New prepares a validator.
func New(reg *registry.Registry, now time.Time) (*Validator, error) {
	v := &Validator{Repo: reg.Repo, Config: reg.Config, Registry: reg, Now: now, reach: map[string]*gitrepo.Reach{}}
	tags, err := reg.LoadTags()
	if err != nil {
		return nil, err
	}
	v.tags = tags
	if v.lines, err = reg.Lines(tags); err != nil {
		return nil, err
	}
	// The places a commit after a tag may already live on: the main line and
	// the maintenance branch of every supported line.
	if main, ok, err := v.Repo.Branch(v.Config.Release.MainBranch); err != nil {
		return nil, err
	} else if ok {
		v.places = append(v.places, main)
	}
	for _, l := range v.lines {
		if l.HasBranch() {
			v.places = append(v.places, l.Branch)
		}
	}
	return v, nil
}

func (v *Validator) reachOf(ref gitrepo.Ref) (*gitrepo.Reach, error) {
	if rc, ok := v.reach[ref.Full]; ok {
		return rc, nil
	}
	rc, err := v.Repo.NewReach(ref.Commit)
	if err != nil {
		return nil, err
	}
	v.reach[ref.Full] = rc
	return rc, nil
}

// place finds a main-line or maintenance branch by name.
func (v *Validator) place(name string) (gitrepo.Ref, bool) {
	for _, p := range v.places {
		if p.Name == name {
			return p, true
		}
	}
	return gitrepo.Ref{}, false
}

// contains reports whether commit is reachable from ref, sharing one walk
// per ref across every patch of the run.
func (v *Validator) contains(ref gitrepo.Ref, commit gitrepo.Hash) (bool, error) {
	rc, err := v.reachOf(ref)
	if err != nil {
		return false, err
	}
	return rc.Contains(commit)
}

// Run validates the patches and returns the report. An error is returned
// only when the repository itself cannot be read.
func (v *Validator) Run(patches []*registry.Patch, progress func(i, n int, id string)) (*Report, error) {
	rep := &Report{}
	if len(patches) > 1 {
		v.ids = map[string][]string{}
		for _, p := range patches {
			if p.Manifest != nil {
				v.ids[p.Manifest.ID] = append(v.ids[p.Manifest.ID], p.ID)
			}
		}
	}
	for i, p := range patches {
		if progress != nil {
			progress(i, len(patches), p.ID)
		}
		fs, err := v.Check(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.ID, err)
		}
		rep.add(p.ID, p.Where, fs)
	}
	return rep, nil
}

// Check runs every rule on one patch. An error means the repository could
// not be read, not that the patch is wrong.
func (v *Validator) Check(p *registry.Patch) ([]Finding, error) {
	s := &State{Patch: p}
	var out []Finding
	for _, r := range Rules {
		fs, err := r.Check(v, s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r, err)
		}
		for _, f := range fs {
			f.Patch = p.ID
			out = append(out, f)
		}
	}
	return out, nil
}

// keyPos finds the line and column of `key =` in a manifest, so findings
// about a value point at it; 1:1 when the key is absent.
func keyPos(data []byte, key string) (int, int) {
	re := regexp.MustCompile(`(?m)^([ \t]*)` + regexp.QuoteMeta(key) + `[ \t]*=`)
	loc := re.FindIndex(data)
	if loc == nil {
		return 1, 1
	}
	line := bytes.Count(data[:loc[0]], []byte("\n")) + 1
	indent := re.FindSubmatch(data[loc[0]:])[1]
	return line, len(indent) + 1
}

// diffLine finds the line of a file's "diff --git" header in a diff.
func diffLine(diff []byte, path string) int {
	needle := []byte("diff --git a/" + path + " ")
	needleB := []byte(" b/" + path + "\n")
	line := 1
	for _, l := range bytes.SplitAfter(diff, []byte("\n")) {
		if bytes.HasPrefix(l, needle) || (bytes.HasPrefix(l, []byte("diff --git ")) && bytes.HasSuffix(l, needleB)) {
			return line
		}
		line++
	}
	return 1
}

func isConflict(err error) bool { return errors.Is(err, patchdiff.ErrConflict) }

func joinMax(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + fmt.Sprintf(" and %d more", len(items)-n)
}

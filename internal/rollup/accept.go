package rollup

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/manifest"
	"github.com/patchline/patchline/internal/registry"
)

// AcceptedFile is where a release manager's sign-offs live, on the main
// branch: a record never rewrites a tag that is already published.
const AcceptedFile = registry.Dir + "/accepted.toml"

// Acceptance is a release manager's record that a patch is in a release
// although no evidence patchline can find says so (it was fixed another
// way, checked by hand).
type Acceptance struct {
	ID     string    `toml:"id" json:"id"`
	To     string    `toml:"to" json:"to"`
	By     string    `toml:"by" json:"by"`
	At     time.Time `toml:"at" json:"at"`
	Reason string    `toml:"reason" json:"reason"`
}

type acceptedDoc struct {
	Accept []Acceptance `toml:"accept"`
}

// ErrBadAccepted is an accepted.toml that does not decode or check.
var ErrBadAccepted = errors.New("bad " + AcceptedFile)

// LoadAccepted reads the records on the main branch; none when it has no
// such branch or file.
func LoadAccepted(reg *registry.Registry) ([]Acceptance, error) {
	ref, ok, err := reg.Repo.Branch(reg.Config.Release.MainBranch)
	if err != nil || !ok {
		return nil, err
	}
	data, ok, err := reg.Repo.ReadFile(ref.Commit, AcceptedFile)
	if err != nil || !ok {
		return nil, err
	}
	return DecodeAccepted(data)
}

// DecodeAccepted decodes and checks accepted.toml strictly.
func DecodeAccepted(data []byte) ([]Acceptance, error) {
	var doc acceptedDoc
	md, err := toml.Decode(string(data), &doc)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadAccepted, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("%w: unknown key %s", ErrBadAccepted, und[0])
	}
	for i, a := range doc.Accept {
		if err := a.check(); err != nil {
			return nil, fmt.Errorf("%w: record %d: %v", ErrBadAccepted, i+1, err)
		}
	}
	return doc.Accept, nil
}

func (a Acceptance) check() error {
	switch {
	case !validID(a.ID):
		return fmt.Errorf("id %q is not a patch id", a.ID)
	case a.To == "" || strings.ContainsAny(a.To, " \t\n"):
		return fmt.Errorf("to %q is not a release tag", a.To)
	case strings.TrimSpace(a.By) == "":
		return errors.New("by is empty: who accepted it")
	case a.At.IsZero():
		return errors.New("at is missing: when it was accepted")
	case strings.TrimSpace(a.Reason) == "":
		return errors.New("reason is empty: why it is accepted")
	}
	return nil
}

func validID(id string) bool {
	_, _, _, err := manifest.ParseID(id)
	return err == nil
}

// Accept appends a record to accepted.toml on the main branch, checked
// out in the work tree, and commits it. A record for the same patch and
// release is replaced.
func Accept(reg *registry.Registry, a Acceptance, author, committer *object.Signature) (gitrepo.Hash, error) {
	if err := a.check(); err != nil {
		return gitrepo.Hash{}, err
	}
	if err := reg.Repo.RequireBranch(reg.Config.Release.MainBranch, "records are committed on"); err != nil {
		var wrong *gitrepo.WrongBranchError
		if errors.As(err, &wrong) {
			err = fmt.Errorf("%w: %w", ErrNotOnMain, err)
		}
		return gitrepo.Hash{}, err
	}
	all, err := LoadAccepted(reg)
	if err != nil {
		return gitrepo.Hash{}, err
	}
	kept := all[:0]
	for _, b := range all {
		if b.ID != a.ID || b.To != a.To {
			kept = append(kept, b)
		}
	}
	kept = append(kept, a)
	var buf bytes.Buffer
	buf.WriteString("# Patches a release manager accepted as in a release although\n# `patchline rollup` found no evidence; written by `patchline rollup --accept`.\n\n")
	if err := toml.NewEncoder(&buf).Encode(acceptedDoc{Accept: kept}); err != nil {
		return gitrepo.Hash{}, err
	}
	msg := fmt.Sprintf("rollup: accept %s in %s\n\n%s\n\nPatch-Id: %s\nAccepted-by: %s\n", a.ID, a.To, a.Reason, a.ID, a.By)
	return reg.Repo.CommitFiles(map[string][]byte{AcceptedFile: buf.Bytes()}, msg, author, committer)
}

// ErrNotOnMain: --accept needs the main branch checked out.
var ErrNotOnMain = errors.New("not on the main branch")

package fleet

import (
	"time"

	"github.com/patchline/patchline/internal/gitrepo"
)

// Result is what File did: each record given, where it is filed and what
// happened to it, and the commit that filed them.
type Result struct {
	Commit string       `json:"commit,omitempty"` // empty: nothing changed
	Filed  []FiledEntry `json:"filed"`
}

// FiledEntry is one record given to File.
type FiledEntry struct {
	File     string    `json:"file"` // as given
	Path     string    `json:"path"` // in the repository
	Site     string    `json:"site"`
	Env      string    `json:"env"`
	Release  string    `json:"release"`
	Exported time.Time `json:"exported_at"`
	Status   string    `json:"status"` // added, updated, unchanged
}

// File checks the records in (Plan), and commits those that change the
// fleet folder dir on the main branch main, which must be checked out:
// records are kept on the main line, as rollup's sign-offs are. Nothing is
// written when any record is refused or another branch is checked out.
func File(repo *gitrepo.Repo, main, dir string, in []Incoming, opts AddOptions, signer gitrepo.Signer) (*Result, error) {
	planned, err := Plan(repo.Root(), dir, in, opts)
	if err != nil {
		return nil, err
	}
	if err := repo.RequireBranch(main, "records are committed on"); err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	var toCommit []Planned
	res := &Result{Filed: make([]FiledEntry, 0, len(planned))}
	for i, p := range planned {
		e := FiledEntry{File: in[i].Name, Path: p.Path, Site: p.Site, Env: p.Env, Release: p.Record.Release.Tag, Exported: p.Record.Exported, Status: "added"}
		switch {
		case p.Same:
			e.Status = "unchanged"
		case p.Replaces:
			e.Status = "updated"
		}
		if !p.Same {
			files[p.Path] = p.Data
			toCommit = append(toCommit, p)
		}
		res.Filed = append(res.Filed, e)
	}
	if len(files) == 0 {
		return res, nil
	}
	author, committer, err := signer()
	if err != nil {
		return nil, err
	}
	commit, err := repo.CommitFiles(files, CommitMessage(toCommit), author, committer)
	if err != nil {
		return nil, err
	}
	res.Commit = commit.String()
	return res, nil
}

package cases

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/patchline/patchline/internal/gitrepo"
)

// CommitPosted commits the record of what was sent, rel in repo's work
// tree, when it differs from the checked-out commit's: after a run that
// sent something, or after an earlier run that wrote it and stopped
// before its commit. It returns the commit, or "" when there was nothing
// to commit. sent is how many changes this run delivered, for the message.
func CommitPosted(repo *gitrepo.Repo, rel string, sent int, signer gitrepo.Signer) (string, error) {
	data, err := os.ReadFile(filepath.Join(repo.Root(), filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	_, head, err := repo.Head()
	if err != nil {
		return "", err
	}
	committed, found, err := repo.ReadFile(head, rel)
	if err != nil {
		return "", err
	}
	if found && bytes.Equal(committed, data) {
		return "", nil
	}
	author, committer, err := signer()
	if err != nil {
		return "", fmt.Errorf("record what was sent: %w", err)
	}
	msg := fmt.Sprintf("cases: record %d delivered case change(s)\n\nWritten by `patchline cases --post`; each change is sent once.\n", sent)
	commit, err := repo.CommitFiles(map[string][]byte{rel: data}, msg, author, committer)
	if err != nil {
		return "", fmt.Errorf("record what was sent in %s: %w (the file is written; commit it by hand)", rel, err)
	}
	return commit.String(), nil
}

package forge

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"
)

// MaxNote is the largest note ReadNote reads.
const MaxNote = 1 << 20

// Note is one object's git note on a notes ref, as read through the git
// data API, with what writing the next version of it needs. A notes ref is
// not a branch, so branch protection does not apply to it.
type Note struct {
	Ref    string // e.g. refs/notes/patchline
	Object string // the annotated object's id
	// Commit is the notes ref's commit, "" when the ref does not exist yet;
	// Tree is that commit's tree.
	Commit, Tree string
	// Path is where the object's note sits in Tree: its id, or split into
	// fan-out directories (ab/cdef…) as git does for many notes. "" when
	// the object has no note.
	Path    string
	Content []byte
}

// Found reports whether the object has a note.
func (n Note) Found() bool { return n.Path != "" }

// ReadNote reads the note an object has on a notes ref.
func (c *Client) ReadNote(ctx context.Context, ref, object string) (Note, error) {
	n := Note{Ref: ref, Object: object}
	r, found, err := c.GetRef(ctx, strings.TrimPrefix(ref, "refs/"))
	if err != nil || !found {
		return n, err
	}
	if r.Type != "commit" {
		return n, fmt.Errorf("%s on %s names a %s, not a notes commit", ref, c.Repo(), r.Type)
	}
	n.Commit = r.SHA
	err = c.call(ctx, "read "+ref+" commit "+short(r.SHA), true, false, func(gh *github.Client) (*github.Response, error) {
		got, resp, err := gh.Git.GetCommit(ctx, c.Owner, c.Name, r.SHA)
		n.Tree = got.GetTree().GetSHA()
		return resp, err
	})
	if err != nil {
		return n, err
	}
	var tree *github.Tree
	err = c.call(ctx, "read "+ref+" tree "+short(n.Tree), true, false, func(gh *github.Client) (*github.Response, error) {
		var resp *github.Response
		var err error
		tree, resp, err = gh.Git.GetTree(ctx, c.Owner, c.Name, n.Tree, true)
		return resp, err
	})
	if err != nil {
		return n, err
	}
	if tree.GetTruncated() {
		return n, fmt.Errorf("%s on %s has more notes than GitHub lists in one tree; read it with git: git fetch origin %s:%s", ref, c.Repo(), ref, ref)
	}
	var blob string
	for _, e := range tree.Entries {
		if e.GetType() == "blob" && strings.EqualFold(strings.ReplaceAll(e.GetPath(), "/", ""), object) {
			n.Path, blob = e.GetPath(), e.GetSHA()
			if e.GetSize() > MaxNote {
				return n, fmt.Errorf("the note on %s in %s is %d bytes, more than the %d patchline reads", short(object), ref, e.GetSize(), MaxNote)
			}
		}
	}
	if blob == "" {
		return n, nil
	}
	err = c.call(ctx, "read the note on "+short(object)+" in "+ref, true, false, func(gh *github.Client) (*github.Response, error) {
		b, resp, err := gh.Git.GetBlob(ctx, c.Owner, c.Name, blob)
		if err != nil {
			return resp, err
		}
		if b.GetEncoding() != "base64" {
			n.Content = []byte(b.GetContent())
			return resp, nil
		}
		data, derr := base64.StdEncoding.DecodeString(strings.ReplaceAll(b.GetContent(), "\n", ""))
		if derr != nil {
			return resp, &APIError{Op: "read the note on " + short(object), Message: "the blob is not base64: " + derr.Error(), Kind: ErrRejected}
		}
		n.Content = data
		return resp, nil
	})
	if err == nil && len(n.Content) > MaxNote {
		err = fmt.Errorf("the note on %s in %s is more than the %d bytes patchline reads", short(object), ref, MaxNote)
	}
	return n, err
}

// WriteNote makes content the object's note on the ref, on top of what
// prev (from ReadNote) saw: a blob, a tree, a commit and the ref, as `git
// notes add -f` followed by a push would. The ref only moves forward from
// prev.Commit, so a note written meanwhile by another run is never lost:
// GitHub refuses the update (ErrRejected) and the caller reads again. The
// ref update is not repeated on its own after a lost answer; the caller
// reads the note back. It returns the new notes commit.
func (c *Client) WriteNote(ctx context.Context, prev Note, content []byte, message string) (string, error) {
	path := prev.Path
	if path == "" {
		path = prev.Object
	}
	if c.dryRun != nil {
		tree := map[string]any{"tree": []map[string]string{{"path": path, "mode": "100644", "type": "blob", "sha": "{blob_sha}"}}}
		if prev.Tree != "" {
			tree["base_tree"] = prev.Tree
		}
		writes := []write{
			{"POST", "git/blobs", map[string]string{"content": string(content), "encoding": "utf-8"}},
			{"POST", "git/trees", tree},
			{"POST", "git/commits", map[string]any{"message": message, "tree": "{tree_sha}", "parents": nonEmpty(prev.Commit)}},
		}
		if prev.Commit != "" {
			writes = append(writes, write{"PATCH", "git/refs/" + escapeRef(strings.TrimPrefix(prev.Ref, "refs/")), map[string]any{"sha": "{commit_sha}", "force": false}})
		} else {
			writes = append(writes, write{"POST", "git/refs", map[string]string{"ref": prev.Ref, "sha": "{commit_sha}"}})
		}
		for _, w := range writes {
			if err := c.printWrite(w); err != nil {
				return "", err
			}
		}
		return "", nil
	}
	var blob, tree, commit string
	// Objects are content-addressed: making one twice is harmless.
	err := c.call(ctx, "write the note's blob", true, true, func(gh *github.Client) (*github.Response, error) {
		b, resp, err := gh.Git.CreateBlob(ctx, c.Owner, c.Name, &github.Blob{Content: github.String(string(content)), Encoding: github.String("utf-8")})
		blob = b.GetSHA()
		return resp, err
	})
	if err != nil {
		return "", err
	}
	err = c.call(ctx, "write the note's tree", true, true, func(gh *github.Client) (*github.Response, error) {
		t, resp, err := gh.Git.CreateTree(ctx, c.Owner, c.Name, prev.Tree, []*github.TreeEntry{{
			Path: github.String(path), Mode: github.String("100644"), Type: github.String("blob"), SHA: github.String(blob),
		}})
		tree = t.GetSHA()
		return resp, err
	})
	if err != nil {
		return "", err
	}
	// A repeat makes one more commit nothing points at, which is harmless.
	err = c.call(ctx, "write the "+prev.Ref+" commit", true, true, func(gh *github.Client) (*github.Response, error) {
		nc := &github.Commit{Message: github.String(message), Tree: &github.Tree{SHA: github.String(tree)}}
		for _, p := range nonEmpty(prev.Commit) {
			nc.Parents = append(nc.Parents, &github.Commit{SHA: github.String(p)})
		}
		got, resp, err := gh.Git.CreateCommit(ctx, c.Owner, c.Name, nc, nil)
		commit = got.GetSHA()
		return resp, err
	})
	if err != nil {
		return "", err
	}
	if prev.Commit == "" {
		return commit, c.CreateRef(ctx, prev.Ref, commit)
	}
	return commit, c.UpdateRef(ctx, prev.Ref, commit)
}

// UpdateRef moves a reference (refs/notes/…, refs/heads/…) forward to sha;
// GitHub refuses (ErrRejected) an update that is not a fast-forward, and
// one that a branch's protection does not allow. It is not repeated on a
// dropped connection: the caller reads the ref back.
func (c *Client) UpdateRef(ctx context.Context, ref, sha string) error {
	if c.dryRun != nil {
		return c.printWrite(write{"PATCH", "git/refs/" + escapeRef(strings.TrimPrefix(ref, "refs/")), map[string]any{"sha": sha, "force": false}})
	}
	return c.call(ctx, "update "+ref, false, true, func(gh *github.Client) (*github.Response, error) {
		_, resp, err := gh.Git.UpdateRef(ctx, c.Owner, c.Name, &github.Reference{Ref: &ref, Object: &github.GitObject{SHA: &sha}}, false)
		return resp, err
	})
}

func nonEmpty(s ...string) []string {
	out := []string{}
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

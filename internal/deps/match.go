package deps

// Mismatch pairs an entry with a change of the same subject that the diff
// makes with another outcome: the entry says v0.38.0, go.mod says v0.39.0.
type Mismatch struct {
	Entry int  // index into the entries
	Edit  Edit // the first edit of the change
}

// Result is how a manifest's entries and a diff's go.mod edits disagree.
type Result struct {
	Unlisted   []Edit     // changes no entry lists, the first edit of each
	Mismatched []Mismatch // entries whose subject changes, to something else
	Unchanged  []int      // entries of a change the diff does not make
}

// OK reports whether every change is listed and every entry is a change.
func (r Result) OK() bool {
	return len(r.Unlisted) == 0 && len(r.Mismatched) == 0 && len(r.Unchanged) == 0
}

// Match compares the entries a manifest lists with the edits a diff makes
// to its go.mod files. Each distinct change needs one entry, however many
// go.mod files make it; a change that no entry lists is paired with an
// unmatched entry of the same subject, when there is one, as a mismatch.
func Match(entries []Entry, edits []Edit) Result {
	listed := map[Change]bool{}
	for _, e := range entries {
		listed[e.Change] = true
	}
	made := map[Change]bool{}
	var missing []Edit
	for _, e := range edits {
		if made[e.Change] {
			continue
		}
		made[e.Change] = true
		if !listed[e.Change] {
			missing = append(missing, e)
		}
	}
	var r Result
	paired := map[int]bool{}
	for _, ed := range missing {
		found := -1
		for i, e := range entries {
			if !paired[i] && !made[e.Change] && e.Subject() == ed.Subject() {
				found = i
				break
			}
		}
		if found < 0 {
			r.Unlisted = append(r.Unlisted, ed)
			continue
		}
		paired[found] = true
		r.Mismatched = append(r.Mismatched, Mismatch{Entry: found, Edit: ed})
	}
	for i, e := range entries {
		if !paired[i] && !made[e.Change] {
			r.Unchanged = append(r.Unchanged, i)
		}
	}
	return r
}

// Files names the go.mod files that make a change, in the order of edits.
func Files(edits []Edit, c Change) []string {
	var out []string
	for _, e := range edits {
		if e.Change == c {
			out = append(out, e.File)
		}
	}
	return out
}

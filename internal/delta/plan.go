package delta

import "sync"

// minGain is how many more matching bytes a fresh exact match must offer
// over continuing the current alignment before a new control entry starts;
// an entry costs about that much in the control stream (bsdiff's constant).
const minGain = 8

// Inside an alignment, a run of at most maxGap differing bytes followed by
// at least resumeRun matching ones is stepped over without a search.
const maxGap, resumeRun = 8, 8

// minSplit is the smallest new file whose search is split in two halves
// that run at the same time. The halves meet at a fixed offset, so the
// result does not depend on scheduling.
const minSplit = 1 << 20

// fixedPart is a range of new whose entries are already known (see
// pclnplan.go): entries' first seek is from old offset 0.
type fixedPart struct {
	start, end int
	entries    []entry
}

// plan chooses the control entries that turn old into new: the fixed
// parts' own, and the search's for the rest. The searched ranges are split
// in two halves of about the same size, at fixed offsets, searched at the
// same time.
func (ix *index) plan(new []byte, fixed ...fixedPart) []entry {
	// The pieces of new, in order: searched ranges and fixed parts.
	type piece struct {
		start, end int
		entries    []entry
		search     bool
	}
	var pieces []piece
	at, free := 0, 0
	for _, f := range fixed {
		if f.start < at || f.end > len(new) || f.start > f.end {
			continue
		}
		if f.start > at {
			pieces = append(pieces, piece{start: at, end: f.start, search: true})
			free += f.start - at
		}
		pieces = append(pieces, piece{start: f.start, end: f.end, entries: f.entries})
		at = f.end
	}
	if at < len(new) || len(pieces) == 0 {
		pieces = append(pieces, piece{start: at, end: len(new), search: true})
		free += len(new) - at
	}
	if free >= minSplit {
		// Cut the searched range that holds the middle of the searched
		// bytes there.
		half, seen := free/2, 0
		for i, p := range pieces {
			if !p.search {
				continue
			}
			if seen+p.end-p.start > half {
				cut := p.start + half - seen
				second := piece{start: cut, end: p.end, search: true}
				pieces[i].end = cut
				pieces = append(pieces[:i+1], append([]piece{second}, pieces[i+1:]...)...)
				break
			}
			seen += p.end - p.start
		}
	}
	var wg sync.WaitGroup
	work := make(chan int)
	for range 2 {
		wg.Go(func() {
			for i := range work {
				p := &pieces[i]
				p.entries = ix.planFrom(new[:p.end], p.start)
			}
		})
	}
	for i, p := range pieces {
		if p.search && p.end > p.start {
			work <- i
		}
	}
	close(work)
	wg.Wait()
	// Each piece's first seek is from old offset 0: make it relative to
	// where the pieces before it leave off.
	var entries []entry
	var oldPos int64
	for _, p := range pieces {
		if len(p.entries) == 0 {
			continue
		}
		p.entries[0].seek -= oldPos
		for _, e := range p.entries {
			oldPos += e.seek + e.diff
		}
		entries = append(entries, p.entries...)
	}
	return entries
}

// planFrom plans new[from:] with bsdiff's heuristic: walk new, and wherever
// an exact match in old beats the current alignment by more than minGain
// bytes, end the current region. Each region is then split in three: a
// forward extension of the previous match (diff), a backward extension of
// the next one (diff of the next entry), and what neither covers well
// (extra). Extensions go as far as at least half their bytes match, so
// moved addresses and other small edits stay in the diff stream, where the
// predictor and the compressor make them cheap. Seeks are relative to old
// offset 0.
func (ix *index) planFrom(new []byte, from int) []entry {
	old := ix.old
	// Start aligned with the same offset in old, where an edited file's
	// bytes most likely are.
	var (
		entries        []entry
		length, pos    int
		scan, lastScan = from, from
		lastPos        = min(from, len(old))
		lastOffset     = lastPos - from
		pendingSeek    = int64(lastPos)
	)
	for scan < len(new) {
		oldScore := 0
		scan += length
		// Inside the current alignment, step over short mismatches (a
		// moved address, say) and the aligned run after each without
		// searching: a better alignment shows where this one fails.
		for {
			g := resumeGap(old, new, scan, lastOffset)
			if g == 0 {
				break
			}
			scan += g + matchLen(old[scan+g+lastOffset:], new[scan+g:])
		}
		for scsc := scan; scan < len(new); scan++ {
			if ix.mayOccur(new[scan:]) {
				pos, length = ix.longestMatch(new[scan:])
			} else {
				length = 0 // shorter than 8 bytes: cannot end the region
			}
			for ; scsc < scan+length; scsc++ {
				if o := scsc + lastOffset; o >= 0 && o < len(old) && old[o] == new[scsc] {
					oldScore++
				}
			}
			if (length == oldScore && length != 0) || length > oldScore+minGain {
				break
			}
			if o := scan + lastOffset; o >= 0 && o < len(old) && old[o] == new[scan] {
				oldScore--
			}
		}
		if length == oldScore && scan != len(new) {
			continue // the current alignment is as good: keep extending it
		}

		// Forward extension of the last match: the longest prefix of the
		// gap in which at least half the bytes match.
		lenf := 0
		for i, s, best := 0, 0, 0; lastScan+i < scan && lastPos+i < len(old); {
			if old[lastPos+i] == new[lastScan+i] {
				s++
			}
			i++
			if s*2-i > best*2-lenf {
				best, lenf = s, i
			}
		}
		// Backward extension of the new match, the same way.
		lenb := 0
		if scan < len(new) {
			for i, s, best := 1, 0, 0; scan >= lastScan+i && pos >= i; i++ {
				if old[pos-i] == new[scan-i] {
					s++
				}
				if s*2-i > best*2-lenb {
					best, lenb = s, i
				}
			}
		}
		// Where the two overlap, split at the point that matches best.
		if overlap := lastScan + lenf - (scan - lenb); overlap > 0 {
			lens := 0
			for i, s, best := 0, 0, 0; i < overlap; i++ {
				if new[lastScan+lenf-overlap+i] == old[lastPos+lenf-overlap+i] {
					s++
				}
				if new[scan-lenb+i] == old[pos-lenb+i] {
					s--
				}
				if s > best {
					best, lens = s, i+1
				}
			}
			lenf += lens - overlap
			lenb -= lens
		}

		e := entry{
			seek:  pendingSeek,
			diff:  int64(lenf),
			extra: int64(scan - lenb - (lastScan + lenf)),
		}
		seek := int64(pos - lenb - (lastPos + lenf))
		if e.diff+e.extra > 0 {
			entries = append(entries, e)
			pendingSeek = seek
		} else {
			// Nothing to copy: fold the move into the next entry, so every
			// entry makes progress (which Apply requires).
			pendingSeek += seek
		}
		lastScan, lastPos, lastOffset = scan-lenb, pos-lenb, pos-scan
	}
	return entries
}

// resumeGap returns how many bytes from scan the current alignment (old at
// scan+offset) resumes for at least resumeRun bytes, if new[scan] breaks
// it and it resumes within maxGap bytes; otherwise 0.
func resumeGap(old, new []byte, scan, offset int) int {
	o := scan + offset
	if o < 0 || o+maxGap+resumeRun > len(old) || scan+maxGap+resumeRun > len(new) || old[o] == new[scan] {
		return 0
	}
	for g := 1; g <= maxGap; g++ {
		if matchLen(old[o+g:o+g+resumeRun], new[scan+g:scan+g+resumeRun]) == resumeRun {
			return g
		}
	}
	return 0
}

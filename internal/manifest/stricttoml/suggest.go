package stricttoml

import "strings"

// Suggest returns the choice got was most likely meant to be, or "": the
// same word in another case, a known synonym (lower-case key), or the
// nearest choice by edit distance when it is close (a third of its length,
// at most two edits).
func Suggest(got string, choices []string, synonyms map[string]string) string {
	lower := strings.ToLower(strings.TrimSpace(got))
	for _, c := range choices {
		if strings.ToLower(c) == lower {
			return c
		}
	}
	if s, ok := synonyms[lower]; ok {
		return s
	}
	best, bestD := "", 3
	try := func(word, meaning string) {
		d := distance(lower, strings.ToLower(word))
		if d < bestD && d*3 <= max(len([]rune(word)), len([]rune(lower))) {
			best, bestD = meaning, d
		}
	}
	for _, c := range choices {
		try(c, c)
	}
	// A typo of a synonym ("hgih" for "high") still says what was meant,
	// unless a choice is at least as close.
	for _, w := range sortedKeys(synonyms) {
		try(w, synonyms[w])
	}
	return best
}

// distance is the optimal string alignment distance: insertions, deletions,
// substitutions and swaps of neighbours each cost one. Words more than two
// edits apart in length, or longer than 64 runes, are simply far.
func distance(a, b string) int {
	const far = 1 << 30
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 || len(ra)-len(rb) > 2 || len(rb)-len(ra) > 2 {
		return far
	}
	var rows [3][65]int // two rows back, the previous one, this one
	prev2, prev, cur := &rows[0], &rows[1], &rows[2]
	for j := 0; j <= len(rb); j++ {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// Package rollout holds what decides where and when a patch may be applied
// at a customer's site: freeze windows, the site's own defaults
// (.patchline/site.toml) and the record of an install that a production
// apply takes as evidence and the fleet files (docs/records.md). It reads
// bytes it is handed and does no I/O of its own; everything it decodes may
// come from a customer's install tree and is checked as untrusted input.
package rollout

import (
	"fmt"
	"strings"
	"time"

	"github.com/patchline/patchline/internal/lazyre"
	"github.com/patchline/patchline/internal/manifest/stricttoml"
)

// MaxWindowLen is the longest freeze window expression ParseWindow reads,
// in bytes; MaxWindows the most windows one file may list.
const (
	MaxWindowLen = 64
	MaxWindows   = 100
)

const (
	minutesPerDay  = 24 * 60
	minutesPerWeek = 7 * minutesPerDay
)

// Window is one freeze window, weekly or a range of dates, read by
// ParseWindow. Its times are wall-clock times in the location the caller
// passes (the site's time zone). The zero Window contains nothing.
// Windows are comparable with ==.
type Window struct {
	kind windowKind
	// weekly: the start in minutes from Monday 00:00 and the length in
	// minutes, 0 < length < a week.
	start, length int
	// dates: the first and last day, both whole and included.
	from, to civilDate
}

type windowKind uint8

const (
	kindNone windowKind = iota
	kindWeekly
	kindDates
)

type civilDate struct {
	year  int
	month time.Month
	day   int
}

// WindowError is a freeze window ParseWindow cannot read: Msg says what is
// wrong with it and Hint how to write it, so that a config decoder can put
// them in its own problem, at the element's position.
type WindowError struct {
	Window string // as given; cut after MaxWindowLen bytes, with "..."
	Msg    string
	Hint   string
}

// Error is `freeze window "Fri 18:00-Mon 6": time "6" is not HH:MM`.
func (e *WindowError) Error() string {
	return fmt.Sprintf("freeze window %q: %s", e.Window, e.Msg)
}

// WindowSyntax is the hint for a window that is not any of the forms.
const WindowSyntax = `a weekly window "Fri 18:00-Mon 06:00", whole days "Sat-Sun" or "Sat", a date range "2026-12-20..2027-01-04" or a date "2026-12-24"`

var (
	days = [7][2]string{
		{"mon", "monday"}, {"tue", "tuesday"}, {"wed", "wednesday"}, {"thu", "thursday"},
		{"fri", "friday"}, {"sat", "saturday"}, {"sun", "sunday"},
	}
	dayNames  = [7]string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
	clockRE   = lazyre.New(`^([0-9]{2}):([0-9]{2})$`)
	dateRE    = lazyre.New(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	datePfxRE = lazyre.New(`^[0-9]{4}-`)
	dashedRE  = lazyre.New(`^([0-9]{4}-[0-9]{2}-[0-9]{2})\s*-\s*([0-9]{4}-[0-9]{2}-[0-9]{2})$`)
)

// ParseWindow reads one freeze window:
//
//   - "Fri 18:00-Mon 06:00": weekly, from Friday 18:00 to Monday 06:00 (the
//     end is not included). A window whose end comes before its start in
//     the week wraps over Sunday night. Days are Mon..Sun or Monday..Sunday
//     in any case; times are HH:MM on the 24-hour clock, and 24:00 may end
//     a window ("Sun 24:00" is "Mon 00:00").
//   - "Sat-Sun" or "Sat": weekly whole days, both ends included ("Sat-Sun" is
//     Saturday 00:00 to Monday 00:00; "Fri-Mon" wraps).
//   - "2026-12-20..2027-01-04" or "2026-12-24": whole days, both ends included.
//
// A weekly window is shorter than a week: one that never ends is refused,
// and so is one that ends when it starts. Errors are *WindowError.
func ParseWindow(s string) (Window, error) {
	fail := func(hint, format string, args ...any) (Window, error) {
		return Window{}, &WindowError{Window: s, Msg: fmt.Sprintf(format, args...), Hint: hint}
	}
	if len(s) > MaxWindowLen {
		return Window{}, &WindowError{Window: strings.ToValidUTF8(s[:MaxWindowLen], "") + "...",
			Msg: fmt.Sprintf("is over %d bytes", MaxWindowLen), Hint: "write " + WindowSyntax}
	}
	t := strings.TrimSpace(s)
	switch {
	case t == "":
		return fail("write "+WindowSyntax, "is empty")
	case strings.Contains(t, ".."):
		return parseDates(s, t)
	case datePfxRE.MatchString(t):
		if m := dashedRE.FindStringSubmatch(t); m != nil {
			return fail(fmt.Sprintf("write a date range with \"..\": %q", m[1]+".."+m[2]), "date %q is not YYYY-MM-DD", t)
		}
		d, err := parseDate(t)
		if err != nil {
			return fail(err.hint, "%s", err.msg)
		}
		return Window{kind: kindDates, from: d, to: d}, nil
	}
	return parseWeekly(s, t)
}

type parseError struct{ msg, hint string }

func parseWeekly(s, t string) (Window, error) {
	fail := func(hint, format string, args ...any) (Window, error) {
		return Window{}, &WindowError{Window: s, Msg: fmt.Sprintf(format, args...), Hint: hint}
	}
	const example = `e.g. "Fri 18:00-Mon 06:00", or "Sat-Sun" for whole days`
	sides := strings.Split(t, "-")
	if len(sides) > 2 {
		return fail("a weekly window is DAY HH:MM-DAY HH:MM, "+example, `has more than one "-"`)
	}
	type side struct {
		day, minute int
		timed       bool
	}
	var parsed [2]side
	for i, part := range sides {
		f := strings.Fields(part)
		switch {
		case len(f) == 0 && i == 0:
			return fail(example, "has no start")
		case len(f) == 0:
			return fail(example, "has no end")
		case len(f) > 2:
			return fail(`join the start and the end with "-": "Fri 18:00-Mon 06:00"`, "%q is not DAY or DAY HH:MM", strings.TrimSpace(part))
		}
		day, err := parseDay(f[0])
		if err != nil {
			return fail(err.hint, "%s", err.msg)
		}
		parsed[i] = side{day: day}
		if len(f) == 2 {
			m, err := parseClock(f[1], i == 1)
			if err != nil {
				return fail(err.hint, "%s", err.msg)
			}
			parsed[i].minute, parsed[i].timed = m, true
		}
	}
	from, to := parsed[0], parsed[1]
	if len(sides) == 1 {
		if from.timed {
			return fail(`give its end: "Fri 18:00-Mon 06:00"; a day alone ("Sat") is the whole day`, "has no end")
		}
		return Window{kind: kindWeekly, start: from.day * minutesPerDay, length: minutesPerDay}, nil
	}
	if from.timed != to.timed {
		return fail(`give both times ("Fri 18:00-Mon 06:00") or neither ("Sat-Sun", whole days)`, "gives a time on one side only")
	}
	w := Window{kind: kindWeekly, start: from.day*minutesPerDay + from.minute}
	if !from.timed { // whole days, both included
		w.length = ((to.day-from.day+7)%7 + 1) * minutesPerDay
	} else {
		w.length = ((to.day*minutesPerDay+to.minute-w.start)%minutesPerWeek + minutesPerWeek) % minutesPerWeek
	}
	switch {
	case w.length >= minutesPerWeek:
		return fail("a freeze that never ends blocks every apply; list the days that are frozen", "covers the whole week")
	case w.length == 0:
		return fail(`a weekly window is shorter than a week, e.g. "Fri 18:00-Mon 06:00"`, "ends when it starts")
	}
	return w, nil
}

func parseDay(s string) (int, *parseError) {
	l := strings.ToLower(s)
	for i, d := range days {
		if l == d[0] || l == d[1] {
			return i, nil
		}
	}
	hint := "days are Mon, Tue, Wed, Thu, Fri, Sat, Sun (or written out), e.g. \"Fri 18:00-Mon 06:00\""
	if _, err := parseClock(s, true); err == nil {
		hint = `a weekly window starts with a day: "Fri 18:00-Mon 06:00"; for every night, list each night`
	} else if d, rest, ok := dayThenClock(s); ok {
		hint = fmt.Sprintf("put a space between the day and the time: %q", d+" "+rest)
	} else if d := suggestDay(l); d >= 0 {
		hint = fmt.Sprintf("did you mean %q?", dayNames[d])
	}
	return 0, &parseError{fmt.Sprintf("%q is not a day of the week", s), hint}
}

// dayThenClock splits "Fri18:00" into a day and a time.
func dayThenClock(s string) (day, clock string, ok bool) {
	i := strings.IndexAny(s, "0123456789")
	if i <= 0 {
		return "", "", false
	}
	if _, err := parseDay(s[:i]); err != nil {
		return "", "", false
	}
	if _, err := parseClock(s[i:], true); err != nil {
		return "", "", false
	}
	return s[:i], s[i:], true
}

// suggestDay is the day l (lower case) most likely means: the one whose
// name it begins ("thurs", "fr"), or one a typo away ("firday"); -1 if none.
func suggestDay(l string) int {
	match := -1
	for i, d := range days {
		if len(l) >= 2 && strings.HasPrefix(d[1], l) {
			if match >= 0 {
				return -1 // "t", "s": ambiguous
			}
			match = i
		}
	}
	if match >= 0 {
		return match
	}
	var names []string
	for _, d := range days {
		names = append(names, d[0], d[1])
	}
	if s := stricttoml.Suggest(l, names, nil); s != "" {
		for i, d := range days {
			if s == d[0] || s == d[1] {
				return i
			}
		}
	}
	return -1
}

// parseClock reads HH:MM as minutes from midnight; 24:00 only as an end.
func parseClock(s string, end bool) (int, *parseError) {
	m := clockRE.FindStringSubmatch(s)
	if m == nil {
		return 0, &parseError{fmt.Sprintf("time %q is not HH:MM", s), `24-hour clock, two digits each, e.g. "06:00"`}
	}
	h, mi := atoi2(m[1]), atoi2(m[2])
	switch {
	case h == 24 && mi == 0 && !end:
		return 0, &parseError{fmt.Sprintf("time %q only ends a window", s), "start at 00:00 of the next day"}
	case h > 24 || mi > 59 || h == 24 && mi != 0:
		return 0, &parseError{fmt.Sprintf("time %q is out of range", s), "hours are 00-23 and minutes 00-59; 24:00 may end a window"}
	}
	return h*60 + mi, nil
}

func atoi2(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }

func parseDates(s, t string) (Window, error) {
	fail := func(hint, format string, args ...any) (Window, error) {
		return Window{}, &WindowError{Window: s, Msg: fmt.Sprintf(format, args...), Hint: hint}
	}
	const example = `e.g. "2026-12-20..2027-01-04"`
	parts := strings.Split(t, "..")
	if len(parts) != 2 {
		return fail("a date range is FIRST..LAST, "+example, `has more than one ".."`)
	}
	first, last := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
	switch {
	case first == "":
		return fail("a date range is FIRST..LAST, "+example, "has no first date")
	case last == "":
		return fail("a date range is FIRST..LAST, "+example, "has no last date")
	}
	from, err := parseDate(first)
	if err != nil {
		return fail(err.hint, "%s", err.msg)
	}
	to, err := parseDate(last)
	if err != nil {
		return fail(err.hint, "%s", err.msg)
	}
	if to.naive().Before(from.naive()) {
		return fail(fmt.Sprintf("write the earlier date first: %q", last+".."+first), "ends before it starts")
	}
	return Window{kind: kindDates, from: from, to: to}, nil
}

func parseDate(s string) (civilDate, *parseError) {
	const hint = `dates are YYYY-MM-DD, whole days, e.g. "2026-12-24"`
	if !dateRE.MatchString(s) {
		return civilDate{}, &parseError{fmt.Sprintf("date %q is not YYYY-MM-DD", s), hint}
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil || d.Year() < 1 {
		return civilDate{}, &parseError{fmt.Sprintf("date %q does not exist", s), hint}
	}
	return civilDate{d.Year(), d.Month(), d.Day()}, nil
}

// naive is the date's midnight as a wall-clock reading, kept in UTC.
func (d civilDate) naive() time.Time {
	return time.Date(d.year, d.month, d.day, 0, 0, 0, 0, time.UTC)
}

func (d civilDate) String() string { return d.naive().Format(time.DateOnly) }

// String is the window in its canonical form: "Fri 18:00-Mon 06:00",
// "Sat-Sun", "Sat", "2026-12-20..2027-01-04", "2026-12-24". ParseWindow
// reads it back as the same window.
func (w Window) String() string {
	switch w.kind {
	case kindWeekly:
		end := (w.start + w.length) % minutesPerWeek
		if w.start%minutesPerDay == 0 && w.length%minutesPerDay == 0 {
			first, last := w.start/minutesPerDay, (w.start+w.length-minutesPerDay)%minutesPerWeek/minutesPerDay
			if first == last {
				return dayNames[first]
			}
			return dayNames[first] + "-" + dayNames[last]
		}
		return weekTime(w.start) + "-" + weekTime(end)
	case kindDates:
		if w.from == w.to {
			return w.from.String()
		}
		return w.from.String() + ".." + w.to.String()
	}
	return ""
}

func weekTime(m int) string {
	return fmt.Sprintf("%s %02d:%02d", dayNames[m/minutesPerDay], m%minutesPerDay/60, m%60)
}

// MarshalText writes String, so a Window can sit in JSON or TOML.
func (w Window) MarshalText() ([]byte, error) {
	if w.kind == kindNone {
		return nil, fmt.Errorf("marshal an empty freeze window")
	}
	return []byte(w.String()), nil
}

// UnmarshalText reads a window with ParseWindow.
func (w *Window) UnmarshalText(b []byte) error {
	v, err := ParseWindow(string(b))
	if err != nil {
		return err
	}
	*w = v
	return nil
}

// Weekly reports whether the window repeats every week (else it is a
// range of dates).
func (w Window) Weekly() bool { return w.kind == kindWeekly }

// Contains reports whether t falls in the window, read on the wall clock
// of loc (nil: UTC). See End for how DST transitions count.
func (w Window) Contains(t time.Time, loc *time.Location) bool {
	_, ok := w.occurrence(t, loc)
	return ok
}

// End is when the window that contains t ends: the first instant after t
// that is outside it. It is the zero time when t is outside the window.
//
// A window runs from the first instant the wall clock of loc reads its
// start to the first instant it reads its end. So a start or end in the
// hour a spring DST change skips is the change itself ("Sun 02:30" on
// 2026-03-29 in Europe/Berlin is 03:00 CEST), and one in the hour an
// autumn change repeats is its first pass ("Sun 02:30" on 2026-10-25 is
// 02:30 CEST, not CET): a window never opens twice and never stops short.
func (w Window) End(t time.Time, loc *time.Location) time.Time {
	end, _ := w.occurrence(t, loc)
	return end
}

// occurrence finds the run of the window that contains t and returns its
// end.
func (w Window) occurrence(t time.Time, loc *time.Location) (time.Time, bool) {
	if loc == nil {
		loc = time.UTC
	}
	in := func(from, to time.Time) (time.Time, bool) {
		s, e := resolve(from, loc), resolve(to, loc)
		if !t.Before(s) && t.Before(e) {
			return e, true
		}
		return time.Time{}, false
	}
	switch w.kind {
	case kindWeekly:
		lt := t.In(loc)
		monday := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, time.UTC).
			AddDate(0, 0, -((int(lt.Weekday()) + 6) % 7))
		// The run that started last week, this week, or (when DST moved
		// a start back across midnight on Sunday) next week.
		for k := -1; k <= 1; k++ {
			from := monday.AddDate(0, 0, 7*k).Add(time.Duration(w.start) * time.Minute)
			if e, ok := in(from, from.Add(time.Duration(w.length)*time.Minute)); ok {
				return e, true
			}
		}
	case kindDates:
		return in(w.from.naive(), w.to.naive().AddDate(0, 0, 1))
	}
	return time.Time{}, false
}

// resolve is the first instant at which the wall clock of loc reads wall
// (a wall-clock reading kept in UTC), or the instant it jumps past it.
func resolve(wall time.Time, loc *time.Location) time.Time {
	t := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), wall.Nanosecond(), loc)
	got := naive(t)
	switch {
	case got.After(wall): // skipped; time.Date took the offset from before the jump
		if start, _ := t.ZoneBounds(); !start.IsZero() {
			return start
		}
		return t
	case got.Before(wall): // skipped; time.Date took the offset from after the jump
		if _, end := t.ZoneBounds(); !end.IsZero() {
			return end
		}
		return t
	}
	// Repeated: time.Date may have taken the second pass. An instant in
	// the zone before t's that reads the same is the first.
	start, _ := t.ZoneBounds()
	if start.IsZero() {
		return t
	}
	prev := start.Add(-time.Nanosecond)
	_, off := prev.Zone()
	u := wall.Add(-time.Duration(off) * time.Second)
	prevStart, _ := prev.ZoneBounds()
	if u.Before(start) && (prevStart.IsZero() || !u.Before(prevStart)) {
		return u.In(loc)
	}
	return t
}

// naive is t's wall-clock reading in its own location, kept in UTC.
func naive(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// maxFreeze bounds how far Frozen follows windows that continue one
// another: a set of weekly windows can cover every hour of the week.
const (
	maxFreeze      = 366 * 24 * time.Hour
	maxFreezeSteps = 10_000
)

// Frozen reports whether t falls in any of the windows. If so it returns
// the first such window and when the freeze ends: the window's end, or,
// when that instant falls in another window (overlapping or adjacent
// ones), that one's end, and so on. Windows that together never end give
// the first end more than a year after t.
func Frozen(windows []Window, t time.Time, loc *time.Location) (bool, Window, time.Time) {
	var (
		hit   Window
		found bool
		end   time.Time
	)
	for _, w := range windows {
		if e, ok := w.occurrence(t, loc); ok {
			if !found {
				hit, found = w, true
			}
			if e.After(end) {
				end = e
			}
		}
	}
	if !found {
		return false, Window{}, time.Time{}
	}
	for step := 0; step < maxFreezeSteps && end.Sub(t) <= maxFreeze; step++ {
		next := end
		for _, w := range windows {
			if e, ok := w.occurrence(end, loc); ok && e.After(next) {
				next = e
			}
		}
		if !next.After(end) {
			break
		}
		end = next
	}
	return true, hit, end
}

// FormatEnd writes when a freeze ends as the day and time a window is
// written in, then the date and zone: "Mon 06:00 (2026-12-07 06:00 CET)".
func FormatEnd(end time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return end.In(loc).Format("Mon 15:04 (2006-01-02 15:04 MST)")
}

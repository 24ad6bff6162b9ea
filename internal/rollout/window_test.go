package rollout

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones below, on machines without a zoneinfo database
)

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustWindow(t testing.TB, s string) Window {
	t.Helper()
	w, err := ParseWindow(s)
	if err != nil {
		t.Fatalf("ParseWindow(%q): %v", s, err)
	}
	return w
}

// at reads "2006-01-02 15:04" (or with seconds) as a wall-clock time in loc;
// "2006-01-02T15:04:05Z07:00" as an instant.
func at(t testing.TB, s string, loc *time.Location) time.Time {
	t.Helper()
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05"} {
		if tm, err := time.ParseInLocation(layout, s, loc); err == nil {
			return tm
		}
	}
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("bad time %q", s)
	}
	return tm
}

func TestParseWindow(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Fri 18:00-Mon 06:00", "Fri 18:00-Mon 06:00"},
		{"  friday 18:00 - MONDAY 06:00 ", "Fri 18:00-Mon 06:00"},
		{"Mon 22:00-Tue 02:00", "Mon 22:00-Tue 02:00"},
		{"Wed 09:00-Wed 17:30", "Wed 09:00-Wed 17:30"},
		{"Wed 17:30-Wed 09:00", "Wed 17:30-Wed 09:00"}, // wraps: all week but Wednesday's working day
		{"Fri 18:00-Sun 24:00", "Fri 18:00-Mon 00:00"},
		{"Sat 00:00-Mon 00:00", "Sat-Sun"},
		{"Sat-Sun", "Sat-Sun"},
		{"sat-SUNDAY", "Sat-Sun"},
		{"Fri-Mon", "Fri-Mon"},
		{"Sat", "Sat"},
		{"Sat-Sat", "Sat"},
		{"Sun-Fri", "Sun-Fri"},
		{"2026-12-20..2027-01-04", "2026-12-20..2027-01-04"},
		{"2026-12-20 .. 2027-01-04", "2026-12-20..2027-01-04"},
		{"2026-12-24..2026-12-24", "2026-12-24"},
		{"2026-12-24", "2026-12-24"},
		{"2028-02-29", "2028-02-29"},
	}
	for _, tt := range tests {
		w, err := ParseWindow(tt.in)
		if err != nil {
			t.Errorf("ParseWindow(%q): %v", tt.in, err)
			continue
		}
		if got := w.String(); got != tt.want {
			t.Errorf("ParseWindow(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
		if again, err := ParseWindow(w.String()); err != nil || again != w {
			t.Errorf("ParseWindow(%q) = %v, %v; want the same window back", w.String(), again, err)
		}
		if got, want := w.Weekly(), tt.in[0] > '9'; got != want && tt.in[0] != ' ' {
			t.Errorf("ParseWindow(%q).Weekly() = %v", tt.in, got)
		}
	}
}

func TestParseWindowErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, msg, hint string }{
		{"", `is empty`, `write ` + WindowSyntax},
		{"   ", `is empty`, `write ` + WindowSyntax},

		{"Fri 18:00-Mon 6", `time "6" is not HH:MM`, `24-hour clock, two digits each, e.g. "06:00"`},
		{"Fri 6pm-Mon 06:00", `time "6pm" is not HH:MM`, `24-hour clock, two digits each, e.g. "06:00"`},
		{"Fri 25:00-Mon 06:00", `time "25:00" is out of range`, `hours are 00-23 and minutes 00-59; 24:00 may end a window`},
		{"Fri 18:60-Mon 06:00", `time "18:60" is out of range`, `hours are 00-23 and minutes 00-59; 24:00 may end a window`},
		{"Fri 18:00-Mon 24:30", `time "24:30" is out of range`, `hours are 00-23 and minutes 00-59; 24:00 may end a window`},
		{"Fri 24:00-Sat 06:00", `time "24:00" only ends a window`, `start at 00:00 of the next day`},
		{"Fr 18:00-Mon 06:00", `"Fr" is not a day of the week`, `did you mean "Fri"?`},
		{"Fri 18:00-Tues 06:00", `"Tues" is not a day of the week`, `did you mean "Tue"?`},
		{"Firday 18:00-Mon 06:00", `"Firday" is not a day of the week`, `did you mean "Fri"?`},
		{"T 18:00-Mon 06:00", `"T" is not a day of the week`, `days are Mon, Tue, Wed, Thu, Fri, Sat, Sun (or written out), e.g. "Fri 18:00-Mon 06:00"`},
		{"Freitag 18:00-Mon 06:00", `"Freitag" is not a day of the week`, `days are Mon, Tue, Wed, Thu, Fri, Sat, Sun (or written out), e.g. "Fri 18:00-Mon 06:00"`},
		{"Fri18:00-Mon 06:00", `"Fri18:00" is not a day of the week`, `put a space between the day and the time: "Fri 18:00"`},
		{"18:00-06:00", `"18:00" is not a day of the week`, `a weekly window starts with a day: "Fri 18:00-Mon 06:00"; for every night, list each night`},
		{"Fri 18:00", `has no end`, `give its end: "Fri 18:00-Mon 06:00"; a day alone ("Sat") is the whole day`},
		{"Fri 18:00-", `has no end`, `e.g. "Fri 18:00-Mon 06:00", or "Sat-Sun" for whole days`},
		{"-Mon 06:00", `has no start`, `e.g. "Fri 18:00-Mon 06:00", or "Sat-Sun" for whole days`},
		{"Fri 18:00-Sat 01:00-Mon 06:00", `has more than one "-"`, `a weekly window is DAY HH:MM-DAY HH:MM, e.g. "Fri 18:00-Mon 06:00", or "Sat-Sun" for whole days`},
		{"Fri 18:00 Mon 06:00", `"Fri 18:00 Mon 06:00" is not DAY or DAY HH:MM`, `join the start and the end with "-": "Fri 18:00-Mon 06:00"`},
		{"Fri 18:00-Mon", `gives a time on one side only`, `give both times ("Fri 18:00-Mon 06:00") or neither ("Sat-Sun", whole days)`},
		{"Sat-Sun 12:00", `gives a time on one side only`, `give both times ("Fri 18:00-Mon 06:00") or neither ("Sat-Sun", whole days)`},
		{"Mon 06:00-Mon 06:00", `ends when it starts`, `a weekly window is shorter than a week, e.g. "Fri 18:00-Mon 06:00"`},
		{"Mon 00:00-Sun 24:00", `ends when it starts`, `a weekly window is shorter than a week, e.g. "Fri 18:00-Mon 06:00"`},
		{"Mon-Sun", `covers the whole week`, `a freeze that never ends blocks every apply; list the days that are frozen`},
		{"Sun-Sat", `covers the whole week`, `a freeze that never ends blocks every apply; list the days that are frozen`},
		{"2026-12-20-2027-01-04", `date "2026-12-20-2027-01-04" is not YYYY-MM-DD`, `write a date range with "..": "2026-12-20..2027-01-04"`},
		{"2026-12-20 - 2027-01-04", `date "2026-12-20 - 2027-01-04" is not YYYY-MM-DD`, `write a date range with "..": "2026-12-20..2027-01-04"`},
		{"2026-1-2", `date "2026-1-2" is not YYYY-MM-DD`, `dates are YYYY-MM-DD, whole days, e.g. "2026-12-24"`},
		{"2026-12-24 18:00", `date "2026-12-24 18:00" is not YYYY-MM-DD`, `dates are YYYY-MM-DD, whole days, e.g. "2026-12-24"`},
		{"2026-02-30", `date "2026-02-30" does not exist`, `dates are YYYY-MM-DD, whole days, e.g. "2026-12-24"`},
		{"2026-13-01..2027-01-04", `date "2026-13-01" does not exist`, `dates are YYYY-MM-DD, whole days, e.g. "2026-12-24"`},
		{"0000-01-01", `date "0000-01-01" does not exist`, `dates are YYYY-MM-DD, whole days, e.g. "2026-12-24"`},
		{"2026-12-20..20270104", `date "20270104" is not YYYY-MM-DD`, `dates are YYYY-MM-DD, whole days, e.g. "2026-12-24"`},
		{"2027-01-04..2026-12-20", `ends before it starts`, `write the earlier date first: "2026-12-20..2027-01-04"`},
		{"2026-12-20..", `has no last date`, `a date range is FIRST..LAST, e.g. "2026-12-20..2027-01-04"`},
		{"..2026-12-20", `has no first date`, `a date range is FIRST..LAST, e.g. "2026-12-20..2027-01-04"`},
		{"2026-12-20..2026-12-24..2027-01-04", `has more than one ".."`, `a date range is FIRST..LAST, e.g. "2026-12-20..2027-01-04"`},
	}
	for _, tt := range tests {
		w, err := ParseWindow(tt.in)
		var we *WindowError
		if !errors.As(err, &we) {
			t.Errorf("ParseWindow(%q) = %v, %v; want a *WindowError", tt.in, w, err)
			continue
		}
		if we.Msg != tt.msg || we.Hint != tt.hint || we.Window != tt.in {
			t.Errorf("ParseWindow(%q):\ngot  %q (hint: %s)\nwant %q (hint: %s)", tt.in, we.Msg, we.Hint, tt.msg, tt.hint)
		}
		if want := `freeze window "` + tt.in + `": ` + tt.msg; err.Error() != want {
			t.Errorf("Error() = %q, want %q", err.Error(), want)
		}
		if w != (Window{}) {
			t.Errorf("ParseWindow(%q) returned %v with its error", tt.in, w)
		}
	}
}

func TestParseWindowTooLong(t *testing.T) {
	t.Parallel()
	long := "Fri 18:00-Mon 06:00" + strings.Repeat(" ", 100)
	_, err := ParseWindow(long)
	want := `freeze window "Fri 18:00-Mon 06:00                                             ...": is over 64 bytes`
	if err == nil || err.Error() != want {
		t.Errorf("ParseWindow(%d bytes) = %v, want %s", len(long), err, want)
	}
}

func TestWindowContains(t *testing.T) {
	t.Parallel()
	berlin := mustLoad(t, "Europe/Berlin")
	newYork := mustLoad(t, "America/New_York")
	tokyo := mustLoad(t, "Asia/Tokyo")
	tests := []struct {
		name, window string
		loc          *time.Location
		t            string // wall clock in loc, or an RFC 3339 instant
		want         string // when the window ends (RFC 3339); "" outside
	}{
		// Across midnight.
		{"midnight: before", "Mon 22:00-Tue 02:00", berlin, "2026-12-07 21:59", ""},
		{"midnight: start", "Mon 22:00-Tue 02:00", berlin, "2026-12-07 22:00", "2026-12-08T02:00:00+01:00"},
		{"midnight: after midnight", "Mon 22:00-Tue 02:00", berlin, "2026-12-08 01:59:59", "2026-12-08T02:00:00+01:00"},
		{"midnight: end is out", "Mon 22:00-Tue 02:00", berlin, "2026-12-08 02:00", ""},
		// Across the end of the week.
		{"weekend: Friday before", "Fri 18:00-Mon 06:00", berlin, "2026-12-04 17:59", ""},
		{"weekend: Friday", "Fri 18:00-Mon 06:00", berlin, "2026-12-04 18:00", "2026-12-07T06:00:00+01:00"},
		{"weekend: Sunday", "Fri 18:00-Mon 06:00", berlin, "2026-12-06 12:00", "2026-12-07T06:00:00+01:00"},
		{"weekend: Monday early", "Fri 18:00-Mon 06:00", berlin, "2026-12-07 05:59", "2026-12-07T06:00:00+01:00"},
		{"weekend: Monday end", "Fri 18:00-Mon 06:00", berlin, "2026-12-07 06:00", ""},
		{"weekend: Wednesday", "Fri 18:00-Mon 06:00", berlin, "2026-12-09 12:00", ""},
		{"weekend: new year", "Fri 18:00-Mon 06:00", berlin, "2027-01-02 10:00", "2027-01-04T06:00:00+01:00"},
		{"wraps the week", "Wed 17:30-Wed 09:00", berlin, "2026-12-07 12:00", "2026-12-09T09:00:00+01:00"},
		{"wraps the week: gap", "Wed 17:30-Wed 09:00", berlin, "2026-12-09 12:00", ""},
		{"ends 24:00", "Fri 18:00-Sun 24:00", berlin, "2026-12-06 23:59", "2026-12-07T00:00:00+01:00"},
		// Whole days.
		{"days: Saturday 00:00", "Sat-Sun", berlin, "2026-12-05 00:00", "2026-12-07T00:00:00+01:00"},
		{"days: Sunday late", "Sat-Sun", berlin, "2026-12-06 23:59", "2026-12-07T00:00:00+01:00"},
		{"days: Friday late", "Sat-Sun", berlin, "2026-12-04 23:59", ""},
		{"days: Monday", "Sat-Sun", berlin, "2026-12-07 00:00", ""},
		{"days: wrap", "Fri-Mon", berlin, "2026-12-07 23:00", "2026-12-08T00:00:00+01:00"},
		{"days: one", "Sat", berlin, "2026-12-05 13:00", "2026-12-06T00:00:00+01:00"},
		{"days: one, not Sunday", "Sat", berlin, "2026-12-06 13:00", ""},
		// Dates, whole days, both ends included.
		{"dates: before", "2026-12-20..2027-01-04", berlin, "2026-12-19 23:59", ""},
		{"dates: first day", "2026-12-20..2027-01-04", berlin, "2026-12-20 00:00", "2027-01-05T00:00:00+01:00"},
		{"dates: last day", "2026-12-20..2027-01-04", berlin, "2027-01-04 23:59:59", "2027-01-05T00:00:00+01:00"},
		{"dates: after", "2026-12-20..2027-01-04", berlin, "2027-01-05 00:00", ""},
		{"date: the day", "2026-12-24", berlin, "2026-12-24 20:00", "2026-12-25T00:00:00+01:00"},
		{"date: next year", "2026-12-24", berlin, "2027-12-24 20:00", ""},
		// Time zones: one instant, Friday 17:30 UTC.
		{"zone: Berlin", "Fri 18:00-Mon 06:00", berlin, "2026-12-04T17:30:00Z", "2026-12-07T06:00:00+01:00"},
		{"zone: UTC", "Fri 18:00-Mon 06:00", time.UTC, "2026-12-04T17:30:00Z", ""},
		{"zone: nil is UTC", "Fri 18:00-Mon 06:00", nil, "2026-12-04T18:30:00Z", "2026-12-07T06:00:00Z"},
		{"zone: New York", "Fri 18:00-Mon 06:00", newYork, "2026-12-04T17:30:00Z", ""},
		{"zone: Tokyo", "Fri 18:00-Mon 06:00", tokyo, "2026-12-04T17:30:00Z", "2026-12-07T06:00:00+09:00"},
		{"zone: Tokyo, date", "2026-12-24", tokyo, "2026-12-23T15:00:00Z", "2026-12-25T00:00:00+09:00"},
		{"zone: UTC, date", "2026-12-24", time.UTC, "2026-12-23T15:00:00Z", ""},
		// DST in Europe/Berlin. Spring: 2026-03-29 02:00 CET is 03:00 CEST.
		{"spring: window over the gap", "Sat 22:00-Sun 04:00", berlin, "2026-03-29T01:30:00Z", "2026-03-29T04:00:00+02:00"},
		{"spring: before the gap", "Sat 22:00-Sun 04:00", berlin, "2026-03-29 01:59", "2026-03-29T04:00:00+02:00"},
		{"spring: start in the gap, before", "Sun 02:30-Sun 05:00", berlin, "2026-03-29T00:59:59Z", ""},
		{"spring: start in the gap is the jump", "Sun 02:30-Sun 05:00", berlin, "2026-03-29T01:00:00Z", "2026-03-29T05:00:00+02:00"},
		{"spring: end in the gap is the jump", "Sat 22:00-Sun 02:30", berlin, "2026-03-29T00:59:59Z", "2026-03-29T03:00:00+02:00"},
		{"spring: end in the gap, after", "Sat 22:00-Sun 02:30", berlin, "2026-03-29T01:00:00Z", ""},
		{"spring: the short day", "2026-03-29", berlin, "2026-03-29 23:59", "2026-03-30T00:00:00+02:00"},
		// Autumn: 2026-10-25 03:00 CEST is 02:00 CET; 02:00-02:59 happen twice.
		{"autumn: end in the repeat, first pass", "Sat 22:00-Sun 02:30", berlin, "2026-10-25T00:29:00Z", "2026-10-25T02:30:00+02:00"},
		{"autumn: end in the repeat, ended", "Sat 22:00-Sun 02:30", berlin, "2026-10-25T00:30:00Z", ""},
		{"autumn: end in the repeat, no second opening", "Sat 22:00-Sun 02:30", berlin, "2026-10-25T01:10:00Z", ""},
		{"autumn: start in the repeat, first pass", "Sun 02:30-Sun 03:30", berlin, "2026-10-25T00:30:00Z", "2026-10-25T03:30:00+01:00"},
		{"autumn: start in the repeat, second pass", "Sun 02:10-Sun 03:30", berlin, "2026-10-25T01:05:00Z", "2026-10-25T03:30:00+01:00"},
		{"autumn: over the change", "Sat 22:00-Sun 04:00", berlin, "2026-10-25T02:30:00Z", "2026-10-25T04:00:00+01:00"},
		{"autumn: the long day", "2026-10-25", berlin, "2026-10-25T22:30:00Z", "2026-10-26T00:00:00+01:00"},
		// DST in New York: 2026-03-08 02:00 EST is 03:00 EDT.
		{"New York spring", "Sun 02:00-Sun 02:30", newYork, "2026-03-08T07:00:00Z", ""},
		{"New York spring: before", "Sat 23:00-Sun 02:30", newYork, "2026-03-08T06:59:00Z", "2026-03-08T03:00:00-04:00"},
	}
	for _, tt := range tests {
		w := mustWindow(t, tt.window)
		tm := at(t, tt.t, tt.loc)
		gotEnd := w.End(tm, tt.loc)
		if got := w.Contains(tm, tt.loc); got != (tt.want != "") {
			t.Errorf("%s: %q.Contains(%s) = %v, want %v", tt.name, tt.window, tm, got, !got)
		}
		var want time.Time
		if tt.want != "" {
			want = at(t, tt.want, nil)
		}
		if !gotEnd.Equal(want) {
			t.Errorf("%s: %q.End(%s) = %s, want %s", tt.name, tt.window, tm, gotEnd, want)
		}
	}
}

// TestWindowSweep walks 2026 in zones with and without DST, every minute
// for a day and a half around each DST change and every 53 minutes
// elsewhere, and checks that Contains and End agree with each other.
func TestWindowSweep(t *testing.T) {
	t.Parallel()
	windows := []string{"Fri 18:00-Mon 06:00", "Sat 22:00-Sun 02:30", "Sun 02:30-Sun 03:30", "Sat-Sun", "Sun", "Wed 17:30-Wed 09:00",
		"2026-03-28..2026-03-30", "2026-10-25", "2026-04-05", "2026-11-01"}
	for _, zone := range []string{"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"} {
		loc := mustLoad(t, zone)
		var times []time.Time
		for tm := time.Date(2026, 1, 1, 0, 0, 0, 0, loc); tm.Year() == 2026; tm = tm.Add(53 * time.Minute) {
			times = append(times, tm)
		}
		for tm := time.Date(2026, 1, 1, 0, 0, 0, 0, loc); tm.Year() == 2026; {
			_, change := tm.ZoneBounds()
			if change.IsZero() {
				break
			}
			for u := change.Add(-36 * time.Hour); u.Before(change.Add(36 * time.Hour)); u = u.Add(time.Minute) {
				times = append(times, u)
			}
			tm = change
		}
		slices.SortFunc(times, time.Time.Compare)
		for _, s := range windows {
			w := mustWindow(t, s)
			var lastEnd time.Time
			for _, tm := range times {
				end := w.End(tm, loc)
				in := w.Contains(tm, loc)
				if in != !end.IsZero() {
					t.Fatalf("%s %q at %s: Contains %v, End %s", zone, s, tm, in, end)
				}
				if !in {
					lastEnd = time.Time{}
					continue
				}
				switch {
				case !end.After(tm):
					t.Fatalf("%s %q at %s: End %s is not after it", zone, s, tm, end)
				case w.Contains(end, loc):
					t.Fatalf("%s %q at %s: End %s is in the window", zone, s, tm, end)
				case !w.Contains(end.Add(-time.Nanosecond), loc):
					t.Fatalf("%s %q at %s: just before End %s is not in the window", zone, s, tm, end)
				case tm.Before(lastEnd) && !end.Equal(lastEnd):
					t.Fatalf("%s %q at %s: End moved from %s to %s within one run", zone, s, tm, lastEnd, end)
				}
				lastEnd = end
			}
		}
	}
}

func TestFrozen(t *testing.T) {
	t.Parallel()
	berlin := mustLoad(t, "Europe/Berlin")
	windows := func(ss ...string) []Window {
		var ws []Window
		for _, s := range ss {
			ws = append(ws, mustWindow(t, s))
		}
		return ws
	}
	tests := []struct {
		name    string
		windows []Window
		t       string
		want    string // the window; "" not frozen
		end     string
	}{
		{"none", nil, "2026-12-04 20:00", "", ""},
		{"outside", windows("Fri 18:00-Mon 06:00"), "2026-12-09 12:00", "", ""},
		{"weekly", windows("Fri 18:00-Mon 06:00", "2026-12-20..2027-01-04"), "2026-12-04 20:00", "Fri 18:00-Mon 06:00", "2026-12-07T06:00:00+01:00"},
		{"dates", windows("Fri 18:00-Mon 06:00", "2026-12-20..2027-01-04"), "2026-12-23 12:00", "2026-12-20..2027-01-04", "2027-01-05T00:00:00+01:00"},
		{"weekly within dates: the dates end later", windows("Fri 18:00-Mon 06:00", "2026-12-20..2027-01-04"), "2027-01-02 12:00", "Fri 18:00-Mon 06:00", "2027-01-05T00:00:00+01:00"},
		{"dates end in a weekly one", windows("Fri 18:00-Mon 06:00", "2026-12-20..2027-01-01"), "2026-12-28 12:00", "2026-12-20..2027-01-01", "2027-01-04T06:00:00+01:00"},
		{"adjacent", windows("Fri 18:00-Mon 06:00", "Mon"), "2026-12-05 12:00", "Fri 18:00-Mon 06:00", "2026-12-08T00:00:00+01:00"},
		{"first that contains it", windows("Sat", "Sat-Sun"), "2026-12-05 12:00", "Sat", "2026-12-07T00:00:00+01:00"},
	}
	for _, tt := range tests {
		tm := at(t, tt.t, berlin)
		frozen, w, end := Frozen(tt.windows, tm, berlin)
		if frozen != (tt.want != "") || (frozen && w.String() != tt.want) || (!frozen && w != Window{}) {
			t.Errorf("%s: Frozen = %v, %q; want %q", tt.name, frozen, w, tt.want)
		}
		var wantEnd time.Time
		if tt.end != "" {
			wantEnd = at(t, tt.end, nil)
		}
		if !end.Equal(wantEnd) {
			t.Errorf("%s: Frozen ends %s, want %s", tt.name, end, wantEnd)
		}
	}

	// Windows that together cover the week never end: Frozen stops a year on.
	tm := at(t, "2026-12-05 12:00", berlin)
	frozen, _, end := Frozen(windows("Mon-Thu", "Fri-Sun"), tm, berlin)
	if !frozen || end.Sub(tm) < 366*24*time.Hour || end.Sub(tm) > 380*24*time.Hour {
		t.Errorf("Frozen(whole week) = %v, %s; want frozen, a year on", frozen, end)
	}
}

func TestFormatEnd(t *testing.T) {
	t.Parallel()
	berlin := mustLoad(t, "Europe/Berlin")
	w := mustWindow(t, "Fri 18:00-Mon 06:00")
	end := w.End(at(t, "2026-12-05 10:00", berlin), berlin)
	if got, want := FormatEnd(end, berlin), "Mon 06:00 (2026-12-07 06:00 CET)"; got != want {
		t.Errorf("FormatEnd = %q, want %q", got, want)
	}
	if got, want := FormatEnd(end, nil), "Mon 05:00 (2026-12-07 05:00 UTC)"; got != want {
		t.Errorf("FormatEnd(nil) = %q, want %q", got, want)
	}
}

func TestWindowText(t *testing.T) {
	t.Parallel()
	var v struct{ Freeze []Window }
	if err := json.Unmarshal([]byte(`{"Freeze": ["friday 18:00-monday 06:00", "2026-12-24"]}`), &v); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), `{"Freeze":["Fri 18:00-Mon 06:00","2026-12-24"]}`; got != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}
	if err := json.Unmarshal([]byte(`{"Freeze": ["Fri 18:00-Mon 6"]}`), &v); err == nil || err.Error() != `freeze window "Fri 18:00-Mon 6": time "6" is not HH:MM` {
		t.Errorf("Unmarshal(bad window) = %v", err)
	}
	if _, err := (Window{}).MarshalText(); err == nil {
		t.Error("the zero Window marshalled")
	}
	var zero Window
	if zero.Contains(time.Now(), nil) || !zero.End(time.Now(), nil).IsZero() || zero.String() != "" {
		t.Error("the zero Window contains something")
	}
}

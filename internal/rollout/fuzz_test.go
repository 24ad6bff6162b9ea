package rollout

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

var fuzzZones = []string{"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"}

func FuzzParseWindow(f *testing.F) {
	for _, s := range []string{"Fri 18:00-Mon 06:00", "Sat-Sun", "Sat", "fri-mon", "Wed 17:30-Wed 09:00", "Fri 18:00-Sun 24:00",
		"2026-12-20..2027-01-04", "2026-12-24", "Fri 18:00-Mon 6", "2026-12-20-2027-01-04", "Mon-Sun", "", "..", "-", "Fri18:00"} {
		f.Add(s, int64(1796400000), uint8(1))
	}
	f.Add("Sat 22:00-Sun 02:30", int64(1792888200), uint8(1)) // 2026-10-25, the autumn DST change in Berlin
	f.Fuzz(func(t *testing.T, s string, unix int64, zone uint8) {
		w, err := ParseWindow(s)
		if err != nil {
			var we *WindowError
			if !errors.As(err, &we) || we.Msg == "" || w != (Window{}) {
				t.Fatalf("ParseWindow(%q) = %v, %v", s, w, err)
			}
			return
		}
		again, err := ParseWindow(w.String())
		if err != nil || again != w {
			t.Fatalf("ParseWindow(%q).String() = %q reads back as %v, %v", s, w.String(), again, err)
		}
		loc, err := time.LoadLocation(fuzzZones[int(zone)%len(fuzzZones)])
		if err != nil {
			t.Skip(err)
		}
		// 1900 to 2100, to the second.
		tm := time.Unix(unix%(200*365*86400)+(-70*365*86400), 0)
		end := w.End(tm, loc)
		if w.Contains(tm, loc) != !end.IsZero() {
			t.Fatalf("%q at %s: Contains and End disagree (End %s)", w, tm, end)
		}
		if end.IsZero() {
			return
		}
		if !end.After(tm) || w.Contains(end, loc) || !w.Contains(end.Add(-time.Nanosecond), loc) {
			t.Fatalf("%q at %s: End %s is not where the window ends", w, tm, end)
		}
		if w.Weekly() && end.Sub(tm) > 7*24*time.Hour+3*time.Hour {
			t.Fatalf("%q at %s: a weekly window ends %s", w, tm, end)
		}
		if frozen, _, until := Frozen([]Window{w}, tm, loc); !frozen || !until.Equal(end) {
			t.Fatalf("Frozen(%q) at %s = %v, %s; want true, %s", w, tm, frozen, until, end)
		}
	})
}

func FuzzDecodeSite(f *testing.F) {
	f.Add([]byte(validSite))
	for _, s := range []string{"", "env = \"prod\"\n", "freeze = [\"Fri 18:00-Mon 6\", 5]\n", "timezone = \"../../etc/passwd\"\n",
		"[site]\n", "site = \"a\"\nsite = \"b\"\n", "operator = \"\\u202e\"\n", "\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeSite(siteName, data)
		if err != nil {
			var se *SiteError
			if !errors.As(err, &se) || len(se.Problems) == 0 || s != nil {
				t.Fatalf("DecodeSite error %T without problems: %v", err, err)
			}
			lines := bytes.Count(data, []byte("\n")) + 1
			for _, p := range se.Problems {
				if p.Line < 1 || p.Line > lines || p.Col < 1 || p.Code == "" || p.Message == "" {
					t.Errorf("malformed problem %+v", p)
				}
				if strings.Contains(p.Message, "internal error") {
					t.Errorf("DecodeSite panicked: %s", p)
				}
			}
			return
		}
		if s.Name != "" && CheckSite(s.Name) != nil || s.Env != "" && CheckEnv(s.Env) != nil ||
			s.Operator != "" && CheckName("operator", s.Operator) != nil {
			t.Fatalf("DecodeSite accepted %+v", s)
		}
		if (s.Timezone != "") != (s.Location() != nil) || len(s.Windows()) != len(s.Freeze) {
			t.Fatalf("DecodeSite = %+v, location %v, windows %v", s, s.Location(), s.Windows())
		}
	})
}

func FuzzDecodeRecord(f *testing.F) {
	valid, err := validRecord().Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	for _, s := range []string{"", "{}", "[]", "null", `{"schema": 1}`, `{"schema": 1, "SCHEMA": 2}`, "{} {}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeRecord(data)
		if err != nil {
			if !errors.Is(err, ErrBadRecord) || r != nil {
				t.Fatalf("DecodeRecord = %v, %v", r, err)
			}
			return
		}
		enc, err := r.Encode()
		if err != nil {
			t.Fatalf("Encode of a decoded record: %v", err)
		}
		again, err := DecodeRecord(enc)
		if err != nil {
			t.Fatalf("DecodeRecord(Encode(r)): %v\n%s", err, enc)
		}
		if enc2, _ := again.Encode(); !bytes.Equal(enc, enc2) {
			t.Fatalf("Encode is not stable:\n%s\nthen\n%s", enc, enc2)
		}
		for _, p := range r.Patches {
			if q, ok := r.Healthy(p.BundleDigest); q.ID == "" || ok != (q.Problem() == "") {
				t.Fatalf("Healthy(%s) = %+v, %v", p.BundleDigest, q, ok)
			}
		}
	})
}

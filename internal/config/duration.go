package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

const day = 24 * time.Hour

// ParseDuration reads a duration as time.ParseDuration does, with two more
// units: d (24h) and w (7d). "48h", "5d", "2w", "1d12h" and "1.5d" are valid.
func ParseDuration(s string) (time.Duration, error) {
	bad := func(why string) error {
		return fmt.Errorf("invalid duration %q: %s", s, why)
	}
	if s == "" {
		return 0, errors.New(`invalid duration "": write a number and a unit, e.g. "48h", "7d", "2w"`)
	}
	if s == "0" {
		return 0, nil
	}
	var total float64
	var rest strings.Builder // the parts time.ParseDuration reads
	for r := s; r != ""; {
		n := 0
		for n < len(r) && (r[n] >= '0' && r[n] <= '9' || r[n] == '.') {
			n++
		}
		if n == 0 {
			return 0, bad("write a number and a unit, e.g. \"48h\", \"7d\", \"2w\"")
		}
		u := n
		for u < len(r) && !(r[u] >= '0' && r[u] <= '9' || r[u] == '.') {
			u++
		}
		num, unit := r[:n], r[n:u]
		r = r[u:]
		var mult time.Duration
		switch unit {
		case "d":
			mult = day
		case "w":
			mult = 7 * day
		case "":
			return 0, bad("missing unit: use h, d or w, e.g. \"48h\"")
		default:
			rest.WriteString(num + unit)
			continue
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, bad("bad number " + strconv.Quote(num))
		}
		total += f * float64(mult)
	}
	if rest.Len() > 0 {
		d, err := time.ParseDuration(rest.String())
		if err != nil {
			return 0, bad("units are ns, us, ms, s, m, h, d and w")
		}
		total += float64(d)
	}
	if total >= math.MaxInt64 {
		return 0, bad("too long")
	}
	return time.Duration(total), nil
}

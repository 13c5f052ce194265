package calendar

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DurationForms is what ParseDuration accepts, for error messages.
const DurationForms = "Go durations (48h, 90m, 1h30m, 45s) or words (2 days, 36 hours, 1 day 12 hours, 90 minutes)"

// durationUnits are the words ParseDuration reads, singular, plural and
// short.
var durationUnits = map[string]time.Duration{
	"w": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"h": time.Hour, "hour": time.Hour, "hours": time.Hour, "hr": time.Hour, "hrs": time.Hour,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
}

// ParseDuration reads a non-negative duration written as Go writes it
// ("48h", "1h30m") or in words ("2 days", "1 day 12 hours", "90
// minutes", "1 day and 6 hours"). A day is 24 hours here: windows are
// anchored on local times, so a daylight-saving change inside one is
// handled by the anchor, not by the duration.
func ParseDuration(s string) (time.Duration, error) {
	text := strings.TrimSpace(s)
	if d, err := time.ParseDuration(text); err == nil {
		if d < 0 {
			return 0, fmt.Errorf("%q is negative: want %s", s, DurationForms)
		}
		return d, nil
	}
	fields := strings.Fields(strings.ToLower(text))
	var total time.Duration
	n := 0
	for i := 0; i < len(fields); {
		if fields[i] == "and" && n > 0 {
			i++
			continue
		}
		num, unit := fields[i], ""
		// "2days" and "2 days" alike.
		if j := strings.IndexFunc(num, func(r rune) bool { return (r < '0' || r > '9') && r != '.' }); j > 0 {
			num, unit = num[:j], num[j:]
		} else if i+1 < len(fields) {
			unit = fields[i+1]
			i++
		}
		i++
		v, err := strconv.ParseFloat(num, 64)
		u, ok := durationUnits[unit]
		if err != nil || !ok || v < 0 {
			return 0, fmt.Errorf("%q is not a duration: want %s", s, DurationForms)
		}
		total += time.Duration(v * float64(u))
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("%q is not a duration: want %s", s, DurationForms)
	}
	return total, nil
}

// wholeDays reports whether s is a number of days in words ("4 days",
// "1 day", "2d"), and how many.
func wholeDays(s string) (int, bool) {
	fields := strings.Fields(strings.ToLower(strings.TrimSpace(s)))
	num, unit := "", ""
	switch len(fields) {
	case 1:
		i := strings.IndexFunc(fields[0], func(r rune) bool { return r < '0' || r > '9' })
		if i <= 0 {
			return 0, false
		}
		num, unit = fields[0][:i], fields[0][i:]
	case 2:
		num, unit = fields[0], fields[1]
	default:
		return 0, false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || (unit != "d" && unit != "day" && unit != "days") {
		return 0, false
	}
	return n, true
}

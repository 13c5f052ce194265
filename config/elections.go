package config

import (
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/calendar"
)

func (v *validator) elections(cfg *Config, raws []rawElection) map[string]bool {
	zoneIDs := map[string]bool{}
	seen := map[string]bool{}
	for i, re := range raws {
		path := p{"elections", i}
		v.id(path.with("id"), re.ID, seen, "election")
		e := &calendar.Election{ID: re.ID, Name: re.Name, Country: re.Country}
		if len(re.Rounds) == 0 {
			v.errorf(path.with("rounds"), "an election needs at least one round")
		}
		seenRound := map[string]bool{}
		for j, rr := range re.Rounds {
			rpath := path.with("rounds", j)
			v.id(rpath.with("id"), rr.ID, seenRound, "round")
			r := &calendar.Round{ID: rr.ID, Name: rr.Name}
			if len(rr.Zones) == 0 {
				v.errorf(rpath.with("zones"), "a round needs at least one polling zone")
			}
			seenZone := map[string]bool{}
			valid := true
			for k, rz := range rr.Zones {
				zpath := rpath.with("zones", k)
				v.id(zpath.with("id"), rz.ID, seenZone, "zone")
				zoneIDs[rz.ID] = true
				z := &calendar.Zone{ID: rz.ID, Name: rz.Name}
				if z.Name == "" {
					z.Name = rz.ID
				}
				if v.required(zpath.with("tz"), rz.TZ) {
					loc, err := time.LoadLocation(rz.TZ)
					if err != nil || rz.TZ == "Local" {
						v.errorf(zpath.with("tz"), "unknown time zone %q (expected an IANA name such as Europe/Paris)", rz.TZ)
						valid = false
					}
					z.Location = loc
				} else {
					valid = false
				}
				var err error
				if z.Date, err = calendar.ParseDate(rz.Date); err != nil {
					v.errorf(zpath.with("date"), "%q is not a date (expected YYYY-MM-DD)", rz.Date)
					valid = false
				}
				if !v.required(zpath.with("opens"), rz.Opens) {
					valid = false
				} else if z.Opens, err = calendar.ParseClock(rz.Opens); err != nil {
					v.errorf(zpath.with("opens"), "%q is not a time of day (expected HH:MM, local time)", rz.Opens)
					valid = false
				}
				if !v.required(zpath.with("closes"), rz.Closes) {
					valid = false
				} else if z.Closes, err = calendar.ParseClock(rz.Closes); err != nil {
					v.errorf(zpath.with("closes"), "%q is not a time of day (expected HH:MM, local time)", rz.Closes)
					valid = false
				} else if valid && z.Closes <= z.Opens {
					v.errorf(zpath.with("closes"), "polls close at %s, not after they open at %s", z.Closes, z.Opens)
					valid = false
				}
				r.Zones = append(r.Zones, z)
			}
			seenWindow := map[string]bool{}
			for k, rw := range rr.Windows {
				wpath := rpath.with("windows", k)
				v.id(wpath.with("name"), rw.Name, seenWindow, "window")
				spec := calendar.WindowSpec{Name: rw.Name, Description: rw.Description, Zones: rw.Zones}
				for _, side := range []struct {
					key, value string
					dst        *calendar.Boundary
				}{{"start", rw.Start, &spec.Start}, {"end", rw.End, &spec.End}} {
					if !v.required(wpath.with(side.key), side.value) {
						valid = false
						continue
					}
					b, err := calendar.ParseBoundary(side.value)
					if err != nil {
						v.errorf(wpath.with(side.key), "%s", strings.TrimPrefix(err.Error(), "calendar: "))
						valid = false
						continue
					}
					if b.Anchor == calendar.AnchorZoneClose && !seenZone[b.Zone] {
						v.errorf(wpath.with(side.key), "unknown zone %q (zones of this round: %s)", b.Zone, strings.Join(sortedKeys(seenZone), ", "))
						valid = false
					}
					*side.dst = b
				}
				for l, zid := range rw.Zones {
					if !seenZone[zid] {
						v.errorf(wpath.with("zones", l), "unknown zone %q (zones of this round: %s)", zid, strings.Join(sortedKeys(seenZone), ", "))
						valid = false
					}
				}
				r.Windows = append(r.Windows, spec)
			}
			if valid {
				// Check each window's order now, so the error has a line.
				if _, err := calendar.New([]*calendar.Election{{ID: e.ID, Rounds: []*calendar.Round{r}}}, nil); err != nil {
					v.errorf(rpath.with("windows"), "%s", strings.TrimPrefix(err.Error(), "calendar: "))
				}
			}
			e.Rounds = append(e.Rounds, r)
		}
		cfg.Elections = append(cfg.Elections, e)
	}
	return zoneIDs
}

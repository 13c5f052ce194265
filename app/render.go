package app

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/terminal"
)

// printCheck writes check's report for people: each article with its
// findings, the evidence with the match marked, then a one-line total.
// Everything taken from an article goes through terminal.Clean (cl): a
// title must not be able to send escape sequences to the terminal.
func printCheck(w io.Writer, checked []checkedArticle, threshold config.Severity, colour bool) {
	cl := terminal.Clean
	bold, reset := "**", "**"
	if colour {
		bold, reset = "\x1b[1;31m", "\x1b[0m"
	}
	count := map[config.Severity]int{}
	total := 0
	for _, c := range checked {
		a := c.article
		title := a.Title
		if title == "" {
			title = "(untitled)"
		}
		fmt.Fprintf(w, "%s: %q\n", cl(c.target), title)
		if a.URL != "" && !strings.HasPrefix(a.URL, "file://") && a.URL != "stdin" {
			fmt.Fprintf(w, "  url: %s\n", cl(a.URL))
		}
		if len(c.findings) == 0 {
			fmt.Fprintf(w, "  no finding (%s)\n\n", describeTime(a.PublishedAt, a.FirstSeenAt))
			continue
		}
		for _, f := range c.findings {
			total++
			count[f.Severity]++
			fmt.Fprintf(w, "  %s  %s: %s\n", strings.ToUpper(f.Severity.String()), f.Rule, f.Title)
			for i, line := range windowLines(&f) {
				label := "window:"
				if i > 0 {
					label = ""
				}
				fmt.Fprintf(w, "    %-10s %s\n", label, line)
			}
			for _, o := range f.OtherWindows {
				fmt.Fprintf(w, "    also in:   %s\n", o)
			}
			fmt.Fprintf(w, "    time:      %s %s\n", basisName(f.TimeBasis), localTime(&f))
			for _, n := range f.TimeNotes {
				fmt.Fprintf(w, "    note:      %s\n", n)
			}
			if f.Reference != "" {
				fmt.Fprintf(w, "    reference: %s\n", f.Reference)
			}
			if l := f.Leak; l != nil {
				fmt.Fprintf(w, "    leak:      %s labelled %q (score %.2f)\n", l.Leak, l.Label, l.Score)
				for i, sig := range l.Signals {
					if i == 6 {
						break
					}
					ev := ""
					if sig.Evidence != "" {
						ev = ": " + truncateRunes(oneLineText(cl(sig.Evidence)), 100)
					}
					fmt.Fprintf(w, "               %+.2f %s%s\n", sig.Weight, sig.Name, ev)
				}
			}
			first := true
			for _, e := range f.Evidence {
				label := "evidence:"
				if !first {
					label = ""
				}
				first = false
				if src := e.Source; src != nil {
					// A quoted passage, side by side with the leaked document.
					fmt.Fprintf(w, "    %-10s %s [%d-%d], %d words from %q (%s [%d-%d]):\n", "quoted:", e.Field, e.Start, e.End, src.Words, cl(src.DocTitle), cl(src.DocID), src.DocStart, src.DocEnd)
					fmt.Fprintf(w, "               article: %s%s%s\n", bold, oneLineText(cl(e.Text)), reset)
					fmt.Fprintf(w, "               leak:    %s\n", oneLineText(cl(src.DocText)))
					continue
				}
				fmt.Fprintf(w, "    %-10s %s [%s %d-%d] %s%s%s%s%s\n", label, e.Field, e.Kind, e.Start, e.End, cl(e.Before), bold, cl(e.Text), reset, cl(e.After))
			}
			fmt.Fprintf(w, "    finding:   %s\n", f.ID)
		}
		fmt.Fprintln(w)
	}
	var parts []string
	for s := config.SeverityCritical; s >= config.SeverityInfo; s-- {
		if count[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[s], s))
		}
	}
	breakdown := ""
	if len(parts) > 0 {
		breakdown = " (" + strings.Join(parts, ", ") + ")"
	}
	fmt.Fprintf(w, "%d article%s checked, %d finding%s%s; failing at %s and above\n",
		len(checked), plural(len(checked)), total, plural(total), breakdown, threshold)
}

func basisName(b string) string {
	if b == "first_seen" {
		return "first seen"
	}
	return "published (claimed)"
}

func describeTime(published, firstSeen time.Time) string {
	if article.DateOnly(published) {
		return "published " + published.Format(time.DateOnly) + ", a date without a time of day"
	}
	if !published.IsZero() {
		return "published " + published.Format(time.RFC3339)
	}
	return "first seen " + firstSeen.Format(time.RFC3339)
}

// windowLines says where the finding falls: the window, then each zone
// with its local start and how far into the window the article is.
func windowLines(f *finding.Finding) []string {
	if f.Window == "always" {
		return []string{"always"}
	}
	ref := f.Window
	if f.Round != "" {
		ref = f.Election + "/" + f.Round + "/" + f.Window
	}
	lines := []string{ref}
	width := 0
	for _, z := range f.ZoneWindows {
		width = max(width, len(z.Zone))
	}
	for _, z := range f.ZoneWindows {
		name := z.Zone
		if name == "" {
			name = "all zones"
		}
		lines = append(lines, fmt.Sprintf("  %-*s  from %s, %s", max(width, 9), name, z.Start.Format("Mon 02 Jan 15:04 MST"), z.Elapsed))
	}
	return lines
}

// localTime shows the basis time in the first zone's local time, then UTC.
func localTime(f *finding.Finding) string {
	t := f.BasisTime
	if len(f.ZoneWindows) > 0 && f.ZoneWindows[0].Zone != "" {
		t = t.In(f.ZoneWindows[0].Start.Location())
	}
	return t.Format("Mon 02 Jan 2006 15:04:05 MST") + " (" + f.BasisTime.UTC().Format(time.RFC3339) + ")"
}

func oneLineText(s string) string { return strings.Join(strings.Fields(s), " ") }

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

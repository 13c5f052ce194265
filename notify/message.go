package notify

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/store"
)

// Slack's limits (Block Kit reference): a section's text, a header's
// text, blocks per message, and characters of text in a message.
const (
	maxSectionChars = 3000
	maxHeaderChars  = 150
	maxBlocks       = 50
	maxTextChars    = 40000
	maxEvidence     = 5 // evidence snippets shown per alert
	maxSnippetChars = 500
)

// Message is one Slack message: blocks for people, a plain-text fallback
// for notifications, and an idempotency key carried as message metadata
// so a post whose answer was lost can be found instead of repeated.
type Message struct {
	Text  string // the notification fallback
	Plain string // the whole message as plain text, for the console
	// plainOf, when set, is the finding Plain renders (after plainLead):
	// the console renders it again to show its times beside another zone.
	plainOf   *finding.Finding
	plainLead string
	Blocks    []slack.Block
	ThreadTS  string
	Key       string
}

// Plain-text leads of follow-ups: on the console (which has no threads),
// a message that follows up one printed before says so.
const (
	LeadUpdated     = "updated: "      // a new version of an alert above, or its article's edit or deletion
	LeadSameStory   = "same story: "   // the story of an alert above, at another outlet
	LeadSameArticle = "same article: " // another rule's finding on an article alerted above
)

// metadataEventType marks silencewatch's messages in Slack.
const metadataEventType = "silencewatch_alert"

var severityEmoji = map[config.Severity]string{
	config.SeverityCritical: ":rotating_light:",
	config.SeverityHigh:     ":red_circle:",
	config.SeverityMedium:   ":large_orange_circle:",
	config.SeverityLow:      ":large_yellow_circle:",
	config.SeverityInfo:     ":white_circle:",
}

// escape makes text safe in mrkdwn: &, < and > become entities, so
// "<!channel>" or "<@U123>" in an article cannot notify anyone.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// bold escapes s and wraps it in mrkdwn bold; asterisks inside would end
// the bold early, so they become a look-alike.
func bold(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	return "*" + strings.ReplaceAll(escape(s), "*", "∗") + "*"
}

// link is a mrkdwn link; a URL that Slack's syntax cannot carry as is
// gets its delimiters percent-encoded, and | cannot appear in the label.
func link(rawURL, label string) string {
	label = strings.ReplaceAll(escape(oneLine(label)), "|", "¦")
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return label
	}
	safe := strings.NewReplacer("|", "%7C", "<", "%3C", ">", "%3E", " ", "%20").Replace(u.String())
	return "<" + safe + "|" + label + ">"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// keepEdges is oneLine keeping one space at each edge that had space, so
// the bold match next to it stays a separate word (mrkdwn needs that).
func keepEdges(s string) string {
	out := oneLine(s)
	if out == "" {
		return strings.Repeat(" ", min(len(s), 1))
	}
	if strings.TrimLeft(s, " \t\r\n") != s {
		out = " " + out
	}
	if strings.TrimRight(s, " \t\r\n") != s {
		out += " "
	}
	return out
}

// truncate cuts s to at most n characters, ending with an ellipsis when
// cut, never inside a rune nor inside an entity such as &amp;.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := 0
	for i := range s {
		if utf8.RuneCountInString(s[:i]) >= n-1 {
			cut = i
			break
		}
	}
	s = s[:cut]
	if amp := strings.LastIndexByte(s, '&'); amp >= 0 && !strings.Contains(s[amp:], ";") {
		s = s[:amp]
	}
	if lt := strings.LastIndexByte(s, '<'); lt >= 0 && !strings.Contains(s[lt:], ">") {
		s = s[:lt] // a link cut in half would show raw syntax
	}
	return s + "…"
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, truncate(s, maxSectionChars), false, false)
}

func section(s string) slack.Block { return slack.NewSectionBlock(mrkdwn(s), nil, nil) }

func contextLine(s string) slack.Block {
	return slack.NewContextBlock("", mrkdwn(s))
}

func header(s string) slack.Block {
	return slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, truncate(oneLine(s), maxHeaderChars), true, false))
}

// localTime renders t in the finding's first zone.
func localTime(f *finding.Finding, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(f.Location()).Format("Mon 02 Jan 15:04 MST")
}

// whereWhen says when the article appeared, in the zone's local time and
// relative to the window: "10 h 0 min into the silence (France
// métropolitaine)".
func whereWhen(f *finding.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*Published:* %s", localTime(f, f.Article.PublishedAt))
	if f.TimeBasis == "published" {
		b.WriteString(" (claimed by the outlet)")
	}
	fmt.Fprintf(&b, " · *First seen:* %s", localTime(f, f.Article.FirstSeenAt))
	switch {
	case f.Window == "always":
	case len(f.ZoneWindows) > 0 && f.Round == "":
		z := f.ZoneWindows[0]
		fmt.Fprintf(&b, "\n*Window:* %s the guidance %s", z.Elapsed, escape(f.Election))
	case len(f.ZoneWindows) > 0:
		z := f.ZoneWindows[0]
		fmt.Fprintf(&b, "\n*Window:* %s the %s (%s)", z.Elapsed, escape(f.Window), escape(z.ZoneName))
		if len(f.ZoneWindows) > 1 {
			others := make([]string, 0, len(f.ZoneWindows)-1)
			for _, o := range f.ZoneWindows[1:] {
				others = append(others, escape(o.Zone))
			}
			fmt.Fprintf(&b, "; also %s", strings.Join(others, ", "))
		}
	}
	for _, o := range f.OtherWindows {
		fmt.Fprintf(&b, "\n*Also in:* %s", escape(o))
	}
	for _, n := range f.TimeNotes {
		fmt.Fprintf(&b, "\n:warning: %s", escape(n))
	}
	return b.String()
}

// evidenceText quotes each snippet with the match in bold.
func evidenceText(f *finding.Finding) string {
	var lines []string
	for i, e := range f.Evidence {
		if i == maxEvidence {
			lines = append(lines, fmt.Sprintf("_…and %d more_", len(f.Evidence)-maxEvidence))
			break
		}
		before := truncateLeft(e.Before, maxSnippetChars/2)
		after := truncate(e.After, maxSnippetChars/2)
		match := truncate(e.Text, maxSnippetChars)
		lines = append(lines, fmt.Sprintf("> %s%s%s  _(%s, %s)_", escape(keepEdges(before)), bold(oneLine(match)), escape(keepEdges(after)), e.Field, escape(e.Kind)))
	}
	if len(lines) == 0 {
		return ""
	}
	return "*Evidence:*\n" + strings.Join(lines, "\n")
}

func truncateLeft(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return "…" + string(r[len(r)-n+1:])
}

func headline(f *finding.Finding) string {
	title := f.Article.Title
	if title == "" {
		title = f.Article.URL
	}
	return link(f.Article.URL, title)
}

func severityLabel(s config.Severity) string {
	return severityEmoji[s] + " " + strings.ToUpper(s.String())
}

// Alert renders a new finding as a top-level message.
func Alert(sf *store.StoredFinding, interactive bool, verdict *store.Verdict, outlets []string) Message {
	f := &sf.Finding
	blocks := []slack.Block{
		header(severityLabel(f.Severity) + " · " + f.Title),
		section(fmt.Sprintf("%s\n*Outlet:* %s\n%s", headline(f), escape(f.Article.Source), whereWhen(f))),
	}
	if ev := evidenceText(f); ev != "" {
		blocks = append(blocks, section(ev))
	}
	if f.Reference != "" {
		blocks = append(blocks, section("*Reference:* "+escape(f.Reference)))
	}
	if len(outlets) > 1 {
		blocks = append(blocks, contextLine(fmt.Sprintf(":link: Same story at %d outlets: %s", len(outlets), escape(strings.Join(outlets, ", ")))))
	}
	if verdict != nil {
		blocks = append(blocks, contextLine(verdictLine(verdict)))
	} else if interactive {
		blocks = append(blocks, verdictButtons(sf.ID))
	}
	blocks = append(blocks, contextLine(fmt.Sprintf("rule `%s` · finding `%s` (#%d)", escape(f.Rule), f.ID, sf.ID)))
	return Message{Blocks: blocks, Text: fallback(f), Plain: PlainText(f), plainOf: f}
}

// fallback is the notification text: severity, rule title, outlet and
// headline, with no markup a phone would show raw. Slack parses the text
// field like mrkdwn (a "<!channel>" in it notifies the channel), so it is
// escaped like the blocks.
func fallback(f *finding.Finding) string {
	return truncate(escape(fmt.Sprintf("%s %s: %s (%s: %s)", strings.ToUpper(f.Severity.String()), f.Rule, oneLine(f.Title), f.Article.Source, oneLine(f.Article.Title))), 300)
}

// Verdict actions, carried by the buttons.
const (
	ActionConfirm       = "confirmed"
	ActionFalsePositive = "false_positive"
	ActionAcknowledge   = "acknowledged"
	verdictBlockID      = "silencewatch_verdict"
)

func verdictButtons(findingID int64) slack.Block {
	id := fmt.Sprint(findingID)
	confirm := slack.NewButtonBlockElement(ActionConfirm, id, slack.NewTextBlockObject(slack.PlainTextType, "Confirm", false, false))
	confirm.Style = slack.StyleDanger
	fp := slack.NewButtonBlockElement(ActionFalsePositive, id, slack.NewTextBlockObject(slack.PlainTextType, "False positive", false, false))
	ack := slack.NewButtonBlockElement(ActionAcknowledge, id, slack.NewTextBlockObject(slack.PlainTextType, "Acknowledge", false, false))
	return slack.NewActionBlock(verdictBlockID, confirm, fp, ack)
}

var verdictWords = map[string]string{
	ActionConfirm: ":white_check_mark: Confirmed", ActionFalsePositive: ":x: Marked false positive", ActionAcknowledge: ":eyes: Acknowledged",
	"needs_legal_review": ":scales: Sent for legal review", // recorded from the review UI
}

func verdictLine(v *store.Verdict) string {
	user := escape(v.User)
	if strings.HasPrefix(v.User, "U") || strings.HasPrefix(v.User, "W") {
		user = "<@" + v.User + ">" // a Slack user id: let Slack render the name
	}
	words, ok := verdictWords[v.Verdict]
	if !ok {
		words = escape(v.Verdict) // a verdict this version does not name still reads as something
	}
	return fmt.Sprintf("%s by %s at %s", words, user, v.At.UTC().Format("2006-01-02 15:04 UTC"))
}

// FollowUp renders a later finding on an article already alerted in the
// thread th: a new version, another rule, or the same story at another
// outlet. Its plain text starts with what it follows up (LeadUpdated,
// LeadSameArticle, LeadSameStory).
func FollowUp(sf *store.StoredFinding, th store.Thread) Message {
	f := &sf.Finding
	syndicated := !th.SameArticle
	var lead string
	switch {
	case syndicated:
		lead = fmt.Sprintf(":link: *Same story at %s:* %s", escape(f.Article.Source), headline(f))
	default:
		lead = fmt.Sprintf(":pencil2: *New version or finding:* %s %s: %s", severityLabel(f.Severity), escape(f.Rule), escape(f.Title))
	}
	blocks := []slack.Block{section(lead + "\n" + whereWhen(f))}
	if ev := evidenceText(f); ev != "" {
		blocks = append(blocks, section(ev))
	}
	blocks = append(blocks, contextLine(fmt.Sprintf("rule `%s` · finding `%s` (#%d)", escape(f.Rule), f.ID, sf.ID)))
	text := "Follow-up: " + fallback(f)
	if syndicated {
		text = "Same story: " + fallback(f)
	}
	plainLead := LeadSameArticle
	switch {
	case syndicated:
		plainLead = LeadSameStory
	case th.Repeat:
		plainLead = LeadUpdated
	}
	return Message{Blocks: blocks, Text: truncate(text, 300), Plain: plainLead + PlainText(f), plainOf: f, plainLead: plainLead}
}

// Digest summarises a backlog: counts by rule and by outlet and the most
// severe items; the details follow in its thread.
func Digest(channel string, pending []store.Alert, perReply int) Message {
	byRule, byOutlet := map[string]int{}, map[string]int{}
	for _, a := range pending {
		byRule[a.Finding.Finding.Rule+": "+a.Finding.Finding.Title]++
		byOutlet[a.Finding.Finding.Article.Source]++
	}
	top := append([]store.Alert(nil), pending...)
	sort.SliceStable(top, func(i, j int) bool {
		return top[i].Finding.Finding.Severity > top[j].Finding.Finding.Severity
	})
	if len(top) > 5 {
		top = top[:5]
	}
	var items []string
	for _, a := range top {
		f := &a.Finding.Finding
		items = append(items, fmt.Sprintf("• %s %s · %s", severityLabel(f.Severity), escape(f.Article.Source), headline(f)))
	}
	blocks := []slack.Block{
		header(fmt.Sprintf(":bell: Digest: %d findings waiting in %s", len(pending), channel)),
		section("*By rule*\n" + counts(byRule, 15)),
		section("*By outlet*\n" + counts(byOutlet, 15)),
		section("*Most severe*\n" + strings.Join(items, "\n")),
		contextLine(fmt.Sprintf("Too many findings to post one by one: every one is listed in this thread, %d per message.", perReply)),
	}
	return Message{Blocks: blocks, Text: fmt.Sprintf("Digest: %d findings waiting", len(pending)),
		Plain: fmt.Sprintf("Digest: %d findings waiting in %s", len(pending), channel)}
}

func counts(m map[string]int, limit int) string {
	type kv struct {
		k string
		v int
	}
	var list []kv
	for k, v := range m {
		list = append(list, kv{k, v})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].v != list[j].v {
			return list[i].v > list[j].v
		}
		return list[i].k < list[j].k
	})
	var lines []string
	for i, e := range list {
		if i == limit {
			lines = append(lines, fmt.Sprintf("_…and %d more_", len(list)-limit))
			break
		}
		lines = append(lines, fmt.Sprintf("• %s: %d", escape(e.k), e.v))
	}
	return strings.Join(lines, "\n")
}

// DigestBatch lists findings in a digest's thread, several per section.
func DigestBatch(batch []store.Alert) Message {
	const perSection = 8
	var blocks []slack.Block
	var lines []string
	flush := func() {
		if len(lines) > 0 {
			blocks = append(blocks, section(strings.Join(lines, "\n")))
			lines = nil
		}
	}
	for i, a := range batch {
		f := &a.Finding.Finding
		lines = append(lines, fmt.Sprintf("• %s `%s` · %s · %s · %s · finding `%s` (#%d)",
			severityLabel(f.Severity), escape(f.Rule), escape(f.Article.Source), truncate(headline(f), 300),
			localTime(f, f.BasisTime), f.ID, a.Finding.ID))
		if (i+1)%perSection == 0 {
			flush()
		}
	}
	flush()
	if len(blocks) > maxBlocks {
		blocks = blocks[:maxBlocks]
	}
	return Message{Blocks: blocks, Text: fmt.Sprintf("%d findings", len(batch))}
}

// Health renders a source that keeps failing.
func Health(source, detail string, failures int) Message {
	text := fmt.Sprintf(":warning: *Source %s is failing:* %d polls in a row. Articles it publishes now are not being seen.\n>%s",
		escape(source), failures, escape(truncate(oneLine(detail), 1000)))
	plain := fmt.Sprintf("Source %s is failing (%d polls in a row)", source, failures)
	return Message{Blocks: []slack.Block{section(text)}, Text: escape(plain), Plain: plain + ": " + oneLine(detail)}
}

// ArticleEvent renders an event of a flagged article: an edit or a
// deletion, for its thread, or a laundering alert (see Laundering).
func ArticleEvent(a *store.Alert) Message {
	f := &a.Finding.Finding
	if Laundering(a.Kind) {
		return launderingAlert(a)
	}
	var lead, plain string
	switch a.Kind {
	case "deleted":
		lead = fmt.Sprintf(":wastebasket: *Deleted:* %s no longer serves %s (%s).", escape(f.Article.Source), headline(f), escape(a.Detail))
		plain = fmt.Sprintf("Deleted: %s (%s)", oneLine(f.Article.Title), f.Article.Source)
	default:
		lead = fmt.Sprintf(":pencil2: *Edited:* %s changed %s; the passages flagged before are no longer matched.", escape(f.Article.Source), headline(f))
		if a.Detail != "" {
			lead += "\n*Changes:* " + escape(truncate(a.Detail, 2000))
		}
		plain = fmt.Sprintf("Edited: %s (%s)", oneLine(f.Article.Title), f.Article.Source)
	}
	blocks := []slack.Block{section(lead), contextLine(fmt.Sprintf("rule `%s` · finding `%s` (#%d)", escape(f.Rule), f.ID, a.Finding.ID))}
	return Message{Blocks: blocks, Text: truncate(escape(plain), 300), Plain: LeadUpdated + a.Kind + ": " + oneLine(f.Article.Title) + " (" + f.Article.Source + ")\n  " + oneLine(a.Detail)}
}

// Laundering tells the alerts about a leak's spread rather than one
// article: crossing (the first report of its contents at a mainstream
// tier, with the chain of relays behind it) and velocity (many outlets
// reporting them at once). They are posted in the channel, not in the
// article's thread, where staff would not see them.
func Laundering(kind string) bool { return kind == "crossing" || kind == "velocity" }

func launderingAlert(a *store.Alert) Message {
	f := &a.Finding.Finding
	title, icon := "Crossing: a leak's contents reached the mainstream", ":rotating_light:"
	if a.Kind == "velocity" {
		title, icon = "Spreading fast: a leak's contents at many outlets", ":chart_with_upwards_trend:"
	}
	// The detail's first line says what happened; the others are the
	// chain, one hop a line.
	first, rest, _ := strings.Cut(truncate(a.Detail, 2500), "\n")
	blocks := []slack.Block{
		header(icon + " " + title),
		section(escape(first)),
		section(fmt.Sprintf("*Now:* %s · %s · %s", escape(f.Article.Source), headline(f), localTime(f, f.BasisTime))),
	}
	if rest != "" {
		blocks = append(blocks, section(escape(rest)))
	}
	blocks = append(blocks, contextLine(fmt.Sprintf("rule `%s` · finding `%s` (#%d)", escape(f.Rule), f.ID, a.Finding.ID)))
	plain := strings.ToUpper(a.Kind) + "  " + title + "\n  " + strings.ReplaceAll(a.Detail, "\n", "\n  ") +
		"\n  now: " + f.Article.Source + ": " + oneLine(f.Article.Title)
	return Message{Blocks: blocks, Text: truncate(escape(title+": "+oneLine(first)), 300), Plain: plain}
}

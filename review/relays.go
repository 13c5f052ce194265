package review

import (
	"context"
	"time"
	"unicode/utf8"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/relay"
	"github.com/silencewatch/silencewatch/store"
)

// The relays of a finding's version as evidence: an earlier article of
// another outlet whose words this one reuses (incoming), or a later one
// reusing this one's (outgoing), each with the two passages side by
// side.

// relayContext is how many bytes of text either side of a relayed
// passage are shown.
const relayContext = 160

type relayView struct {
	Words, Matched int
	// The other article.
	Outlet, Title, URL string
	FindingID          int64
	When               string // UTC, to the minute
	Gap                string
	Mine, Theirs       passageView
}

type passageView struct {
	Field               string
	Before, Text, After string
	CutBefore, CutAfter bool
	OutOfRange          bool
}

// passage cuts the span out of a version's field text, with some context
// either side (on rune boundaries).
func passage(texts map[article.Field]string, field string, start, end int) passageView {
	pv := passageView{Field: field}
	text, known := texts[article.Field(field)]
	if !known || start < 0 || end > len(text) || start >= end {
		pv.OutOfRange = true
		return pv
	}
	b := max(0, start-relayContext)
	for b > 0 && !utf8.RuneStart(text[b]) {
		b--
	}
	a := min(len(text), end+relayContext)
	for a < len(text) && !utf8.RuneStart(text[a]) {
		a++
	}
	pv.Before, pv.Text, pv.After = text[b:start], text[start:end], text[end:a]
	pv.CutBefore, pv.CutAfter = b > 0, a < len(text)
	return pv
}

func textsOf(v store.VersionInfo) map[article.Field]string {
	return map[article.Field]string{article.FieldTitle: v.Title, article.FieldSummary: v.Summary, article.FieldContent: v.Content}
}

// appeared is when an end of a relay appeared, as relay orders them.
func appeared(published, firstSeen time.Time) time.Time {
	return relay.Time(&article.Article{PublishedAt: published, FirstSeenAt: firstSeen})
}

// relayViews lays out the relays of the finding's version (ver, which
// appeared at mine) as incoming and outgoing.
func (s *Server) relayViews(ctx context.Context, ver store.VersionInfo, mine time.Time, rels []store.VersionRelay) (in, out []relayView, err error) {
	others := map[int64]*store.VersionInfo{}
	for _, r := range rels {
		incoming := r.ToVersion == ver.VersionID
		other, myField, myStart, myEnd := r.To, r.FromField, r.FromStart, r.FromEnd
		theirField, theirStart, theirEnd := r.ToField, r.ToStart, r.ToEnd
		if incoming {
			other, myField, myStart, myEnd = r.From, r.ToField, r.ToStart, r.ToEnd
			theirField, theirStart, theirEnd = r.FromField, r.FromStart, r.FromEnd
		}
		ov, seen := others[other.VersionID]
		if !seen {
			v, err := s.st.VersionInfo(ctx, other.VersionID)
			if err != nil {
				return nil, nil, err
			}
			ov = &v
			others[other.VersionID] = ov
		}
		at := appeared(other.PublishedAt, other.FirstSeenAt)
		gap := at.Sub(mine)
		if incoming {
			gap = -gap
		}
		rv := relayView{Words: r.Words, Matched: r.Matched, Outlet: other.Source, Title: other.Title, URL: other.URL, FindingID: other.FindingID,
			When: at.UTC().Format("2006-01-02 15:04"), Gap: gapText(gap),
			Mine: passage(textsOf(ver), myField, myStart, myEnd), Theirs: passage(textsOf(*ov), theirField, theirStart, theirEnd)}
		if incoming {
			in = append(in, rv)
		} else {
			out = append(out, rv)
		}
	}
	return in, out, nil
}

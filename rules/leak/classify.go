package leak

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/finding"
)

// Report is the label of an article and why.
type Report struct {
	Label string `json:"label"` // content, existence, guidance or other
	// Score is the model's probability of Label; Scores has every label's.
	Score  float64            `json:"score"`
	Scores map[string]float64 `json:"scores"`
	// Signals are the evidence that decided the label, strongest first.
	// Weight is the signal's contribution to Label's log-odds against the
	// runner-up label (why this label rather than the next): positive
	// pushes towards Label, negative towards the runner-up.
	Signals []finding.Signal `json:"signals"`
	// Focus is the sentence whose signals weigh most towards Label: where
	// a reader should look first. Nil when no sentence has a positive
	// weight.
	Focus    *Focus    `json:"focus,omitempty"`
	Passages []Passage `json:"passages,omitempty"`
}

// Focus is a sentence of the article and the summed weight of the
// signals in it.
type Focus struct {
	Field article.Field `json:"field"`
	// Start and End are byte offsets into Field's text.
	Start  int     `json:"start"`
	End    int     `json:"end"`
	Weight float64 `json:"weight"`
}

// The features of the linear model, in the order of Model.Weights rows.
// Each is bounded so that one long article cannot outweigh everything.
const (
	fQuoteWords       = iota // words of passages copied from the leak, /40, at most 2
	fPublicQuoteWords        // words of passages of public statements the corpus also holds, /40, at most 2
	fReporting               // reporting constructions next to a leak reference ("selon les courriels"), at most 3
	fWriting                 // verbs of writing ("écrit-il", "wrote"), at most 3
	fLeakNouns               // references to leaked material (courriels, documents, leak), /3, at most 2
	fIdentifiers             // the leak's identifiers (#hashtag, paste id, archive name), at most 2
	fTargetTerms             // terms naming the leak's target (candidate, movement), /2, at most 2
	fSpecificTerms           // other terms frequent in the corpus and rare in general news, /4, at most 2.5
	fPeople                  // correspondents of the mailbox named, at most 3
	fDocMatch                // rare terms shared with one document, idf-weighted, /8, at most 2
	fDatedRefs               // dates inside the mailbox's period before the leak, at most 3
	fGuidance                // the regulator's request, a newsroom's abstention, /2, at most 3
	fExistence               // the hack, the reactions, the investigation, /3, at most 2
	fMessageDetail           // a leak reference dated or with its writer ("in a March 2015 email", "un courriel du 3 mai"), at most 3
	fAttributedQuote         // a quoted line next to a leak reference or a verb of writing, at most 3
	fAttributedAmount        // a sum of money next to a leak reference, at most 3
	fVolume                  // the leak's size ("11.5 million documents", "2,6 To"), at most 2
	fClaim                   // what the material says someone did or had ("aurait reçu", "shows that", "offshore"), /3, at most 3
	fTitleExistence          // the title reports the hack, the trial, the reactions, at most 1
	fTitleClaim              // the title reports what the material says, at most 1
	fSpecificClaim           // sentences naming someone and what they did or wrote, next to the material, at most 4
	fEventSentence           // sentences about the hack, the trial, the reactions, with no such claim, /2, at most 3
	fAmount                  // sums of money anywhere, at most 3
	fEventDensity            // hack/trial/reaction phrases per 100 words, /2, at most 3
	fClaimDensity            // claim phrases per 100 words, at most 3
	fNameDensity             // distinct capitalised names per 100 words, /5, at most 3
	fPastYears               // distinct years before the latest the article names (what happened before the news), at most 3
	nFeatures

	// Rules, applied before the model (see Classify).
	fSatire           = nFeatures     // satire or parody markers
	fBeforeDisclosure = nFeatures + 1 // published before the leak was disclosed
	nSignals          = nFeatures + 2
)

// featureNames are the names of the features, as Signals report them.
var featureNames = [nFeatures]string{
	"quote", "public_quote", "reporting_phrase", "writing_verb", "leak_reference", "identifier", "target_term",
	"leak_term", "person", "document_match", "dated_reference", "guidance_phrase", "existence_phrase",
	"message_detail", "attributed_quote", "attributed_amount", "volume", "claim", "title_existence", "title_claim",
	"specific_claim", "event_sentence", "amount", "event_density", "claim_density", "name_density", "past_years",
}

// signalNames names every signal: the model's features, then the rules'.
var signalNames = func() [nSignals]string {
	var n [nSignals]string
	copy(n[:], featureNames[:])
	n[fSatire], n[fBeforeDisclosure] = "satire", "before_disclosure"
	return n
}()

// densityCap bounds the density features, as scaled (see fEventDensity).
const densityCap = 3

// latestOf is the latest instant a claimed time may stand for: midnight
// UTC is how a date without its time of day is read (a page's date-only
// metadata), so it may be any time of that day; any other time is itself.
// An article dated only with the disclosure's day may follow it.
func latestOf(t time.Time) time.Time {
	if article.DateOnly(t) {
		return t.Add(24*time.Hour - time.Nanosecond)
	}
	return t
}

// Context windows, in words.
const (
	reportingWindow   = 4  // a reporting construction and the leak reference it reports on
	prepositionWindow = 3  // "selon les documents", "in a March 2015 email": the reference follows
	publicWindow      = 15 // a statement cue before a quote
	detailWindow      = 6  // a date or a writer and the leak reference it details
	attributeWindow   = 12 // a quote or a sum and the leak reference or verb it is attributed to
	statementWindow   = 6  // a quote and the verb of saying that makes it a statement
)

var (
	leakNounSet   = newPhraseSet()
	reportCueSet  = newPhraseSet()
	writingSet    = newPhraseSet()
	guidanceSet   = newPhraseSet()
	existenceSet  = newPhraseSet()
	satireSet     = newPhraseSet()
	publicCueSet  = newPhraseSet()
	messageCueSet = newPhraseSet()
	claimCueSet   = newPhraseSet()
	statementSet  = newPhraseSet()
	publicDocCues = []string{"communique", "statement", "declaration", "press release", "interview", "entretien", "tribune"}
)

func init() {
	leakNounSet.addAll("leak", leakNouns...)
	reportCueSet.addAll("report", reportCues...)
	reportCueSet.addAll("report", weakReportCues...)
	reportCueSet.addAll("preposition", reportPrepositions...)
	reportCueSet.addAll(afterReference, nounlikeReportCues...)
	writingSet.addAll("writing", writingVerbs...)
	guidanceSet.addAll("guidance", guidancePhrases...)
	existenceSet.addAll("existence", existencePhrases...)
	satireSet.addAll("satire", satireMarkers...)
	publicCueSet.addAll("public", publicCues...)
	messageCueSet.addAll("message", messageCues...)
	messageCueSet.addAll(afterReference, nounlikeMessageCues...)
	claimCueSet.addAll("claim", claimCues...)
	statementSet.addAll("statement", statementCues...)
	staticPhrases = newPhraseBank(leakNounSet, reportCueSet, writingSet, guidanceSet, existenceSet, satireSet,
		messageCueSet, claimCueSet, statementSet)
}

// staticPhrases holds the lexicons every article is searched for; the
// leak's own identifiers and people, and the rarely needed public cues,
// are searched apart.
var staticPhrases *phraseBank

// The phrase kinds analyse looks for, in the order of phraseFeatures.
const (
	kLeakNoun = iota
	kGuidance
	kExistence
	kWriting
	kSatire
	kIdentifier
	kPeople
	kClaim
	nPhraseKinds
)

// phraseFeatures says, per phrase kind, where its phrases come from, the
// feature each occurrence counts for (-1: none, it only serves the
// constructions), the feature its occurrences in the title count for, and
// whether overlapping occurrences are kept apart (raw).
var phraseFeatures = [nPhraseKinds]struct {
	set                   func(*Index) *phraseSet
	feature, titleFeature int
	raw                   bool
}{
	kLeakNoun:   {func(*Index) *phraseSet { return leakNounSet }, fLeakNouns, -1, true},
	kGuidance:   {func(*Index) *phraseSet { return guidanceSet }, fGuidance, -1, false},
	kExistence:  {func(*Index) *phraseSet { return existenceSet }, fExistence, fTitleExistence, false},
	kWriting:    {func(*Index) *phraseSet { return writingSet }, fWriting, -1, false},
	kSatire:     {func(*Index) *phraseSet { return satireSet }, fSatire, -1, false},
	kIdentifier: {func(ix *Index) *phraseSet { return ix.ids.ids }, fIdentifiers, -1, false},
	kPeople:     {func(ix *Index) *phraseSet { return ix.ids.people }, -1, -1, false},
	kClaim:      {func(*Index) *phraseSet { return claimCueSet }, fClaim, fTitleClaim, false},
}

// evidence is one occurrence behind a feature.
type evidence struct {
	text       string
	field      article.Field
	start, end int
	weight     float64 // a passage's words; unused otherwise
}

// analysis is what Classify extracts from an article before weighing it.
type analysis struct {
	x         [nSignals]float64
	ev        [nSignals][]evidence
	passages  []Passage
	sentences []sentenceSpan // every field's, in field then text order
}

// sentenceSpan is one sentence of a field, in bytes of its text.
type sentenceSpan struct {
	field      article.Field
	start, end int
}

// Classify labels an article: content (it reports or quotes what the
// leaked data says), existence (it reports that the leak happened, the
// reactions, the investigation), guidance (the regulator's request or a
// newsroom's abstention) or other, with the signals that decided it and
// the passages it copied from the corpus.
func (ix *Index) Classify(a *article.Article) Report { return ix.classify(a, currentModel()) }

// classify is Classify with model m.
func (ix *Index) classify(a *article.Article, m *Model) Report { return report(ix.analyse(a), m) }

// report weighs an article's analysis with model m.
func report(an *analysis, m *Model) Report {
	probs := m.predict(an.x[:nFeatures])
	best := 0
	for i := range probs {
		if probs[i] > probs[best] {
			best = i
		}
	}
	r := Report{Label: m.Labels[best], Score: probs[best], Scores: map[string]float64{}, Passages: an.passages}
	for i, l := range m.Labels {
		r.Scores[l] = probs[i]
	}
	// Two rules come before the model, because the domain settles them
	// and a handful of training examples cannot weigh them: an article
	// published before the disclosure cannot report the leak (what it
	// shares with the corpus was public), and satire that "quotes" the
	// leak invents its quotes.
	for _, rule := range []int{fBeforeDisclosure, fSatire} {
		if an.x[rule] == 0 {
			continue
		}
		r.Label, r.Score = LabelOther, 1
		r.Scores = map[string]float64{LabelContent: 0, LabelExistence: 0, LabelGuidance: 0, LabelOther: 1}
		for _, e := range an.ev[rule][:min(len(an.ev[rule]), 5)] {
			r.Signals = append(r.Signals, finding.Signal{Name: signalNames[rule], Rule: true, Evidence: e.text, Field: e.field, Start: e.start, End: e.end})
		}
		// The model's signals still follow, for the record.
		break
	}
	// The label the model ranks next; when a rule decided, the model's
	// own first choice.
	runnerUp := -1
	for i := range probs {
		if l := labelIndex(r.Label); i != l && (runnerUp < 0 || probs[i] > probs[runnerUp]) {
			runnerUp = i
		}
	}
	for f := range nFeatures {
		if an.x[f] == 0 {
			continue
		}
		contrib := (m.Weights[labelIndex(r.Label)][f] - m.Weights[runnerUp][f]) * an.x[f]
		if math.Abs(contrib) < 0.005 {
			continue
		}
		r.Signals = appendSignals(r.Signals, f, contrib, an.x[f], an.ev[f])
	}
	slices.SortStableFunc(r.Signals, func(a, b finding.Signal) int {
		if a.Rule != b.Rule {
			if a.Rule {
				return -1
			}
			return 1
		}
		return cmp.Compare(math.Abs(b.Weight), math.Abs(a.Weight))
	})
	r.Focus = focus(an.sentences, r.Signals)
	return r
}

// focus sums the weights of the spanned signals in each sentence (a
// signal counts in the sentence its start lies in) and returns the
// heaviest sentence, if its weight is positive.
func focus(sents []sentenceSpan, signals []finding.Signal) *Focus {
	if len(sents) == 0 {
		return nil
	}
	weights := make([]float64, len(sents))
	for _, s := range signals {
		if s.Rule || s.End <= s.Start {
			continue
		}
		// Sentences are sorted by field, then start.
		lo := sort.Search(len(sents), func(i int) bool {
			return sents[i].field.Order() > s.Field.Order() ||
				(sents[i].field == s.Field && sents[i].end > s.Start)
		})
		if lo < len(sents) && sents[lo].field == s.Field && sents[lo].start <= s.Start {
			weights[lo] += s.Weight
		}
	}
	best := 0
	for i, w := range weights {
		if w > weights[best] {
			best = i
		}
	}
	if weights[best] <= 0 {
		return nil
	}
	st := sents[best]
	return &Focus{Field: st.field, Start: st.start, End: st.end, Weight: round3(weights[best])}
}

// appendSignals turns one feature's contribution into signals: terms as
// one signal listing them, quotes one per passage weighted by its words,
// other evidence one per occurrence (five at most, then one for the rest).
func appendSignals(dst []finding.Signal, f int, contrib, x float64, evs []evidence) []finding.Signal {
	name := featureNames[f]
	switch {
	case len(evs) == 0:
		return append(dst, finding.Signal{Name: name, Weight: round3(contrib), Evidence: measure(f, x)})
	case f == fSpecificTerms || f == fTargetTerms:
		terms := make([]string, 0, len(evs))
		for _, e := range evs[:min(len(evs), 12)] {
			terms = append(terms, e.text)
		}
		text := strings.Join(terms, ", ")
		if len(evs) > 12 {
			text += ", …"
		}
		text += fmt.Sprintf(" (%d terms)", len(evs))
		return append(dst, finding.Signal{Name: name, Weight: round3(contrib), Evidence: text, Field: evs[0].field, Start: evs[0].start, End: evs[0].end})
	case f == fQuoteWords || f == fPublicQuoteWords:
		total := 0.0
		for _, e := range evs {
			total += e.weight
		}
		for _, e := range evs {
			dst = append(dst, finding.Signal{Name: name, Weight: round3(contrib * e.weight / total), Evidence: e.text, Field: e.field, Start: e.start, End: e.end})
		}
		return dst
	}
	per := contrib / float64(len(evs))
	for i, e := range evs {
		if i == 5 {
			return append(dst, finding.Signal{Name: name, Weight: round3(per * float64(len(evs)-5)), Evidence: fmt.Sprintf("%d more occurrences", len(evs)-5)})
		}
		dst = append(dst, finding.Signal{Name: name, Weight: round3(per), Evidence: e.text, Field: e.field, Start: e.start, End: e.end})
	}
	return dst
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// measure says what a feature without spans measured, for a reader: the
// densities undone of their scaling ("claim phrases: 3.0 per 100 words").
func measure(f int, x float64) string {
	per := func(what string, scale float64) string {
		more := ""
		if x >= densityCap {
			more = " or more"
		}
		return fmt.Sprintf("%s: %.1f%s per 100 words", what, scale*x, more)
	}
	switch f {
	case fEventDensity:
		return per("phrases of the hack, the trial, the reactions", 2)
	case fClaimDensity:
		return per("phrases of what the material says someone did", 1)
	case fNameDensity:
		return per("distinct capitalised names", 5)
	}
	return featureNames[f] + " " + strconv.FormatFloat(x, 'g', 3, 64)
}

// classifyState holds per-call buffers, pooled: Classify runs on every
// article the crawler fetches, on several goroutines.
type classifyState struct {
	w, dw    wordSeq
	seen     map[uint32]bool // distinct terms and people of the article
	docTerms []*docTerm      // the article's distinct rare terms
	scores   []float64       // per document, for bestDocument
	touched  []uint32
	marks    []uint8         // per word: what it is (sMaterial, sClaim, sEvent)
	proper   []bool          // per word: a proper noun
	names    map[uint32]bool // distinct proper nouns of the article
	sentOf   []int32         // per word: the sentence of its segment it lies in
}

// markWords sets bit on words [s, e).
func markWords(marks []uint8, bit uint8, s, e int) {
	for i := s; i < e && i < len(marks); i++ {
		marks[i] |= bit
	}
}

// Word marks for sentence analysis.
const (
	sMaterial uint8 = 1 << iota
	sClaim
	sEvent
	sVictim
)

var classifyPool = sync.Pool{New: func() any { return &classifyState{seen: map[uint32]bool{}, names: map[uint32]bool{}} }}

// analyse computes the features of an article.
func (ix *Index) analyse(a *article.Article) *analysis {
	cs := classifyPool.Get().(*classifyState)
	defer classifyPool.Put(cs)
	clear(cs.seen)
	cs.docTerms = cs.docTerms[:0]
	an := &analysis{}
	w := &cs.w
	target, satireInTitle := false, false
	totalWords, nEvents, nClaims := 0, 0, 0
	var years []yearRef
	clear(cs.names)
	for _, seg := range a.Segments() {
		tokenize(w, seg.Text)

		// Passages copied from the corpus.
		st := statePool.Get().(*matchState)
		st.text = w // the words themselves, so rewritten passages compare stems
		fs := ix.findPassages(st, w.hash, ix.opts.MinWords)
		st.text = nil
		statePool.Put(st)
		var pubHits []phraseHit
		if len(fs) > 0 {
			pubHits = publicCueSet.find(nil, w)
		}
		for _, f := range fs {
			p := ix.passage(f, seg.Field, w, &cs.dw)
			d := &ix.docs[f.doc]
			as, ae := p.ArticleStart, p.ArticleEnd
			an.passages = append(an.passages, p)
			public := ""
			if t := normTerm(d.Title()); containsAny(t, publicDocCues) {
				public = "document is a public text: " + d.Title()
			}
			for _, h := range pubHits {
				if h.end <= f.a0 && f.a0-h.end <= publicWindow {
					public = "introduced as a statement: " + publicCueSet.pats[h.pat].text
				}
			}
			label := fmt.Sprintf("%d words from %s (%s)", p.Words, d.ID, clip(d.Title(), 60))
			if public != "" {
				an.x[fPublicQuoteWords] += float64(p.Words)
				an.ev[fPublicQuoteWords] = append(an.ev[fPublicQuoteWords], evidence{label + "; " + public, seg.Field, as, ae, float64(p.Words)})
			} else {
				an.x[fQuoteWords] += float64(p.Words)
				an.ev[fQuoteWords] = append(an.ev[fQuoteWords], evidence{label, seg.Field, as, ae, float64(p.Words)})
				target = true
			}
		}

		// Phrases: one evidence per occurrence (overlapping occurrences
		// merged), kept by kind for the constructions below.
		bank := staticPhrases.find(w)
		var ph [nPhraseKinds][]phraseHit
		for k, pf := range phraseFeatures {
			ph[k] = bank.of(pf.set(ix), w)
			if !pf.raw {
				ph[k] = dedupHits(ph[k])
			}
			for _, h := range ph[k] {
				if pf.feature >= 0 {
					addSpan(an, pf.feature, seg, w, wordSpan{h.start, h.end})
				}
				if pf.titleFeature >= 0 && seg.Field == article.FieldTitle {
					addSpan(an, pf.titleFeature, seg, w, wordSpan{h.start, h.end})
				}
			}
		}
		leak, writing, claims := ph[kLeakNoun], ph[kWriting], ph[kClaim]
		existHits, idHits := ph[kExistence], ph[kIdentifier]
		satireInTitle = satireInTitle || (seg.Field == article.FieldTitle && len(ph[kSatire]) > 0)
		target = target || len(idHits) > 0
		// People count once each, however often named.
		peopleHits := ph[kPeople]
		for _, h := range peopleHits {
			if key := uint32(h.pat) | 1<<31; !cs.seen[key] { // the top bit tells people from terms
				cs.seen[key] = true
				addSpan(an, fPeople, seg, w, wordSpan{h.start, h.end})
			}
			target = true
		}

		// Terms. Word hashes tell distinct words apart (the top bit is
		// kept for people); map lookups with string(bytes) do not allocate.
		// Without a corpus there are none to look up (the loop would only
		// mark words seen, which nothing else reads).
		for i, h := range w.hash {
			if len(ix.terms.docTerms) == 0 && len(ix.terms.specific) == 0 {
				break
			}
			tb := w.norm.Norm[w.start[i]:w.end[i]]
			if !isTermBytes(tb) || cs.seen[h&^(1<<31)] {
				continue
			}
			cs.seen[h&^(1<<31)] = true
			if dt, ok := ix.terms.docTerms[string(tb)]; ok {
				cs.docTerms = append(cs.docTerms, dt)
			}
			if _, ok := ix.terms.specific[string(tb)]; ok {
				if ix.terms.target[string(tb)] {
					addSpan(an, fTargetTerms, seg, w, wordSpan{i, i + 1})
					target = true
				} else {
					addSpan(an, fSpecificTerms, seg, w, wordSpan{i, i + 1})
				}
			}
		}

		sents := sentences(w)
		cs.sentOf = sentenceOf(sents, len(w.hash), cs.sentOf)
		leakIn, writingIn := inSentences(leak, cs.sentOf), inSentences(writing, cs.sentOf)

		// Dates inside the mailbox's period.
		dates := findDates(w)
		for _, d := range dates {
			if ix.inPeriod(d.month, d.day) {
				addSpan(an, fDatedRefs, seg, w, wordSpan{d.start, d.end})
			}
		}

		// Details of the material, attributed to it: dropped below, like
		// reporting constructions, when the article turns out not to be
		// about this leak's target.
		for _, d := range findMessageDates(w, dates) {
			if leakIn.near(d, detailWindow) {
				addSpan(an, fMessageDetail, seg, w, d)
			}
		}
		for _, h := range dedupHits(bank.of(messageCueSet, w)) {
			hs := wordSpan{h.start, h.end}
			if messageCueSet.pats[h.pat].tag == afterReference && !leakIn.before(hs, detailWindow) {
				continue
			}
			if leakIn.near(hs, detailWindow) {
				addSpan(an, fMessageDetail, seg, w, wordSpan{h.start, h.end})
			}
		}
		statements := bank.of(statementSet, w)
		for _, q := range findQuotations(w) {
			// A quoted statement (a communiqué, what someone said) is not
			// a quote of the material, even when it speaks of it.
			if nearAny(q, statements, statementWindow) {
				continue
			}
			if leakIn.near(q, attributeWindow) || writingIn.near(q, attributeWindow) {
				addSpan(an, fAttributedQuote, seg, w, q)
			}
		}
		amounts, volumes := findAmountsAndVolumes(w)
		for _, a := range amounts {
			if leakIn.near(a, attributeWindow) {
				addSpan(an, fAttributedAmount, seg, w, a)
			}
			addSpan(an, fAmount, seg, w, a)
		}
		totalWords += len(w.hash)
		for i := range w.hash {
			if w.end[i]-w.start[i] == 4 && isDigits(w.norm.Norm[w.start[i]:w.end[i]]) {
				if y, err := strconv.Atoi(w.word(i)); err == nil && y >= 1950 && y <= 2100 {
					os, oe := w.span(i, i+1)
					years = append(years, yearRef{y, evidence{text: seg.Text[os:oe], field: seg.Field, start: os, end: oe}})
				}
			}
		}
		nEvents += len(existHits)
		nClaims += len(claims)
		for _, v := range volumes {
			addSpan(an, fVolume, seg, w, v)
		}

		// Sentences: one that names someone and says what they did, held,
		// paid or wrote, next to the material, is a specific content claim
		// (the labelling guide's test); one about the hack, the trial or
		// the reactions that makes no such claim is the event.
		cs.marks = slices.Grow(cs.marks[:0], len(w.hash))[:len(w.hash)]
		clear(cs.marks)
		// The leak's own people and bodies are its victims, part of the
		// event: naming them is not a claim about someone.
		for _, m := range []struct {
			hits []phraseHit
			bit  uint8
		}{{leak, sMaterial}, {idHits, sMaterial}, {peopleHits, sVictim}, {claims, sClaim}, {writing, sClaim}, {existHits, sEvent}} {
			for _, h := range m.hits {
				markWords(cs.marks, m.bit, h.start, h.end)
			}
		}
		for _, a := range amounts {
			markWords(cs.marks, sClaim, a.start, a.end)
		}
		for _, st := range sents {
			os, oe := w.span(st.start, st.end)
			an.sentences = append(an.sentences, sentenceSpan{seg.Field, os, oe})
		}
		cs.proper = properNouns(w, sents, cs.proper)
		for i, p := range cs.proper {
			if p && cs.marks[i]&(sMaterial|sVictim) == 0 {
				cs.names[w.hash[i]] = true
			}
		}
		prevMaterial := false
		for _, st := range sents {
			var bits uint8
			named := false
			for i := st.start; i < st.end; i++ {
				bits |= cs.marks[i]
				named = named || (cs.proper[i] && cs.marks[i]&(sMaterial|sVictim) == 0)
			}
			material := bits&sMaterial != 0
			switch {
			case named && bits&sClaim != 0 && (material || prevMaterial):
				addSpan(an, fSpecificClaim, seg, w, st)
			case bits&sEvent != 0 && bits&sClaim == 0:
				addSpan(an, fEventSentence, seg, w, st)
			}
			prevMaterial = material
		}

		// Reporting constructions near a leak reference; dropped below
		// when the article turns out not to be about this leak's target.
		for _, c := range dedupHits(bank.of(reportCueSet, w)) {
			// "selon elle, les documents…" attributes to a person, not to
			// the material.
			if c.end < len(w.hash) && pronouns[w.word(c.end)] {
				continue
			}
			// "ce que l'archive pourrait révéler", "could show": a
			// guess at what the material says is not a report of it;
			// "mentionner l'existence de la fuite" reports the event.
			if c.start > 0 && speculative[w.word(c.start-1)] {
				continue
			}
			if existenceAfter(w, c.end) {
				continue
			}
			// "ne semblaient pas indiquer que", "did not show": denied.
			if negatedBefore(w, c.start) {
				continue
			}
			tag := reportCueSet.pats[c.pat].tag
			preposition, after := tag == "preposition", tag == afterReference
			// "les courriels révélés par", "the files revealed by": the
			// material named by its disclosure, not what it says.
			participle := adjectival[w.word(c.start)] || (c.end < len(w.hash) && w.word(c.end) == "by" && c.end-c.start == 1)
			// Only the references within reach, in order: the first that
			// qualifies is the one a scan of every reference would take.
			for _, l := range leakIn.candidates(wordSpan{c.start, c.end}, reportingWindow) {
				if participle && l.end == c.start {
					continue
				}
				if preposition && (l.start < c.end || l.start > c.end+prepositionWindow) {
					continue
				}
				if after && l.end > c.start {
					continue
				}
				if l.start <= c.end+reportingWindow && c.start <= l.end+reportingWindow {
					// What a sentence reports is in that sentence.
					if !sameSentence(cs.sentOf, c.start, c.end, l.start, l.end) {
						continue
					}
					s, e := min(c.start, l.start), max(c.end, l.end)
					os, oe := w.span(s, e)
					an.ev[fReporting] = append(an.ev[fReporting], evidence{text: seg.Text[os:oe], field: seg.Field, start: os, end: oe})
					break
				}
			}
		}
	}

	// Document match: the one document sharing most rare terms.
	if best, score, shared := ix.bestDocument(cs); score > 0 {
		an.x[fDocMatch] = score
		slices.Sort(shared)
		an.ev[fDocMatch] = []evidence{{text: fmt.Sprintf("%d rare terms shared with %s (%s): %s", len(shared), ix.docs[best].ID, clip(ix.docs[best].Title(), 50), strings.Join(shared[:min(len(shared), 12)], ", "))}}
		if score >= 1 {
			target = true
		}
	}

	// Time.
	when := a.PublishedAt
	if when.IsZero() {
		when = a.FirstSeenAt
	}
	if !ix.opts.DisclosedAt.IsZero() && !when.IsZero() && latestOf(when).Before(ix.opts.DisclosedAt) {
		an.x[fBeforeDisclosure] = 1
		an.ev[fBeforeDisclosure] = []evidence{{text: fmt.Sprintf("published %s, before the leak's disclosure at %s", when.Format(time.RFC3339), ix.opts.DisclosedAt.Format(time.RFC3339))}}
	}

	if !target {
		// Reporting "according to the emails" about another mailbox is
		// not reporting this leak.
		an.ev[fReporting] = nil
		an.ev[fMessageDetail], an.ev[fAttributedQuote], an.ev[fAttributedAmount], an.ev[fClaim], an.ev[fSpecificClaim] = nil, nil, nil, nil, nil
	}
	an.x[fMessageDetail] = capf(float64(len(an.ev[fMessageDetail])), 3)
	an.x[fAttributedQuote] = capf(float64(len(an.ev[fAttributedQuote])), 3)
	an.x[fAttributedAmount] = capf(float64(len(an.ev[fAttributedAmount])), 3)
	an.x[fVolume] = capf(float64(len(an.ev[fVolume])), 2)
	an.x[fClaim] = capf(float64(len(an.ev[fClaim]))/3, 3)
	an.x[fTitleExistence] = capf(float64(len(an.ev[fTitleExistence])), 1)
	an.x[fTitleClaim] = capf(float64(len(an.ev[fTitleClaim])), 1)
	an.x[fSpecificClaim] = capf(float64(len(an.ev[fSpecificClaim])), 4)
	an.x[fEventSentence] = capf(float64(len(an.ev[fEventSentence]))/2, 3)
	an.x[fAmount] = capf(float64(len(an.ev[fAmount])), 3)
	an.x[fPastYears] = capf(float64(pastYears(an, a, years)), 3)
	if totalWords > 0 {
		per100 := 100 / float64(max(totalWords, 50)) // a two-line text is not dense
		an.x[fEventDensity] = capf(float64(nEvents)*per100/2, densityCap)
		an.x[fClaimDensity] = capf(float64(nClaims)*per100, densityCap)
		an.x[fNameDensity] = capf(float64(len(cs.names))*per100/5, densityCap)
	}
	an.x[fReporting] = capf(float64(len(an.ev[fReporting])), 3)
	an.x[fQuoteWords] = capf(an.x[fQuoteWords]/40, 2)
	an.x[fPublicQuoteWords] = capf(an.x[fPublicQuoteWords]/40, 2)
	an.x[fWriting] = capf(float64(len(an.ev[fWriting])), 3)
	an.x[fLeakNouns] = capf(float64(len(an.ev[fLeakNouns]))/3, 2)
	an.x[fIdentifiers] = capf(float64(len(an.ev[fIdentifiers])), 2)
	an.x[fTargetTerms] = capf(float64(len(an.ev[fTargetTerms]))/2, 2)
	an.x[fSpecificTerms] = capf(float64(len(an.ev[fSpecificTerms]))/4, 2.5)
	an.x[fPeople] = capf(float64(len(an.ev[fPeople])), 3)
	an.x[fDocMatch] = capf(an.x[fDocMatch]/8, 2)
	an.x[fDatedRefs] = capf(float64(len(an.ev[fDatedRefs])), 3)
	an.x[fGuidance] = capf(float64(len(an.ev[fGuidance]))/2, 3)
	an.x[fExistence] = capf(float64(len(an.ev[fExistence]))/3, 2)
	// Satire says so in its title ("(satire)") or more than once in its
	// body (a disclaimer, "made up", "imaginaires"); one "parodie" in a
	// news article is not enough.
	if satireInTitle || len(an.ev[fSatire]) >= 2 {
		an.x[fSatire] = 1
	} else {
		an.ev[fSatire] = nil
	}
	return an
}

func capf(x, c float64) float64 { return min(x, c) }

// existenceAfter reports whether "existence" is word i or i+1 ("l'existence
// de la fuite", "the existence of").
func existenceAfter(w *wordSeq, i int) bool {
	for j := i; j < i+2 && j < len(w.hash); j++ {
		if w.word(j) == "existence" {
			return true
		}
	}
	return false
}

// addSpan records words s of seg as evidence of feature f.
func addSpan(an *analysis, f int, seg article.Segment, w *wordSeq, s wordSpan) {
	os, oe := w.span(s.start, s.end)
	an.ev[f] = append(an.ev[f], evidence{text: seg.Text[os:oe], field: seg.Field, start: os, end: oe})
}

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// dedupHits keeps, of overlapping hits, the longest (then the first).
func dedupHits(hs []phraseHit) []phraseHit {
	if len(hs) < 2 {
		return hs
	}
	slices.SortFunc(hs, func(a, b phraseHit) int {
		if c := cmp.Compare(a.start, b.start); c != 0 {
			return c
		}
		return cmp.Compare(b.end, a.end)
	})
	out := hs[:1]
	for _, h := range hs[1:] {
		last := &out[len(out)-1]
		if h.start < last.end {
			if h.end > last.end {
				last.end = h.end
			}
			continue
		}
		out = append(out, h)
	}
	return out
}

// bestDocument returns the document sharing the most rare terms with the
// article, the idf-weighted score (each term's weight is log(N/df)/log(N),
// so the score does not grow with the corpus), and the shared terms.
// Scores accumulate in a dense per-document array, reset through the list
// of documents touched.
func (ix *Index) bestDocument(cs *classifyState) (int, float64, []string) {
	if len(ix.docs) < 2 || len(cs.docTerms) == 0 {
		return 0, 0, nil
	}
	if len(cs.scores) < len(ix.docs) {
		cs.scores = make([]float64, len(ix.docs))
	}
	norm := math.Log(float64(len(ix.docs)))
	scores := cs.scores
	touched := cs.touched[:0]
	for _, dt := range cs.docTerms {
		for _, d := range dt.docs {
			if scores[d] == 0 {
				touched = append(touched, d)
			}
			scores[d] += dt.weight / norm
		}
	}
	best, bestScore := uint32(0), 0.0
	for _, d := range touched {
		if s := scores[d]; s > bestScore || s == bestScore && d < best {
			best, bestScore = d, s
		}
		scores[d] = 0
	}
	cs.touched = touched[:0]
	var shared []string
	for _, dt := range cs.docTerms {
		if _, ok := slices.BinarySearch(dt.docs, best); ok {
			shared = append(shared, dt.term)
		}
	}
	return int(best), bestScore, shared
}

// dateRef is a day and month mentioned in a text.
type dateRef struct {
	day, month int
	start, end int // words
}

var months = map[string]int{
	"janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7, "aout": 8,
	"septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
	"september": 9, "october": 10, "november": 11, "december": 12,
}

// monthsByHash is months keyed by the words' hashes (as tokenize makes
// them): a lookup per word of every text, without making the word a
// string unless its hash is a month's.
var monthsByHash = func() map[uint32]int {
	m := make(map[uint32]int, len(months))
	for name, n := range months {
		for _, h := range wordHashes(name) {
			m[h] = n
		}
	}
	return m
}()

// monthOf returns the month word i of w names, if it names one.
func monthOf(w *wordSeq, i int) (int, bool) {
	n, ok := monthsByHash[w.hash[i]]
	if !ok {
		return 0, false
	}
	m, ok := months[w.word(i)] // a hash is not the word: confirm
	return m, ok && m == n
}

// findDates finds "27 avril", "1er mai", "12 April" and "April 12".
func findDates(w *wordSeq) []dateRef {
	var out []dateRef
	day := func(i int) int {
		t := strings.TrimSuffix(w.word(i), "er")
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 || n > 31 || len(t) > 2 {
			return 0
		}
		return n
	}
	for i := range w.hash {
		m, ok := monthOf(w, i)
		if !ok {
			continue
		}
		if i > 0 {
			if d := day(i - 1); d > 0 {
				out = append(out, dateRef{d, m, i - 1, i + 1})
				continue
			}
		}
		// "April 12", but not "May" the modal verb: a number must follow.
		if i+1 < len(w.hash) {
			if d := day(i + 1); d > 0 && w.word(i) != "mai" {
				out = append(out, dateRef{d, m, i, i + 2})
			}
		}
	}
	return out
}

// inPeriod reports whether day/month falls inside the mailbox's period:
// from its first message to the day before the disclosure (or its last
// message when the disclosure is unknown). Dates of the disclosure day
// and after are the news, not the leak's content.
func (ix *Index) inPeriod(month, day int) bool {
	first, last := ix.period()
	if first.IsZero() {
		return false
	}
	for y := first.Year(); y <= last.Year(); y++ {
		d := time.Date(y, time.Month(month), day, 12, 0, 0, 0, time.UTC)
		if !d.Before(first) && !d.After(last) {
			return true
		}
	}
	return false
}

// period is the span of the corpus's dated documents, trimmed of the
// earliest and latest 1% (a stray date of 1970 must not open the period),
// ending the day before the disclosure when that is known.
func (ix *Index) period() (time.Time, time.Time) { return ix.periodFirst, ix.periodLast }

func (ix *Index) computePeriod() {
	ix.periodFirst, ix.periodLast = time.Time{}, time.Time{}
	var ds []time.Time
	for i := range ix.docs {
		if d := ix.docs[i].Date; !d.IsZero() {
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 {
		return
	}
	slices.SortFunc(ds, func(a, b time.Time) int { return a.Compare(b) })
	trim := len(ds) / 100
	first, last := ds[trim], ds[len(ds)-1-trim]
	first = time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, time.UTC)
	last = time.Date(last.Year(), last.Month(), last.Day(), 23, 59, 59, 0, time.UTC)
	if dis := ix.opts.DisclosedAt; !dis.IsZero() {
		end := time.Date(dis.Year(), dis.Month(), dis.Day(), 0, 0, 0, 0, time.UTC).Add(-time.Second)
		if end.Before(last) {
			last = end
		}
	}
	ix.periodFirst, ix.periodLast = first, last
}

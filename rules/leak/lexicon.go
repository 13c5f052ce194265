package leak

import (
	"bytes"
	"strings"
)

// phraseSet matches short phrases on normalised word sequences, so that
// "d’après les courriels" and "D'APRES LES COURRIELS" are one phrase. A
// word written with a trailing "*" matches any word it prefixes
// ("piraté*" matches "pirate", "piratees").
type phraseSet struct {
	pats    []phrasePat
	byFirst map[uint32][]int
	// byLead indexes phrases whose first word is a prefix by the first
	// two bytes of that prefix (one byte when it has one).
	byLead map[uint16][]int
}

type phrasePat struct {
	words []wordPat
	text  string // as written
	tag   string
}

type wordPat struct {
	hash   uint32
	prefix []byte // non-nil: prefix match
}

type phraseHit struct {
	pat        int
	start, end int // words [start, end)
}

func newPhraseSet() *phraseSet {
	return &phraseSet{byFirst: map[uint32][]int{}, byLead: map[uint16][]int{}}
}

func lead(b []byte) uint16 {
	switch len(b) {
	case 0:
		return 0
	case 1:
		return uint16(b[0]) << 8
	}
	return uint16(b[0])<<8 | uint16(b[1])
}

func (s *phraseSet) add(phrase, tag string) {
	var ws []wordPat
	var w wordSeq
	for _, chunk := range strings.Fields(phrase) {
		star := strings.HasSuffix(chunk, "*")
		tokenize(&w, strings.TrimSuffix(chunk, "*"))
		for i := range w.hash {
			p := wordPat{hash: w.hash[i]}
			if star && i == len(w.hash)-1 {
				p.prefix = []byte(w.word(i))
			}
			ws = append(ws, p)
		}
	}
	if len(ws) == 0 {
		return
	}
	i := len(s.pats)
	s.pats = append(s.pats, phrasePat{words: ws, text: phrase, tag: tag})
	if p := ws[0].prefix; p != nil {
		if len(p) == 1 {
			// A one-byte prefix matches words of any second byte.
			for c := 0; c < 256; c++ {
				s.byLead[uint16(p[0])<<8|uint16(c)] = append(s.byLead[uint16(p[0])<<8|uint16(c)], i)
			}
			s.byLead[lead(p)] = append(s.byLead[lead(p)], i)
		} else {
			s.byLead[lead(p)] = append(s.byLead[lead(p)], i)
		}
	} else {
		s.byFirst[ws[0].hash] = append(s.byFirst[ws[0].hash], i)
	}
}

func (s *phraseSet) addAll(tag string, phrases ...string) {
	for _, p := range phrases {
		s.add(p, tag)
	}
}

func (p *wordPat) match(w *wordSeq, i int) bool {
	if p.prefix == nil {
		return w.hash[i] == p.hash
	}
	return bytes.HasPrefix(w.norm.Norm[w.start[i]:w.end[i]], p.prefix)
}

// find appends every occurrence of every phrase in w.
func (s *phraseSet) find(dst []phraseHit, w *wordSeq) []phraseHit {
	try := func(pi, i int) {
		p := &s.pats[pi]
		if i+len(p.words) > len(w.hash) {
			return
		}
		for j := range p.words {
			if !p.words[j].match(w, i+j) {
				return
			}
		}
		dst = append(dst, phraseHit{pi, i, i + len(p.words)})
	}
	for i := range w.hash {
		for _, pi := range s.byFirst[w.hash[i]] {
			try(pi, i)
		}
		if len(s.byLead) > 0 {
			for _, pi := range s.byLead[lead(w.norm.Norm[w.start[i]:w.end[i]])] {
				try(pi, i)
			}
		}
	}
	return dst
}

// phraseBank finds the phrases of several sets in one pass over the
// words: a word costs one lookup for all the sets rather than one a set
// (the lookups were half of the classifier's time on short items).
type phraseBank struct {
	all   *phraseSet         // every set's patterns, one set after the other
	owner []int              // all.pats[i] is pattern i-first[owner[i]] of set owner[i]
	first []int              // where each set's patterns start in all.pats
	index map[*phraseSet]int // a set's place in the bank
}

func newPhraseBank(sets ...*phraseSet) *phraseBank {
	b := &phraseBank{all: newPhraseSet(), index: map[*phraseSet]int{}}
	for k, set := range sets {
		b.index[set] = k
		b.first = append(b.first, len(b.all.pats))
		for _, p := range set.pats {
			b.all.add(p.text, p.tag)
			b.owner = append(b.owner, k)
		}
		if len(b.all.pats) != len(b.owner) {
			panic("leak: a phrase of a set does not make a pattern again: " + set.pats[0].text)
		}
	}
	return b
}

// bankHits are one word sequence's occurrences of a bank's phrases, by
// set; each hit's pat is the index in its own set's pats.
type bankHits struct {
	bank *phraseBank
	hits [][]phraseHit
}

// find returns every occurrence of every phrase of the bank's sets in w,
// in the order each set's own find would give them.
func (b *phraseBank) find(w *wordSeq) bankHits {
	out := bankHits{bank: b, hits: make([][]phraseHit, len(b.first))}
	for _, h := range b.all.find(nil, w) {
		k := b.owner[h.pat]
		h.pat -= b.first[k]
		out.hits[k] = append(out.hits[k], h)
	}
	return out
}

// of returns the occurrences of set's phrases: from the bank's pass when
// the set is in the bank, else by a pass of its own.
func (h bankHits) of(set *phraseSet, w *wordSeq) []phraseHit {
	if k, ok := h.bank.index[set]; ok {
		return h.hits[k]
	}
	return set.find(nil, w)
}

// Lexicons, French and English. They name kinds of evidence the domain
// describes (how a newsroom refers to leaked mail, how it reports it, how
// it reports the regulator's request or its own abstention); which of them
// matter and how much is learned on the train split.
var (
	// leakNouns refer to the leaked material itself.
	leakNouns = []string{
		"courriel*", "mail", "mails", "e-mail*", "email*", "message*", "messagerie*", "document*", "fichier*",
		"archive*", "fuite*", "note", "notes", "échange*", "correspondance*", "extrait*", "pièce*", "export*",
		"piraté*", "dérobé*", "volé", "volée", "volés", "volées", "leak*", "dump*", "cache", "trove", "file", "files",
		"memo", "memos", "memorandum*", "inbox", "mailbox",
		"correspondence", "hacked", "stolen", "thread*", "papers", "cable*", "câble*", "leaked", "fuité*",
		"révélation*", "revelation*", "records", "dossier*", "données", "data",
	}
	// reportCues are the constructions that introduce what a text says,
	// when they stand next to a leak reference ("selon les courriels",
	// "dans un message du 24 avril", "the leaked emails show").
	reportCues = []string{
		"on y lit", "on peut y lire", "on y apprend", "on y découvre", "lit-on", "montre", "montrent", "montrait",
		"indique*", "figure parmi", "figurent parmi", "datée", "datées",
		"envoyé", "envoyée", "one email", "shows", "show", "showed", "indicate*", "suggest*", "dated", "sent",
		"show that", "showed that", "shows that", "révèlent que", "révèle que", "montrent que", "révèlent qu", "révèle qu", "montrent qu", "obtained by", "obtenus par", "obtenues par",
		"consultés par", "consultées par", "seen by", "reviewed by", "analysés par", "on découvre", "apprend-on", "found that",
	}
	// weakReportCues say that the material reveals or holds something,
	// which a text says of specific findings ("les documents révèlent
	// que…") as of the leak in general ("des documents qui révèlent la
	// richesse cachée des élites"). Counted like reportCues: a separate
	// feature for them did not improve the cross-validated figures.
	weakReportCues = []string{
		"révèle", "révèlent", "révélé*", "reveal*", "contiennent", "contient", "contain*", "détaill*",
		"mentionn*", "font état", "fait état", "évoqu*", "refer to", "exposed", "expose*", "lay bare",
		"laissent apparaître", "describe*", "décri*",
	}
	// nounlikeReportCues are reporting words that fold to, or are also,
	// nouns: "daté"/"datés" fold to "date"/"dates", "details" and
	// "mention" name things as often as they report them. They count only
	// after the reference, where the verb stands ("un courriel daté du",
	// "the emails detail"), not before it ("la date des courriels",
	// "details of the emails").
	nounlikeReportCues = []string{"daté", "datés", "detail*", "mention*"}
	// reportPrepositions introduce the material a statement comes from;
	// unlike the verbs above they count only before the reference ("selon
	// les documents", "in a 2015 email"), not after it.
	reportPrepositions = []string{
		"selon", "d'après", "according to", "dans un", "dans une", "dans ce", "dans cet", "dans cette", "dans l'un",
		"dans les", "dans ces", "parmi les", "parmi ces", "in an", "in a", "in one", "in the", "in these", "one of the",
		"among the", "among these",
	}
	// messageCues say which message a detail comes from: its date, its
	// sender or recipient ("sent to", "adressé à", "wrote in an email").
	messageCues = []string{
		"datée du", "dated", "sent to", "sent by", "sent on", "envoyé à", "envoyée à", "envoyé par",
		"envoyée par", "envoyé le", "envoyée le", "adressé à", "adressée à", "adressés à", "wrote to", "writes to", "écrit à",
		"écrivait à", "a écrit à", "forwarded", "transféré*", "in reply", "en réponse", "subject line", "objet", "cc",
		"copie à", "en copie", "copied", "signé*", "signed",
	}
	// nounlikeMessageCues fold to a noun's phrase ("à la date du 5
	// mai"): like nounlikeReportCues, they count only after the reference.
	nounlikeMessageCues = []string{"daté du", "datés du"}
	// writingVerbs report what someone wrote rather than said: newsrooms
	// write "a déclaré" for a statement and "écrit-il" for a mail.
	writingVerbs = []string{
		"écrit", "écrit-il", "écrit-elle", "écrivait", "a écrit", "avait écrit", "répond", "répondait", "répond-il",
		"répond-elle", "wrote", "writes", "had written", "replied", "replies", "reads",
	}
	// guidancePhrases report the regulator's request or a newsroom's
	// decision not to publish.
	guidancePhrases = []string{
		"ne publierons pas", "ne publiera pas", "ne publieront pas", "ne publieraient pas", "ne publions pas",
		"ne diffuserons pas", "ne diffusera pas", "ne diffuseront pas", "ne relaierons pas", "ne relaiera pas",
		"ne pas relayer", "ne pas rendre compte", "ne rendrons pas compte", "ne pas publier", "ne pas diffuser",
		"ne pas reprendre", "ne reproduisons pas", "de ne pas", "aucun extrait", "s'abstenir", "nous abstenir",
		"demande aux médias", "demandé aux médias", "demandait aux médias", "appelle les médias", "aux médias de",
		"recommandation*", "commission nationale de contrôle", "cnccep", "commission de contrôle", "infraction pénale",
		"consigne", "notre rédaction", "nos lecteurs", "nos auditeurs", "la rédaction", "médiateur",
		"will not publish", "won't publish", "not to report", "not report", "will not report", "asked media", "asks the media",
		"asked the media", "media not to", "refrain from", "not to relay", "criminal offence", "watchdog",
		"supervisory commission", "campaign commission", "we will not", "our readers", "note to readers", "newsroom*",
		"press freedom",
		// Requests and orders not to publish, read or keep the material,
		// and the refusals and editorial policies they meet.
		"destroy", "détruire", "not to read", "ne pas lire", "ne pas consulter", "not to download", "ne pas télécharger",
		"asked news outlets", "asking news outlets", "asks news outlets", "news outlets to", "media outlets to", "journalists to",
		"journalistes de", "aux journalistes", "aux rédactions", "les rédactions", "editors to", "asked journalists",
		"urged the media", "urges the media", "urged media", "urged journalists", "exhorte", "appelé les médias", "appelle à ne pas",
		"does not consent", "ne consent pas", "legal action", "poursuites judiciaires", "threatened to sue", "menace de poursuites",
		"cease and desist", "mise en demeure", "injonction", "injunction", "court order", "ordonnance", "interdit de publier",
		"interdiction de publier", "ban on publishing", "prohibited from", "not prohibited", "ordered to remove", "ordonné le retrait",
		"retirer les articles", "remove the articles", "take down", "censure*", "censor*", "secret des affaires", "trade secrets",
		"hacked materials", "hacked material", "matériel piraté", "contenus piratés", "policy on", "politique de", "editorial decision",
		"décision éditoriale", "choix éditorial", "we decided not", "nous avons décidé de ne pas", "chose not to", "a choisi de ne pas",
		"declined to publish", "refused to publish", "refuse de publier", "refusé de publier", "ne pas en faire état", "responsibility to",
		"ethical", "éthique", "déontolog*", "public interest", "intérêt public", "newsworthy", "warned employees", "warned that",
		"mis en garde", "met en garde", "avertit", "avertissement", "classified information", "remains classified", "stolen information",
		"stolen materials", "blocked", "bloqué*", "suspended", "lawyers", "avocats", "letter to", "lettre aux", "press council",
		"conseil de déontologie", "régulateur", "regulator", "arcom", "csa", "ofcom",
	}
	// existencePhrases report the hack, the reactions, the investigation.
	existencePhrases = []string{
		"piratage", "les pirates", "des pirates", "cyberattaque", "attaque informatique", "attaque", "intrusion", "hameçonnage",
		"enquête", "parquet", "plainte", "massif et coordonné", "massive et coordonnée", "déstabilisation", "authenticité",
		"des faux", "forum anonyme", "dénonce", "condamne", "cybersécurité", "désinformation",
		"hack", "hacking", "hackers", "phishing", "investigation", "prosecutor*", "massive and coordinated",
		"authenticity", "forger*", "fakes", "anonymous board", "disinformation", "cybersecurity", "denounce*", "condemn*",
		// The breach, who did it, how it was published, what followed.
		"breach", "data breach", "fuite de données", "cyberattack", "cyber-attack", "cyber attack", "attaque informatique",
		"intrusion informatique", "piratage informatique", "piraté*", "hacked into", "hacker", "pirate informatique",
		"claimed responsibility", "revendiqu*", "attribu*", "russia", "russie", "gru", "fsb", "north korea",
		"corée du nord", "intelligence agencies", "services de renseignement", "security firm", "security researchers",
		"experts en sécurité", "arrest*", "arrêté", "interpellé", "inculpé*", "indicted", "charged with", "mis en examen",
		"trial", "procès", "tribunal", "court", "sentenced", "condamné à", "extradit*", "prison", "whistleblower", "lanceur d'alerte",
		"lanceurs d'alerte", "source anonyme", "anonymous source", "consortium", "partenaires", "media partners", "journalists from",
		"journalistes de", "mise en ligne", "were posted", "posted online", "published online", "made public", "rendus publics",
		"rendu public", "leaked online", "dumped", "released", "publiés sur", "search engine", "moteur de recherche", "database",
		"base de données", "verified", "vérifié*", "genuine", "authentique*", "reaction*", "réaction*", "responded", "a réagi",
		"réagit", "resigned", "démission*", "fallout", "scandal", "scandale", "affaire", "verdict", "jugement", "judgment",
		"procureur", "juge", "judge", "lawsuit", "class action", "plaintes", "amende", "fined", "settlement",
	}
	// statementCues make a quote someone's statement: what they said,
	// declared or denounced, in a communiqué or an interview.
	statementCues = []string{
		"a déclaré", "a-t-il déclaré", "a-t-elle déclaré", "déclare", "a dit", "a-t-il dit", "a-t-elle dit", "dit-il", "dit-elle",
		"affirme", "a affirmé", "affirme le communiqué", "a dénoncé", "dénonce", "a réagi", "estime", "a estimé", "explique",
		"a expliqué", "ajoute", "a ajouté", "selon lui", "selon elle", "communiqué", "déclaration", "a-t-il ajouté", "a-t-elle ajouté",
		"said", "says", "told", "added", "stated", "statement", "declared", "denounced", "according to a statement",
		"press release", "in an interview", "spokesman", "spokeswoman", "spokesperson", "porte-parole",
	}
	// speculative words before a reporting verb make it a guess at what the
	// material may say ("pourrait révéler", "could show"), not a report.
	speculative = map[string]bool{
		"pourrait": true, "pourraient": true, "pourra": true, "pourront": true, "devrait": true, "devraient": true,
		"could": true, "might": true, "would": true, "may": true, "will": true, "can": true,
	}
	// pronouns after "selon" or "according to" attribute to a person.
	pronouns = map[string]bool{"elle": true, "lui": true, "eux": true, "elles": true, "il": true, "him": true, "her": true, "them": true}
	// claimCues report what the material says someone did or had:
	// newsroom French writes it in the conditional ("aurait reçu"),
	// English in reportative verbs; both name a holding, a payment, a
	// concealment.
	claimCues = []string{
		"aurait", "auraient", "serait", "seraient", "aurait reçu", "aurait versé", "aurait caché", "allegedly", "purportedly",
		"révèle que", "révèlent que", "révélé que", "montre que", "montrent que", "indique que",
		"indiquent que", "suggère que", "suggèrent que", "shows that", "show that", "showed that", "revealed that", "reveals that",
		"reveal that", "suggest that", "suggests that", "indicate that", "indicates that", "confirm that", "confirms that",
		"dispose d", "détenait", "détient", "possède", "possédait", "owned", "owns", "set up", "créée",
		"créé", "fondé*", "bénéficiaire*", "beneficiary", "beneficial owner", "shareholder", "actionnaire", "secret", "secrète",
		"caché*", "hidden", "concealed", "dissimul*", "paid", "payé*", "versé*", "received", "reçu", "transferred", "transféré*",
		"virement*", "payments", "paiements", "offshore", "société écran", "shell company", "compte bancaire", "bank account",
		"fortune", "évasion", "evasion", "avoided", "salaire", "salary", "contrat", "contract",
		"notre enquête", "our investigation", "nos révélations", "our reporting", "à partir des documents", "based on the documents",
		"based on documents", "an analysis of", "une analyse des", "examined by", "épluché*", "passé au crible", "dépouill*",
		"in the documents", "dans les documents", "among the documents", "parmi les documents", "one document", "un document",
		"the files show", "les fichiers", "on y apprend", "on y découvre", "on y lit",
		// Before a vowel French elides "que": "révèle qu'il", "montrent qu'une".
		"révèle qu", "révèlent qu", "révélé qu", "montre qu", "montrent qu", "indique qu", "indiquent qu",
		"suggère qu", "suggèrent qu",
	}
	// satireMarkers: satire and parody say so, in the title or in a
	// disclaimer.
	satireMarkers = []string{
		"satire", "satirique", "satirical", "parodie", "parody", "parodique", "canular",
		"entièrement inventé", "que nous venons d'inventer", "tout aussi imaginaires", "made up", "completely fictional",
		"none of the emails quoted above exist", "cet article est satirique", "is a satirical publication",
	}
	// publicCues introduce a quotation from a public statement: the
	// campaign's communiqué, a press release, an interview.
	publicCues = []string{
		"communiqué", "communiqués", "déclaration", "statement", "press release", "a déclaré", "a-t-il déclaré",
		"a-t-elle déclaré", "interview", "entretien", "résume", "sourit", "official", "publicly", "publiquement",
	}
)

// stopWords of French and English, left out of the term model.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
a à afin ai aie aient aies ait alors as au aucun aucune aujourd aupres auquel aura aurai auraient aurais aurait auras aurez auriez aurions aurons auront
aussi autre autres aux avaient avais avait avant avec avez aviez avions avoir avons ayant bien c ca car ce ceci cela celle celles celui cependant ces cet cette
ceux chacun chaque chez ci comme comment d dans de des deja depuis dernier derniere deux devant doit donc dont du elle elles en encore entre est et etaient
etais etait etant ete etre eu eux faire fait faut fois font hors ici il ils j je jusqu l la le les leur leurs lui m ma mais me meme memes mes moi moins mon
n ne ni nos notre nous on ont ou par parce pas pendant peu peut plus plusieurs pour pourquoi puis qu quand que quel quelle quelles quels qui quoi s sa sans se
sera serait ses si sien son sont sous sur t ta tant te tes toi ton tous tout toute toutes tres tu un une unes uns vers voici voila vont vos votre vous y
the of and to in a is that for it as was with be by on not he i this are or his from at which but have an had they you were their one all we can her has
there been if more when will would who so no she other its may these about into than them only our up out any do my me what also after could should
some then those such over most very just being where while how both each few own same too him here were did does doing because until against between
through during before above below off again further once am isn aren wasn weren hasn haven hadn doesn don didn won wouldn shan shouldn can cannot couldn
mustn let s t d ll re ve y ms mr mrs
`) {
		m[w] = true
	}
	return m
}()

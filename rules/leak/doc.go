// Package leak owns what silencewatch knows about a leaked corpus: reading
// it (mail files, mbox archives, text, Markdown, HTML and JSON exports) into
// documents, indexing them with winnowed word k-gram fingerprints, finding
// the passages of an article that were copied from them (seeded local
// alignment tolerant to light edits, then a piecewise alignment of content
// words, compared by stem and synonym, for rewritten passages whose clauses
// were reordered), and labelling an article as reporting
// the leak's content, its existence, the regulator's guidance or none of
// these, with the signals that decided it.
//
// Whole-document similarity (SimHash, MinHash) is deliberately absent: one
// leaked paragraph inside a long article barely moves a document-level
// sketch, whereas positional fingerprints with alignment find it and say
// where it is in both texts.
//
// Pipeline: ReadCorpus → Build (or Update) → Index.Quotes / Index.Classify.
// An Index serialises with MarshalBinary so that callers can store it keyed
// by CorpusKey and skip re-indexing an unchanged corpus. Evaluate measures
// quote detection and labelling on a labelled directory (testdata/). The
// design, the measured parameter choices and the figures are in README.md.
package leak

// Package extract owns turning one fetched article page into the text and
// times silencewatch reasons about: it decodes the page to UTF-8, runs an
// extractor chain over it (go-trafilatura, then go-readability, then the
// feed item's own content), and reads the publication and modification
// times from the page's metadata, recording which extractor and which
// metadata each value came from.
//
// It does no I/O: the crawler fetches, Extract extracts, and the caller
// decides what to keep (see Result.Apply). The third-party extractors and
// their dependencies (a WASM RE2, dateparser) stay behind this package.
//
// # Charset
//
// The body is decoded once, before any parsing, by textenc.HTML, and both
// extractors get the decoded document, so nothing is transcoded twice: a
// byte order mark decides; a body that is entirely valid UTF-8 is UTF-8
// whatever is declared; otherwise a non-UTF-8 charset declared by the
// Content-Type header, then by <meta> in the first 64 KiB, is used; a body
// with more valid multi-byte sequences than invalid bytes is UTF-8 with
// stray bytes replaced; the rest is detected from the bytes, windows-1252
// when unsure. How the body was read is in Result.Notes when it was not
// simply valid UTF-8.
//
// # Extractor chain
//
// Before any extractor runs, blocks that only point to other stories
// ("À lire aussi : …", "Read more: …" followed by links) and subscription
// prompts are removed from the document: a related-story headline naming a
// leak must not make an unrelated article look like a finding.
//
//  1. go-trafilatura runs first: comments, images and link targets
//     excluded, its own fallback extractors off. Its text is kept when it
//     is not empty and not much shorter than the feed item's content
//     (MuchShorter: fewer than half as many words).
//  2. go-readability runs on the same document when trafilatura's text
//     fails that test, or when it is trafilatura's baseline: a single
//     flattened block, typically the whole <article> with its byline and
//     link lists. Readability's text replaces such a block when it is the
//     same article (half its word trigrams are in the block) or more than
//     twice as long, and a failed text when it passes the feed test.
//     Trafilatura's very last resort, the whole page's text from <title>
//     on (a script-rendered shell, a cookie wall), is dropped outright.
//  3. Else the feed's content when there is one, else nothing
//     (ExtractorNone).
//
// The text has paragraphs separated by a blank line, whitespace collapsed,
// no markup, Unicode NFC; a first paragraph repeating the headline and a
// paragraph repeating the one before it are dropped.
//
// # Times
//
// Times are in UTC, truncated to the minute, with their source recorded.
// For publication: article:published_time, JSON-LD datePublished,
// microdata datePublished, <time datetime> (itemprop or pubdate first,
// then the first one in the article, outside navigation, asides and
// comments); the first of these with a zone offset wins. A time without a
// zone offset is ambiguous by hours around a silence boundary, so next
// comes the feed's date, then go-htmldate, then an unzoned page time read
// as UTC; each of these is explained in Notes. Modification times follow
// the same order with article:modified_time, JSON-LD and microdata
// dateModified, without go-htmldate.
package extract

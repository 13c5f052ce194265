package monitor

import (
	"slices"

	"github.com/silencewatch/silencewatch/article"
)

// pollOrder is the order in which a poll takes a feed's items. A feed
// within its cap is taken as listed, as it always was. Past the cap the
// newest come first, so that what is published now is never behind an
// archive: items without a publication date first (their age is unknown,
// and an outlet that leaves dates out must not be read last), in document
// order, then the dated ones newest first, ties in document order.
func pollOrder(items []article.Article, limit int) []int {
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	if limit <= 0 || len(items) <= limit {
		return order
	}
	slices.SortStableFunc(order, func(i, j int) int {
		a, b := items[i].PublishedAt, items[j].PublishedAt
		switch {
		case a.IsZero() || b.IsZero():
			return boolCmp(a.IsZero(), b.IsZero())
		default:
			return b.Compare(a) // newest first
		}
	})
	return order
}

// boolCmp orders true before false.
func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	default:
		return 1
	}
}

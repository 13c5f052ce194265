package article

import "strings"

// WordDiff describes how text changed from old to new, word by word:
// removed runs as [-…-], added runs as {+…+}, unchanged runs as they
// are. "" when nothing changed. Texts longer than maxDiffWords on either
// side are compared by their changed middle only, to bound the cost.
func WordDiff(old, new string) string {
	a, b := strings.Fields(old), strings.Fields(new)
	// Common prefix and suffix cost nothing; edits are usually local.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	if pre == len(a) && pre == len(b) {
		return ""
	}
	am, bm := a[pre:len(a)-suf], b[pre:len(b)-suf]
	var ops []op
	if len(am)*len(bm) > maxDiffWords*maxDiffWords {
		ops = []op{{del, am}, {ins, bm}} // too large to align: one replacement
	} else {
		ops = lcsOps(am, bm)
	}
	var out []string
	if pre > 0 {
		out = append(out, context(a[:pre], true))
	}
	for _, o := range ops {
		text := strings.Join(o.words, " ")
		switch o.kind {
		case del:
			out = append(out, "[-"+text+"-]")
		case ins:
			out = append(out, "{+"+text+"+}")
		default:
			out = append(out, text)
		}
	}
	if suf > 0 {
		out = append(out, context(a[len(a)-suf:], false))
	}
	return strings.Join(out, " ")
}

const (
	maxDiffWords   = 3000
	contextWords   = 8
	keep, del, ins = 0, 1, 2
)

type op struct {
	kind  int
	words []string
}

// context keeps a few unchanged words next to the change.
func context(words []string, before bool) string {
	if len(words) <= contextWords {
		return strings.Join(words, " ")
	}
	if before {
		return "… " + strings.Join(words[len(words)-contextWords:], " ")
	}
	return strings.Join(words[:contextWords], " ") + " …"
}

// lcsOps aligns two word lists by longest common subsequence.
func lcsOps(a, b []string) []op {
	n, m := len(a), len(b)
	dp := make([][]int32, n+1)
	for i := range dp {
		dp[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	var ops []op
	push := func(kind int, w string) {
		if len(ops) > 0 && ops[len(ops)-1].kind == kind {
			ops[len(ops)-1].words = append(ops[len(ops)-1].words, w)
			return
		}
		ops = append(ops, op{kind, []string{w}})
	}
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			push(keep, a[i])
			i++
			j++
		case dp[i+1][j] >= dp[i][j+1]:
			push(del, a[i])
			i++
		default:
			push(ins, b[j])
			j++
		}
	}
	for ; i < n; i++ {
		push(del, a[i])
	}
	for ; j < m; j++ {
		push(ins, b[j])
	}
	return ops
}

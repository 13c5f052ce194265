package rules

import (
	"slices"
	"testing"
)

// checkSortEvKeys sorts keys made from data both ways: sortEvKeys must
// give the stable order slices.SortStableFunc gives.
func checkSortEvKeys(t *testing.T, data []byte) {
	t.Helper()
	var keys []evKey
	for i := 0; i+2 < len(data); i += 3 {
		keys = append(keys, evKey{order: int(data[i] % 3), start: int(data[i+1] % 16), end: int(data[i+2] % 16), hit: len(keys)})
	}
	want := slices.Clone(keys)
	slices.SortStableFunc(want, func(a, b evKey) int {
		if a.order != b.order {
			return a.order - b.order
		}
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	sortEvKeys(keys)
	if !slices.Equal(keys, want) {
		t.Fatalf("sortEvKeys(%v) =\n%v, want\n%v", data, keys, want)
	}
}

func TestSortEvKeys(t *testing.T) {
	checkSortEvKeys(t, nil)
	checkSortEvKeys(t, []byte{2, 5, 9, 0, 5, 9, 2, 1, 3, 0, 5, 12})
	long := make([]byte, 3*40) // past the insertion sort's length
	for i := range long {
		long[i] = byte(i * 7 % 23)
	}
	checkSortEvKeys(t, long)
}

func FuzzSortEvKeys(f *testing.F) {
	f.Add([]byte{2, 5, 9, 0, 5, 9, 2, 1, 3, 0, 5, 12, 1, 1, 1})
	f.Fuzz(checkSortEvKeys)
}

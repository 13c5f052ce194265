package article

import "testing"

func TestWordDiff(t *testing.T) {
	tests := []struct{ old, new, want string }{
		{"a b c", "a b c", ""},
		{"Le trésorier écrit : « il faut boucler le budget ». Fin.", "Le trésorier écrit. Fin.",
			"Le trésorier [-écrit : « il faut boucler le budget ».-] {+écrit.+} Fin."},
		{"un deux trois", "un deux quatre trois", "un deux {+quatre+} trois"},
		{"one two three four five six seven eight nine ten eleven", "one two three four five six seven eight nine ten twelve",
			"… three four five six seven eight nine ten [-eleven-] {+twelve+}"},
	}
	for _, tt := range tests {
		if got := WordDiff(tt.old, tt.new); got != tt.want {
			t.Errorf("WordDiff(%q, %q)\n got %q\nwant %q", tt.old, tt.new, got, tt.want)
		}
	}
}

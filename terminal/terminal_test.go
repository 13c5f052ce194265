package terminal

import "testing"

func TestClean(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain text unchanged", "Élection: résultats\n\tfin", "Élection: résultats\n\tfin"},
		{"CSI colour and clear screen", "a\x1b[31mred\x1b[2Jb", "a[31mred[2Jb"},
		{"OSC window title", "\x1b]0;pwned\x07title", "]0;pwnedtitle"},
		{"carriage return overwrite", "real\rfake", "realfake"},
		{"8-bit CSI", "x\u009b31my", "x31my"},
		{"bidi override", "abc\u202edcba", "abcdcba"},
		{"invalid UTF-8", "ok\xffok", "okok"},
		{"literal replacement char kept", "a\uFFFDb", "a\uFFFDb"},
		{"backspace and DEL", "ab\bc\x7f", "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clean(tt.in); got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

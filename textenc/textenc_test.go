package textenc

import "testing"

func TestDecode(t *testing.T) {
	tests := []struct {
		name, in, label, want, charset string
		noted                          bool
	}{
		{"UTF-8, no label", "Élection", "", "Élection", "utf-8", false},
		{"UTF-8 byte order mark removed", "\xef\xbb\xbfÉté", "", "Été", "utf-8", false},
		{"UTF-16 byte order mark", "\xff\xfe\xe9\x00t\x00\xe9\x00", "iso-8859-1", "été", "utf-16", true},
		{"ISO-8859-1 reads as windows-1252", "Co\x9bt \x80 \x93ok\x94", "ISO-8859-1", "Co\u203at € “ok”", "windows-1252", false},
		{"us-ascii label reads as windows-1252", "caf\xe9", "us-ascii", "café", "windows-1252", false},
		{"other single-byte charset", "\xc1\xc2", "koi8-r", "аб", "koi8-r", false},
		{"valid UTF-8 wins over a Latin-1 label", "Trésorier", "iso-8859-1", "Trésorier", "utf-8", true},
		{"ASCII under any label", "plain", "windows-1252", "plain", "utf-8", false},
		{"Latin-1 labelled UTF-8 falls back to windows-1252", "Tr\xe9sorier \x80", "utf-8", "Trésorier €", "windows-1252", true},
		{"undeclared Latin-1", "d\xe9j\xe0", "", "déjà", "windows-1252", true},
		{"stray byte in UTF-8 replaced", "é è \xff", "", "é è \uFFFD", "utf-8", true},
		{"unknown label: UTF-8 when valid", "Été", "x-bogus", "Été", "utf-8", true},
		{"unknown label: windows-1252 otherwise", "\xc9t\xe9", "x-bogus", "Été", "windows-1252", true},
		{"empty", "", "utf-8", "", "utf-8", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Decode([]byte(tt.in), tt.label)
			if string(r.Text) != tt.want || r.Charset != tt.charset {
				t.Errorf("Decode(%q, %q) = %q in %s, want %q in %s (%s)", tt.in, tt.label, r.Text, r.Charset, tt.want, tt.charset, r.Note)
			}
			if (r.Note != "") != tt.noted {
				t.Errorf("note = %q, want a note: %v", r.Note, tt.noted)
			}
			if got := String([]byte(tt.in), tt.label); got != tt.want {
				t.Errorf("String = %q, want %q", got, tt.want)
			}
		})
	}
}

package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/calendar"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/preset"
)

// sampleDates gives each preset an election date (and France a second
// round), on the weekday the country votes.
var sampleDates = map[string][]string{
	"ar": {"2027-10-24"},
	"bg": {"2026-10-25"},
	"ca": {"2029-10-15"},
	"es": {"2027-07-25"},
	"fr": {"2027-04-11", "2027-04-25"},
	"it": {"2027-09-26"},
	"mx": {"2030-06-02"},
	"pl": {"2027-10-10"},
	"ru": {"2026-09-20"},
	"sk": {"2027-09-25"},
}

func noEnv(string) (string, bool) { return "", false }

// Every preset: init writes a config that validate and windows accept.
func TestInitEveryPreset(t *testing.T) {
	all, err := preset.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range all {
		t.Run(p.Code, func(t *testing.T) {
			dates, ok := sampleDates[p.Code]
			if !ok {
				t.Fatalf("no sample date for preset %s", p.Code)
			}
			path := filepath.Join(t.TempDir(), "config.yaml")
			args := []string{"init", "-preset", p.Code, "-date", dates[0], "-o", path}
			if len(dates) > 1 {
				args = append(args, "-date2", dates[1])
			}
			out, errOut, code := run(t, "", args...)
			if code != ExitOK || !strings.Contains(out, "wrote "+path) {
				t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
			}
			out, errOut, code = run(t, "", "validate", "-offline", "-config", path)
			if code != ExitOK {
				t.Fatalf("validate: exit %d\n%s%s", code, out, errOut)
			}
			out, errOut, code = run(t, "", "windows", "-config", path)
			if code != ExitOK {
				t.Fatalf("windows: exit %d\n%s%s", code, out, errOut)
			}
			for _, w := range p.Windows {
				if !strings.Contains(out, "/"+w.Name+"\n") || !strings.Contains(out, w.Reference) {
					t.Errorf("windows output lacks %s (%s)", w.Name, w.Reference)
				}
			}
			// The file says what the preset approximates.
			data, _ := os.ReadFile(path)
			firstNote := strings.Fields(p.Notes)[0]
			if !strings.Contains(string(data), "# "+firstNote) {
				t.Errorf("the preset's notes are not in the file")
			}
		})
	}
}

// The commented examples (sources, guidance, the leak and its rules) are
// valid once uncommented.
func TestInitExamplesValidate(t *testing.T) {
	all, _ := preset.All()
	for _, p := range all {
		var dates []calendar.Date
		for _, s := range sampleDates[p.Code] {
			d, _ := calendar.ParseDate(s)
			dates = append(dates, d)
		}
		e, err := p.Election(dates...)
		if err != nil {
			t.Fatal(err)
		}
		data := initConfig(p, e, "test", true)
		cfg, err := config.Parse(p.Code+".yaml", data, noEnv)
		if err != nil {
			t.Errorf("%s: examples uncommented do not validate: %v\n%s", p.Code, err, data)
			continue
		}
		rules := 4
		if len(p.WindowsBanning(preset.BanResults)) == 0 {
			rules = 3
		}
		if len(cfg.Sources) != 2 || len(cfg.Leaks) != 1 || len(cfg.Guidance) != 1 || len(cfg.Rules) != rules {
			t.Errorf("%s: %d sources, %d leaks, %d guidance, %d rules", p.Code, len(cfg.Sources), len(cfg.Leaks), len(cfg.Guidance), len(cfg.Rules))
		}
	}
}

// A commented example is its text with "# " at the block's indentation:
// deleting those two characters on each line restores it.
func TestExampleComments(t *testing.T) {
	text := "  - id: a\n    name: b\n\n    # a comment\n    list: [x]\n"
	var b strings.Builder
	example(&b, false, text)
	want := "  # - id: a\n  #   name: b\n#\n  #   # a comment\n  #   list: [x]\n"
	if b.String() != want {
		t.Fatalf("commented:\n%s\nwant:\n%s", b.String(), want)
	}
	var back strings.Builder
	for _, l := range strings.SplitAfter(b.String(), "\n") {
		if l == "#\n" {
			l = "\n"
		} else if len(l) > 4 {
			l = l[:2] + l[4:]
		}
		back.WriteString(l)
	}
	if back.String() != text {
		t.Errorf("uncommented:\n%q\nwant:\n%q", back.String(), text)
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, "", "init", "-preset", "es", "-date", "2027-07-25", "-o", path)
	if code != ExitUsage || !strings.Contains(errOut, path+" already exists; -force overwrites it") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if data, _ := os.ReadFile(path); string(data) != "mine\n" {
		t.Fatalf("the existing file was changed: %q", data)
	}
	if _, errOut, code := run(t, "", "init", "-preset", "es", "-date", "2027-07-25", "-o", path, "-force"); code != ExitOK {
		t.Fatalf("-force: exit %d: %s", code, errOut)
	}
	if data, _ := os.ReadFile(path); !strings.Contains(string(data), "es-2027/silence") {
		t.Fatalf("-force did not write the config:\n%s", data)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestInitUsageErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no flags, not a terminal", []string{"init"}, "-preset and -date are required"},
		{"no date", []string{"init", "-preset", "fr"}, "-preset and -date are required"},
		{"unknown preset", []string{"init", "-preset", "xx", "-date", "2027-04-11"}, `unknown preset "xx" (known: ar, bg, ca, es, fr, it, mx, pl, ru, sk)`},
		{"bad date", []string{"init", "-preset", "fr", "-date", "11/04/2027"}, "want YYYY-MM-DD"},
		{"second round first", []string{"init", "-preset", "fr", "-date", "2027-04-25", "-date2", "2027-04-11"}, "is not after round 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "config.yaml")
			_, errOut, code := run(t, "", append(tt.args, "-o", path)...)
			if code != ExitUsage || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q, want %q", code, errOut, tt.want)
			}
			if _, err := os.Stat(path); err == nil {
				t.Errorf("a file was written")
			}
		})
	}
}

func TestAskInit(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) // a Wednesday
	tests := []struct {
		name, input                 string
		code, date, date2           string
		wantCode, wantDate, wantDt2 string
	}{
		{"defaults", "\n\n\n", "", "", "", "fr", "2026-12-27", ""},
		{"answers, retried", "xx\nes\n27/07\n2027-07-25\n\n", "", "", "", "es", "2027-07-25", ""},
		{"second round", "fr\n2027-04-11\n2027-04-25\n", "", "", "", "fr", "2027-04-11", "2027-04-25"},
		{"only what is missing", "2027-10-10\n\n", "pl", "", "", "pl", "2027-10-10", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			code, date, date2, err := askInit(strings.NewReader(tt.input), &out, tt.code, tt.date, tt.date2, now)
			if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode || date != tt.wantDate || date2 != tt.wantDt2 {
				t.Errorf("got %s %s %q, want %s %s %q\n%s", code, date, date2, tt.wantCode, tt.wantDate, tt.wantDt2, out.String())
			}
		})
	}
	if _, _, _, err := askInit(strings.NewReader(""), &strings.Builder{}, "", "", "", now); err == nil {
		t.Error("end of input: want an error")
	}
}

func TestWindowsPreset(t *testing.T) {
	t.Run("the French preset prints the example config's windows", func(t *testing.T) {
		fromConfig, _, code := run(t, "", "windows")
		if code != ExitOK {
			t.Fatal(code)
		}
		fromPreset, errOut, code := run(t, "", "windows", "-preset", "fr", "-date", "2017-05-07")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		// Same windows, same format; the election is named by the preset,
		// the guidance entries come from the config only and L52-2 is
		// named in full.
		var blocks []string
		for _, blk := range strings.Split(strings.TrimSuffix(fromConfig, "\n"), "\n\n") {
			if !strings.HasPrefix(blk, "guidance:") {
				blocks = append(blocks, blk)
			}
		}
		want := strings.Join(blocks, "\n\n") + "\n"
		want = strings.ReplaceAll(want, "fr-pres-2017/round-2/", "fr-2017/vote/")
		want = strings.ReplaceAll(want, "close (L52-2)", "close (Code électoral L52-2)")
		if fromPreset != want {
			t.Errorf("preset windows differ from the config's:\n%s\nwant:\n%s", fromPreset, want)
		}
	})
	t.Run("list", func(t *testing.T) {
		for _, args := range [][]string{{"windows", "-presets"}, {"windows", "-preset", "list"}} {
			out, _, code := run(t, "", args...)
			if code != ExitOK || !strings.Contains(out, "fr      France (FR)     8      silence, poll-ban, results-embargo") || !strings.Contains(out, "sk ") {
				t.Errorf("%v: exit %d\n%s", args, code, out)
			}
		}
	})
	t.Run("two rounds", func(t *testing.T) {
		out, _, code := run(t, "", "windows", "-preset", "fr", "-date", "2027-04-11", "-date2", "2027-04-25")
		if code != ExitOK || !strings.Contains(out, "fr-2027/round-1/silence") || !strings.Contains(out, "fr-2027/round-2/results-embargo") {
			t.Errorf("exit %d\n%s", code, out)
		}
	})
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown preset", []string{"-preset", "de", "-date", "2027-09-26"}, `unknown preset "de" (known: ar, bg, ca, es, fr, it, mx, pl, ru, sk)`},
		{"no date", []string{"-preset", "es"}, "-preset es needs -date"},
		{"no preset", []string{"-date", "2027-09-26"}, "-date needs -preset"},
		{"with -config", []string{"-preset", "es", "-date", "2027-07-25", "-config", "config.yaml"}, "exclude each other"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := run(t, "", append([]string{"windows"}, tt.args...)...)
			if code != ExitUsage || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q, want %q", code, errOut, tt.want)
			}
		})
	}
}

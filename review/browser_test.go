package review

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var screenshots = flag.String("review.screenshots", "", "write the browser tests' screenshots (dashboard, a finding, a leak's spread) to this directory (docs/)")

// chromium finds the browser: $SILENCEWATCH_CHROMIUM, else chromium on
// the PATH. Without one the test is skipped, unless
// SILENCEWATCH_BROWSER=required (as .ci/run sets), when it fails.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SILENCEWATCH_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("SILENCEWATCH_BROWSER") == "required" {
		t.Fatal("no Chromium found (apt install chromium), and SILENCEWATCH_BROWSER=required")
	}
	t.Skip("no Chromium found (apt install chromium): the browser test is skipped")
	return ""
}

// TestBrowserReviewFlow drives a real headless Chromium through the UI as
// a reviewer would: log in, filter the findings, open one, record a
// verdict, and see it in the audit trail.
func TestBrowserReviewFlow(t *testing.T) {
	exe := chromium(t)
	f := newFixture(t)
	ctx := context.Background()
	f.seed(ctx, "lefigaro", "https://www.lefigaro.fr/elections/2017/05/06/courriels", "Ce que révèlent les courriels de l'équipe de campagne",
		"Selon les courriels consultés par notre rédaction, le trésorier de la campagne écrivait le 28 avril qu'il fallait décaler les factures.", true)

	bctx := headless(t, exe)
	note := "Relays a leaked mail's content in the silence; for the commission."
	step := stepper(t)
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(sel))
		step("read "+sel, err)
		return s
	}
	signIn(t, bctx, f, "rémi")
	dashboard, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	step("screenshot the dashboard", err)
	step("filter the findings", chromedp.Do(bctx,
		chromedp.Navigate(f.srv.URL+"/findings"),
		chromedp.WaitVisible(`form.filters`),
		chromedp.SetValue(`select[name=outlet]`, "lefigaro"),
		chromedp.Submit(`form.filters`),
		chromedp.WaitVisible(`//a[contains(., "Ce que révèlent les courriels")]`),
	))
	list := text(`table.findings`)
	step("open the finding", chromedp.Do(bctx,
		chromedp.Click(`//a[contains(., "Ce que révèlent les courriels")]`),
		chromedp.WaitVisible(`form.verdict`),
	))
	finding, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	step("screenshot the finding", err)
	step("record a verdict", chromedp.Do(bctx,
		chromedp.Click(`input[name=verdict][value=confirmed]`),
		chromedp.SendKeys(`textarea[name=note]`, note),
		chromedp.Click(`form.verdict button[type=submit]`),
		chromedp.WaitVisible(`p.latest`),
	))
	latest, trail := text(`p.latest`), text(`section.verdicts table`)
	if strings.Contains(list, "liberation") || strings.Contains(list, "Sondage du jour") {
		t.Errorf("the outlet filter let other outlets through:\n%s", list)
	}
	if !strings.Contains(latest, "rémi") || !strings.Contains(latest, note) {
		t.Errorf("latest verdict %q", latest)
	}
	if !strings.Contains(trail, "rémi") || !strings.Contains(trail, "web") || !strings.Contains(trail, note) {
		t.Errorf("the audit trail does not show the verdict:\n%s", trail)
	}
	if *screenshots != "" {
		for name, png := range map[string][]byte{"review-dashboard.png": dashboard, "review-finding.png": finding} {
			if err := os.WriteFile(filepath.Join(*screenshots, name), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		fmt.Fprintf(os.Stderr, "screenshots written to %s\n", *screenshots)
	}
}

// headless starts Chromium for a test, closed at its end.
func headless(t *testing.T, exe string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1000))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	bctx, cancelTimeout := context.WithTimeout(bctx, 60*time.Second)
	t.Cleanup(cancelTimeout)
	return bctx
}

func stepper(t *testing.T) func(what string, err error) {
	return func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("browser: %s: %v", what, err)
		}
	}
}

// signIn logs in through the login page, as name.
func signIn(t *testing.T, bctx context.Context, f *fixture, name string) {
	t.Helper()
	stepper(t)("log in", chromedp.Do(bctx,
		chromedp.Navigate(f.srv.URL+"/"),
		chromedp.WaitVisible(`form.login`), // anonymous: the login page
		chromedp.SendKeys(`input[name=name]`, name),
		chromedp.SendKeys(`input[name=password]`, testPassword),
		chromedp.Click(`form.login button[type=submit]`),
		chromedp.WaitVisible(`//h1[text()="Dashboard"]`),
	))
}

// TestBrowserLeakSpread opens a leak's page from the leaks page, on a
// desktop and on a phone: the chart is drawn, its first reports and
// relays read as text, and on the phone only the chart scrolls sideways,
// not the page; then follows a relay to a finding and reads its relays.
func TestBrowserLeakSpread(t *testing.T) {
	exe := chromium(t)
	f, _ := spreadFixture(t)
	bctx := headless(t, exe)
	step := stepper(t)
	signIn(t, bctx, f, "vera")
	step("open the leak's spread", chromedp.Do(bctx,
		chromedp.Navigate(f.srv.URL+"/leaks"),
		chromedp.Click(`//a[contains(., "chart, first reports and relays")]`),
		chromedp.WaitVisible(`.spread-chart svg`),
	))
	desktop, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	step("screenshot the leak page", err)
	relays, err := chromedp.Run(bctx, chromedp.Text(`table.relays`))
	step("read the relays", err)
	for _, want := range []string{"pol-board", "state-tv", "lefigaro", "2 h 40 min", "<script>alert(1)</script>"} {
		if !strings.Contains(relays, want) {
			t.Errorf("the relays table does not show %q:\n%s", want, relays)
		}
	}
	// The chart's marks: one per article, titles as text (a <script> in a
	// title is a title, not an element).
	marks, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll(".spread-chart svg circle[r='4'] title").length`))
	step("count the chart's marks", err)
	scripts, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("script").length`))
	step("count scripts", err)
	if marks != 6 || scripts != 0 {
		t.Errorf("chart marks %d (want 6), script elements %d (want 0)", marks, scripts)
	}

	step("phone width", chromedp.Do(bctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulatePortrait),
		chromedp.Reload(),
		chromedp.WaitVisible(`.spread-chart svg`),
	))
	widths, err := chromedp.Run(bctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth, document.querySelector(".spread-chart").clientWidth, document.querySelector(".spread-chart").scrollWidth]`))
	step("measure the page", err)
	if len(widths) != 4 || widths[0] > widths[1] || widths[2] > widths[1] || widths[3] <= widths[2] {
		t.Errorf("on a phone, page %d px wide in a %d px window; chart frame %d px scrolling over %d px: want only the chart to scroll", widths[0], widths[1], widths[2], widths[3])
	}

	// From the relays table to the state channel's finding: its relays,
	// one in and one out, each with the two passages.
	step("open a relayed finding", chromedp.Do(bctx,
		chromedp.Click(`//table[contains(@class,"relays")]//td[2]//a[contains(., "Leaked Macron campaign mails")]`),
		chromedp.WaitVisible(`section.relays`),
	))
	rel, err := chromedp.Run(bctx, chromedp.Text(`section.relays`))
	step("read the finding's relays", err)
	if !strings.Contains(rel, "This article reuses 26 words of pol-board") || !strings.Contains(rel, "Relayed by lefigaro") {
		t.Errorf("the finding's relays:\n%s", rel)
	}
	pageW, err := chromedp.Run(bctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
	step("measure the finding page", err)
	if len(pageW) != 2 || pageW[0] > pageW[1] {
		t.Errorf("on a phone, the finding page is %v px wide (page, window)", pageW)
	}
	if *screenshots != "" {
		for name, png := range map[string][]byte{"review-leak-spread.png": desktop} {
			if err := os.WriteFile(filepath.Join(*screenshots, name), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		fmt.Fprintf(os.Stderr, "screenshots written to %s\n", *screenshots)
	}
}

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

var screenshots = flag.String("review.screenshots", "", "write the browser test's screenshots of the dashboard and a finding page to this directory (docs/)")

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

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1000))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	bctx, cancelTimeout := context.WithTimeout(bctx, 60*time.Second)
	defer cancelTimeout()

	note := "Relays a leaked mail's content in the silence; for the commission."
	step := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("browser: %s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(sel))
		step("read "+sel, err)
		return s
	}
	step("log in", chromedp.Do(bctx,
		chromedp.Navigate(f.srv.URL+"/"),
		chromedp.WaitVisible(`form.login`), // anonymous: the login page
		chromedp.SendKeys(`input[name=name]`, "rémi"),
		chromedp.SendKeys(`input[name=password]`, testPassword),
		chromedp.Click(`form.login button[type=submit]`),
		chromedp.WaitVisible(`//h1[text()="Dashboard"]`),
	))
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

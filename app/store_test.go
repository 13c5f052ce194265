package app

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// storeConfig writes a config with one feed source and the store sw.db
// next to it, and returns its path and the store's.
func storeConfig(t *testing.T, dir, feedURL string) (cfgPath, storePath string) {
	t.Helper()
	cfgPath = filepath.Join(dir, "config.yaml")
	yaml := fmt.Sprintf("store: sw.db\nsources:\n  - name: testdaily\n    url: %s\n    every: 1s\n    min_every: 1s\n", feedURL)
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfgPath, filepath.Join(dir, "sw.db")
}

// TestRunRefusesMissingStore checks that run does not create a store that
// is not there (a mistyped path would start empty and alert everything
// again) unless -init is given.
func TestRunRefusesMissingStore(t *testing.T) {
	feed := &feedServer{}
	feed.set(item("m1", "Météo", lawful, satPub))
	srv := httptest.NewServer(feed)
	defer srv.Close()
	dir := t.TempDir()
	cfgPath, storePath := storeConfig(t, dir, srv.URL)
	var stderr bytes.Buffer
	env := Env{Stdout: io.Discard, Stderr: &stderr, Now: time.Now, LookupEnv: func(string) (string, bool) { return "", false }}

	code := Main(context.Background(), []string{"run", "-config", cfgPath, "-listen", "", "-once"}, env)
	if code != ExitUsage {
		t.Errorf("run on a missing store: exit %d, want %d", code, ExitUsage)
	}
	want := storePath + " does not exist; pass -init to create a new store"
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr %q, want it to contain %q", stderr.String(), want)
	}
	if _, err := os.Stat(storePath); err == nil {
		t.Error("the store was created anyway")
	}
	feed.mu.Lock()
	gets := feed.gets
	feed.mu.Unlock()
	if gets != 0 {
		t.Errorf("the feed was fetched %d times", gets)
	}

	stderr.Reset()
	if code := Main(context.Background(), []string{"run", "-config", cfgPath, "-listen", "", "-once", "-init"}, env); code != ExitOK {
		t.Fatalf("run -init: exit %d: %s", code, stderr.String())
	}
	if _, err := os.Stat(storePath); err != nil {
		t.Errorf("run -init did not create the store: %v", err)
	}
	// Once it exists, run needs no -init.
	if code := Main(context.Background(), []string{"run", "-config", cfgPath, "-listen", "", "-once"}, env); code != ExitOK {
		t.Errorf("run on the existing store: exit %d: %s", code, stderr.String())
	}
}

// swProcess makes the test binary a silencewatch process, killed if it
// is still running when ctx ends.
func swProcess(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), mainEnv+"=1", "SLACK_BOT_TOKEN=", "SLACK_WEBHOOK_URL=")
	return cmd
}

// TestSecondRunRefused starts a real `run` process, then a second one on
// the same store: the second exits 2 naming the store and the first's
// PID. export, a reader, still works meanwhile, and once the first has
// stopped a new run takes the store.
func TestSecondRunRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	feed := &feedServer{}
	feed.set(item("l1", "Météo", lawful, satPub))
	srv := httptest.NewServer(feed)
	defer srv.Close()
	cfgPath, storePath := storeConfig(t, t.TempDir(), srv.URL)

	// A guard, not a timed assertion: without it, a second run that is not
	// refused would run for ever.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	first := swProcess(ctx, "run", "-config", cfgPath, "-listen", "", "-init")
	stderr, err := first.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	started := make(chan struct{})
	var firstLog bytes.Buffer
	go func() {
		sc := bufio.NewScanner(stderr)
		signalled := false
		for sc.Scan() {
			firstLog.WriteString(sc.Text() + "\n")
			if !signalled && strings.Contains(sc.Text(), "monitor started") {
				signalled = true
				close(started)
			}
		}
		exited <- first.Wait()
	}()
	defer first.Process.Kill()
	select {
	case <-started:
	case err := <-exited:
		t.Fatalf("the first run exited (%v) before starting:\n%s", err, firstLog.String())
	case <-time.After(60 * time.Second):
		t.Fatal("the first run did not start within 60 s")
	}

	secondCtx, cancelSecond := context.WithTimeout(ctx, 30*time.Second) // killed if not refused
	defer cancelSecond()
	second := swProcess(secondCtx, "run", "-config", cfgPath, "-listen", "")
	var out bytes.Buffer
	second.Stdout, second.Stderr = &out, &out
	err = second.Run()
	if code := second.ProcessState.ExitCode(); code != ExitUsage {
		t.Errorf("second run: exit %d (%v), want %d:\n%s", code, err, ExitUsage, out.String())
	}
	for _, want := range []string{storePath, fmt.Sprintf("pid %d", first.Process.Pid), "in use by another silencewatch process"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("second run's message does not contain %q:\n%s", want, out.String())
		}
	}

	exp := swProcess(ctx, "export", "-config", cfgPath, "-format", "jsonl")
	var expOut bytes.Buffer
	exp.Stdout, exp.Stderr = &expOut, &expOut
	if err := exp.Run(); err != nil {
		t.Errorf("export while run holds the lock: %v\n%s", err, expOut.String())
	}

	first.Process.Signal(syscall.SIGINT)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("first run after SIGINT: %v\n%s", err, firstLog.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the first run did not stop within 60 s of SIGINT")
	}
	// Released: a new run takes the store.
	again := swProcess(ctx, "run", "-config", cfgPath, "-listen", "", "-once")
	var againOut bytes.Buffer
	again.Stdout, again.Stderr = &againOut, &againOut
	if err := again.Run(); err != nil {
		t.Errorf("run after the first stopped: %v\n%s", err, againOut.String())
	}
}

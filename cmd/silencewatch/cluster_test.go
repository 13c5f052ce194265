package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/internal/pgtest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/silencewatch/silencewatch/notify/slackfake"
)

// The cluster test's scale and timing. Polls every interval; a job whose
// worker died is rescued after the lease, but River's rescuer only looks
// every 30 s, its scheduler moves due jobs every 5 s, and when the dead
// worker was River's leader a new one is elected within its 15 s term:
// riverSlack is those, the bound past interval + lease.
const (
	clusterFeeds    = 2000
	clusterFlagged  = 20 // every 100th feed carries a flagged item
	clusterInterval = 30 * time.Second
	clusterLease    = 15 * time.Second
	riverSlack      = 55 * time.Second
	clusterWorkers  = 16
)

// farm serves clusterFeeds RSS feeds with ETags and records each request:
// when, whether it was answered in full, and which worker made it (from
// its User-Agent's contact URL).
type farm struct {
	mu       sync.Mutex
	reqs     map[int][]farmRequest
	inFlight map[int]map[int]bool // feeds whose full answer is being written, by worker
}

// farmLatency delays every full answer, as a real site's would: at any
// moment some polls are in flight, and the kill catches some.
const farmLatency = 300 * time.Millisecond

type farmRequest struct {
	at     time.Time
	worker int
	full   bool
}

var userAgentWorker = regexp.MustCompile(`w(\d)\.example\.org`)

func (f *farm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/f/"))
	if err != nil || i < 0 || i >= clusterFeeds {
		http.NotFound(w, r)
		return
	}
	worker := -1
	if m := userAgentWorker.FindStringSubmatch(r.UserAgent()); m != nil {
		worker, _ = strconv.Atoi(m[1])
	}
	etag := fmt.Sprintf(`"f%d"`, i)
	full := r.Header.Get("If-None-Match") != etag
	f.mu.Lock()
	f.reqs[i] = append(f.reqs[i], farmRequest{at: time.Now(), worker: worker, full: full})
	if full {
		if f.inFlight[worker] == nil {
			f.inFlight[worker] = map[int]bool{}
		}
		f.inFlight[worker][i] = true
	}
	f.mu.Unlock()
	if !full {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	defer func() {
		f.mu.Lock()
		delete(f.inFlight[worker], i)
		f.mu.Unlock()
	}()
	time.Sleep(farmLatency)
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/rss+xml")
	second := fmt.Sprintf("La rédaction %d revient sur la journée.", i)
	if i%(clusterFeeds/clusterFlagged) == 0 {
		second = fmt.Sprintf("Selon les courriels publiés cette nuit, le rendez-vous numéro %d a été déplacé.", i)
	}
	fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>F%[1]d</title><link>http://f%[1]d.example/</link><description>d</description>
<item><title>Matin %[1]d</title><link>http://f%[1]d.example/a</link><guid>f%[1]d-a</guid><pubDate>Sat, 06 May 2017 09:00:00 +0200</pubDate><description>Le marché du samedi a ouvert à l'heure.</description></item>
<item><title>Midi %[1]d</title><link>http://f%[1]d.example/b</link><guid>f%[1]d-b</guid><pubDate>Sat, 06 May 2017 10:00:00 +0200</pubDate><description>%[2]s</description></item>
</channel></rss>`, i, second)
}

func (f *farm) requests() map[int][]farmRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[int][]farmRequest, len(f.reqs))
	for i, rs := range f.reqs {
		out[i] = slices.Clone(rs)
	}
	return out
}

// busy returns the feeds whose full answer is being written to worker.
func (f *farm) busy(worker int) []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var feeds []int
	for i := range f.inFlight[worker] {
		feeds = append(feeds, i)
	}
	slices.Sort(feeds)
	return feeds
}

func (f *farm) polled() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

// clusterDatabase creates an empty database on the test server of
// SILENCEWATCH_POSTGRES_URL, dropped when t ends, and returns its URL.
func clusterDatabase(t *testing.T) string {
	t.Helper()
	return pgtest.Database(t, "sw_cluster_")
}

const clusterConfigHead = `store: %[1]s
crawler:
  contact_url: https://w%[4]d.example.org/contact
  workers: %[5]d
  timeout: 4s
  per_host_concurrency: %[5]d
  per_host_delay: 0s
  failure_report_after: 1000
  allow_private: [127.0.0.0/8]   # the test feed server
cluster:
  lease: %[6]s
slack:
  token: ${SLACK_BOT_TOKEN}
  api_url: %[2]s
  channel: "#election-alerts"
  pace: 20ms
` + testElectionYAML + `sources:
`

// worker is one run process of the cluster.
type worker struct {
	n      int
	cmd    *exec.Cmd
	log    *logBuffer
	health string // /healthz URL
	exited chan error
}

var servingAddr = regexp.MustCompile(`"msg":"serving /healthz and /metrics","addr":"([^"]+)"`)

// TestClusterKillNine runs three run processes over 2,000 feeds on one
// PostgreSQL database and kill -9s the delivery leader mid-cycle: every
// feed is still polled within one interval plus the lease (and River's
// own delays), none twice in one interval but those the dead worker had
// in flight, and every finding is alerted exactly once.
func TestClusterKillNine(t *testing.T) {
	if testing.Short() {
		t.Skip("two minutes of three processes")
	}
	dsn := clusterDatabase(t)
	bin := buildPlainBinary(t)
	dir := t.TempDir()
	slack := slackfake.Start(slackfake.Options{Interval: time.Second / 50})
	defer slack.Close()
	channel := slack.AddChannel("election-alerts", false)
	f := &farm{reqs: map[int][]farmRequest{}, inFlight: map[int]map[int]bool{}}
	feedSrv := httptest.NewServer(f)
	defer feedSrv.Close()
	every := clusterInterval.String()
	var sources strings.Builder
	for i := range clusterFeeds {
		fmt.Fprintf(&sources, "  - {name: f%d, url: \"%s/f/%d\", every: %s, min_every: %s, max_every: %s, silence_every: %s}\n",
			i, feedSrv.URL, i, every, every, every, every)
	}

	start := time.Now()
	workers := make([]*worker, 3)
	for n := range workers {
		cfg := filepath.Join(dir, fmt.Sprintf("config-%d.yaml", n))
		head := fmt.Sprintf(clusterConfigHead, dsn, slack.URL, feedSrv.URL, n, clusterWorkers, clusterLease)
		if err := os.WriteFile(cfg, []byte(head+sources.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		w := &worker{n: n, log: newLog("cluster worker started"), exited: make(chan error, 1)}
		w.cmd = exec.Command(bin, "run", "-init", "-listen", "127.0.0.1:0", "-config", cfg)
		w.cmd.Env = append(os.Environ(), "SLACK_BOT_TOKEN="+slack.Token())
		w.cmd.Stdout, w.cmd.Stderr = w.log, w.log
		dieWithParent(w.cmd)
		if err := w.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { w.exited <- w.cmd.Wait() }()
		workers[n] = w
	}
	defer func() {
		for _, w := range workers {
			if w.cmd.ProcessState == nil {
				w.cmd.Process.Kill()
			}
		}
	}()
	for _, w := range workers {
		select {
		case <-w.log.ready:
		case err := <-w.exited:
			t.Fatalf("worker %d exited (%v):\n%s", w.n, err, w.log.String())
		case <-time.After(60 * time.Second):
			t.Fatalf("worker %d did not start within 60 s:\n%s", w.n, w.log.String())
		}
		m := servingAddr.FindStringSubmatch(w.log.String())
		if m == nil {
			t.Fatalf("worker %d: no listen address in its log:\n%s", w.n, w.log.String())
		}
		w.health = "http://" + m[1] + "/healthz"
	}

	// Mid-cycle: a third of the feeds polled once. Kill the delivery
	// leader, the process whose loss matters most.
	waitFor(t, 2*clusterInterval, func() bool { return f.polled() >= clusterFeeds/3 })
	var victim *worker
	waitFor(t, 30*time.Second, func() bool {
		for _, w := range workers {
			if strings.Contains(healthz(w.health), "delivery: leader") {
				victim = w
				return true
			}
		}
		return false
	})
	waitFor(t, 30*time.Second, func() bool { return len(f.busy(victim.n)) > 0 })
	killedAt := time.Now()
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victim.exited
	// Answers still being written when the process died: those polls
	// were never recorded, so other workers must poll these feeds again.
	cutOff := f.busy(victim.n)
	t.Logf("killed worker %d (the delivery leader) %s after start, %d feeds polled, %d of its polls cut off",
		victim.n, killedAt.Sub(start).Round(time.Millisecond), f.polled(), len(cutOff))

	// Long enough for the dead worker's jobs to be rescued and polled, and
	// for every feed to be polled once more after that.
	bound := clusterInterval + clusterLease + riverSlack
	time.Sleep(bound + clusterInterval)
	var survivors []*worker
	for _, w := range workers {
		if w != victim {
			survivors = append(survivors, w)
		}
	}
	waitFor(t, 30*time.Second, func() bool {
		for _, w := range survivors {
			if strings.Contains(healthz(w.health), "delivery: leader") {
				return true
			}
		}
		return false
	})
	db := openCheckDB(t, dsn)
	waitFor(t, 60*time.Second, func() bool {
		var total, sent int
		err := db.QueryRow(`SELECT count(*), count(*) FILTER (WHERE status = 'sent') FROM alerts`).Scan(&total, &sent)
		return err == nil && total == clusterFlagged && sent == total
	})
	for _, w := range survivors {
		w.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, w := range survivors {
		select {
		case err := <-w.exited:
			if err != nil {
				t.Errorf("worker %d stopped with %v:\n%s", w.n, err, w.log.String())
			}
		case <-time.After(30 * time.Second):
			w.cmd.Process.Signal(syscall.SIGQUIT)
			<-w.exited
			t.Fatalf("worker %d did not stop within 30 s of SIGTERM:\n%s", w.n, w.log.String())
		}
	}
	end := time.Now()

	checkPolls(t, f.requests(), start, killedAt, end, victim.n, cutOff)
	checkClusterAlerts(t, db, slack.Messages(channel))
}

// checkPolls: every feed polled within an interval (and River's slack) of
// the start, no gap between two polls of a feed longer than one interval
// plus the lease and River's slack, every poll the kill cut off made again
// by another worker within the lease and River's slack, and no two polls
// of a feed closer than half an interval but where the first was the dead
// worker's, unrecorded as it died.
func checkPolls(t *testing.T, reqs map[int][]farmRequest, start, killedAt, end time.Time, victim int, cutOff []int) {
	t.Helper()
	if len(reqs) != clusterFeeds {
		t.Errorf("%d feeds polled, want all %d", len(reqs), clusterFeeds)
	}
	if len(cutOff) == 0 {
		t.Error("no poll in flight in the killed worker: the test did not test a takeover")
	}
	bound := clusterInterval + clusterLease + riverSlack
	// A poll of the dead worker's that began this close to the kill may
	// not have been recorded (the answer is in, the store not yet
	// written), so polling its feed again soon is right.
	unrecorded := farmLatency + 2*time.Second
	again, twice, maxGap := 0, 0, time.Duration(0)
	perWorker := map[int]int{}
	for i := range clusterFeeds {
		rs := reqs[i]
		if len(rs) == 0 {
			continue
		}
		if d := rs[0].at.Sub(start); d > clusterInterval+riverSlack {
			t.Errorf("feed %d first polled %s after the start", i, d.Round(time.Millisecond))
		}
		last := rs[0].at
		for k, r := range rs {
			perWorker[r.worker]++
			if k == 0 {
				continue
			}
			gap := r.at.Sub(last)
			maxGap = max(maxGap, gap)
			if gap > bound {
				t.Errorf("feed %d went %s without a poll (bound %s)", i, gap.Round(time.Millisecond), bound)
			}
			prev := rs[k-1]
			deadsLast := prev.worker == victim && !prev.at.After(killedAt) && killedAt.Sub(prev.at) < unrecorded
			switch {
			case gap >= clusterInterval/2:
			case deadsLast && r.worker != victim:
				again++
			default:
				twice++
				t.Errorf("feed %d polled twice %s apart (by workers %d and %d)", i, gap.Round(time.Millisecond), prev.worker, r.worker)
			}
			last = r.at
		}
		if d := end.Sub(last); d > bound {
			t.Errorf("feed %d not polled in the last %s", i, d.Round(time.Millisecond))
		}
	}
	for _, i := range cutOff {
		var next *farmRequest
		for k := range reqs[i] {
			if r := reqs[i][k]; r.at.After(killedAt) {
				next = &r
				break
			}
		}
		switch {
		case next == nil:
			t.Errorf("feed %d, cut off in the killed worker, never polled again", i)
		case next.at.Sub(killedAt) > clusterLease+riverSlack:
			t.Errorf("feed %d, cut off in the killed worker, polled again only %s later (bound %s)",
				i, next.at.Sub(killedAt).Round(time.Millisecond), clusterLease+riverSlack)
		}
	}
	if again > clusterWorkers {
		t.Errorf("%d feeds polled again soon after the kill, more than the %d the dead worker could have had unrecorded", again, clusterWorkers)
	}
	t.Logf("polls by worker %v; longest gap %s; %d cut off by the kill, %d polled again within half an interval of the dead worker's poll, %d twice",
		perWorker, maxGap.Round(time.Millisecond), len(cutOff), again, twice)
}

// checkClusterAlerts: one finding per flagged item, one alert each, sent,
// and each alert in exactly one Slack message.
func checkClusterAlerts(t *testing.T, db *sql.DB, msgs []slackfake.Message) {
	t.Helper()
	var findings int
	if err := db.QueryRow(`SELECT count(*) FROM findings`).Scan(&findings); err != nil {
		t.Fatal(err)
	}
	if findings != clusterFlagged {
		t.Errorf("%d findings, want %d", findings, clusterFlagged)
	}
	inMessages := map[int64]int{}
	for _, m := range msgs {
		kind, list, ok := strings.Cut(m.Key(), ":")
		if !ok || (kind != "alert" && kind != "batch") {
			continue
		}
		for _, p := range strings.Split(list, ",") {
			id, err := strconv.ParseInt(p, 10, 64)
			if err != nil {
				t.Errorf("message key %q", m.Key())
			}
			inMessages[id]++
		}
	}
	rows, err := db.Query(`SELECT id, status FROM alerts ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id int64
		var status string
		if err := rows.Scan(&id, &status); err != nil {
			t.Fatal(err)
		}
		n++
		if status != "sent" {
			t.Errorf("alert %d is %s", id, status)
		}
		if inMessages[id] != 1 {
			t.Errorf("alert %d is in %d messages, want exactly 1", id, inMessages[id])
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != clusterFlagged {
		t.Errorf("%d alerts, want %d", n, clusterFlagged)
	}
}

func openCheckDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { db.Close() })
	return db
}

func healthz(u string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 512)
	n, _ := resp.Body.Read(buf)
	b.Write(buf[:n])
	return b.String()
}

func waitFor(t *testing.T, within time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not reached within %s", within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

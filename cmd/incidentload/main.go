// Command incidentload measures incidentbot under load: it runs the real
// binary in HTTP mode against a real redis-server and the in-repo Slack
// stand-in, sends it signed slash commands open loop at a set rate, and
// prints the acknowledgement latency, the bot's CPU per command and RSS,
// Redis commands per command and per note, and Redis memory per incident.
//
//	go build -o /tmp/incidentbot ./cmd/incidentbot
//	go run ./cmd/incidentload -bot /tmp/incidentbot -rate 200 -duration 60s
//	go run ./cmd/incidentload -bot /tmp/incidentbot -open 10000 -duration 0
//
// The second measures start-up, RSS and /metrics with many open incidents;
// apart, because /incident list reads every open incident.
package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/storage"
)

const secret = "incidentload-signing-secret"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); errors.Is(err, flag.ErrHelp) {
		return
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "incidentload:", err)
		os.Exit(1)
	}
}

type options struct {
	bin       string
	rate      int
	duration  time.Duration
	open      int
	incidents int
	updates   int
	every     time.Duration
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var o options
	flags := flag.NewFlagSet("incidentload", flag.ContinueOnError)
	flags.StringVar(&o.bin, "bot", "", "the incidentbot binary to measure (go build -o /tmp/incidentbot ./cmd/incidentbot)")
	flags.IntVar(&o.rate, "rate", 200, "commands a second, sent on schedule whether or not earlier ones were answered")
	flags.DurationVar(&o.duration, "duration", 60*time.Second, "how long to send")
	flags.IntVar(&o.open, "open", 0, "open incidents stored before the bot starts (for RSS, /metrics and start-up figures)")
	flags.IntVar(&o.incidents, "incidents", 20, "incidents the load works on, declared through the bot")
	flags.IntVar(&o.updates, "updates", 0, "instead of commands: this many open incidents, each with its channel and two scheduled updates due within -every, under Slack's one post a second per channel")
	flags.DurationVar(&o.every, "every", 30*time.Second, "with -updates: the incidents' update cadence")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if o.bin == "" {
		return errors.New("-bot is required: go build -o /tmp/incidentbot ./cmd/incidentbot")
	}

	redisAddr, stopRedis, err := startRedis(ctx)
	if err != nil {
		return err
	}
	defer stopRedis()
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr})
	defer rdb.Close()
	store := storage.New(rdb)
	if o.updates > 0 {
		return scheduledUpdates(ctx, o, store, redisAddr, out)
	}
	if o.open > 0 {
		if err := seed(ctx, store, o.open); err != nil {
			return err
		}
	}

	fs := fakeslack.New()
	defer fs.Close()
	// User IDs as long as Slack's, since the timeline stores them.
	alice, bob := "U07ALICE0001", "U07BOB000002"
	users := []string{alice, bob, "U07CAROL0003", "U07DAVE00004"}
	general := fs.CreateChannel("general", false, append([]string{fs.BotUserID}, users...)...)
	stakeholders := fs.CreateChannel("security-incidents", false, fs.BotUserID)
	b, err := startBot(ctx, o.bin, fs, redisAddr, stakeholders, 0)
	if err != nil {
		return err
	}
	defer b.stop()
	fmt.Fprintf(out, "bot ready %s after start, with %d open incidents stored; RSS %s\n", b.readyAfter.Round(time.Millisecond), o.open, mb(b.rss()))
	if o.open > 0 {
		var took []time.Duration
		for range 5 {
			t, err := b.scrape()
			if err != nil {
				return err
			}
			took = append(took, t)
		}
		slices.Sort(took)
		fmt.Fprintf(out, "/metrics with %d open: %s (median of 5 scrapes; fastest %s, slowest %s)\n", o.open,
			took[2].Round(100*time.Microsecond), took[0].Round(100*time.Microsecond), took[4].Round(100*time.Microsecond))
	}

	// The incidents the load works on, each with its channel.
	var channels []string
	for i := range o.incidents {
		d, err := fs.Command(ctx, alice, general, fmt.Sprintf("declare Load test incident %d sev3", i+1))
		if err != nil || d.Status != http.StatusOK {
			return fmt.Errorf("declare: %d %v", d.Status, err)
		}
	}
	for n := int64(o.open + 1); n <= int64(o.open+o.incidents); n++ {
		inc, err := waitFor(ctx, store, n)
		if err != nil {
			return err
		}
		channels = append(channels, inc.ChannelID)
	}

	// Redis commands and memory for one incident with 100 notes, once the
	// declarations are done with.
	if err := settle(ctx, rdb); err != nil {
		return err
	}
	time.Sleep(time.Second) // a declare's last steps follow its journal entry
	notesBefore, _ := commandsProcessed(ctx, rdb)
	for i := range 100 {
		if d, err := fs.Command(ctx, bob, channels[0], fmt.Sprintf("note finding %d: host ws-%03d isolated", i, i)); err != nil || d.Status != http.StatusOK {
			return fmt.Errorf("note: %d %v", d.Status, err)
		}
	}
	if err := settle(ctx, rdb); err != nil {
		return err
	}
	notesAfter, _ := commandsProcessed(ctx, rdb)
	mem, byKey, err := incidentMemory(ctx, rdb, int64(o.open+1))
	if err != nil {
		return err
	}
	per, by := perCommand(notesBefore, notesAfter, 100)
	fmt.Fprintf(out, "a note: %.1f Redis commands (%s)\n", per, by)
	fmt.Fprintf(out, "Redis memory of an incident with 100 notes: %.1f KB (%s)\n", float64(mem)/1024, byKey)

	// The open loop: status, note and list in turn, from several people.
	mix := []func(i int) (string, string){
		func(i int) (string, string) { return channels[i%len(channels)], "status" },
		func(i int) (string, string) {
			return channels[i%len(channels)], fmt.Sprintf("note load %d: blocked 203.0.113.%d at the edge", i, i%250)
		},
		func(i int) (string, string) { return general, "list" },
	}
	cmdsBefore, _ := commandsProcessed(ctx, rdb)
	cpuBefore := b.cpu()
	var mu sync.Mutex
	var acks []time.Duration
	var failed, late int
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(o.rate))
	defer tick.Stop()
	end := time.After(o.duration)
	sent := 0
send:
	for o.duration > 0 {
		select {
		case <-ctx.Done():
			break send
		case <-end:
			break send
		case <-tick.C:
		}
		i := sent
		sent++
		channel, text := mix[i%len(mix)](i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := fs.Command(ctx, users[i%len(users)], channel, text)
			mu.Lock()
			defer mu.Unlock()
			if err != nil || d.Status != http.StatusOK {
				failed++
				return
			}
			if d.Elapsed > fakeslack.AckDeadline {
				late++
			}
			acks = append(acks, d.Elapsed)
		}()
	}
	wg.Wait()
	if err := settle(ctx, rdb); err != nil {
		return err
	}
	cpu := b.cpu() - cpuBefore
	cmdsAfter, _ := commandsProcessed(ctx, rdb)
	slices.Sort(acks)
	if sent > 0 {
		fmt.Fprintf(out, "open loop: %d commands at %d/s for %s (status, note, list); %d failed, %d acknowledged after 3 s\n", sent, o.rate, o.duration, failed, late)
		fmt.Fprintf(out, "acknowledgement: p50 %s  p90 %s  p99 %s  max %s\n", pct(acks, 50), pct(acks, 90), pct(acks, 99), pct(acks, 100))
		per, by := perCommand(cmdsBefore, cmdsAfter, sent)
		fmt.Fprintf(out, "bot CPU: %.2f ms a command; Redis: %.1f commands a command (%s)\n",
			float64(cpu.Microseconds())/1000/float64(sent), per, by)
	}
	fmt.Fprintf(out, "bot RSS at the end: %s\n", mb(b.rss()))
	return nil
}

// scheduledUpdates measures the scheduler: o.updates open sev1 incidents,
// each with its own channel and an update every o.every (30 s: two updates
// due within the same minute), sent under Slack's one post a second per
// channel (the fake Slack answers 429 beyond it).
func scheduledUpdates(ctx context.Context, o options, store *storage.Store, redisAddr string, out io.Writer) error {
	every := o.every
	if every < 2*time.Second {
		return errors.New("-every must be at least 2s")
	}
	fs := fakeslack.New()
	defer fs.Close()
	fs.EnforcePostRate()
	stakeholders := fs.CreateChannel("security-incidents", false, fs.BotUserID)
	// Declared a cadence less a second ago: the first update is due a
	// second after the bot starts, the second a cadence later.
	declared := time.Now().Add(-every + time.Second)
	channels := map[string]int64{}
	for i := range o.updates {
		n, err := store.NextNumber(ctx)
		if err != nil {
			return err
		}
		ch := fs.CreateChannel(fmt.Sprintf("inc-%d", n), false, fs.BotUserID, "U07ALICE0001")
		channels[ch] = n
		inc := &incident.Incident{Number: n, Title: fmt.Sprintf("Worm wave %d", i+1), Severity: "sev1", Phase: incident.Containment,
			Status: incident.Open, DeclaredBy: "U07ALICE0001", DeclaredAt: declared, PhaseStartedAt: declared, ChannelID: ch,
			Roles: map[string]string{incident.CommanderRole: "U07ALICE0001"}, Members: []string{"U07ALICE0001"}}
		if err := store.Create(ctx, inc, incident.Declared(declared, inc.DeclaredBy, inc.Title, inc.Severity)); err != nil {
			return err
		}
	}
	b, err := startBot(ctx, o.bin, fs, redisAddr, stakeholders, every)
	if err != nil {
		return err
	}
	defer b.stop()
	start := time.Now()
	want := 2 * o.updates
	sent := func() (total int, last time.Time) {
		for ch := range channels {
			c, _ := fs.Channel(ch)
			for _, m := range c.Messages {
				if strings.HasPrefix(m.Text, "Scheduled update on ") {
					total++
				}
			}
		}
		return total, time.Now()
	}
	var total int
	var allSent time.Time
	for deadline := start.Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if total, allSent = sent(); total >= want || ctx.Err() != nil {
			break
		}
	}
	// Then the stakeholder channel, which hears of each in batches.
	heard := 0
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		c, _ := fs.Channel(stakeholders)
		heard = 0
		for _, m := range c.Messages {
			if rest, ok := strings.CutPrefix(m.Text, "Scheduled updates on "); ok {
				heard += len(strings.Split(rest, ", "))
			} else if strings.HasPrefix(m.Text, "Scheduled update on ") {
				heard++
			}
		}
		if heard >= total || ctx.Err() != nil {
			break
		}
	}
	heardAt := time.Now()
	b.stop()
	// Posts a second per channel: the shortest gap between two posts taken
	// in one channel, and the posts refused.
	var limited int
	lastAt := map[string]time.Time{}
	gap := time.Duration(-1)
	for _, c := range fs.Calls("chat.postMessage") {
		if c.Error == "ratelimited" {
			limited++
			continue
		}
		if c.Error != "" {
			continue
		}
		ch := c.Params.Get("channel")
		if prev, ok := lastAt[ch]; ok && (gap < 0 || c.At.Sub(prev) < gap) {
			gap = c.At.Sub(prev)
		}
		lastAt[ch] = c.At
	}
	stake, _ := fs.Channel(stakeholders)
	fmt.Fprintf(out, "scheduled updates: %d of %d sent in %d incident channels, the last %s after the first was due\n",
		total, want, len(channels), allSent.Sub(start.Add(time.Second)).Round(100*time.Millisecond))
	fmt.Fprintf(out, "stakeholder channel: %d messages telling of %d updates, the last %s after the first was due\n",
		len(stake.Messages), heard, heardAt.Sub(start.Add(time.Second)).Round(100*time.Millisecond))
	fmt.Fprintf(out, "Slack's pace: %d posts answered 429; shortest gap between two posts in one channel %s\n", limited, gap.Round(time.Millisecond))
	return nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(0, min(len(sorted)-1, i-1))].Round(10 * time.Microsecond)
}

func mb(bytes int64) string { return fmt.Sprintf("%.1f MB", float64(bytes)/(1<<20)) }

// seed stores open incidents directly, as years of use would leave them.
func seed(ctx context.Context, store *storage.Store, n int) error {
	sevs := []string{"sev1", "sev2", "sev3", "sev4"}
	for i := 1; i <= n; i++ {
		num, err := store.NextNumber(ctx)
		if err != nil {
			return err
		}
		at := time.Now().Add(-time.Duration(n-i) * time.Minute)
		inc := &incident.Incident{Number: num, Title: fmt.Sprintf("Seeded incident %d", num), Severity: sevs[i%4],
			Phase: incident.Identification, Status: incident.Open, DeclaredBy: "UALICE", DeclaredAt: at, PhaseStartedAt: at,
			Roles: map[string]string{incident.CommanderRole: "UALICE"}, Members: []string{"UALICE"}, ChannelID: fmt.Sprintf("CSEED%07d", num)}
		if err := store.Create(ctx, inc, incident.Declared(at, "UALICE", inc.Title, inc.Severity)); err != nil {
			return err
		}
	}
	return nil
}

func waitFor(ctx context.Context, store *storage.Store, n int64) (*incident.Incident, error) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if inc, err := store.Get(ctx, n); err == nil && inc.ChannelID != "" && inc.CardTS != "" {
			return inc, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, fmt.Errorf("INC-%d was not set up within 30 s", n)
}

// settle waits until the journal is empty: all acknowledged work is done.
func settle(ctx context.Context, rdb *redis.Client) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if n, err := rdb.HLen(ctx, "ib:inbox").Result(); err == nil && n == 0 {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("the journal did not empty within 2 minutes")
}

// commandsProcessed is how many commands Redis has run, by name, leaving
// out the ones this tool sends to watch it.
func commandsProcessed(ctx context.Context, rdb *redis.Client) (map[string]int64, error) {
	info, err := rdb.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, line := range strings.Split(info, "\r\n") {
		name, stats, ok := strings.Cut(strings.TrimPrefix(line, "cmdstat_"), ":")
		if !ok || !strings.HasPrefix(line, "cmdstat_") || slices.Contains([]string{"info", "hlen", "scan", "memory|usage"}, name) {
			continue
		}
		calls, _, _ := strings.Cut(strings.TrimPrefix(stats, "calls="), ",")
		n, _ := strconv.ParseInt(calls, 10, 64)
		out[name] = n
	}
	return out, nil
}

// perCommand is how many Redis commands each of n requests took, in all
// and by name.
func perCommand(before, after map[string]int64, n int) (float64, string) {
	var total int64
	var names []string
	for name, calls := range after {
		if d := calls - before[name]; d > 0 {
			total += d
			names = append(names, fmt.Sprintf("%s %.1f", name, float64(d)/float64(n)))
		}
	}
	slices.Sort(names)
	return float64(total) / float64(n), strings.Join(names, ", ")
}

// incidentMemory adds up MEMORY USAGE of every key of one incident, and
// says what each key takes.
func incidentMemory(ctx context.Context, rdb *redis.Client, n int64) (int64, string, error) {
	var total int64
	var parts []string
	prefix := "ib:inc:{" + strconv.FormatInt(n, 10) + "}"
	iter := rdb.Scan(ctx, 0, prefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		m, err := rdb.MemoryUsage(ctx, iter.Val(), 0).Result()
		if err != nil {
			return 0, "", err
		}
		total += m
		parts = append(parts, fmt.Sprintf("%s %.1f KB", cmp.Or(strings.TrimPrefix(strings.TrimPrefix(iter.Val(), prefix), ":"), "incident"), float64(m)/1024))
	}
	slices.Sort(parts)
	return total, strings.Join(parts, ", "), iter.Err()
}

func startRedis(ctx context.Context) (addr string, stop func(), err error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", nil, errors.New("redis-server is not installed (apt-get install -y redis-server)")
	}
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "incidentload-redis")
	if err != nil {
		return "", nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", dir,
		"--appendonly", "yes", "--save", "", "--logfile", filepath.Join(dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	stop = func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait(); _ = os.RemoveAll(dir) }
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
		if c.Ping(ctx).Err() == nil {
			return addr, stop, nil
		}
	}
	stop()
	return "", nil, errors.New("redis-server did not answer within 10 s")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type botProcess struct {
	cmd        *exec.Cmd
	addr       string
	readyAfter time.Duration
}

// startBot starts the bot; every is the cadence of sev1's scheduled updates
// (0: none, the figures are for requests).
func startBot(ctx context.Context, bin string, fs *fakeslack.Server, redisAddr, stakeholders string, every time.Duration) (*botProcess, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "incidentload")
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "incidentbot.yaml")
	yaml := "stakeholder_channel: " + stakeholders + "\nnudge_before: 0s\nseverities:\n"
	for _, s := range []string{"sev1", "sev2", "sev3", "sev4"} {
		cadence := "0"
		if s == "sev1" && every > 0 {
			cadence = every.String()
		}
		yaml += "  - {name: " + s + ", update_every: " + cadence + "}\n"
	}
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		return nil, err
	}
	b := &botProcess{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	b.cmd = exec.CommandContext(ctx, bin)
	b.cmd.Env = append(os.Environ(), "SLACK_BOT_TOKEN="+fs.BotToken, "SLACK_API_URL="+fs.APIURL(), "SLACK_SIGNING_SECRET="+secret,
		"REDIS_URL=redis://"+redisAddr+"/0", "HTTP_ADDR="+b.addr, "INCIDENT_CONFIG="+cfg, "LOG_LEVEL=warn")
	logs, err := os.Create(filepath.Join(dir, "incidentbot.log"))
	if err != nil {
		return nil, err
	}
	b.cmd.Stdout, b.cmd.Stderr = logs, logs
	start := time.Now()
	if err := b.cmd.Start(); err != nil {
		return nil, err
	}
	for time.Since(start) < 60*time.Second {
		if resp, err := http.Get("http://" + b.addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				b.readyAfter = time.Since(start)
				fs.UseRequestURLs("http://"+b.addr, secret)
				return b, nil
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.stop()
	return nil, fmt.Errorf("the bot was not ready within 60 s; its log is %s", logs.Name())
}

func (b *botProcess) stop() {
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	_ = b.cmd.Wait()
}

func (b *botProcess) scrape() (time.Duration, error) {
	start := time.Now()
	resp, err := http.Get("http://" + b.addr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return time.Since(start), nil
}

// cpu is the bot's user and system CPU time so far, from /proc.
func (b *botProcess) cpu() time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", b.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
	rest := string(raw[strings.LastIndexByte(string(raw), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const ticks = 100 // USER_HZ
	return time.Duration(utime+stime) * time.Second / ticks
}

// rss is the bot's resident memory, from /proc.
func (b *botProcess) rss() int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", b.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

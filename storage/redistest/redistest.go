// Package redistest starts Redis servers for tests: a real redis-server on a
// free port when one is installed (mandatory when CI is set), otherwise the
// embedded store, with a log line saying so.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Server is a Redis server started for one test.
type Server struct {
	Addr     string
	dir      string
	cmd      *exec.Cmd
	mini     *miniredis.Miniredis
	extra    []string // more arguments (a replica's --replicaof)
	sentinel string   // a Sentinel's configuration file: runs it as a Sentinel
}

// Start starts a real redis-server, or the embedded store where none is
// installed and CI is not set.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redis-server is not installed, and CI requires the real one: %v", err)
		}
		t.Logf("redis-server not found: falling back to the embedded store (install redis-server to test against the real one)")
		return StartEmbedded(t)
	}
	s := &Server{dir: t.TempDir()}
	t.Cleanup(func() { s.stop() })
	// Another test process may take the same free port between our probe and
	// redis-server's bind; then we would talk to its server. Check the PID.
	for attempt := 1; ; attempt++ {
		err := s.start(t, bin, freePort(t))
		if err == nil {
			return s
		}
		s.stop()
		if attempt == 5 {
			t.Fatal(err)
		}
	}
}

// StartEmbedded starts the embedded Redis-compatible store.
func StartEmbedded(t testing.TB) *Server {
	t.Helper()
	m := miniredis.RunT(t)
	return &Server{Addr: m.Addr(), mini: m}
}

// Real reports whether this is a real redis-server.
func (s *Server) Real() bool { return s.cmd != nil }

// URL is the server's address as a REDIS_URL.
func (s *Server) URL() string { return "redis://" + s.Addr + "/0" }

// Client returns a client that is closed when the test ends.
func (s *Server) Client(t testing.TB) redis.UniversalClient {
	t.Helper()
	c := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{s.Addr}})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Stop stops the server, as an outage would; the test's clean-up is unchanged.
func (s *Server) Stop() {
	if s.mini != nil {
		s.mini.Close()
		return
	}
	s.stop()
}

// StartReplica starts a real redis-server replicating master and waits
// until it is in sync. It needs the real redis-server.
func StartReplica(t testing.TB, master *Server) *Server {
	t.Helper()
	if !master.Real() {
		t.Skip("replication needs a real redis-server (install redis-server)")
	}
	host, port, _ := net.SplitHostPort(master.Addr)
	r := &Server{dir: t.TempDir(), extra: []string{"--replicaof", host, port}}
	t.Cleanup(func() { r.stop() })
	if err := r.start(t, master.cmd.Path, freePort(t)); err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer c.Close()
	m := redis.NewClient(&redis.Options{Addr: master.Addr})
	defer m.Close()
	_, rport, _ := net.SplitHostPort(r.Addr)
	// In sync once both say so: the replica's link is up, and the master
	// counts it online (only then does a WAIT count it).
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
		info, _ := c.Info(context.Background(), "replication").Result()
		minfo, _ := m.Info(context.Background(), "replication").Result()
		if strings.Contains(info, "master_link_status:up") && strings.Contains(minfo, "port="+rport+",state=online") &&
			m.Do(context.Background(), "WAIT", 1, 1000).Val() != int64(0) {
			return r
		}
	}
	t.Fatalf("the replica on %s did not sync with %s", r.Addr, master.Addr)
	return nil
}

// Sentinels starts n Sentinels monitoring master as "mymaster" (quorum
// n/2+1, down after two seconds) and returns their addresses.
func Sentinels(t testing.TB, master *Server, n int) []string {
	t.Helper()
	if !master.Real() {
		t.Skip("Sentinel needs a real redis-server (install redis-server)")
	}
	host, port, _ := net.SplitHostPort(master.Addr)
	var addrs []string
	for range n {
		s := &Server{dir: t.TempDir()}
		conf := filepath.Join(s.dir, "sentinel.conf")
		text := fmt.Sprintf("sentinel monitor mymaster %s %s %d\nsentinel down-after-milliseconds mymaster 2000\nsentinel failover-timeout mymaster 5000\n", host, port, n/2+1)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		s.sentinel = conf
		t.Cleanup(func() { s.stop() })
		if err := s.start(t, master.cmd.Path, freePort(t)); err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, s.Addr)
	}
	return addrs
}

// StartCluster starts a Redis Cluster of n masters (no replicas), the hash
// slots split evenly between them, and returns their addresses once the
// cluster is ok. It needs the real redis-server.
func StartCluster(t testing.TB, n int) []string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redis-server is not installed, and CI requires the real one: %v", err)
		}
		t.Skip("a cluster needs a real redis-server (install redis-server)")
	}
	ctx := context.Background()
	var nodes []*Server
	for range n {
		s := &Server{dir: t.TempDir(), extra: []string{"--cluster-enabled", "yes", "--cluster-node-timeout", "2000"}}
		t.Cleanup(func() { s.stop() })
		if err := s.start(t, bin, freePort(t)); err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, s)
	}
	var addrs []string
	for i, s := range nodes {
		c := redis.NewClient(&redis.Options{Addr: s.Addr})
		lo, hi := i*16384/n, (i+1)*16384/n-1
		if err := c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err(); err != nil {
			t.Fatalf("cluster slots on %s: %v", s.Addr, err)
		}
		if i > 0 {
			host, port, _ := net.SplitHostPort(nodes[0].Addr)
			if err := c.ClusterMeet(ctx, host, port).Err(); err != nil {
				t.Fatalf("cluster meet: %v", err)
			}
		}
		_ = c.Close()
		addrs = append(addrs, s.Addr)
	}
	for _, s := range nodes {
		c := redis.NewClient(&redis.Options{Addr: s.Addr})
		ok := false
		for start := time.Now(); time.Since(start) < 20*time.Second && !ok; time.Sleep(50 * time.Millisecond) {
			info, _ := c.ClusterInfo(ctx).Result()
			ok = strings.Contains(info, "cluster_state:ok") && strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d", n))
		}
		_ = c.Close()
		if !ok {
			t.Fatalf("the cluster on %v did not become ok", addrs)
		}
	}
	return addrs
}

// Kill ends the real server at once (SIGKILL), as a crash would.
func (s *Server) Kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
}

// Freeze stops the real server's process without ending it (SIGSTOP), as
// a stalled host or a long fork would: connections stay open and nothing
// answers. The test's clean-up thaws it.
func (s *Server) Freeze(t testing.TB) {
	t.Helper()
	if !s.Real() {
		t.Skip("freezing needs a real redis-server (install redis-server)")
	}
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Thaw)
}

// Thaw lets a frozen server run again (SIGCONT).
func (s *Server) Thaw() {
	if s.Real() {
		_ = s.cmd.Process.Signal(syscall.SIGCONT)
	}
}

// Restart stops the real server gracefully and starts it again on the same
// port and data directory, as an operator's restart would.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if !s.Real() {
		t.Fatal("Restart needs a real redis-server")
	}
	bin := s.cmd.Path
	s.stop()
	_, port, _ := net.SplitHostPort(s.Addr)
	p, _ := strconv.Atoi(port)
	if err := s.start(t, bin, p); err != nil {
		t.Fatal(err)
	}
}

// RestartAsReplicaOf restarts a server as a replica of the master at addr,
// as an orchestrator does with a failed master that Sentinel replaced: it
// asks the Sentinels for the master and starts the node following it,
// rather than as a second master for Sentinel to convert later.
func (s *Server) RestartAsReplicaOf(t testing.TB, addr string) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.Index(s.extra, "--replicaof"); i >= 0 {
		s.extra = slices.Delete(s.extra, i, i+3)
	}
	s.extra = append(s.extra, "--replicaof", host, port)
	s.Restart(t)
}

func (s *Server) start(t testing.TB, bin string, port int) error {
	t.Helper()
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	args := []string{"--bind", "127.0.0.1", "--port", strconv.Itoa(port),
		"--dir", s.dir, "--appendonly", "yes", "--save", "",
		"--daemonize", "no", "--logfile", filepath.Join(s.dir, "redis.log"),
		"--repl-diskless-sync-delay", "0"} // a replica syncs at once, not after 5 s
	if s.sentinel != "" {
		args = []string{s.sentinel, "--sentinel", "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
			"--dir", s.dir, "--daemonize", "no", "--logfile", filepath.Join(s.dir, "redis.log")}
	}
	cmd := exec.Command(bin, append(args, s.extra...)...)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	s.cmd = cmd
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer c.Close()
	for {
		info, err := c.Info(ctx, "server").Result()
		if err == nil {
			if !strings.Contains(info, fmt.Sprintf("process_id:%d\r", cmd.Process.Pid)) {
				return fmt.Errorf("port %d answered by another redis-server", port)
			}
			return nil
		} else if ctx.Err() != nil {
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			return fmt.Errorf("redis-server on %s did not answer: %v\n%s", s.Addr, err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	// SIGTERM makes redis-server flush its append-only file before exiting.
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// String describes the server for test logs.
func (s *Server) String() string {
	kind := "embedded"
	if s.Real() {
		kind = "redis-server"
	}
	return fmt.Sprintf("%s at %s", kind, s.Addr)
}

// Close stops the server now, as an outage would; the test's cleanup does it anyway.
func (s *Server) Close() {
	if s.mini != nil {
		s.mini.Close()
		return
	}
	s.stop()
}

package redistest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sentinel is a local master, one replica and one Sentinel watching them,
// for failover tests.
type Sentinel struct {
	Addr       string // the Sentinel's address
	MasterName string
	MasterAddr string
	master     *exec.Cmd
}

// StartSentinel launches the three servers; they stop at cleanup.
func StartSentinel(tb testing.TB) *Sentinel {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatalf("redistest: redis-server not found (%v): install it (apt-get install redis-server)", err)
	}
	dir := tb.TempDir()
	ports := make([]int, 3)
	for i := range ports {
		if ports[i], err = freePort(); err != nil {
			tb.Fatalf("redistest: %v", err)
		}
	}
	start := func(name string, args ...string) *exec.Cmd {
		d := filepath.Join(dir, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			tb.Fatal(err)
		}
		cmd := exec.Command(bin, append(args, "--dir", d, "--logfile", filepath.Join(d, "redis.log"))...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			tb.Fatalf("redistest: start %s: %v", name, err)
		}
		tb.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd
	}
	common := []string{"--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"}
	s := &Sentinel{MasterName: "partybot-test", MasterAddr: "127.0.0.1:" + strconv.Itoa(ports[0]), Addr: "127.0.0.1:" + strconv.Itoa(ports[2])}
	s.master = start("master", append([]string{"--port", strconv.Itoa(ports[0])}, common...)...)
	start("replica", append([]string{"--port", strconv.Itoa(ports[1]), "--replicaof", "127.0.0.1", strconv.Itoa(ports[0])}, common...)...)
	conf := filepath.Join(dir, "sentinel.conf")
	text := fmt.Sprintf("port %d\nbind 127.0.0.1\nsentinel monitor %s 127.0.0.1 %d 1\nsentinel down-after-milliseconds %s 1000\nsentinel failover-timeout %s 5000\n",
		ports[2], s.MasterName, ports[0], s.MasterName, s.MasterName)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		tb.Fatal(err)
	}
	start("sentinel", conf, "--sentinel")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	replica := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(ports[1])})
	defer replica.Close()
	sentinel := redis.NewSentinelClient(&redis.Options{Addr: s.Addr})
	defer sentinel.Close()
	for {
		info, _ := replica.Info(ctx, "replication").Result()
		replicas, _ := sentinel.Replicas(ctx, s.MasterName).Result()
		if strings.Contains(info, "master_link_status:up") && len(replicas) == 1 {
			return s
		}
		select {
		case <-ctx.Done():
			tb.Fatalf("redistest: the sentinel set did not come up")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// KillMaster kills the master (SIGKILL) after its writes reached the
// replica, as a crash after replication would.
func (s *Sentinel) KillMaster(tb testing.TB) {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.MasterAddr})
	defer c.Close()
	if err := c.Do(context.Background(), "WAIT", 1, 2000).Err(); err != nil {
		tb.Fatalf("redistest: WAIT: %v", err)
	}
	_ = s.master.Process.Kill()
}

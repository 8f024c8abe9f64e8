package redistest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ClusterEnv names the variable that makes Config hand out a Redis Cluster
// (three masters on loopback ports, started once per test process) instead
// of a single server: `PARTYBOT_TEST_REDIS=cluster go test ./store/`.
const ClusterEnv = "PARTYBOT_TEST_REDIS"

var cluster struct {
	once  sync.Once
	addrs []string
	err   error
}

// Cluster returns the seed addresses of a three-master Cluster shared by
// the test process; its servers die with the process.
func Cluster(tb testing.TB) []string {
	tb.Helper()
	cluster.once.Do(func() { cluster.addrs, cluster.err = startCluster(3) })
	if cluster.err != nil {
		tb.Fatalf("redistest: cluster: %v", cluster.err)
	}
	return cluster.addrs
}

// freePort finds a port p with p+10000 (its cluster bus) free as well.
func freePort() (int, error) {
	for range 200 {
		p := 20000 + rand.IntN(10000)
		a, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		b, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+10000))
		_ = a.Close()
		if err != nil {
			continue
		}
		_ = b.Close()
		return p, nil
	}
	return 0, fmt.Errorf("no free port pair")
}

func startCluster(n int) ([]string, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server not found (%v): install it (apt-get install redis-server)", err)
	}
	dir, err := os.MkdirTemp("", "partybot-cluster-")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var addrs []string
	var nodes []*redis.Client
	defer func() {
		for _, c := range nodes {
			_ = c.Close()
		}
	}()
	for i := range n {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		nodeDir := filepath.Join(dir, strconv.Itoa(i))
		if err := os.MkdirAll(nodeDir, 0o755); err != nil {
			return nil, err
		}
		cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000", "--dir", nodeDir,
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", filepath.Join(nodeDir, "redis.log"))
		// The servers must not outlive the test process.
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("start node %d: %w", i, err)
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		addrs = append(addrs, addr)
		c := redis.NewClient(&redis.Options{Addr: addr})
		nodes = append(nodes, c)
		if err := waitPing(ctx, c); err != nil {
			return nil, fmt.Errorf("node %d: %w", i, err)
		}
	}
	// Slots split evenly; then the nodes meet.
	for i, c := range nodes {
		from, to := 16384*i/n, 16384*(i+1)/n-1
		if err := c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", from, to).Err(); err != nil {
			return nil, fmt.Errorf("addslots: %w", err)
		}
	}
	for _, a := range addrs[1:] {
		host, port, _ := net.SplitHostPort(a)
		if err := nodes[0].ClusterMeet(ctx, host, port).Err(); err != nil {
			return nil, fmt.Errorf("meet: %w", err)
		}
	}
	for {
		ok := true
		for _, c := range nodes {
			info, err := c.ClusterInfo(ctx).Result()
			if err != nil || !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(n)) {
				ok = false
			}
		}
		if ok {
			return addrs, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("cluster not ok in time")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func waitPing(ctx context.Context, c *redis.Client) error {
	for {
		if err := c.Ping(ctx).Err(); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

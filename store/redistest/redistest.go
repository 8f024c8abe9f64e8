// Package redistest gives tests a real Redis: the server named by REDIS_URL,
// or a disposable redis-server on a unix socket in a temp dir. It never
// skips: a machine without either fails the test with a message that says
// how to fix it.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/store"
)

// Config returns a store config for one test: REDIS_URL when set, or a new
// disposable server. Its key prefix is unique, so tests sharing a server
// never see each other's keys.
func Config(tb testing.TB) store.Config {
	tb.Helper()
	if os.Getenv(ClusterEnv) == "cluster" {
		return store.Config{Addrs: Cluster(tb), KeyPrefix: UniquePrefix(tb)}
	}
	if url := os.Getenv("REDIS_URL"); url != "" {
		opt, err := redis.ParseURL(url)
		if err != nil {
			tb.Fatalf("redistest: REDIS_URL: %v", err)
		}
		return store.Config{Addr: opt.Addr, Password: opt.Password, DB: opt.DB, KeyPrefix: UniquePrefix(tb)}
	}
	return Start(tb).Config(tb)
}

// UniquePrefix is a key prefix no other test uses.
func UniquePrefix(tb testing.TB) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := strings.NewReplacer("/", "_", " ", "_", "{", "", "}", "").Replace(tb.Name())
	return "test:" + name + ":" + hex.EncodeToString(b[:]) + ":"
}

// Server is a disposable redis-server that a test may stop and start again.
type Server struct {
	tb   testing.TB
	dir  string
	sock string
	cmd  *exec.Cmd
}

// Start launches redis-server on a unix socket; it is stopped at cleanup.
func Start(tb testing.TB) *Server {
	tb.Helper()
	// Unix socket paths are limited to ~100 bytes, so not t.TempDir().
	dir, err := os.MkdirTemp("", "partybot-redis-")
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	s := &Server{tb: tb, dir: dir, sock: filepath.Join(dir, "redis.sock")}
	tb.Cleanup(func() {
		s.Stop()
		_ = os.RemoveAll(dir)
	})
	s.Restart()
	return s
}

// Addr is the socket path.
func (s *Server) Addr() string { return s.sock }

// Config is a store config for this server with a unique key prefix.
func (s *Server) Config(tb testing.TB) store.Config {
	return store.Config{Addr: s.sock, KeyPrefix: UniquePrefix(tb)}
}

// Stop kills the server (as an outage would).
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
	_ = os.Remove(s.sock)
}

// Restart starts the server again on the same socket, with the data it had.
func (s *Server) Restart() {
	s.tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		s.tb.Fatalf("redistest: redis-server not found (%v): install it (apt-get install redis-server) or set REDIS_URL", err)
	}
	cmd := exec.Command(bin,
		"--port", "0", "--unixsocket", s.sock, "--unixsocketperm", "700",
		// An append-only file keeps data across Stop and Restart, as a
		// production Redis with persistence would. Redis writes it before
		// it replies, and a killed process (Stop is SIGKILL) loses nothing
		// the kernel has, so it needs no fsync per write (which made the
		// store suite five times slower).
		"--save", "", "--appendonly", "yes", "--appendfsync", "no", "--dir", s.dir, "--daemonize", "no",
		"--logfile", filepath.Join(s.dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		s.tb.Fatalf("redistest: start redis-server: %v", err)
	}
	s.cmd = cmd
	rdb := redis.NewClient(&redis.Options{Network: "unix", Addr: s.sock, MaxRetries: -1})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			s.tb.Fatalf("redistest: redis-server did not answer: %v\n%s", err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

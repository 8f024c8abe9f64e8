// Package store is the bot's memory: it implements the ports of package bot
// (Roster, CheckinStore, Deduper, MeetingStore …) on Redis through go-redis v9.
//
// Every key starts with the configured prefix. Keys that belong to one
// branch carry the branch id as a Cluster hash tag ({tech}) so that scripts
// touching several of them stay on one slot. docs/redis-keys.md lists them.
package store

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Config says where Redis is and how to name keys.
type Config struct {
	Addr string `yaml:"addr"` // host:port, or a unix socket path (starts with / or ends in .sock)
	// Addrs names several nodes: a Redis Cluster's seed nodes, or with
	// MasterName the Sentinels. Either Addr or Addrs is set.
	Addrs      []string `yaml:"addrs"`
	MasterName string   `yaml:"master_name"` // Sentinel: the name of the monitored master
	Password   string   `yaml:"password"`
	DB         int      `yaml:"db"`
	KeyPrefix  string   `yaml:"key_prefix"`
	// LocationDays is how long a location attached to a check-in is kept
	// (the config file's retention.location_days); 0 means DefaultLocationDays.
	LocationDays int `yaml:"-"`
}

// DefaultAddr is the server used when neither Addr nor Addrs is set.
const DefaultAddr = "127.0.0.1:6379"

// Problems lists what is wrong with the config, one line each, naming the
// fields as the config file's redis section does.
func (c Config) Problems() []string {
	var out []string
	switch {
	case c.Addr == "" && len(c.Addrs) == 0:
		out = append(out, "redis.addr: required (host:port or a unix socket path), or redis.addrs")
	case c.Addr != "" && len(c.Addrs) > 0:
		out = append(out, fmt.Sprintf("redis.addr %q and redis.addrs %v: use one (addr for one server, addrs for a Cluster's nodes or, with master_name, the Sentinels)", c.Addr, c.Addrs))
	case c.MasterName != "" && len(c.Addrs) == 0:
		out = append(out, fmt.Sprintf("redis.master_name %q: list the Sentinels in redis.addrs", c.MasterName))
	case c.MasterName == "" && len(c.Addrs) == 1:
		out = append(out, fmt.Sprintf("redis.addrs %v: a Cluster needs its nodes (at least two seeds), or set redis.master_name for Sentinel; one server is redis.addr", c.Addrs))
	}
	for i, a := range c.Addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			out = append(out, fmt.Sprintf("redis.addrs[%d]: %q is not host:port", i, a))
		}
	}
	if c.KeyPrefix == "" {
		out = append(out, `redis.key_prefix: required, e.g. "partybot:"`)
	} else if strings.ContainsAny(c.KeyPrefix, "{}") {
		out = append(out, fmt.Sprintf("redis.key_prefix: %q must not contain { or } (they are Cluster hash tags)", c.KeyPrefix))
	}
	return out
}

// DefaultLocationDays keeps check-in locations a month.
const DefaultLocationDays = 30

// Store is the Redis adapter. It is safe for concurrent use.
type Store struct {
	rdb    redis.UniversalClient
	prefix string

	// ClaimTTL bounds how long a message may stay "being processed": a
	// crashed process's claim expires in time for one of WeCom's retries
	// (a handler answers within the reply deadline, 3 s by default).
	ClaimTTL time.Duration
	// DoneTTL is how long a processed message is remembered. It must
	// outlast WeCom's retries and the callback timestamp window.
	DoneTTL time.Duration

	locationDays int

	// rosterWrites are this process's member caches, emptied on its own
	// roster writes at once (other processes see the version key move).
	rosterWrites struct {
		sync.Mutex
		caches []*MemberCache
	}
	// legacy is this process's reading of the roster writes that kept no
	// branch hashes (branchroster.go).
	legacy legacyRoster
}

// Options turns Config into go-redis options. Timeouts are short on purpose:
// a callback must learn that Redis is down well inside WeCom's 5 s, answer
// 5xx and let WeCom retry, rather than hang.
func (c Config) Options() *redis.Options {
	opt := &redis.Options{
		Addr:         c.Addr,
		Password:     c.Password,
		DB:           c.DB,
		DialTimeout:  time.Second,
		ReadTimeout:  time.Second,
		WriteTimeout: time.Second,
		PoolTimeout:  2 * time.Second,
		MaxRetries:   1,
	}
	if strings.HasPrefix(c.Addr, "/") || strings.HasSuffix(c.Addr, ".sock") {
		opt.Network = "unix"
	}
	return opt
}

// Client makes the client cfg describes: one server, a Sentinel-watched
// master (MasterName), or a Cluster (several Addrs). The same short
// timeouts apply to each, and a Cluster follows MOVED and failovers itself.
func (c Config) Client() redis.UniversalClient {
	if len(c.Addrs) == 0 {
		return redis.NewClient(c.Options())
	}
	o := c.Options()
	u := &redis.UniversalOptions{
		Addrs: c.Addrs, MasterName: c.MasterName, Password: c.Password, DB: c.DB,
		DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
		PoolTimeout: o.PoolTimeout, MaxRetries: o.MaxRetries,
		SentinelPassword: c.Password,
	}
	if c.MasterName == "" {
		u.DB = 0 // a Cluster has one database
		return redis.NewClusterClient(u.Cluster())
	}
	return redis.NewFailoverClient(u.Failover())
}

// New returns a Store on a new client for cfg. It does no I/O: call Ping.
func New(cfg Config) *Store {
	s := NewWithClient(cfg.Client(), cfg.KeyPrefix)
	if cfg.LocationDays > 0 {
		s.locationDays = cfg.LocationDays
	}
	return s
}

// NewWithClient wraps an existing client (a Cluster or Sentinel client too).
func NewWithClient(rdb redis.UniversalClient, keyPrefix string) *Store {
	return &Store{rdb: rdb, prefix: keyPrefix, ClaimTTL: 10 * time.Second, DoneTTL: 24 * time.Hour, locationDays: DefaultLocationDays}
}

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close closes the client.
func (s *Store) Close() error { return s.rdb.Close() }

// Client exposes the underlying client for adapters that speak Redis too.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Prefix is the configured key prefix.
func (s *Store) Prefix() string { return s.prefix }

// key builds an org-wide key: prefix + parts joined by ':'.
func (s *Store) key(parts ...string) string {
	return s.prefix + strings.Join(parts, ":")
}

// branchKey builds a key of one branch, hash-tagged by the branch id.
func (s *Store) branchKey(branchID string, parts ...string) string {
	return s.prefix + "{" + branchID + "}:" + strings.Join(parts, ":")
}

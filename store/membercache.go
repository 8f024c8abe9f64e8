package store

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
)

// MemberCache answers Member from memory, so a message costs no round trip
// to learn who sent it. It never serves a removed member or a stale role
// for long: every roster write bumps a version key, Run polls it and
// empties the cache when it moves (or when Redis does not answer), and
// every entry expires after ttl regardless. The other Roster methods go to
// Redis.
type MemberCache struct {
	*Store
	ttl time.Duration

	mu      sync.RWMutex
	entries map[string]cachedMember
	version string
}

type cachedMember struct {
	m     bot.Member
	found bool
	at    time.Time
}

var _ bot.Roster = (*MemberCache)(nil)

// MemberCache returns a cache over this store; start its Run.
func (s *Store) MemberCache(ttl time.Duration) *MemberCache {
	c := &MemberCache{Store: s, ttl: ttl, entries: map[string]cachedMember{}}
	s.rosterWrites.Lock()
	s.rosterWrites.caches = append(s.rosterWrites.caches, c)
	s.rosterWrites.Unlock()
	return c
}

// clear forgets every entry: this process just wrote the roster.
func (c *MemberCache) clear() {
	c.mu.Lock()
	c.entries = map[string]cachedMember{}
	c.mu.Unlock()
}

func (s *Store) rosterVersionKey() string { return s.key("roster", "version") }

// Member implements bot.Roster from the cache, or Redis on a miss.
func (c *MemberCache) Member(ctx context.Context, userID string) (bot.Member, bool, error) {
	c.mu.RLock()
	e, ok := c.entries[userID]
	c.mu.RUnlock()
	if ok && time.Since(e.at) < c.ttl {
		return e.m, e.found, nil
	}
	m, found, err := c.Store.Member(ctx, userID)
	if err != nil {
		return m, found, err
	}
	c.mu.Lock()
	c.entries[userID] = cachedMember{m: m, found: found, at: time.Now()}
	c.mu.Unlock()
	return m, found, nil
}

// Run polls the roster version every interval until ctx ends.
func (c *MemberCache) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.check(ctx)
		}
	}
}

// check empties the cache when the roster version moved or cannot be read.
func (c *MemberCache) check(ctx context.Context) {
	v, err := c.rdb.Get(ctx, c.rosterVersionKey()).Result()
	if errors.Is(err, redis.Nil) {
		v, err = "", nil // no roster write yet
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err != nil: // Redis away: serve nothing from memory
		c.entries = map[string]cachedMember{}
	case v != c.version:
		c.entries, c.version = map[string]cachedMember{}, v
	}
}

package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/cache"
)

// TokenCache backs silenceper's token cache with go-redis v9, under
// <prefix>wecom:. silenceper's contract: Get returns nil on a miss or an
// error, and a string otherwise (never []byte), or it panics or uses "".
type TokenCache struct {
	rdb    redis.UniversalClient
	prefix string
}

var _ cache.ContextCache = (*TokenCache)(nil)

// TokenCache returns the cache for silenceper's access-token handle.
func (s *Store) TokenCache() *TokenCache {
	return &TokenCache{rdb: s.rdb, prefix: s.key("wecom", "")}
}

// Key is the Redis key a cache key is stored under.
func (c *TokenCache) Key(key string) string { return c.prefix + key }

// GetContext implements cache.ContextCache.
func (c *TokenCache) GetContext(ctx context.Context, key string) interface{} {
	v, err := c.rdb.Get(ctx, c.Key(key)).Result()
	if err != nil || v == "" {
		return nil
	}
	return v
}

// SetContext implements cache.ContextCache.
func (c *TokenCache) SetContext(ctx context.Context, key string, val interface{}, timeout time.Duration) error {
	if timeout <= 0 {
		return fmt.Errorf("store: token cache: refusing to store %s without a TTL", key)
	}
	if err := c.rdb.Set(ctx, c.Key(key), val, timeout).Err(); err != nil {
		return fmt.Errorf("store: token cache set: %w", err)
	}
	return nil
}

// IsExistContext implements cache.ContextCache.
func (c *TokenCache) IsExistContext(ctx context.Context, key string) bool {
	n, err := c.rdb.Exists(ctx, c.Key(key)).Result()
	return err == nil && n > 0
}

// DeleteContext implements cache.ContextCache.
func (c *TokenCache) DeleteContext(ctx context.Context, key string) error {
	if err := c.rdb.Del(ctx, c.Key(key)).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("store: token cache delete: %w", err)
	}
	return nil
}

// silenceper calls the context-free methods from its token handle; they get
// a bounded context of their own.
const tokenCacheTimeout = 3 * time.Second

// Get implements cache.Cache.
func (c *TokenCache) Get(key string) interface{} {
	ctx, cancel := context.WithTimeout(context.Background(), tokenCacheTimeout)
	defer cancel()
	return c.GetContext(ctx, key)
}

// Set implements cache.Cache.
func (c *TokenCache) Set(key string, val interface{}, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), tokenCacheTimeout)
	defer cancel()
	return c.SetContext(ctx, key, val, timeout)
}

// IsExist implements cache.Cache.
func (c *TokenCache) IsExist(key string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), tokenCacheTimeout)
	defer cancel()
	return c.IsExistContext(ctx, key)
}

// Delete implements cache.Cache.
func (c *TokenCache) Delete(key string) error {
	ctx, cancel := context.WithTimeout(context.Background(), tokenCacheTimeout)
	defer cancel()
	return c.DeleteContext(ctx, key)
}

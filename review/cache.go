package review

import (
	gosync "sync"
	"time"

	"huren/sync/wire"
)

// statusCache keeps recent status answers in memory so repeated lookups (phones polling the QR page) skip
// the store. Every state change in this process drops the receipt's entry; entries also expire after ttl,
// which bounds staleness when several instances share a PostgreSQL store.
type statusCache struct {
	mu  gosync.RWMutex
	m   map[string]cachedStatus
	ttl time.Duration
	max int
}

type cachedStatus struct {
	tokenHash string
	st        wire.Status
	json      []byte
	until     time.Time
}

func newStatusCache(ttl time.Duration, max int) *statusCache {
	return &statusCache{m: map[string]cachedStatus{}, ttl: ttl, max: max}
}

func (c *statusCache) get(receipt string, now time.Time) (cachedStatus, bool) {
	if c.ttl <= 0 {
		return cachedStatus{}, false
	}
	c.mu.RLock()
	e, ok := c.m[receipt]
	c.mu.RUnlock()
	if !ok || now.After(e.until) {
		return cachedStatus{}, false
	}
	return e, true
}

func (c *statusCache) put(receipt string, e cachedStatus, now time.Time) {
	if c.ttl <= 0 {
		return
	}
	e.until = now.Add(c.ttl)
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m) // crude but bounded; the store is the truth
	}
	c.m[receipt] = e
	c.mu.Unlock()
}

func (c *statusCache) drop(receipt string) {
	c.mu.Lock()
	delete(c.m, receipt)
	c.mu.Unlock()
}

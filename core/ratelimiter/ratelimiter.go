package ratelimiter

import (
	"encoding/binary"
	"net/netip"
	"sync"
	"time"

	"github.com/wgshim/wgshim/core/clock"
)

const (
	packetsPerSecond = 20
	packetsBurstable = 5

	// Tokens are nanoseconds of allowance: a packet costs 1/20 s, and a
	// bucket holds at most 5 packets' worth. Folding the burst into the
	// bucket size rather than the rate is what the kernel does.
	packetCost = int64(time.Second) / packetsPerSecond
	maxTokens  = packetCost * packetsBurstable

	// An entry idle for longer than idleTimeout holds a full bucket, so
	// dropping it changes nothing but memory. Sweeps run at most once per
	// gcInterval.
	idleTimeout = int64(time.Second)
	gcInterval  = int64(time.Second)

	// MaxEntries caps how many sources are tracked at once; a new source
	// arriving while the table is full is refused. This is the kernel's
	// limit on machines with more than 1 GiB of RAM (8192 buckets x 8).
	MaxEntries = 65536

	// shrinkAbove is the table size above which an emptied table is
	// replaced by a fresh map, since Go maps never give memory back.
	shrinkAbove = 1024
)

type entry struct {
	last   int64 // nanoseconds since Limiter.base of the last packet
	tokens int64 // nanoseconds of allowance left
}

// Limiter is a per-source token bucket. It is safe for concurrent use.
type Limiter struct {
	clock clock.Clock
	base  time.Time // origin of the int64 timestamps; Sub keeps them monotonic

	mu sync.Mutex
	// Sources are keyed by their IPv4 address, or by the /64 of their IPv6
	// address, in one map per family so that keys are plain uint64s.
	v4, v6 map[uint64]entry
	peak   int   // largest table size since the maps were made
	lastGC int64 // time of the last sweep
	closed bool
}

// New returns an empty Limiter that reads time from c.
func New(c clock.Clock) *Limiter {
	return &Limiter{
		clock: c,
		base:  c.Now(),
		v4:    make(map[uint64]entry),
		v6:    make(map[uint64]entry),
	}
}

// Allow reports whether a packet from ip may be processed now, and charges
// ip's bucket if so. An IPv4-mapped IPv6 address counts as its IPv4 address;
// any zone is ignored. It returns false for the zero Addr, when the table is
// full and ip is new, and after Close.
func (l *Limiter) Allow(ip netip.Addr) bool {
	var k uint64
	v6 := false
	switch {
	case ip.Is4() || ip.Is4In6():
		a := ip.Unmap().As4()
		k = uint64(binary.BigEndian.Uint32(a[:]))
	case ip.Is6():
		a := ip.As16()
		k = binary.BigEndian.Uint64(a[:8])
		v6 = true
	default:
		return false
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	// Reading the clock under the lock keeps timestamps of one entry in
	// order even when goroutines race.
	now := int64(l.clock.Now().Sub(l.base))
	if now-l.lastGC >= gcInterval {
		l.gc(now)
	}

	table := l.v4
	if v6 {
		table = l.v6
	}
	if e, ok := table[k]; ok {
		elapsed := now - e.last
		if elapsed < 0 {
			elapsed = 0 // clock stepped back: grant nothing
		}
		tokens := e.tokens + min(elapsed, maxTokens)
		if tokens > maxTokens {
			tokens = maxTokens
		}
		allowed := tokens >= packetCost
		if allowed {
			tokens -= packetCost
		}
		table[k] = entry{last: now, tokens: tokens}
		return allowed
	}

	if l.size() >= MaxEntries {
		return false
	}
	// A new source is allowed and starts one packet short of a full bucket.
	table[k] = entry{last: now, tokens: maxTokens - packetCost}
	l.peak = max(l.peak, l.size())
	return true
}

// gc drops the entries idle for more than idleTimeout. l.mu must be held.
func (l *Limiter) gc(now int64) {
	l.lastGC = now
	for _, table := range [2]map[uint64]entry{l.v4, l.v6} {
		for k, e := range table {
			if now-e.last > idleTimeout {
				delete(table, k)
			}
		}
	}
	if l.size() == 0 && l.peak > shrinkAbove {
		l.v4 = make(map[uint64]entry)
		l.v6 = make(map[uint64]entry)
		l.peak = 0
	}
}

// size returns the number of tracked sources. l.mu must be held.
func (l *Limiter) size() int { return len(l.v4) + len(l.v6) }

// Close releases the table. Allow returns false afterwards. Close may be
// called more than once; there is no goroutine or timer to stop.
func (l *Limiter) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.v4, l.v6 = nil, nil
}

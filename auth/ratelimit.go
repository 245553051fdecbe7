package auth

import (
	"fmt"
	"net"
	"sync"
	"time"
)

// Login throttling. Failures are counted per (username, address) and per
// address, never per username alone: whoever lacks the password can only
// slow down their own address, so nobody can keep the real user out. After
// the free failures each further one doubles the wait, up to maxLoginDelay.
// A NAT'd office shares one address, so the address allows more failures.
const (
	userFreeFailures = 5
	ipFreeFailures   = 20
	firstLoginDelay  = time.Second
	maxLoginDelay    = 5 * time.Minute
	// forgetFailures is how long a key must stay quiet before its failures
	// are forgotten; longer than maxLoginDelay, so waiting out the delay
	// does not reset the count.
	forgetFailures = 15 * time.Minute
	// maxLimiterEntries bounds the limiter's memory; when full, forgotten
	// entries go first, then the oldest.
	maxLimiterEntries = 10000
)

// RateLimitError is returned, wrapping ErrRateLimited, when an attempt comes
// while its (user, address) or its address is still waiting after failures.
// The password was not checked.
type RateLimitError struct {
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("%v: retry after %v", ErrRateLimited, e.RetryAfter)
}

func (e *RateLimitError) Unwrap() error { return ErrRateLimited }

// failures is the recent failure record of one limiter key.
type failures struct {
	count int
	last  time.Time // latest failure
	until time.Time // no attempt before this
}

// loginLimiter delays attempts after failures, per (user, address) and per
// address (IPv6 grouped by /64, which one client usually owns whole).
type loginLimiter struct {
	now func() time.Time

	mu      sync.Mutex
	entries map[string]*failures
}

func newLoginLimiter(now func() time.Time) *loginLimiter {
	return &loginLimiter{now: now, entries: map[string]*failures{}}
}

// addressKey groups an address: IPv4 as is, IPv6 by its /64. Anything that
// is not an IP (a test's label) is used verbatim.
func addressKey(ip string) string {
	parsed := net.ParseIP(ip)
	if parsed == nil || parsed.To4() != nil {
		return ip
	}
	return parsed.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

func userKey(user, ip string) string { return "u\x00" + user + "\x00" + addressKey(ip) }
func ipKey(ip string) string         { return "a\x00" + addressKey(ip) }

// delayAfter is the wait imposed after the n-th failure when free failures
// are allowed without one: 0, ..., 0, 1s, 2s, 4s, ... capped.
func delayAfter(n, free int) time.Duration {
	if n < free {
		return 0
	}
	shift := n - free
	if shift >= 20 {
		return maxLoginDelay
	}
	return min(firstLoginDelay<<shift, maxLoginDelay)
}

// live returns the entry of key unless it is absent or forgotten.
func (l *loginLimiter) live(key string, now time.Time) *failures {
	f := l.entries[key]
	if f != nil && now.Sub(f.last) >= forgetFailures {
		delete(l.entries, key)
		return nil
	}
	return f
}

// wait returns how long the keys must still wait (0: go ahead).
func (l *loginLimiter) wait(keys ...string) time.Duration {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var d time.Duration
	for _, k := range keys {
		if f := l.live(k, now); f != nil && f.until.After(now) {
			d = max(d, f.until.Sub(now))
		}
	}
	return d
}

// check returns a *RateLimitError when user may not try from ip yet.
func (l *loginLimiter) check(user, ip string) error {
	keys := []string{userKey(user, ip)}
	if ip != "" {
		keys = append(keys, ipKey(ip))
	}
	if d := l.wait(keys...); d > 0 {
		return &RateLimitError{RetryAfter: d}
	}
	return nil
}

// fail records a failed password for user from ip.
func (l *loginLimiter) fail(user, ip string) {
	l.record(userKey(user, ip), userFreeFailures)
	if ip != "" {
		l.record(ipKey(ip), ipFreeFailures)
	}
}

// failAddress records a failure that names no user (a wrong API token).
func (l *loginLimiter) failAddress(ip string) {
	if ip != "" {
		l.record(ipKey(ip), ipFreeFailures)
	}
}

func (l *loginLimiter) record(key string, free int) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.live(key, now)
	if f == nil {
		l.makeRoom(now)
		f = &failures{}
		l.entries[key] = f
	}
	f.count++
	f.last = now
	f.until = now.Add(delayAfter(f.count, free))
}

// succeed forgets user's failures from ip after a good password. The
// address's own count stays: a password for one account must not buy
// fresh guesses at others.
func (l *loginLimiter) succeed(user, ip string) {
	l.mu.Lock()
	delete(l.entries, userKey(user, ip))
	l.mu.Unlock()
}

// makeRoom keeps the map under maxLimiterEntries: forgotten entries go, and
// if all are live the oldest does. Called with mu held, only when adding.
func (l *loginLimiter) makeRoom(now time.Time) {
	if len(l.entries) < maxLimiterEntries {
		return
	}
	var oldest string
	var oldestAt time.Time
	for k, f := range l.entries {
		if now.Sub(f.last) >= forgetFailures {
			delete(l.entries, k)
			continue
		}
		if oldest == "" || f.last.Before(oldestAt) {
			oldest, oldestAt = k, f.last
		}
	}
	if len(l.entries) >= maxLimiterEntries {
		delete(l.entries, oldest)
	}
}

// size is the number of keys held (for tests).
func (l *loginLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

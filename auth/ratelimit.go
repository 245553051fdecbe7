package auth

import (
	"sync"
	"time"
)

// Login rate limits: failures counted in a sliding window per username and
// per remote address. A NAT'd office shares one address, so its limit is
// higher than a single user's.
const (
	loginWindow      = 5 * time.Minute
	maxUserFailures  = 5
	maxIPFailures    = 20
	maxLimiterBucket = 10000 // entries before expired ones are swept
)

// loginLimiter counts recent login failures by user and by address.
type loginLimiter struct {
	now func() time.Time

	mu     sync.Mutex
	byUser map[string][]time.Time
	byIP   map[string][]time.Time
}

func newLoginLimiter(now func() time.Time) *loginLimiter {
	return &loginLimiter{now: now, byUser: map[string][]time.Time{}, byIP: map[string][]time.Time{}}
}

// recent drops failures older than the window and returns what is left.
func recent(m map[string][]time.Time, key string, now time.Time) []time.Time {
	ts := m[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= loginWindow {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(m, key)
		return nil
	}
	m[key] = ts
	return ts
}

// allowed reports whether another attempt by user from ip may proceed.
func (l *loginLimiter) allowed(user, ip string) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(recent(l.byUser, user, now)) < maxUserFailures &&
		(ip == "" || len(recent(l.byIP, ip, now)) < maxIPFailures)
}

// fail records a failed attempt.
func (l *loginLimiter) fail(user, ip string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	l.byUser[user] = append(recent(l.byUser, user, now), now)
	if ip != "" {
		l.byIP[ip] = append(recent(l.byIP, ip, now), now)
	}
}

// succeed clears the user's failures after a good password.
func (l *loginLimiter) succeed(user string) {
	l.mu.Lock()
	delete(l.byUser, user)
	l.mu.Unlock()
}

// sweep bounds memory: when a map grows large, expired entries go.
func (l *loginLimiter) sweep(now time.Time) {
	for _, m := range []map[string][]time.Time{l.byUser, l.byIP} {
		if len(m) < maxLimiterBucket {
			continue
		}
		for k := range m {
			recent(m, k, now)
		}
		if len(m) >= maxLimiterBucket {
			// Still full of live entries: forget the lot rather than grow
			// without bound (an attacker spraying names gains nothing).
			clear(m)
		}
	}
}

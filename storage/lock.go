package storage

import (
	"fmt"
	"time"
)

// Object Lock rules. Retention and legal hold belong to one version;
// storage enforces them wherever a version would leave the index: a
// delete by version id, a Suspended write replacing a locked null version,
// a forced bucket delete and a tenant delete. Adding a delete marker is
// always allowed (it removes nothing).

// Limits of a default retention period (AWS: 36500 days, 100 years).
const (
	maxLockDays  = 36500
	maxLockYears = 100
)

// lockNow is the clock of retention (Config.testNow in tests).
func (s *Store) lockNow() time.Time {
	if s.cfg.testNow != nil {
		return s.cfg.testNow()
	}
	return time.Now()
}

func validMode(m LockMode) bool { return m == LockGovernance || m == LockCompliance }

// validRetention checks a retention given to a new version: a known mode
// and a retain-until date in the future.
func validRetention(r Retention, at time.Time) error {
	if !validMode(r.Mode) {
		return fmt.Errorf("%w: unknown mode %q", ErrInvalidRetention, r.Mode)
	}
	if !r.Until.After(at) {
		return fmt.Errorf("%w: retain-until date must be in the future", ErrInvalidRetention)
	}
	return nil
}

// validLockConfig checks a bucket's Object Lock configuration: no default
// retention, or a mode with exactly one of Days and Years in range.
func validLockConfig(c LockConfig) error {
	if c.Mode == "" {
		if c.Days != 0 || c.Years != 0 {
			return fmt.Errorf("%w: a default retention period needs a mode", ErrInvalidRetention)
		}
		return nil
	}
	if !validMode(c.Mode) {
		return fmt.Errorf("%w: unknown mode %q", ErrInvalidRetention, c.Mode)
	}
	switch {
	case c.Days > 0 && c.Years == 0 && c.Days <= maxLockDays:
	case c.Years > 0 && c.Days == 0 && c.Years <= maxLockYears:
	default:
		return fmt.Errorf("%w: the default retention needs exactly one of days (1..%d) and years (1..%d)", ErrInvalidRetention, maxLockDays, maxLockYears)
	}
	return nil
}

// defaultRetention is the retention the configuration gives a version
// written at from; nil without a default.
func (c *LockConfig) defaultRetention(from time.Time) *Retention {
	if c == nil || !c.Enabled || c.Mode == "" {
		return nil
	}
	return &Retention{Mode: c.Mode, Until: from.AddDate(c.Years, 0, c.Days)}
}

// locked reports whether r blocks removal of its version at time at, and
// whether only GOVERNANCE retention does (which bypass lifts).
func locked(r *objRecord, at time.Time) (blocked, bypassable bool) {
	if r.LegalHold {
		return true, false
	}
	if r.Retention != nil && r.Retention.Until.After(at) {
		return true, r.Retention.Mode == LockGovernance
	}
	return false, false
}

// checkRemove returns ErrObjectLocked when version r cannot be removed at
// time at: under legal hold, or retained (GOVERNANCE yields to bypass).
func checkRemove(r *objRecord, at time.Time, bypass bool) error {
	blocked, bypassable := locked(r, at)
	if !blocked || bypassable && bypass {
		return nil
	}
	return ErrObjectLocked
}

// changeRetention checks replacing a version's retention old (nil: none)
// with r (Mode "": remove it) at time at. An expired retention may be
// replaced freely. COMPLIANCE can only be extended; GOVERNANCE can be
// extended or turned into COMPLIANCE, and shortened, weakened or removed
// only with bypass.
func changeRetention(old *Retention, r Retention, at time.Time, bypass bool) error {
	if r.Mode != "" {
		if err := validRetention(r, at); err != nil {
			return err
		}
	} else if !r.Until.IsZero() {
		return fmt.Errorf("%w: a retain-until date needs a mode", ErrInvalidRetention)
	}
	if old == nil || !old.Until.After(at) {
		return nil
	}
	shorter := r.Mode == "" || r.Until.Before(old.Until)
	switch old.Mode {
	case LockCompliance:
		if r.Mode != LockCompliance || shorter {
			return fmt.Errorf("%w: COMPLIANCE retention until %s can only be extended", ErrRetentionShortened, old.Until.UTC().Format(time.RFC3339))
		}
	case LockGovernance:
		if shorter && !bypass {
			return fmt.Errorf("%w: GOVERNANCE retention until %s can be shortened or removed only with bypass", ErrRetentionShortened, old.Until.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

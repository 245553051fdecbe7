package usagehist

import (
	"encoding/binary"
	"errors"
	"time"
)

// Point is a series' usage at one hour or day. QuotaObjects and QuotaBytes
// are the tenant's quota when the point was sampled (0: none); a container's
// points carry none.
type Point struct {
	Time         time.Time `json:"time"`
	Objects      int64     `json:"objects"`
	Bytes        int64     `json:"bytes"`
	QuotaObjects int64     `json:"quotaObjects"`
	QuotaBytes   int64     `json:"quotaBytes"`
}

// Range names a span of history the console can ask for.
type Range string

// The ranges: the hourly record, and the daily record over 30 or 365 days.
const (
	Range48h  Range = "48h"
	Range30d  Range = "30d"
	Range365d Range = "365d"
)

// ErrBadRange is returned when a range is not one of Range48h, Range30d and Range365d.
var ErrBadRange = errors.New("usagehist: range must be 48h, 30d or 365d")

// ParseRange returns the Range named s; "" is Range30d.
func ParseRange(s string) (Range, error) {
	switch r := Range(s); r {
	case Range48h, Range30d, Range365d:
		return r, nil
	case "":
		return Range30d, nil
	}
	return "", ErrBadRange
}

// record is one of a series' two records: its slot length, how far back it
// keeps points, and the most points it may hold.
type record struct {
	name   []byte
	slot   time.Duration
	keep   time.Duration
	maxLen int
}

var (
	hourly = record{name: []byte("h"), slot: time.Hour, keep: 48 * time.Hour, maxLen: 49}
	daily  = record{name: []byte("d"), slot: 24 * time.Hour, keep: 400 * 24 * time.Hour, maxLen: 401}
)

// span returns the record a range reads and how far back it goes.
func (r Range) span() (record, time.Duration) {
	switch r {
	case Range48h:
		return hourly, 48 * time.Hour
	case Range365d:
		return daily, 365 * 24 * time.Hour
	}
	return daily, 30 * 24 * time.Hour
}

// slotStart is the start of t's slot in rec (UTC hours and days).
func (rec record) slotStart(t time.Time) time.Time { return t.UTC().Truncate(rec.slot) }

// pointKey is a slot's key: big-endian Unix seconds sort in time order.
func pointKey(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(t.Unix()))
}

// encodePoint stores the four counters as varints: most are small, and a
// zero quota (or a container's) takes one byte.
func encodePoint(p Point) []byte {
	b := make([]byte, 0, 4*binary.MaxVarintLen64)
	for _, v := range []int64{p.Objects, p.Bytes, p.QuotaObjects, p.QuotaBytes} {
		b = binary.AppendVarint(b, v)
	}
	return b
}

// decodePoint reads a stored point; ok is false for a record this version
// did not write (it is skipped, never trusted).
func decodePoint(k, v []byte) (p Point, ok bool) {
	if len(k) != 8 {
		return Point{}, false
	}
	var n [4]int64
	for i := range n {
		x, used := binary.Varint(v)
		if used <= 0 {
			return Point{}, false
		}
		n[i], v = x, v[used:]
	}
	if len(v) != 0 {
		return Point{}, false
	}
	return Point{
		Time:    time.Unix(int64(binary.BigEndian.Uint64(k)), 0).UTC(),
		Objects: n[0], Bytes: n[1], QuotaObjects: n[2], QuotaBytes: n[3],
	}, true
}

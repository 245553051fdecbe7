package lifecycle

import "time"

const day = 24 * time.Hour

// midnight is the start (00:00 UTC) of t's UTC day.
func midnight(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// dueAfter is when an action N days after start falls due, as AWS counts:
// "adding the number of days specified in the rule to the object creation
// time and rounding the resulting time to the next day midnight UTC" (S3
// user guide, lifecycle "Days" elements; the same for noncurrent versions
// from their successor's creation, and for uploads from initiation). An
// object created 2014-01-15 10:30 UTC with Days=3 expires 2014-01-19 00:00
// UTC. "Next day midnight" is the midnight strictly after start+N days, so
// even a time exactly at midnight moves to the following one; only tests and
// clocks with second precision can hit that case.
func dueAfter(start time.Time, days int) time.Time {
	return midnight(start.UTC().AddDate(0, 0, days)).Add(day)
}

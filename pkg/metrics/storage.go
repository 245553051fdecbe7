package metrics

import (
	"context"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cofferstore/coffer/storage"
)

// storageCollector reads drive health and the scrubber's counters at scrape time.
type storageCollector struct {
	store storage.ObjectStore

	driveOnline    *prometheus.Desc
	driveTotal     *prometheus.Desc
	driveFree      *prometheus.Desc
	driveErrors    *prometheus.Desc
	writeQuorum    *prometheus.Desc
	healObjects    *prometheus.Desc
	healShards     *prometheus.Desc
	orphans        *prometheus.Desc
	scanned        *prometheus.Desc
	scrubErrors    *prometheus.Desc
	scrubRunning   *prometheus.Desc
	scrubProgress  *prometheus.Desc
	scrubLastDone  *prometheus.Desc
	quorumFailures *prometheus.Desc
}

func newStorageCollector(store storage.ObjectStore) *storageCollector {
	drive := []string{"drive", "path"}
	return &storageCollector{
		store:          store,
		driveOnline:    newDesc("drive_online", "1 when the drive holds this server's format file at its position, 0 when it is offline.", drive),
		driveTotal:     newDesc("drive_total_bytes", "Size of the file system holding the drive directory; 0 when it cannot be read.", drive),
		driveFree:      newDesc("drive_free_bytes", "Free bytes on the file system holding the drive directory; 0 when it cannot be read.", drive),
		driveErrors:    newDesc("drive_errors_total", "I/O errors seen on the drive since the server started.", drive),
		writeQuorum:    newDesc("write_quorum_available", "1 when enough drives are online to accept writes (the readiness condition), else 0.", nil),
		healObjects:    newDesc("heal_objects_total", "Objects healed (one or more shards rewritten), by reads or the scanner, since the server started.", nil),
		healShards:     newDesc("heal_shards_repaired_total", "Shards rewritten after being found missing or corrupt, since the server started.", nil),
		orphans:        newDesc("scrub_orphans_removed_total", "Orphaned shard files from interrupted writes removed by the scanner since the server started.", nil),
		scanned:        newDesc("scrub_objects_scanned_total", "Objects whose shards the scanner verified since the server started.", nil),
		scrubErrors:    newDesc("scrub_errors_total", "Errors the scanner met (unreadable or unrepairable objects) since the server started.", nil),
		scrubRunning:   newDesc("scrub_running", "1 while a scrub pass is running, else 0.", nil),
		scrubProgress:  newDesc("scrub_progress_ratio", "Progress of the current scrub pass, from 0 to 1.", nil),
		scrubLastDone:  newDesc("scrub_last_completed_timestamp_seconds", "Unix time the last full scrub pass finished; 0 before the first one.", nil),
		quorumFailures: newDesc("write_quorum_failures_total", "Operations the storage engine failed because too few drives answered for quorum, since the server started.", nil),
	}
}

// Describe implements prometheus.Collector.
func (c *storageCollector) Describe(ch chan<- *prometheus.Desc) {
	describe(ch,
		c.driveOnline, c.driveTotal, c.driveFree, c.driveErrors, c.writeQuorum,
		c.healObjects, c.healShards, c.orphans, c.scanned, c.scrubErrors,
		c.scrubRunning, c.scrubProgress, c.scrubLastDone, c.quorumFailures,
	)
}

// Collect implements prometheus.Collector.
func (c *storageCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), collectTimeout)
	defer cancel()
	for _, d := range c.store.Drives(ctx) {
		labels := []string{strconv.Itoa(d.Index), d.Path}
		ch <- gauge(c.driveOnline, boolFloat(d.Online), labels...)
		ch <- gauge(c.driveTotal, float64(d.TotalBytes), labels...)
		ch <- gauge(c.driveFree, float64(d.FreeBytes), labels...)
		ch <- counter(c.driveErrors, float64(d.Errors), labels...)
	}
	ch <- gauge(c.writeQuorum, boolFloat(c.store.Ready()))

	s := c.store.ScrubStats()
	ch <- counter(c.healObjects, float64(s.ObjectsHealed))
	ch <- counter(c.healShards, float64(s.ShardsRepaired))
	ch <- counter(c.orphans, float64(s.OrphansRemoved))
	ch <- counter(c.scanned, float64(s.ObjectsScanned))
	ch <- counter(c.scrubErrors, float64(s.Errors))
	ch <- gauge(c.scrubRunning, boolFloat(s.Running))
	ch <- gauge(c.scrubProgress, s.Progress)
	lastDone := 0.0
	if !s.LastScrubDone.IsZero() {
		lastDone = float64(s.LastScrubDone.UnixNano()) / 1e9
	}
	ch <- gauge(c.scrubLastDone, lastDone)
	ch <- counter(c.quorumFailures, float64(s.QuorumFailures))
}

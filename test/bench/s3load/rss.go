package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// ServerMemory is the server's resident memory over a run of the workloads
// (make bench with -server-pid): the peak of the whole load, and how far it
// falls once the load has stopped.
type ServerMemory struct {
	PeakRSS     int64   `json:"peakRSS"`     // bytes: the largest workload PeakRSS
	PeakOf      string  `json:"peakOf"`      // the workload that reached it
	EndRSS      int64   `json:"endRSS"`      // bytes, right after the last workload
	IdleSeconds float64 `json:"idleSeconds"` // how long the idle phase sampled
	IdleRSS     int64   `json:"idleRSS"`     // bytes, at the end of the idle phase
	IdleTrace   []int64 `json:"idleTrace"`   // bytes, one sample per second of the idle phase
	// IdleAnon and IdleFile split IdleRSS (RssAnon, RssFile): the file
	// part is page cache of mapped files (the bbolt index, the binary),
	// which the kernel reclaims under pressure.
	IdleAnon int64 `json:"idleAnon"`
	IdleFile int64 `json:"idleFile"`
}

// idleMemory samples pid's RSS once a second for d with no load, the
// settling of a server after a run: IdleTrace[i] is the RSS i+1 seconds
// after the load.
func idleMemory(ctx context.Context, pid int, d time.Duration, m *ServerMemory) error {
	rss, _, err := procMemory(pid)
	if err != nil {
		return err
	}
	m.EndRSS, m.IdleRSS = rss, rss
	start := time.Now()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for time.Since(start) < d {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		rss, _, err := procMemory(pid)
		if err != nil {
			return err
		}
		m.IdleTrace = append(m.IdleTrace, rss)
		m.IdleRSS = rss
	}
	m.IdleSeconds = time.Since(start).Seconds()
	m.IdleAnon, m.IdleFile, err = rssSplit(pid)
	return err
}

// rssSplit returns RssAnon and RssFile of pid in bytes.
func rssSplit(pid int) (anon, file int64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ":")
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" || (k != "RssAnon" && k != "RssFile") {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("status: %s: %w", k, err)
		}
		if k == "RssAnon" {
			anon = n << 10
		} else {
			file = n << 10
		}
	}
	return anon, file, nil
}

// writeMemory prints each run's server memory under the table.
func writeMemory(w io.Writer, runs []Run) {
	var lines []string
	for i, r := range runs {
		m := r.Memory
		if m == nil {
			continue
		}
		var per []string
		for _, res := range r.Results {
			if res.PeakRSS > 0 {
				per = append(per, fmt.Sprintf("%s %.0f", res.Workload, mib(res.PeakRSS)))
			}
		}
		line := fmt.Sprintf("run %d: peak **%.0f MiB** (%s); %.0f MiB when the load stopped", i+1, mib(m.PeakRSS), m.PeakOf, mib(m.EndRSS))
		if m.IdleSeconds > 0 {
			line += fmt.Sprintf(", **%.0f MiB** after %.0f s idle (anonymous %.0f, mapped files %.0f)", mib(m.IdleRSS), m.IdleSeconds, mib(m.IdleAnon), mib(m.IdleFile))
		}
		lines = append(lines, line+". Peak per workload (MiB): "+strings.Join(per, ", ")+".")
	}
	if len(lines) > 0 {
		fmt.Fprintf(w, "\nServer RSS (VmRSS sampled every 250 ms, and VmHWM):\n- %s\n", strings.Join(lines, "\n- "))
	}
}

// procCPU returns the user plus system CPU time pid has used, in seconds
// (fields 14 and 15 of /proc/PID/stat, in clock ticks of 1/100 s).
func procCPU(pid int) (float64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat: no command name")
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3
	if len(f) < 13 {
		return 0, fmt.Errorf("stat: %d fields", len(f)+2)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("stat: bad utime/stime %q %q", f[11], f[12])
	}
	return float64(utime+stime) / 100, nil
}

// withCPU wraps h so that the server's CPU time over the timed phase lands
// in *cpu (seconds; stays 0 if /proc cannot be read).
func withCPU(h *hooks, pid int, cpu *float64) *hooks {
	var at float64
	return &hooks{
		start: func() {
			if h != nil && h.start != nil {
				h.start()
			}
			at, _ = procCPU(pid)
		},
		end: func() {
			if now, err := procCPU(pid); err == nil && at > 0 {
				*cpu = now - at
			}
			if h != nil && h.end != nil {
				h.end()
			}
		},
	}
}

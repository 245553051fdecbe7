// Command s3load is Coffer's S3 load generator, modelled on warp's method:
// for each workload, N concurrent workers repeat one kind of request against
// a fresh bucket for a fixed duration, with objects of a fixed size filled
// with random data; it reports objects/s, MiB/s and p50/p90/p99 latency.
// Any failed request is counted and fails the run (exit status 1).
//
// Requests are signed with SigV4 and UNSIGNED-PAYLOAD over plain HTTP with
// reused connections and payloads generated once per worker, so the
// generator's own CPU use stays small next to the server's.
//
//	s3load -endpoint http://127.0.0.1:9000 -duration 20s -json run1.json
//	s3load -merge run1.json,run2.json,run3.json   # median table of several runs
//	s3load -bucket scale -workloads put-4k,list -list-keys N   # in an existing bucket (make bench-scale)
//	s3load -memory -server-pid PID   # server RSS while streaming 5 GiB, 64 x 64 MiB (make bench-memory)
//
// Credentials come from S3LOAD_ACCESS_KEY and S3LOAD_SECRET_KEY (or the
// flags). With -pprof and -profile-dir, a CPU profile of the timed phase
// and allocation profiles before and after it are saved for the workloads
// named in -profile.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// Run is one s3load invocation's results, as written by -json.
type Run struct {
	Started  time.Time     `json:"started"`
	Duration string        `json:"duration"`
	Machine  string        `json:"machine"`
	Results  []Result      `json:"results"`
	Memory   *ServerMemory `json:"memory,omitempty"` // with -server-pid
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "s3load:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("s3load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	endpoint := fs.String("endpoint", "http://127.0.0.1:9000", "S3 endpoint URL, or a comma list (a cluster's nodes, taken in turn by every request)")
	accessKey := fs.String("access-key", os.Getenv("S3LOAD_ACCESS_KEY"), "access key (env S3LOAD_ACCESS_KEY)")
	secretKey := fs.String("secret-key", os.Getenv("S3LOAD_SECRET_KEY"), "secret key (env S3LOAD_SECRET_KEY)")
	region := fs.String("region", "us-east-1", "SigV4 region")
	duration := fs.Duration("duration", 20*time.Second, "timed phase of each workload")
	names := fs.String("workloads", "", "comma list of workloads to run (default all: "+strings.Join(workloadNames(), ",")+")")
	bucketPrefix := fs.String("bucket-prefix", "s3load", "buckets are PREFIX-WORKLOAD-UNIXTIME")
	jsonOut := fs.String("json", "", "write the results as JSON to this file")
	merge := fs.String("merge", "", "comma list of -json files: print the median of these runs and exit")
	pprofURL := fs.String("pprof", "", "server's pprof listener, e.g. http://127.0.0.1:6060")
	profileDir := fs.String("profile-dir", "", "directory for profiles (with -pprof)")
	profile := fs.String("profile", "put-4k,get-16m", "workloads to profile (with -pprof)")
	bucketFlag := fs.String("bucket", "", "run the workloads in this existing bucket, preparing no objects (bench-scale)")
	keyPrefix := fs.String("key-prefix", "", "prefix of the keys PUT workloads write")
	listKeys := fs.Int("list-keys", 0, "with -bucket: the key count a full LIST pass must see (0: not checked)")
	concurrency := fs.Int("concurrency", 0, "workers per workload (0: the workload's own)")
	memory := fs.Bool("memory", false, "run the memory benchmark (see memory.go) instead of the workloads")
	var mo memoryOptions
	fs.IntVar(&mo.PID, "server-pid", 0, "the server's process id, whose RSS is sampled (per workload, or with -memory per phase)")
	idle := fs.Duration("idle", 0, "with -server-pid: after the workloads, sample the idle server's RSS this long")
	fs.Int64Var(&mo.StreamSize, "stream-size", 5<<30, "with -memory: bytes of the one streamed object")
	fs.IntVar(&mo.Uploads, "uploads", 64, "with -memory: concurrent uploads")
	fs.Int64Var(&mo.UploadSize, "upload-size", 64<<20, "with -memory: bytes of each concurrent upload")
	fs.Int64Var(&mo.StreamLimit, "stream-limit", 128<<20, "with -memory: RSS bound while streaming")
	fs.Int64Var(&mo.UploadLimit, "upload-limit", 512<<20, "with -memory: RSS bound during the concurrent uploads")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *merge != "" {
		runs, err := readRuns(strings.Split(*merge, ","))
		if err != nil {
			return err
		}
		writeTable(stdout, runs)
		return nil
	}
	if *accessKey == "" || *secretKey == "" {
		return errors.New("no credentials: set S3LOAD_ACCESS_KEY and S3LOAD_SECRET_KEY")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *memory {
		mo.Bucket = fmt.Sprintf("%s-memory-%d", *bucketPrefix, time.Now().Unix())
		c := newClient(*endpoint, *accessKey, *secretKey, *region, 2*max(mo.Uploads, prepConcurrency))
		return runMemory(ctx, c, mo, *jsonOut, stdout, stderr)
	}
	selected, err := selectWorkloads(*names)
	if err != nil {
		return err
	}
	for i := range selected {
		if *bucketFlag != "" {
			if k := selected[i].Kind; k != "put" && k != "list" {
				return fmt.Errorf("-bucket runs only PUT and LIST workloads, not %s", selected[i].Name)
			}
			selected[i].Existing = true
			selected[i].Objects = *listKeys
		}
		if *concurrency > 0 {
			selected[i].Concurrency = *concurrency
		}
		selected[i].KeyPrefix = *keyPrefix
	}

	c := newClient(*endpoint, *accessKey, *secretKey, *region, 2*prepConcurrency)
	r := Run{Started: time.Now().UTC(), Duration: duration.String(), Machine: machine()}
	stamp := time.Now().Unix()
	var failed []string
	for _, wl := range selected {
		var h *hooks
		if *pprofURL != "" && *profileDir != "" && contains(*profile, wl.Name) {
			h = profiler(*pprofURL, *profileDir, wl.Name, *duration, stderr)
		}
		bucket := fmt.Sprintf("%s-%s-%d", *bucketPrefix, wl.Name, stamp)
		if *bucketFlag != "" {
			bucket = *bucketFlag
		}
		fmt.Fprintf(stderr, "s3load: %-8s preparing...", wl.Name)
		var rss *sampler
		var cpu float64
		if mo.PID > 0 { // the preparation counts: it is part of the load
			rss = startSampler(mo.PID, 250*time.Millisecond)
			h = withCPU(h, mo.PID, &cpu)
		}
		res, err := runWorkload(ctx, c, wl, bucket, *duration, h)
		if err != nil {
			fmt.Fprintln(stderr)
			return err
		}
		if cpu > 0 && res.Ops > 0 {
			res.ServerCPUPerOp = cpu / float64(res.Ops) * 1000
		}
		if rss != nil {
			if res.PeakRSS, _, _, err = rss.finish(); err != nil {
				return fmt.Errorf("%s: server memory: %w", wl.Name, err)
			}
			if r.Memory == nil {
				r.Memory = &ServerMemory{}
			}
			if res.PeakRSS > r.Memory.PeakRSS {
				r.Memory.PeakRSS, r.Memory.PeakOf = res.PeakRSS, wl.Name
			}
		}
		fmt.Fprintf(stderr, " %8.1f ops/s %9.1f obj/s %8.1f MiB/s  p50 %.2f p90 %.2f p99 %.2f ms  errors %d",
			res.OpsPerSec, res.ObjPerSec, res.MiBPerSec, res.Latency.P50, res.Latency.P90, res.Latency.P99, res.Errors)
		if res.PeakRSS > 0 {
			fmt.Fprintf(stderr, "  server: RSS peak %.0f MiB, CPU %.3f ms/op", mib(res.PeakRSS), res.ServerCPUPerOp)
		}
		fmt.Fprintln(stderr)
		if res.Errors > 0 || res.Ops == 0 {
			failed = append(failed, fmt.Sprintf("%s: %d ops, %d errors (first: %s)", wl.Name, res.Ops, res.Errors, res.FirstError))
		}
		r.Results = append(r.Results, res)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if r.Memory != nil {
		if err := idleMemory(ctx, mo.PID, *idle, r.Memory); err != nil {
			return fmt.Errorf("idle server memory: %w", err)
		}
		fmt.Fprintf(stderr, "s3load: server RSS peak %.0f MiB (%s), %.0f MiB at the end of the load, %.0f MiB after %s idle (anonymous %.0f, mapped files %.0f)\n",
			mib(r.Memory.PeakRSS), r.Memory.PeakOf, mib(r.Memory.EndRSS), mib(r.Memory.IdleRSS), *idle, mib(r.Memory.IdleAnon), mib(r.Memory.IdleFile))
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(r, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	writeTable(stdout, []Run{r})
	if len(failed) > 0 {
		return fmt.Errorf("workloads failed:\n  %s", strings.Join(failed, "\n  "))
	}
	return nil
}

func workloadNames() []string {
	var n []string
	for _, wl := range workloads {
		n = append(n, wl.Name)
	}
	return n
}

func contains(list, name string) bool {
	for _, s := range strings.Split(list, ",") {
		if strings.TrimSpace(s) == name {
			return true
		}
	}
	return false
}

// selectWorkloads returns the named workloads in table order; "" is all.
func selectWorkloads(names string) ([]workload, error) {
	if strings.TrimSpace(names) == "" {
		return append([]workload(nil), workloads...), nil
	}
	var out []workload
	for _, n := range strings.Split(names, ",") {
		n = strings.TrimSpace(n)
		found := false
		for _, wl := range workloads {
			if wl.Name == n {
				out = append(out, wl)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown workload %q (have %s)", n, strings.Join(workloadNames(), ", "))
		}
	}
	return out, nil
}

func readRuns(files []string) ([]Run, error) {
	var runs []Run
	for _, f := range files {
		b, err := os.ReadFile(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		var r Run
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// machine describes where the run happened: CPU model, cores, kernel.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel := ""
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = ", Linux " + strings.TrimSpace(string(b))
	}
	return fmt.Sprintf("%s, %d cores%s, %s", model, runtime.NumCPU(), kernel, runtime.Version())
}

// profiler returns hooks that save the server's allocation profile before
// and after the timed phase and a CPU profile of (most of) it.
func profiler(base, dir, name string, d time.Duration, stderr io.Writer) *hooks {
	base = strings.TrimSuffix(strings.TrimSuffix(base, "/"), "/debug/pprof")
	hc := &http.Client{Timeout: d + 30*time.Second}
	fetch := func(path, file string) {
		resp, err := hc.Get(base + path)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
			resp.Body.Close()
		}
		if err != nil {
			fmt.Fprintf(stderr, "s3load: profile %s: %v\n", path, err)
			return
		}
		defer resp.Body.Close()
		f, err := os.Create(filepath.Join(dir, file))
		if err != nil {
			fmt.Fprintf(stderr, "s3load: profile: %v\n", err)
			return
		}
		_, err = io.Copy(f, resp.Body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			fmt.Fprintf(stderr, "s3load: profile %s: %v\n", file, err)
		}
	}
	done := make(chan struct{})
	secs := max(1, int((d-2*time.Second)/time.Second))
	return &hooks{
		start: func() {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				fmt.Fprintf(stderr, "s3load: profile: %v\n", err) // each fetch below reports its own failure too
			}
			fetch("/debug/pprof/allocs", "allocs-before-"+name+".pb.gz")
			go func() {
				defer close(done)
				fetch(fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), "cpu-"+name+".pb.gz")
			}()
		},
		end: func() {
			<-done
			fetch("/debug/pprof/allocs", "allocs-after-"+name+".pb.gz")
		},
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Operation kinds, also the index of a worker's latency slices.
const (
	opGet = iota
	opPut
	opStat
	opDelete
	opList
	numOps
)

var opNames = [numOps]string{"GET", "PUT", "STAT", "DELETE", "LIST"}

// workload is one timed benchmark: Concurrency workers repeat Kind for the
// run's duration. Objects are uploaded (untimed) before the clock starts.
type workload struct {
	Name        string // short id used on the command line, e.g. "put-4k"
	Title       string // row title, as in issue 8's table
	Kind        string // put, get, mixed or list
	Size        int64  // object size in bytes
	Concurrency int
	Objects     int // objects prepared before timing (get, mixed, list)
	// Existing runs in a bucket that already holds its objects: nothing is
	// prepared, and a LIST pass must see Objects keys (0: not checked).
	Existing  bool
	KeyPrefix string // prefix of the keys PUTs write
	Ref       reference
}

// reference holds issue 8's figures for a workload; Unit says which of our
// numbers compares with them ("obj/s" or "MiB/s"); zero means none given.
type reference struct {
	Unit                      string
	MinIO, SeaweedFS, Versity float64
	Must, Aims                float64
}

// workloads are issue 8's table, plus the mixed and LIST workloads.
var workloads = []workload{
	{Name: "put-4k", Title: "PUT 4 KiB, 16 concurrent", Kind: "put", Size: 4 << 10, Concurrency: 16,
		Ref: reference{"obj/s", 500, 2177, 2478, 650, 2500}},
	{Name: "get-4k", Title: "GET 4 KiB, 16 concurrent, 2000 objects", Kind: "get", Size: 4 << 10, Concurrency: 16, Objects: 2000,
		Ref: reference{"obj/s", 3588, 3890, 4305, 3600, 4300}},
	{Name: "put-16m", Title: "PUT 16 MiB, 8 concurrent", Kind: "put", Size: 16 << 20, Concurrency: 8,
		Ref: reference{"MiB/s", 281, 151, 246, 300, 300}},
	{Name: "get-16m", Title: "GET 16 MiB, 8 concurrent, 24 objects", Kind: "get", Size: 16 << 20, Concurrency: 8, Objects: 24,
		Ref: reference{"MiB/s", 2082, 1356, 1799, 2100, 2100}},
	{Name: "mixed", Title: "MIXED 1 MiB, 16 concurrent (45% GET, 30% STAT, 15% PUT, 10% DELETE)", Kind: "mixed", Size: 1 << 20, Concurrency: 16, Objects: 512},
	{Name: "list", Title: "LIST 10k objects, pages of 1000, 8 concurrent", Kind: "list", Size: 1 << 10, Concurrency: 8, Objects: 10000},
}

// hooks are callbacks around a workload's timed phase.
type hooks struct{ start, end func() }

// prepConcurrency is how many uploads run at once while preparing objects.
const prepConcurrency = 32

// Result is one workload run's outcome.
type Result struct {
	Workload   string            `json:"workload"`
	Seconds    float64           `json:"seconds"`
	Ops        int64             `json:"ops"`
	Objects    int64             `json:"objects"` // objects moved or listed
	Bytes      int64             `json:"bytes"`
	Errors     int64             `json:"errors"`
	FirstError string            `json:"firstError,omitempty"`
	OpsPerSec  float64           `json:"opsPerSec"`
	ObjPerSec  float64           `json:"objPerSec"`
	MiBPerSec  float64           `json:"mibPerSec"`
	Latency    Latency           `json:"latency"`
	PerOp      map[string]OpStat `json:"perOp,omitempty"`
	PeakRSS    int64             `json:"peakRSS,omitempty"` // bytes, the server's, with -server-pid (preparation included)
	// ServerCPUPerOp is the server's CPU time (user + system) over the
	// timed phase per operation, in ms, with -server-pid: on a shared
	// machine it moves less than throughput does.
	ServerCPUPerOp float64 `json:"serverCPUPerOp,omitempty"`
}

// OpStat is one operation kind's share of a mixed run.
type OpStat struct {
	Ops       int64   `json:"ops"`
	OpsPerSec float64 `json:"opsPerSec"`
	Latency   Latency `json:"latency"`
}

// worker is one goroutine's state: its payload, buffers and measurements.
type worker struct {
	id      int
	payload []byte // random, fixed size; the first 8 bytes change per object
	buf     []byte // read buffer
	page    bytes.Buffer
	rng     *rand.Rand
	lat     [numOps][]time.Duration
	ops     int64
	objects int64
	bytes   int64
	keys    []string // mixed: this worker's own objects
	seq     int
}

func newWorker(id int, size int64) *worker {
	w := &worker{id: id, payload: make([]byte, size), buf: make([]byte, 256<<10),
		rng: rand.New(rand.NewPCG(uint64(id), uint64(time.Now().UnixNano())))}
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[:], uint64(id)+1)
	binary.LittleEndian.PutUint64(seed[8:], uint64(time.Now().UnixNano()))
	rand.NewChaCha8(seed).Read(w.payload)
	return w
}

// nextBody stamps the payload so that every uploaded object differs.
func (w *worker) nextBody() []byte {
	w.seq++
	if len(w.payload) >= 8 {
		binary.LittleEndian.PutUint64(w.payload, uint64(w.id)<<40|uint64(w.seq))
	}
	return w.payload
}

func (w *worker) newKey() string { return fmt.Sprintf("w%03d/%09d", w.id, w.seq) }

func preparedKey(i int) string { return fmt.Sprintf("obj/%07d", i) }

// errorSink counts errors and keeps the first message.
type errorSink struct {
	n     atomic.Int64
	once  sync.Once
	first string
}

func (e *errorSink) add(err error) {
	e.n.Add(1)
	e.once.Do(func() { e.first = err.Error() })
}

// runWorkload prepares wl's bucket and objects, then runs it for d.
// hooks, when set, are called right before the clock starts and right after
// every worker has stopped (the profiler uses them).
func runWorkload(ctx context.Context, c *client, wl workload, bucket string, d time.Duration, hooks *hooks) (Result, error) {
	if err := c.createBucket(ctx, bucket); err != nil {
		return Result{}, fmt.Errorf("%s: create bucket: %w", wl.Name, err)
	}
	if !wl.Existing {
		if err := prepare(ctx, c, bucket, wl.Objects, wl.Size); err != nil {
			return Result{}, fmt.Errorf("%s: prepare %d objects: %w", wl.Name, wl.Objects, err)
		}
	}

	workers := make([]*worker, wl.Concurrency)
	for i := range workers {
		workers[i] = newWorker(i, wl.Size)
	}
	if wl.Kind == "mixed" { // each worker owns a share of the objects: no races between DELETE and GET
		for i := 0; i < wl.Objects; i++ {
			w := workers[i%len(workers)]
			w.keys = append(w.keys, preparedKey(i))
		}
	}
	if hooks != nil && hooks.start != nil {
		hooks.start()
	}
	var sink errorSink
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			loop(ctx, c, wl, bucket, w, deadline, &sink)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	if hooks != nil && hooks.end != nil {
		hooks.end()
	}

	r := Result{Workload: wl.Name, Seconds: elapsed, Errors: sink.n.Load(), FirstError: sink.first}
	var all []time.Duration
	var perOp [numOps][]time.Duration
	for _, w := range workers {
		r.Ops += w.ops
		r.Objects += w.objects
		r.Bytes += w.bytes
		for op := range numOps {
			perOp[op] = append(perOp[op], w.lat[op]...)
			all = append(all, w.lat[op]...)
		}
	}
	r.OpsPerSec = float64(r.Ops) / elapsed
	r.ObjPerSec = float64(r.Objects) / elapsed
	r.MiBPerSec = float64(r.Bytes) / (1 << 20) / elapsed
	r.Latency = latencyOf(all)
	if wl.Kind == "mixed" {
		r.PerOp = map[string]OpStat{}
		for op := range numOps {
			if len(perOp[op]) > 0 {
				r.PerOp[opNames[op]] = OpStat{Ops: int64(len(perOp[op])), OpsPerSec: float64(len(perOp[op])) / elapsed, Latency: latencyOf(perOp[op])}
			}
		}
	}
	return r, nil
}

// loop is one worker's timed phase. An operation that fails is counted as
// an error and not as an operation; the worker then goes on.
func loop(ctx context.Context, c *client, wl workload, bucket string, w *worker, deadline time.Time, sink *errorSink) {
	listToken, listSeen := "", 0
	for time.Now().Before(deadline) && ctx.Err() == nil {
		op := opGet
		switch wl.Kind {
		case "put":
			op = opPut
		case "list":
			op = opList
		case "mixed":
			switch p := w.rng.IntN(100); {
			case p < 45:
				op = opGet
			case p < 60:
				op = opPut
			case p < 90:
				op = opStat
			default:
				op = opDelete
			}
			if op != opPut && len(w.keys) == 0 {
				op = opPut
			}
		}
		t0 := time.Now()
		var err error
		var objects, moved int64 = 1, 0
		switch op {
		case opPut:
			body := w.nextBody()
			key := wl.KeyPrefix + w.newKey()
			if err = c.put(ctx, bucket, key, body, w.buf); err == nil {
				moved = int64(len(body))
				if wl.Kind == "mixed" {
					w.keys = append(w.keys, key)
				}
			}
		case opGet:
			key := ""
			if wl.Kind == "mixed" {
				key = w.keys[w.rng.IntN(len(w.keys))]
			} else {
				key = preparedKey(w.rng.IntN(wl.Objects))
			}
			moved, err = c.get(ctx, bucket, key, wl.Size, w.buf)
		case opStat:
			err = c.stat(ctx, bucket, w.keys[w.rng.IntN(len(w.keys))], wl.Size, w.buf)
		case opDelete:
			i := w.rng.IntN(len(w.keys))
			key := w.keys[i]
			w.keys[i] = w.keys[len(w.keys)-1]
			w.keys = w.keys[:len(w.keys)-1]
			err = c.del(ctx, bucket, key, w.buf)
		case opList:
			var n int
			n, listToken, err = c.listPage(ctx, bucket, listToken, &w.page)
			objects = int64(n)
			listSeen += n
			if err == nil && listToken == "" { // a full pass must see every object
				if (!wl.Existing || wl.Objects > 0) && listSeen != wl.Objects {
					err = fmt.Errorf("list %s: a full listing returned %d keys, want %d", bucket, listSeen, wl.Objects)
				}
				listSeen = 0
			}
			if err != nil {
				listToken, listSeen = "", 0
			}
		}
		lat := time.Since(t0)
		if err != nil {
			if ctx.Err() == nil {
				sink.add(err)
			}
			continue
		}
		w.lat[op] = append(w.lat[op], lat)
		w.ops++
		w.objects += objects
		w.bytes += moved
	}
}

// prepare uploads n objects of size bytes named preparedKey(0..n-1).
func prepare(ctx context.Context, c *client, bucket string, n int, size int64) error {
	if n == 0 {
		return nil
	}
	conc := min(prepConcurrency, n)
	if size >= 8<<20 {
		conc = min(8, n)
	}
	next := atomic.Int64{}
	var sink errorSink
	var wg sync.WaitGroup
	for i := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWorker(1000+i, size)
			for {
				k := int(next.Add(1) - 1)
				if k >= n || sink.n.Load() > 0 || ctx.Err() != nil {
					return
				}
				if err := c.put(ctx, bucket, preparedKey(k), w.nextBody(), w.buf); err != nil {
					sink.add(err)
				}
			}
		}()
	}
	wg.Wait()
	if sink.n.Load() > 0 {
		return fmt.Errorf("%s", sink.first)
	}
	return ctx.Err()
}

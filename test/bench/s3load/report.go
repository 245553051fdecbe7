package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// primary is the figure of r that compares with wl's reference numbers.
func primary(wl workload, r Result) float64 {
	if wl.Ref.Unit == "MiB/s" {
		return r.MiBPerSec
	}
	return r.ObjPerSec
}

// writeTable prints a markdown table in the shape of issue 8's, with the
// median run of each workload (by its primary figure) and the spread.
func writeTable(w io.Writer, runs []Run) {
	if len(runs) == 0 {
		return
	}
	fmt.Fprintf(w, "\nMachine: %s. Duration %s per workload, %d run(s); median run shown, [min-max] over runs.\n\n",
		runs[0].Machine, runs[0].Duration, len(runs))
	fmt.Fprintln(w, "| workload | Coffer | MinIO (EC 2+2) | SeaweedFS (1 copy) | versitygw (1 copy) | Coffer must | Coffer aims | verdict | ops/s | MiB/s | latency p50 / p90 / p99 ms | errors |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|")
	var mixed []Result
	for _, wl := range workloads {
		var rs []Result
		for _, run := range runs {
			for _, r := range run.Results {
				if r.Workload == wl.Name {
					rs = append(rs, r)
				}
			}
		}
		if len(rs) == 0 {
			continue
		}
		slices.SortFunc(rs, func(a, b Result) int {
			pa, pb := primary(wl, a), primary(wl, b)
			switch {
			case pa < pb:
				return -1
			case pa > pb:
				return 1
			}
			return 0
		})
		med := rs[(len(rs)-1)/2]
		var errs int64
		for _, r := range rs {
			errs += r.Errors
		}
		unit := wl.Ref.Unit
		if unit == "" {
			unit = "obj/s"
			if wl.Kind == "mixed" {
				unit = "ops/s"
			}
		}
		ours := fmt.Sprintf("**%s %s**", num(primary(wl, med)), unit)
		if len(rs) > 1 {
			ours += fmt.Sprintf(" [%s-%s]", num(primary(wl, rs[0])), num(primary(wl, rs[len(rs)-1])))
		}
		if wl.Kind == "list" {
			ours += fmt.Sprintf(" listed (%s pages/s)", num(med.OpsPerSec))
		}
		ref := func(v float64) string {
			if v == 0 {
				return "—"
			}
			return num(v) + " " + wl.Ref.Unit
		}
		verdict := "—"
		if wl.Ref.Must > 0 {
			p := primary(wl, med)
			switch {
			case errs > 0:
				verdict = "errors"
			case p >= wl.Ref.Aims:
				verdict = "meets aim"
			case p >= wl.Ref.Must:
				verdict = "meets must"
			default:
				verdict = fmt.Sprintf("misses must (%.0f%%)", 100*p/wl.Ref.Must)
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.2f / %.2f / %.2f | %d |\n",
			wl.Title, ours, ref(wl.Ref.MinIO), ref(wl.Ref.SeaweedFS), ref(wl.Ref.Versity),
			ref(wl.Ref.Must), ref(wl.Ref.Aims), verdict, num(med.OpsPerSec), num(med.MiBPerSec),
			med.Latency.P50, med.Latency.P90, med.Latency.P99, errs)
		if wl.Kind == "mixed" {
			mixed = append(mixed, med)
		}
	}
	for _, m := range mixed {
		var parts []string
		for _, op := range opNames {
			if s, ok := m.PerOp[op]; ok {
				parts = append(parts, fmt.Sprintf("%s %s ops/s (p50 %.2f, p99 %.2f ms)", op, num(s.OpsPerSec), s.Latency.P50, s.Latency.P99))
			}
		}
		fmt.Fprintf(w, "\nMIXED by operation: %s.\n", strings.Join(parts, "; "))
	}
	writeMemory(w, runs)
}

// num formats v with thousands separators, one decimal below 100.
func num(v float64) string {
	if v < 100 {
		return fmt.Sprintf("%.1f", v)
	}
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

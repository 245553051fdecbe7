package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	dto "github.com/prometheus/client_model/go"

	"github.com/cofferstore/coffer/internal/server"
	"github.com/cofferstore/coffer/internal/testutil"
)

// dashboardFile is the Grafana dashboard operators import (docs/metrics.md).
const dashboardFile = "../../docs/grafana/coffer-dashboard.json"

// TestGrafanaDashboardNamesRealMetrics reads every PromQL expression of the
// Grafana dashboard (panel targets and variable queries) and checks each
// metric it names against the /metrics of a real server that has seen
// traffic: the name must be exported (a histogram's _bucket, _sum and
// _count count as exported), and every label a selector or a by/on clause
// uses must be one of its labels (or Prometheus's instance and job).
func TestGrafanaDashboardNamesRealMetrics(t *testing.T) {
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var dash map[string]any
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	exprs, vars := dashboardQueries(t, dash)
	checkGrid(t, dash)
	if len(exprs) < 30 {
		t.Fatalf("the dashboard has %d expressions; it lost panels", len(exprs))
	}

	// A server with the traffic that makes every labelled family appear.
	ts := startServer(t, func(c *server.Config) { c.MetricsToken = mxToken })
	ctx := context.Background()
	op := operatorAPI(t, ts)
	op.must(http.StatusCreated, "POST", "/api/admin/tenants", map[string]any{"name": "acme", "quota": map[string]int64{"objects": 10, "bytes": 1 << 20}}, nil)
	ak, sk := ts.generateKey("acme")
	acme := ts.s3Client(ak, sk, testutil.NoRetries)
	if _, err := acme.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("photos")}); err != nil {
		t.Fatal(err)
	}
	if _, err := acme.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("photos"), Key: aws.String("a"), Body: strings.NewReader("hello")}); err != nil {
		t.Fatal(err)
	}
	if _, err := acme.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("photos"), Key: aws.String("missing")}); err == nil {
		t.Fatal("HeadObject of a missing key succeeded")
	}
	bad := ts.s3Client(ak, strings.Repeat("x", 40), testutil.NoRetries)
	if _, err := bad.ListBuckets(ctx, &s3.ListBucketsInput{}); err == nil {
		t.Fatal("ListBuckets with a wrong secret succeeded")
	}
	op.must(http.StatusOK, "POST", "/api/admin/lifecycle/run", nil, nil) // lifecycle series per visited tenant

	exported := exportedSeries(mxScrape(t, ts))
	for _, name := range []string{"coffer_s3_request_duration_seconds_bucket", "coffer_lifecycle_last_pass_timestamp_seconds", "coffer_s3_auth_failures_total"} {
		if _, ok := exported[name]; !ok {
			t.Fatalf("the workload did not make %s appear; the check below would be empty for it", name)
		}
	}
	var problems []string
	for _, e := range exprs {
		problems = append(problems, promqlProblems(e, exported)...)
	}
	for _, p := range problems {
		t.Error(p)
	}

	// Every $variable an expression uses is defined or one of Grafana's own.
	used := regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)
	for _, e := range exprs {
		for _, m := range used.FindAllStringSubmatch(e, -1) {
			if !vars[m[1]] && !strings.HasPrefix(m[1], "__") {
				t.Errorf("%q uses $%s, which the dashboard does not define", e, m[1])
			}
		}
	}
}

// dashboardQueries walks the dashboard and returns every PromQL expression
// (each "expr" of a target, in rows too, and each query variable's query)
// and the names of its variables. It checks on the way that every target
// and query variable uses the dashboard's datasource variable, and that
// the datasource and tenant variables exist as the import expects.
func dashboardQueries(t *testing.T, dash map[string]any) (exprs []string, vars map[string]bool) {
	t.Helper()
	vars = map[string]bool{}
	templating, _ := dash["templating"].(map[string]any)
	list, _ := templating["list"].([]any)
	for _, v := range list {
		v, _ := v.(map[string]any)
		name, _ := v["name"].(string)
		vars[name] = true
		switch v["type"] {
		case "datasource":
			if v["query"] != "prometheus" {
				t.Errorf("variable %s is a datasource variable of %v, want prometheus", name, v["query"])
			}
		case "query":
			checkDatasource(t, "variable "+name, v["datasource"])
			// A string query (what Grafana migrates to its editor's
			// form on load), or the editor's {query: ...} object.
			expr, _ := v["query"].(string)
			if q, ok := v["query"].(map[string]any); ok {
				expr, _ = q["query"].(string)
			}
			if expr == "" {
				t.Errorf("variable %s has no query", name)
			}
			exprs = append(exprs, expr)
		}
	}
	if !vars["datasource"] || !vars["tenant"] {
		t.Errorf("the dashboard's variables are %v; want datasource and tenant", vars)
	}
	var walk func(path string, node any)
	walk = func(path string, node any) {
		switch n := node.(type) {
		case map[string]any:
			if expr, ok := n["expr"].(string); ok {
				if strings.TrimSpace(expr) == "" {
					t.Errorf("%s: empty expression", path)
				}
				checkDatasource(t, path, n["datasource"])
				exprs = append(exprs, expr)
			}
			keys := make([]string, 0, len(n))
			for k := range n {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(path+"."+k, n[k])
			}
		case []any:
			for i, v := range n {
				walk(fmt.Sprintf("%s[%d]", path, i), v)
			}
		}
	}
	walk("dashboard", dash["panels"])
	return exprs, vars
}

func checkDatasource(t *testing.T, where string, ds any) {
	t.Helper()
	m, _ := ds.(map[string]any)
	if m["type"] != "prometheus" || m["uid"] != "${datasource}" {
		t.Errorf("%s: datasource %v, want the prometheus ${datasource} variable", where, ds)
	}
}

// exportedSeries maps every series name of the exposition to its label
// names; a histogram exports name_bucket (with le), name_sum and name_count.
func exportedSeries(mfs map[string]*dto.MetricFamily) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for name, mf := range mfs {
		labels := map[string]bool{}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = true
			}
		}
		if mf.GetType() == dto.MetricType_HISTOGRAM {
			bucket := map[string]bool{"le": true}
			for l := range labels {
				bucket[l] = true
			}
			out[name+"_bucket"], out[name+"_sum"], out[name+"_count"] = bucket, labels, labels
			continue
		}
		out[name] = labels
	}
	return out
}

// checkGrid checks the panels' places: inside Grafana's 24 columns, no two
// overlapping, each with a title and a description (the panel's "i").
func checkGrid(t *testing.T, dash map[string]any) {
	t.Helper()
	type box struct {
		title      string
		x, y, w, h int
	}
	var boxes []box
	panels, _ := dash["panels"].([]any)
	for _, p := range panels {
		p, _ := p.(map[string]any)
		g, _ := p["gridPos"].(map[string]any)
		num := func(k string) int { v, _ := g[k].(float64); return int(v) }
		b := box{fmt.Sprint(p["title"]), num("x"), num("y"), num("w"), num("h")}
		if b.w <= 0 || b.h <= 0 || b.x < 0 || b.x+b.w > 24 {
			t.Errorf("panel %q: gridPos %v outside the 24 columns", b.title, g)
		}
		if p["type"] != "row" {
			if d, _ := p["description"].(string); d == "" || b.title == "" {
				t.Errorf("panel %q has no title or description", b.title)
			}
		}
		for _, o := range boxes {
			if b.x < o.x+o.w && o.x < b.x+b.w && b.y < o.y+o.h && o.y < b.y+b.h {
				t.Errorf("panels %q and %q overlap", b.title, o.title)
			}
		}
		boxes = append(boxes, b)
	}
}

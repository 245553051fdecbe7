package integration

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// promqlRefs is what one PromQL expression names: its metrics, the label
// names each metric's {} selector matches on, and the label names of its
// by/without/on/ignoring/group_left/group_right clauses.
type promqlRefs struct {
	metrics        []string
	selectorLabels map[string][]string
	groupLabels    []string
}

// promqlKeywords are the identifiers of PromQL that name no metric when
// they are not followed by "(": binary operators, modifiers, constants, and
// the aggregation operators, which may take their by/without clause first
// ("sum by (tenant) (...)").
var promqlKeywords = map[string]bool{
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true,
	"count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true,
	"limitk": true, "limit_ratio": true,
	"and": true, "or": true, "unless": true, "atan2": true, "bool": true, "offset": true,
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"inf": true, "nan": true,
}

// promqlGrouping are the keywords whose "(...)" lists label names.
var promqlGrouping = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

// promqlNames tokenizes expr just enough to find what it names: strings,
// range brackets, numbers and Grafana's $variables are skipped; an
// identifier followed by "(" is a function or a grouping clause; any other
// identifier that is not a keyword is a metric name. It is a reader of our
// own dashboard, not a PromQL parser: it only has to be right for the
// shapes the dashboard uses and never loop forever on anything.
func promqlNames(expr string) (promqlRefs, error) {
	refs := promqlRefs{selectorLabels: map[string][]string{}}
	prevMetric := "" // the metric just read, until another token comes
	depth := 0       // open parentheses
	i := 0
	for i < len(expr) {
		c := expr[i]
		switch {
		case c == '(':
			depth++
			i++
		case c == ')':
			if depth--; depth < 0 {
				return refs, fmt.Errorf("unbalanced ) at %d", i)
			}
			i++
		case c == ']' || c == '}':
			return refs, fmt.Errorf("unbalanced %c at %d", c, i)
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == '"' || c == '\'' || c == '`':
			end, err := promqlSkipString(expr, i)
			if err != nil {
				return refs, err
			}
			i = end
		case c == '[':
			end := strings.IndexByte(expr[i:], ']')
			if end < 0 {
				return refs, fmt.Errorf("unclosed [ at %d", i)
			}
			i += end + 1
		case c == '{':
			labels, end, err := promqlMatchers(expr, i)
			if err != nil {
				return refs, err
			}
			if prevMetric == "" {
				return refs, fmt.Errorf("selector without a metric name at %d (not supported by this reader)", i)
			}
			refs.selectorLabels[prevMetric] = append(refs.selectorLabels[prevMetric], labels...)
			i = end
		case c == '$':
			i++
			if i < len(expr) && expr[i] == '{' {
				end := strings.IndexByte(expr[i:], '}')
				if end < 0 {
					return refs, fmt.Errorf("unclosed ${ at %d", i)
				}
				i += end + 1
			} else {
				i = promqlIdentEnd(expr, i)
			}
		case c >= '0' && c <= '9' || c == '.':
			for i < len(expr) && (promqlIdentChar(expr[i]) || expr[i] == '.') {
				i++
			}
		case promqlIdentStart(c):
			end := promqlIdentEnd(expr, i)
			word := expr[i:end]
			i = end
			next := i
			for next < len(expr) && (expr[next] == ' ' || expr[next] == '\t' || expr[next] == '\n') {
				next++
			}
			switch {
			case next < len(expr) && expr[next] == '(' && promqlGrouping[word]:
				close := strings.IndexByte(expr[next:], ')')
				if close < 0 {
					return refs, fmt.Errorf("unclosed %s( at %d", word, next)
				}
				for _, l := range strings.Split(expr[next+1:next+close], ",") {
					if l = strings.TrimSpace(l); l != "" {
						refs.groupLabels = append(refs.groupLabels, l)
					}
				}
				i = next + close + 1
			case next < len(expr) && expr[next] == '(':
				// A function call: its arguments are read as the loop goes on.
			case promqlKeywords[word]:
			default:
				refs.metrics = append(refs.metrics, word)
				prevMetric = word
				continue
			}
		default:
			i++ // operators, parentheses, commas
		}
		prevMetric = ""
	}
	if depth != 0 {
		return refs, fmt.Errorf("%d unclosed (", depth)
	}
	return refs, nil
}

func promqlIdentStart(c byte) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func promqlIdentChar(c byte) bool { return promqlIdentStart(c) || c >= '0' && c <= '9' }

func promqlIdentEnd(s string, i int) int {
	for i < len(s) && promqlIdentChar(s[i]) {
		i++
	}
	return i
}

// promqlSkipString returns the index after the string literal that starts at i.
func promqlSkipString(s string, i int) (int, error) {
	quote := s[i]
	for j := i + 1; j < len(s); j++ {
		switch {
		case s[j] == '\\' && quote != '`':
			j++
		case s[j] == quote:
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("unclosed string at %d", i)
}

// promqlMatchers reads the {label op "value", ...} that starts at i and
// returns the label names and the index after the "}".
func promqlMatchers(s string, i int) (labels []string, end int, err error) {
	i++ // past "{"
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == ',' || s[i] == '\n' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			return nil, 0, fmt.Errorf("unclosed {")
		}
		if s[i] == '}' {
			return labels, i + 1, nil
		}
		name := promqlIdentEnd(s, i)
		if name == i {
			return nil, 0, fmt.Errorf("label name expected at %d", i)
		}
		labels = append(labels, s[i:name])
		i = name
		for i < len(s) && s[i] == ' ' {
			i++
		}
		op := i
		for i < len(s) && strings.IndexByte("=!~", s[i]) >= 0 {
			i++
		}
		if !slices.Contains([]string{"=", "!=", "=~", "!~"}, s[op:i]) {
			return nil, 0, fmt.Errorf("matcher operator expected at %d", op)
		}
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i >= len(s) || strings.IndexByte("\"'`", s[i]) < 0 {
			return nil, 0, fmt.Errorf("label value expected at %d", i)
		}
		if i, err = promqlSkipString(s, i); err != nil {
			return nil, 0, err
		}
	}
}

// labelValuesQuery matches a Grafana variable query label_values(expr, label).
var labelValuesQuery = regexp.MustCompile(`^\s*label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$`)

// promqlTargetLabels are added by Prometheus to every scraped series.
var promqlTargetLabels = map[string]bool{"instance": true, "job": true}

// promqlProblems lists what expr names that the exposition does not have:
// exported maps each series name (a histogram's _bucket, _sum and _count
// included) to its label names. A label_values(expr, label) variable query
// is checked as expr with label as a grouping label.
func promqlProblems(expr string, exported map[string]map[string]bool) []string {
	var extra []string
	if m := labelValuesQuery.FindStringSubmatch(expr); m != nil {
		expr, extra = m[1], []string{m[2]}
	}
	refs, err := promqlNames(expr)
	if err != nil {
		return []string{fmt.Sprintf("%q: %v", expr, err)}
	}
	var problems []string
	if len(refs.metrics) == 0 {
		problems = append(problems, fmt.Sprintf("%q names no metric", expr))
	}
	known := map[string]bool{}
	for l := range promqlTargetLabels {
		known[l] = true
	}
	for _, name := range refs.metrics {
		labels, ok := exported[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("%q: metric %s is not exported by the server", expr, name))
			continue
		}
		for l := range labels {
			known[l] = true
		}
		for _, l := range refs.selectorLabels[name] {
			if !labels[l] && !promqlTargetLabels[l] {
				problems = append(problems, fmt.Sprintf("%q: metric %s has no label %s", expr, name, l))
			}
		}
	}
	for _, l := range append(refs.groupLabels, extra...) {
		if !known[l] {
			problems = append(problems, fmt.Sprintf("%q: no metric of the expression has the label %s", expr, l))
		}
	}
	return problems
}

// TestPromQLNames checks the reader on the shapes the dashboard uses, and
// that the checker reports a metric or label the server does not export.
func TestPromQLNames(t *testing.T) {
	refs, err := promqlNames(`histogram_quantile(0.99, sum by (operation, le) (rate(coffer_s3_request_duration_seconds_bucket{instance=~"$instance", code!="a}b"}[$__rate_interval]))) / on(instance) group_left() (x_total offset 5m > bool 1e3) and ${var} unless time()`)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"coffer_s3_request_duration_seconds_bucket", "x_total"}; !slices.Equal(refs.metrics, want) {
		t.Errorf("metrics %q, want %q", refs.metrics, want)
	}
	if want := []string{"instance", "code"}; !slices.Equal(refs.selectorLabels["coffer_s3_request_duration_seconds_bucket"], want) {
		t.Errorf("selector labels %q, want %q", refs.selectorLabels, want)
	}
	if want := []string{"operation", "le", "instance"}; !slices.Equal(refs.groupLabels, want) {
		t.Errorf("group labels %q, want %q", refs.groupLabels, want)
	}

	exported := map[string]map[string]bool{
		"coffer_s3_requests_total":                  {"operation": true, "code": true},
		"coffer_s3_request_duration_seconds_bucket": {"operation": true, "le": true},
		"coffer_tenant_bytes":                       {"tenant": true},
	}
	for expr, want := range map[string]string{
		`sum by (operation) (rate(coffer_s3_requests_total{code=~"5.."}[5m]))`:                                  "",
		`histogram_quantile(0.5, sum by (operation, le) (rate(coffer_s3_request_duration_seconds_bucket[5m])))`: "",
		`label_values(coffer_tenant_bytes{instance=~"$instance"}, tenant)`:                                      "",
		`rate(coffer_no_such_total[5m])`:                                                                        "metric coffer_no_such_total is not exported",
		`coffer_s3_requests_total{tenant="a"}`:                                                                  "has no label tenant",
		`sum by (tenant) (coffer_s3_requests_total)`:                                                            "no metric of the expression has the label tenant",
		`label_values(coffer_tenant_bytes, bucket)`:                                                             "no metric of the expression has the label bucket",
		`time()`:                                 "names no metric",
		`coffer_tenant_bytes{tenant=`:            "label value expected",
		`{__name__="coffer_tenant_bytes"}`:       "selector without a metric name",
		`sum(rate(coffer_s3_requests_total[5m])`: "1 unclosed (",
		`sum(coffer_tenant_bytes))`:              "unbalanced )",
		`coffer_tenant_bytes}`:                   "unbalanced }",
	} {
		problems := strings.Join(promqlProblems(expr, exported), "\n")
		if want == "" && problems != "" || want != "" && !strings.Contains(problems, want) {
			t.Errorf("%s: problems %q, want %q", expr, problems, want)
		}
	}
}

// FuzzPromQLNames: the reader ends and never panics on any input.
func FuzzPromQLNames(f *testing.F) {
	for _, s := range []string{`sum by (a) (rate(m{l="v"}[5m]))`, `{`, `"`, `x{a=~"`, `$`, `${`, `by(`, `[`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = promqlNames(s)
		_ = promqlProblems(s, map[string]map[string]bool{"m": {"l": true}})
	})
}

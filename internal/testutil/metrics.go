package testutil

import (
	"bytes"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// ParseMetrics parses a Prometheus text exposition (a /metrics body) into
// its metric families, failing the test on a syntax error. It is the tests'
// one parser of the format: Prometheus's own (expfmt).
func ParseMetrics(t testing.TB, body []byte) map[string]*dto.MetricFamily {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse metrics exposition: %v", err)
	}
	return mfs
}

// Series maps each series of the family name to its value, keyed by its
// labels as "k=v,k=v" sorted ("" for a series without labels). A
// histogram's or summary's value is its sample count. ok is false when the
// exposition has no such family.
func Series(mfs map[string]*dto.MetricFamily, name string) (series map[string]float64, ok bool) {
	mf, ok := mfs[name]
	if !ok {
		return nil, false
	}
	series = map[string]float64{}
	for _, m := range mf.GetMetric() {
		var labels []string
		for _, l := range m.GetLabel() {
			labels = append(labels, l.GetName()+"="+l.GetValue())
		}
		sort.Strings(labels)
		var v float64
		switch {
		case m.Counter != nil:
			v = m.GetCounter().GetValue()
		case m.Gauge != nil:
			v = m.GetGauge().GetValue()
		case m.Untyped != nil:
			v = m.GetUntyped().GetValue()
		case m.Histogram != nil:
			v = float64(m.GetHistogram().GetSampleCount())
		case m.Summary != nil:
			v = float64(m.GetSummary().GetSampleCount())
		}
		series[strings.Join(labels, ",")] = v
	}
	return series, true
}

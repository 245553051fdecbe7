package storage

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// namesTable is testdata/names.json at the module root: names with whether
// Coffer accepts them, shared with the console's test of names.js.
type namesTable struct {
	Buckets []namesRow `json:"buckets"`
	Tenants []namesRow `json:"tenants"`
}

type namesRow struct {
	Name  string `json:"name"`
	Valid bool   `json:"valid"`
	Why   string `json:"why"`
}

// TestNamesTable runs the shared table through storage's naming rules; the
// browser suite runs the same table through console/web/js/names.js.
func TestNamesTable(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "names.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tab namesTable
	if err := json.Unmarshal(raw, &tab); err != nil {
		t.Fatal(err)
	}
	if len(tab.Buckets) < 20 || len(tab.Tenants) < 5 {
		t.Fatalf("table too small: %d buckets, %d tenants", len(tab.Buckets), len(tab.Tenants))
	}
	for _, r := range tab.Buckets {
		err := ValidBucketName(r.Name)
		if r.Valid != (err == nil) {
			t.Errorf("bucket %q (%s): valid %v, ValidBucketName says %v", r.Name, r.Why, r.Valid, err)
		}
		if err != nil && !errors.Is(err, ErrInvalidBucketName) {
			t.Errorf("bucket %q: error %v is not ErrInvalidBucketName", r.Name, err)
		}
	}
	for _, r := range tab.Tenants {
		err := validTenantName(r.Name)
		if r.Valid != (err == nil) {
			t.Errorf("tenant %q (%s): valid %v, validTenantName says %v", r.Name, r.Why, r.Valid, err)
		}
		if err != nil && !errors.Is(err, ErrInvalidTenantName) {
			t.Errorf("tenant %q: error %v is not ErrInvalidTenantName", r.Name, err)
		}
	}
}

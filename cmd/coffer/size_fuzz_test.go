package main

import (
	"strings"
	"testing"
)

// FuzzParseSize: any string either fails or yields a non-negative size that
// formats without panicking; plain integers come back unchanged.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"0", "123", "500MB", "10GiB", "1.5TiB", "2T", "  7 kb ", "1e9", "..", "9999999999999999999", "0.0000001KiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseSize(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("parseSize(%q) = %d < 0", s, n)
		}
		if formatBytes(n) == "" {
			t.Fatalf("formatBytes(%d) empty", n)
		}
		if digits := strings.TrimSpace(s); strings.Trim(digits, "0123456789") == "" && len(digits) < 18 {
			if got := itoa(n); strings.TrimLeft(digits, "0") != strings.TrimLeft(got, "0") {
				t.Fatalf("integer size %q came back as %s", s, got)
			}
		}
	})
}

package cors

import (
	"regexp"
	"strings"
	"testing"
)

func TestWildcardMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"abc", "abc", true},
		{"abc", "abd", false},
		{"*", "", true},
		{"*", "anything", true},
		{"http://*.example.com", "http://a.example.com", true},
		{"http://*.example.com", "http://.example.com", true},
		{"http://*.example.com", "http://example.com", false},
		{"http://*.example.com", "https://a.example.com", false},
		{"a*a", "a", false}, // prefix and suffix may not overlap
		{"a*a", "aa", true},
		{"x-amz-*", "x-amz-date", true},
		{"*-id", "x-amz-request-id", true},
		{"a*b*c", "abc", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "acb", false},
		{"a*b*b*c", "abbc", true},
		{"a*b*b*c", "abc", false},
		{"*aab*", "aaaab", true},
		{"*abab*", "abaabab", true},
		{"**", "x", true},
	}
	for _, tc := range cases {
		if got := wildcardMatch(tc.pattern, tc.s, nil); got != tc.want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

// TestWildcardLinear feeds patterns that make a backtracking matcher
// quadratic or exponential and bounds the comparisons by a constant times
// the input size.
func TestWildcardLinear(t *testing.T) {
	const n = 1 << 14
	cases := []struct{ pattern, s string }{
		{"*" + strings.Repeat("a*", 64) + "b", strings.Repeat("a", n)},
		{"*" + strings.Repeat("a", n/2) + "b*", strings.Repeat("a", n)},
		{"x*" + strings.Repeat("ab", 100) + "c*y", "x" + strings.Repeat("ab", n/2) + "y"},
		{strings.Repeat("*a", n/4), strings.Repeat("a", n/4-1)},
	}
	for i, tc := range cases {
		steps := 0
		if wildcardMatch(tc.pattern, tc.s, &steps) {
			t.Fatalf("case %d matched", i)
		}
		bound := 4 * (len(tc.pattern) + len(tc.s))
		if steps > bound {
			t.Errorf("case %d: %d steps for input %d+%d, bound %d", i, steps, len(tc.pattern), len(tc.s), bound)
		}
	}
}

// TestWildcardMatchesRegexp compares wildcardMatch with a regexp built from
// the same pattern over every pattern and input of up to 5 bytes from a
// small alphabet.
func TestWildcardMatchesRegexp(t *testing.T) {
	const alphabet = "ab*"
	var words func(n int, chars string) []string
	words = func(n int, chars string) []string {
		if n == 0 {
			return []string{""}
		}
		var out []string
		for _, w := range words(n-1, chars) {
			for _, c := range chars {
				out = append(out, w+string(c))
			}
		}
		return out
	}
	var patterns, inputs []string
	for n := 0; n <= 5; n++ {
		patterns = append(patterns, words(n, alphabet)...)
		inputs = append(inputs, words(n, "ab")...)
	}
	for _, p := range patterns {
		re := regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(p), `\*`, ".*") + "$")
		for _, s := range inputs {
			if got, want := wildcardMatch(p, s, nil), re.MatchString(s); got != want {
				t.Fatalf("wildcardMatch(%q, %q) = %v, regexp says %v", p, s, got, want)
			}
		}
	}
}

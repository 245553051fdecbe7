package policy

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"*", "anything/at/all", true},
		{"?", "", false},
		{"?", "a", true},
		{"?", "é", true}, // one character, two bytes
		{"??", "é", false},
		{"abc", "abc", true},
		{"abc", "abd", false},
		{"abc", "ABC", false},
		{"a*", "a", true},
		{"a*", "abc", true},
		{"a*", "ba", false},
		{"*c", "abc", true},
		{"*c", "abcd", false},
		{"a*c", "ac", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*a*b*c*", "xxaxxbxxcxx", true},
		{"*a*b*c*", "xxcxxbxxaxx", false},
		{"a*b*a", "aba", true},
		{"a*b*a", "ab", false},
		{"a*a", "a", false}, // first and last segment may not overlap
		{"a*a", "aa", true},
		{"*?", "", false},
		{"*?", "x", true},
		{"**", "", true},
		{"bucket/*", "bucket", false},
		{"bucket/*", "bucket/", true},
		{"bucket/*", "bucket/k", true},
		{"bucket", "bucket/k", false},
		{"bucket/photos/*.jpg", "bucket/photos/2024/a.jpg", true},
		{"bucket/photos/*.jpg", "bucket/photos/a.png", false},
		{"*ab?d*", "xxabcabxdyy", true},
		{"*ab?d*", "xxabcabxeyy", false},
		{"?", "\xff", true},           // invalid UTF-8 is taken byte by byte
		{"\xfe", "\xff", false},       // and two invalid bytes differ
		{"0\xe9?", "0é0", false},      // an invalid byte is not the character of its number
		{"a\xff*é", "a\xffxxé", true}, // valid characters around invalid bytes still match
	}
	for _, c := range cases {
		if got := Match(c.pattern, c.s); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
		if got := matchReference(c.pattern, c.s); got != c.want {
			t.Errorf("reference(%q, %q) = %v, want %v (the table is wrong)", c.pattern, c.s, got, c.want)
		}
	}
}

// TestMatchBoundedWork: a pattern that makes a backtracking matcher take
// exponential time costs this one no more than len(pattern)*len(input)
// comparisons. The bound is a count, not a clock.
func TestMatchBoundedWork(t *testing.T) {
	pattern := strings.Repeat("*a", 500) + "*b"
	input := strings.Repeat("a", 20000)
	ok, steps := matchCounted(pattern, input)
	if ok {
		t.Fatal("matched an input without a b")
	}
	if bound := (len(pattern) + 1) * (len(input) + 1); steps > bound {
		t.Fatalf("steps = %d, over the bound %d", steps, bound)
	}
	// The greedy leftmost walk is in fact linear here: each segment is one
	// character and is found at the next position.
	if steps > 4*(len(pattern)+len(input)) {
		t.Fatalf("steps = %d, not linear in %d+%d", steps, len(pattern), len(input))
	}
	// '?' segments are the worst case: still within the product bound.
	pattern = strings.Repeat("*????????b", 100)
	input = strings.Repeat("a", 5000)
	ok, steps = matchCounted(pattern, input)
	if ok {
		t.Fatal("matched an input without a b")
	}
	if bound := (len(pattern) + 1) * (len(input) + 1); steps > bound {
		t.Fatalf("steps = %d, over the bound %d", steps, bound)
	}
}

// matchReference is the textbook dynamic program over runes: obviously
// right and O(len(p)*len(s)), used to check Match.
func matchReference(pattern, s string) bool {
	p, in := toRunes(pattern), toRunes(s)
	// prev[j]: p[:i] matches in[:j]
	prev := make([]bool, len(in)+1)
	prev[0] = true
	for i := 1; i <= len(p); i++ {
		cur := make([]bool, len(in)+1)
		if p[i-1] == '*' {
			cur[0] = prev[0]
		}
		for j := 1; j <= len(in); j++ {
			switch p[i-1] {
			case '*':
				cur[j] = prev[j] || cur[j-1]
			case '?':
				cur[j] = prev[j-1]
			default:
				cur[j] = prev[j-1] && p[i-1] == in[j-1]
			}
		}
		prev = cur
	}
	return prev[len(in)]
}

// FuzzWildcardMatch: Match agrees with the dynamic program and stays within
// its work bound on any pattern and input.
func FuzzWildcardMatch(f *testing.F) {
	f.Add("*a*a*a*b", "aaaaaaaaaaaaaaaa")
	f.Add("a?c*", "abcdef")
	f.Add("bucket/*", "bucket")
	f.Add("*é?*", "xéyz")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if len(pattern) > 256 || len(s) > 1024 {
			return
		}
		got, steps := matchCounted(pattern, s)
		if want := matchReference(pattern, s); got != want {
			t.Fatalf("Match(%q, %q) = %v, reference %v", pattern, s, got, want)
		}
		if bound := (len(pattern) + 1) * (len(s) + 2); steps > bound {
			t.Fatalf("Match(%q, %q): %d steps, over %d", pattern, s, steps, bound)
		}
	})
}

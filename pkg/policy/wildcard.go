package policy

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Match reports whether s matches pattern, where '*' matches any run of
// characters (including none) and '?' exactly one character, as the policy
// language matches Action, Resource and the ...Like conditions. Matching is
// case-sensitive; fold both sides first for case-insensitive names.
//
// The matcher never backtracks more than one segment: the pattern is split
// at its stars, the first and last segments are anchored at the ends, and
// every middle segment is taken at its leftmost place (leftmost is always
// safe, since what follows can only gain room). Its work is bounded by
// (len(pattern)+1)*(len(s)+1) comparisons, so a hostile pattern such as
// "*a*a*a*a*b" costs no more than its length times the input's.
func Match(pattern, s string) bool {
	ok, _ := matchCounted(pattern, s)
	return ok
}

// matchCounted is Match that also returns the number of character
// comparisons it made, for the test that bounds the matcher's work.
func matchCounted(pattern, s string) (bool, int) {
	steps := 0
	if !strings.ContainsAny(pattern, "*?") {
		steps += min(len(pattern), len(s)) + 1
		return pattern == s, steps
	}
	p, in := toRunes(pattern), toRunes(s)
	segs := splitStars(p)
	if len(segs) == 1 { // no star: same length, each position equal or '?'
		return len(p) == len(in) && segEqual(p, in, &steps), steps
	}
	first, last := segs[0], segs[len(segs)-1]
	if len(in) < len(first)+len(last) {
		return false, steps
	}
	if !segEqual(first, in[:len(first)], &steps) || !segEqual(last, in[len(in)-len(last):], &steps) {
		return false, steps
	}
	rest := in[len(first) : len(in)-len(last)]
	for _, seg := range segs[1 : len(segs)-1] {
		if len(seg) == 0 {
			continue
		}
		at := segIndex(rest, seg, &steps)
		if at < 0 {
			return false, steps
		}
		rest = rest[at+len(seg):]
	}
	return true, steps
}

// toRunes splits s into characters. A string that is not valid UTF-8 is
// taken byte by byte, each byte mapped past the last Unicode code point, so
// that it equals only the same byte: never another invalid byte (as U+FFFD
// would make it) nor a valid character of the same number.
func toRunes(s string) []rune {
	if utf8.ValidString(s) {
		return []rune(s)
	}
	r := make([]rune, 0, len(s))
	for i := 0; i < len(s); {
		c, n := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && n <= 1 {
			c, n = rawByte+rune(s[i]), 1
		}
		r = append(r, c)
		i += n
	}
	return r
}

// rawByte is where toRunes puts the bytes of invalid UTF-8.
const rawByte = unicode.MaxRune + 1

// splitStars cuts p at every '*'; n stars give n+1 segments, some empty.
func splitStars(p []rune) [][]rune {
	var segs [][]rune
	start := 0
	for i, r := range p {
		if r == '*' {
			segs = append(segs, p[start:i])
			start = i + 1
		}
	}
	return append(segs, p[start:])
}

// segEqual reports whether seg matches s of the same length, '?' matching
// any one character.
func segEqual(seg, s []rune, steps *int) bool {
	for i, r := range seg {
		*steps++
		if r != '?' && r != s[i] {
			return false
		}
	}
	*steps++
	return true
}

// segIndex returns the leftmost position in s where seg matches, or -1.
func segIndex(s, seg []rune, steps *int) int {
	for i := 0; i+len(seg) <= len(s); i++ {
		if segEqual(seg, s[i:i+len(seg)], steps) {
			return i
		}
	}
	*steps++
	return -1
}

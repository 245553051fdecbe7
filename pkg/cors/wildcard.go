package cors

import "strings"

// wildcardMatch reports whether s matches pattern, where each '*' matches
// any run of bytes (possibly empty). It runs in O(len(pattern)+len(s)):
// the first and last literal segments are anchored, and each middle segment
// is found leftmost with a KMP scan that resumes where the previous one
// ended, which is correct for '*'-only patterns and never backtracks.
// steps, when not nil, counts the byte comparisons (tests bound it).
func wildcardMatch(pattern, s string, steps *int) bool {
	star := strings.IndexByte(pattern, '*')
	if star < 0 {
		count(steps, len(pattern))
		return pattern == s
	}
	last := strings.LastIndexByte(pattern, '*')
	prefix, suffix := pattern[:star], pattern[last+1:]
	if len(s) < len(prefix)+len(suffix) {
		return false
	}
	count(steps, len(prefix)+len(suffix))
	if !strings.HasPrefix(s, prefix) || !strings.HasSuffix(s, suffix) {
		return false
	}
	if star == last {
		return true
	}
	middle := s[len(prefix) : len(s)-len(suffix)]
	for _, seg := range strings.Split(pattern[star+1:last], "*") {
		if seg == "" {
			continue
		}
		i := kmpIndex(middle, seg, steps)
		if i < 0 {
			return false
		}
		middle = middle[i+len(seg):]
	}
	return true
}

// kmpIndex is strings.Index with a worst case of O(len(s)+len(sub)).
func kmpIndex(s, sub string, steps *int) int {
	fail := make([]int, len(sub))
	for i, k := 1, 0; i < len(sub); i++ {
		for k > 0 && sub[i] != sub[k] {
			count(steps, 1)
			k = fail[k-1]
		}
		count(steps, 1)
		if sub[i] == sub[k] {
			k++
		}
		fail[i] = k
	}
	for i, k := 0, 0; i < len(s); i++ {
		for k > 0 && s[i] != sub[k] {
			count(steps, 1)
			k = fail[k-1]
		}
		count(steps, 1)
		if s[i] == sub[k] {
			k++
		}
		if k == len(sub) {
			return i - len(sub) + 1
		}
	}
	return -1
}

func count(steps *int, n int) {
	if steps != nil {
		*steps += n
	}
}

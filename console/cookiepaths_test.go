package console

import (
	"slices"
	"strings"
	"testing"
)

func TestCookiePaths(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"/", []string{"/"}},
		{"/api/me", []string{"/", "/api", "/api/", "/api/me"}},
		{"/api/containers/box", []string{"/", "/api", "/api/", "/api/containers", "/api/containers/", "/api/containers/box"}},
		{"/api/", []string{"/", "/api", "/api/"}},
		{"", []string{"/"}},
	} {
		if got := cookiePaths(c.in); !slices.Equal(got, c.want) {
			t.Errorf("cookiePaths(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzCookiePaths: any request path gives at most maxClearedCookiePaths
// paths, each "/" or a prefix of the request path.
func FuzzCookiePaths(f *testing.F) {
	for _, s := range []string{"/", "/api/me", "//////", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q", "no-slash", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got := cookiePaths(p)
		if len(got) == 0 || len(got) > maxClearedCookiePaths || got[0] != "/" {
			t.Fatalf("cookiePaths(%q) = %q", p, got)
		}
		for _, c := range got {
			if !strings.HasPrefix(p, c) && c != "/" {
				t.Fatalf("cookiePaths(%q) holds %q, not a prefix", p, c)
			}
		}
	})
}

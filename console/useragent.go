package console

import (
	"strings"
	"unicode/utf8"
)

// shortUserAgent names a client for the session list ("Firefox 120 on
// Linux", "curl 8.5"): the browser or tool and the platform, never the whole
// header. The header is untrusted; this only searches it for known tokens.
func shortUserAgent(ua string) string {
	if ua == "" {
		return "unknown client"
	}
	name := ""
	for _, b := range []struct{ token, name string }{
		// Order matters: Edge and Opera also say Chrome; Chrome also says Safari.
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"},
		{"HeadlessChrome/", "Chrome"}, {"Version/", "Safari"}, {"curl/", "curl"},
		{"aws-cli/", "AWS CLI"}, {"python-requests/", "Python requests"}, {"Go-http-client/", "Go"},
	} {
		if i := strings.Index(ua, b.token); i >= 0 {
			name = b.name
			if v := majorVersion(ua[i+len(b.token):]); v != "" {
				name += " " + v
			}
			break
		}
	}
	platform := ""
	for _, o := range []struct{ token, name string }{
		{"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Android", "Android"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			platform = o.name
			break
		}
	}
	switch {
	case name != "" && platform != "":
		return name + " on " + platform
	case name != "":
		return name
	case platform != "":
		return "browser on " + platform
	}
	if len(ua) > 40 {
		cut := 40
		for cut > 0 && !utf8.RuneStart(ua[cut]) {
			cut--
		}
		return ua[:cut] + "…"
	}
	return ua
}

// majorVersion is the leading digits of s, at most 4.
func majorVersion(s string) string {
	n := 0
	for n < len(s) && n < 4 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return s[:n]
}

package reliability

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestSessionSwapRefused drives cookie tossing (issue 12 finding 7) against
// the built binary: the attacker tenant's HTML object is served sandboxed,
// and a console session cookie planted beside the victim's (path shadow) or
// instead of it (swap) never makes the victim's Generate Credentials land
// in the attacker's tenant. The browser side is test/browser.
func TestSessionSwapRefused(t *testing.T) {
	srv := startCoffer(t, 4, 2, "--scrub-interval", "-1s")
	mk := srv.newTenant("mallory")
	srv.cli("tenant", "create", "victim")
	for _, tn := range []string{"victim", "mallory"} {
		srv.cli("user", "create", tn, tn+"-user", "--password", "password-of-"+tn)
	}

	// The bait: an HTML object whose script would plant the attacker's session.
	m := srv.s3(mk)
	if _, err := m.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("bait")}); err != nil {
		t.Fatal(err)
	}
	html := []byte(`<script>document.cookie="coffer_session=x; path=/api"</script>`)
	if _, err := m.PutObject(bg, &s3.PutObjectInput{Bucket: aws.String("bait"), Key: aws.String("evil.html"),
		Body: bytes.NewReader(html), ContentType: aws.String("text/html")}); err != nil {
		t.Fatal(err)
	}
	ps, err := s3.NewPresignClient(m).PresignGetObject(bg, &s3.GetObjectInput{Bucket: aws.String("bait"), Key: aws.String("evil.html")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.httpClient().Get(ps.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Security-Policy") != "sandbox" ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("bait served %d with CSP %q, nosniff %q", resp.StatusCode,
			resp.Header.Get("Content-Security-Policy"), resp.Header.Get("X-Content-Type-Options"))
	}
	if code, _ := srv.admin("DELETE", "/api/admin/tenants/mallory/keys", nil, nil); code != http.StatusNoContent {
		t.Fatalf("delete mallory's key: %d", code)
	}

	// The attacker's own console session token.
	attacker := srv.login("mallory-user", "password-of-mallory")
	consoleURL, _ := url.Parse(srv.ConsoleURL)
	var attackerToken string
	for _, c := range attacker.client.Jar.Cookies(consoleURL) {
		if c.Name == "coffer_session" {
			attackerToken = c.Value
		}
	}
	if attackerToken == "" {
		t.Fatal("no attacker session cookie")
	}
	noKey := func(when string) {
		t.Helper()
		for _, tn := range []string{"mallory", "victim"} {
			if code, _ := srv.admin("GET", "/api/admin/tenants/"+tn+"/keys", nil, nil); code != http.StatusNotFound {
				t.Fatalf("%s: tenant %s has a key (status %d)", when, tn, code)
			}
		}
	}
	sessionChanged := func(what string, code int, body []byte) {
		t.Helper()
		var e struct {
			Error          string
			SessionChanged bool
		}
		if code != http.StatusUnauthorized || json.Unmarshal(body, &e) != nil || !e.SessionChanged {
			t.Fatalf("%s: %d %s, want 401 with sessionChanged", what, code, body)
		}
	}

	// Shadow: the planted cookie at /api is sent first, beside the victim's.
	victim := srv.login("victim-user", "password-of-victim")
	apiURL, _ := url.Parse(srv.ConsoleURL + "/api/credentials")
	victim.client.Jar.SetCookies(apiURL, []*http.Cookie{{Name: "coffer_session", Value: attackerToken, Path: "/api"}})
	code, body, err := victim.call("POST", "/api/credentials", nil)
	if err != nil {
		t.Fatal(err)
	}
	sessionChanged("two session cookies", code, body)
	noKey("after the shadow")
	// The refusal expired both cookies in the jar: the browser holds none.
	if left := victim.client.Jar.Cookies(apiURL); len(left) != 0 {
		t.Fatalf("cookies left after the refusal: %v", left)
	}

	// Swap: only the attacker's cookie, the victim page's CSRF token.
	victim = srv.login("victim-user", "password-of-victim")
	jar, _ := cookiejar.New(nil)
	jar.SetCookies(consoleURL, []*http.Cookie{{Name: "coffer_session", Value: attackerToken, Path: "/"}})
	victim.client.Jar = jar
	for _, call := range [][2]string{{"POST", "/api/credentials"}, {"POST", "/api/credentials/rotate"}, {"GET", "/api/credentials"}} {
		code, body, err := victim.call(call[0], call[1], nil)
		if err != nil {
			t.Fatal(err)
		}
		sessionChanged("swapped cookie: "+strings.Join(call[:], " "), code, body)
	}
	noKey("after the swap")
}

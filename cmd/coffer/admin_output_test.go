package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cofferstore/coffer/storage"
)

func TestSafe(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain-name_1.0", "plain-name_1.0"},
		{"with space", "with space"},
		{"käse 日本", "käse 日本"},
		{"red\x1b[31m", `red\x1b[31m`},
		{"title\x1b]0;pwned\x07", `title\x1b]0;pwned\a`},
		{"line\nbreak\ttab\r", `line\nbreak\ttab\r`},
		{"del\x7f", `del\x7f`},
		{"c1\u009b2J", `c1\u009b2J`},
		{"bidi\u202egnp.exe", `bidi\u202egnp.exe`},
		{"bad\xffutf8", `bad\xffutf8`},
	} {
		if got := safe(c.in); got != c.want {
			t.Errorf("safe(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSafeJSON(t *testing.T) {
	for _, in := range []string{"plain", "c1\u009b[2J", "del\x7f", "bidi\u202e", "tag\U000E0041", "käse 日本", "esc\x1b"} {
		raw, _ := json.Marshal(map[string]string{"name": in})
		out := safeJSON(raw)
		for _, r := range string(out) {
			if r >= 0x7f && !unicode.IsPrint(r) {
				t.Errorf("safeJSON(%q) left %U raw: %s", in, r, out)
			}
		}
		var back map[string]string
		if err := json.Unmarshal(out, &back); err != nil || back["name"] != in {
			t.Errorf("safeJSON(%q) = %s: decodes to %q (%v)", in, out, back["name"], err)
		}
	}
	if got := safeJSON([]byte("\"a\xffb\"")); !utf8.Valid(got) {
		t.Errorf("invalid UTF-8 kept: %q", got)
	}
}

// FuzzSafe: whatever a stored name holds, safe prints only printable runes
// and spaces, and safeJSON keeps JSON valid and equal in value.
func FuzzSafe(f *testing.F) {
	for _, s := range []string{"", "x", "\x1b[31m", "\u009b", "\u202e", "\xff\xfe", "\U000E0041"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if out := safe(s); !printable(out) {
			t.Fatalf("safe(%q) = %q is not printable", s, out)
		}
		raw, _ := json.Marshal(s)
		out := safeJSON(raw)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("safeJSON(%s) = %s: %v", raw, out, err)
		}
		var want string
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		if back != want {
			t.Fatalf("safeJSON changed the value: %q -> %q", want, back)
		}
	})
}

// TestAdminOutputEscapesNames is the regression for issue 12 finding 12:
// names recorded by others (here a volume stored before names were checked)
// reach the operator's terminal escaped, in tables, detail views, result
// lines and error messages; --json stays valid and exact. The odd name can
// also be removed.
func TestAdminOutputEscapesNames(t *testing.T) {
	srv := startTestServer(t)
	c := cli{t: t, srv: srv}
	c.ok("tenant", "create", "acme")
	evil := "vol/\x1b]0;pwned\x07\x1b[2J\u009b31m\u202e"
	server := "web\x1b[31m"
	if err := srv.Store.AddVolume(context.Background(), "acme", storage.Volume{Name: evil, SizeBytes: 1 << 30, Server: server, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	raw := func(what, out string) {
		t.Helper()
		if strings.ContainsAny(out, "\x1b\x07\u009b\u202e") {
			t.Errorf("%s printed a control character raw: %q", what, out)
		}
	}
	out := c.ok("volume", "list", "acme")
	raw("volume list", out)
	contains(t, out, `vol/\x1b]0;pwned\a\x1b[2J\u009b31m\u202e`, "volume list")
	contains(t, out, `web\x1b[31m`, "volume list server")
	out = c.ok("tenant", "show", "acme")
	raw("tenant show", out)
	contains(t, out, `\x1b[2J`, "tenant show")
	js := c.ok("volume", "list", "acme", "--json")
	raw("volume list --json", js)
	var got struct {
		Volumes []struct{ Name, Server string }
	}
	if err := json.Unmarshal([]byte(js), &got); err != nil || len(got.Volumes) != 1 || got.Volumes[0].Name != evil || got.Volumes[0].Server != server {
		t.Fatalf("--json does not decode to the stored names: %+v %v", got, err)
	}
	out = c.ok("volume", "remove", "acme", evil)
	raw("volume remove", out)
	contains(t, out, `Volume vol/\x1b]0;pwned`, "volume remove")
	errs := c.fails(1, "volume", "remove", "acme", evil)
	raw("volume remove error", errs)
	if vols, _ := srv.Store.ListVolumes(context.Background(), "acme"); len(vols) != 0 {
		t.Fatalf("volume not removed: %+v", vols)
	}
	var buf bytes.Buffer
	a := &adminEnv{stdout: &buf}
	if err := a.table([]string{"A"}, [][]string{{"x\x1b[1m"}}); err != nil {
		t.Fatal(err)
	}
	raw("table", buf.String())
}

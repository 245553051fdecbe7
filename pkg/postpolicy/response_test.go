package postpolicy

import (
	"net/http"
	"testing"
)

func TestResponse(t *testing.T) {
	res := Result{Bucket: "photos", Key: "user/a b&c.png", ETag: `"d41d8cd98f00b204e9800998ecf8427e"`, Location: "http://127.0.0.1:9000/photos/user/a%20b%26c.png"}
	cases := []struct {
		name     string
		fields   []Field
		status   int
		location string
		body     string
	}{
		{"default", nil, 204, res.Location, ""},
		{"200", []Field{{"success_action_status", "200"}}, 200, res.Location, ""},
		{"201", []Field{{"Success_Action_Status", "201"}}, 201, res.Location,
			`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<PostResponse><Location>http://127.0.0.1:9000/photos/user/a%20b%26c.png</Location><Bucket>photos</Bucket><Key>user/a b&amp;c.png</Key><ETag>"d41d8cd98f00b204e9800998ecf8427e"</ETag></PostResponse>`},
		{"invalid status", []Field{{"success_action_status", "302"}}, 204, res.Location, ""},
		{"redirect", []Field{{"success_action_status", "201"}, {"success_action_redirect", "https://app.test/done?x=1"}}, 303,
			"https://app.test/done?x=1&bucket=photos&key=user%2Fa+b%26c.png&etag=%22d41d8cd98f00b204e9800998ecf8427e%22", ""},
		{"old redirect field", []Field{{"redirect", "http://app.test/"}}, 303,
			"http://app.test/?bucket=photos&key=user%2Fa+b%26c.png&etag=%22d41d8cd98f00b204e9800998ecf8427e%22", ""},
		{"query kept raw, fragment last", []Field{{"success_action_redirect", "https://app.test/u?a=b c#top"}}, 303,
			"https://app.test/u?a=b c&bucket=photos&key=user%2Fa+b%26c.png&etag=%22d41d8cd98f00b204e9800998ecf8427e%22#top", ""},
		{"javascript redirect ignored", []Field{{"success_action_redirect", "javascript:alert(1)"}}, 204, res.Location, ""},
		{"relative redirect ignored", []Field{{"success_action_redirect", "/done"}}, 204, res.Location, ""},
		{"unparsable redirect ignored", []Field{{"success_action_redirect", "http://[::1"}, {"success_action_status", "200"}}, 200, res.Location, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := mustForm(t, append([]Field{{"key", "k"}}, tc.fields...), []byte("x"))
			status, h, body := Response(f, res)
			if status != tc.status || h.Get("Location") != tc.location || string(body) != tc.body || h.Get("ETag") != res.ETag {
				t.Fatalf("got %d %v %q", status, h, body)
			}
			if status == http.StatusCreated && h.Get("Content-Type") != "application/xml" {
				t.Fatalf("content type %q", h.Get("Content-Type"))
			}
		})
	}
}

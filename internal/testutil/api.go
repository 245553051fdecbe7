package testutil

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// OperatorUsername is the operator account's name (auth.OperatorUsername;
// testutil imports no Coffer package).
const OperatorUsername = "admin"

// SessionCookie is the console's session cookie over plain HTTP (over TLS
// it carries the __Host- prefix; set API.CookieName then).
const SessionCookie = "coffer_session"

// API is the tests' one client of the console's JSON API, the operator's
// admin API included. It authenticates as the operator with the API token
// (Token, sent as Bearer) or the password (HTTP Basic, User and Password),
// or as a logged-in console user with a session cookie and CSRF token
// (Session and CSRF; see Login). Any error of the transport fails the test.
type API struct {
	T    testing.TB
	Base string       // console URL, e.g. http://127.0.0.1:PORT
	HTTP *http.Client // nil: http.DefaultClient

	Token          string // operator API token
	User, Password string // HTTP Basic when User is set
	Session, CSRF  string // console session
	CookieName     string // the session cookie's name; "" = SessionCookie
	NoCSRF         bool   // send the session without its CSRF header

	// Seen, when not nil, collects every response body and header, so a
	// test can prove a secret never comes back.
	Seen *[]byte
}

// Operator is an API client of the console at base as the operator, by
// password (HTTP Basic, as `coffer admin --password` does).
func Operator(t testing.TB, base, password string) *API {
	return &API{T: t, Base: base, User: OperatorUsername, Password: password}
}

// Response is one answer of the console API.
type Response struct {
	T       testing.TB
	Status  int
	Body    []byte
	Header  http.Header
	Cookies []*http.Cookie
	What    string // "METHOD /path", for failure messages
}

// Do sends body (when not nil) as JSON and returns the whole answer.
func (a *API) Do(method, path string, body any) *Response {
	a.T.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.T.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.Base+path, rd)
	if err != nil {
		a.T.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case a.Token != "":
		req.Header.Set("Authorization", "Bearer "+a.Token)
	case a.User != "":
		req.SetBasicAuth(a.User, a.Password)
	}
	if a.Session != "" {
		name := a.CookieName
		if name == "" {
			name = SessionCookie
		}
		req.AddCookie(&http.Cookie{Name: name, Value: a.Session})
		if !a.NoCSRF && a.CSRF != "" {
			req.Header.Set("X-CSRF-Token", a.CSRF)
		}
	}
	hc := a.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		a.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		a.T.Fatalf("%s %s: read body: %v", method, path, err)
	}
	if a.Seen != nil {
		*a.Seen = append(*a.Seen, out...)
		for k, v := range resp.Header {
			*a.Seen = append(*a.Seen, []byte(k+": "+strings.Join(v, ",")+"\n")...)
		}
	}
	return &Response{T: a.T, Status: resp.StatusCode, Body: out, Header: resp.Header,
		Cookies: resp.Cookies(), What: method + " " + path}
}

// Call sends in as JSON, decodes a 2xx answer into out (when not nil) and
// returns the status and body.
func (a *API) Call(method, path string, in, out any) (int, []byte) {
	a.T.Helper()
	r := a.Do(method, path, in)
	if out != nil && r.Status/100 == 2 {
		r.Decode(out)
	}
	return r.Status, r.Body
}

// Must is Call that fails the test unless the status is want.
func (a *API) Must(want int, method, path string, in, out any) {
	a.T.Helper()
	r := a.Do(method, path, in).Want(want)
	if out != nil {
		r.Decode(out)
	}
}

// Login logs username in to the console at base and returns a client
// holding the session and its CSRF token. hc may be nil.
func Login(t testing.TB, base string, hc *http.Client, username, password string) *API {
	t.Helper()
	a := &API{T: t, Base: base, HTTP: hc}
	r := a.Do(http.MethodPost, "/api/login", map[string]string{"username": username, "password": password}).Want(http.StatusOK)
	var me struct {
		CSRFToken string `json:"csrfToken"`
	}
	r.Decode(&me)
	for _, c := range r.Cookies {
		if c.Name == SessionCookie || c.Name == "__Host-"+SessionCookie {
			a.Session, a.CookieName = c.Value, c.Name
		}
	}
	if a.Session == "" || me.CSRFToken == "" {
		t.Fatalf("login %s: no session cookie or CSRF token", username)
	}
	a.CSRF = me.CSRFToken
	return a
}

// Want fails the test unless the status is status.
func (r *Response) Want(status int) *Response {
	r.T.Helper()
	if r.Status != status {
		r.T.Fatalf("%s: status %d, want %d; body %s", r.What, r.Status, status, r.Body)
	}
	return r
}

// Decode unmarshals the JSON body into v.
func (r *Response) Decode(v any) {
	r.T.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		r.T.Fatalf("%s: decode %s: %v", r.What, r.Body, err)
	}
}

// ErrorText is the "error" member of a JSON error body.
func (r *Response) ErrorText() string {
	r.T.Helper()
	var e struct {
		Error string `json:"error"`
	}
	r.Decode(&e)
	return e.Error
}

// WantError checks the status and that the error message contains substr.
func (r *Response) WantError(status int, substr string) {
	r.T.Helper()
	r.Want(status)
	if msg := r.ErrorText(); !strings.Contains(msg, substr) {
		r.T.Fatalf("%s: error %q does not contain %q", r.What, msg, substr)
	}
}

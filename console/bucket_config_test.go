package console_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/cofferstore/coffer/pkg/lifecycle"
	"github.com/cofferstore/coffer/pkg/policy"
	"github.com/cofferstore/coffer/storage"
)

type lifecycleView struct {
	ExpireDays, NoncurrentDays, AbortDays int
	DefaultAbortDays                      int
	Versioning, XML, Revision             string
	Rules                                 []struct {
		ID, Status, Filter string
		Actions            []string
	}
}

// storedLifecycle parses the container's stored lifecycle document and
// checks it is in lifecycle.Marshal's canonical form (what S3's
// GetBucketLifecycleConfiguration returns).
func (e *testEnv) storedLifecycle(tenant, bucket string) *lifecycle.Configuration {
	e.t.Helper()
	doc, err := e.store.GetBucketConfig(context.Background(), tenant, bucket, storage.ConfigLifecycle)
	if errors.Is(err, storage.ErrNoSuchBucketConfig) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	cfg, err := lifecycle.ParseBytes(doc)
	if err != nil {
		e.t.Fatalf("stored lifecycle does not parse: %v\n%s", err, doc)
	}
	again, _ := lifecycle.Marshal(cfg)
	if string(again) != string(doc) {
		e.t.Fatalf("stored lifecycle is not canonical:\n%s\n%s", doc, again)
	}
	return cfg
}

func auditSet(e *testEnv, tenant string) map[string]bool {
	var audit struct {
		Events []struct{ Action, Target string }
	}
	e.operator().do("GET", "/api/admin/audit?tenant="+tenant, nil).want(http.StatusOK).decode(&audit)
	seen := map[string]bool{}
	for _, ev := range audit.Events {
		seen[ev.Action+" "+ev.Target] = true
	}
	return seen
}

// TestContainerLifecycleForm: the form writes console-expire (Expiration
// Days, NoncurrentVersionExpiration) and console-abort rules in canonical
// form, keeps other rules (listed read-only), removes its rules at 0 days
// and the document with the last rule, shows lifecycle.Parse's refusals,
// refuses a stale revision, and is audited.
func TestContainerLifecycleForm(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	ctx := context.Background()
	c.do("POST", "/api/containers", map[string]string{"name": "logs"}).want(http.StatusCreated)

	var v lifecycleView
	c.do("GET", "/api/containers/logs/lifecycle", nil).want(http.StatusOK).decode(&v)
	if v.ExpireDays != 0 || v.AbortDays != 0 || v.XML != "" || v.Revision != "" || len(v.Rules) != 0 || v.DefaultAbortDays != 7 {
		t.Fatalf("no configuration: %+v", v)
	}

	c.do("PUT", "/api/containers/logs/lifecycle", map[string]any{"expireDays": 30, "abortDays": 7, "revision": ""}).want(http.StatusOK).decode(&v)
	if v.ExpireDays != 30 || v.AbortDays != 7 || v.NoncurrentDays != 0 || len(v.Rules) != 0 || !strings.Contains(v.XML, "<ID>console-expire</ID>") {
		t.Fatalf("after save: %+v", v)
	}
	cfg := e.storedLifecycle("acme", "logs")
	if len(cfg.Rules) != 2 || cfg.Rules[0].ID != "console-expire" || cfg.Rules[0].Expiration.Days != 30 ||
		cfg.Rules[0].Filter == nil || cfg.Rules[0].Filter.Prefix != nil ||
		cfg.Rules[1].ID != "console-abort" || cfg.Rules[1].AbortIncompleteMultipartUpload.DaysAfterInitiation != 7 {
		t.Fatalf("stored rules: %+v", cfg.Rules)
	}

	// A rule set through S3 that the form cannot express is kept and listed.
	other := `<LifecycleConfiguration><Rule><ID>tmp</ID><Filter><And><Prefix>tmp/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>` +
		`<Rule><ID>console-abort</ID><Filter></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>`
	ocfg, err := lifecycle.ParseBytes([]byte(other))
	if err != nil {
		t.Fatal(err)
	}
	odoc, _ := lifecycle.Marshal(ocfg)
	if err := e.store.SetBucketConfig(ctx, "acme", "logs", storage.ConfigLifecycle, odoc); err != nil {
		t.Fatal(err)
	}
	c.do("GET", "/api/containers/logs/lifecycle", nil).want(http.StatusOK).decode(&v)
	if v.ExpireDays != 0 || v.AbortDays != 7 || len(v.Rules) != 1 || v.Rules[0].ID != "tmp" ||
		v.Rules[0].Filter != `keys starting with "tmp/", tag k=v` || len(v.Rules[0].Actions) != 1 {
		t.Fatalf("with an S3 rule: %+v", v)
	}
	// A view loaded before that change is stale.
	c.do("PUT", "/api/containers/logs/lifecycle", map[string]any{"expireDays": 5, "revision": "0123456789abcdef"}).wantError(http.StatusConflict, "changed since you loaded it")
	c.do("PUT", "/api/containers/logs/lifecycle", map[string]any{"expireDays": 5, "abortDays": 0, "revision": v.Revision}).want(http.StatusOK).decode(&v)
	cfg = e.storedLifecycle("acme", "logs")
	if len(cfg.Rules) != 2 || cfg.Rules[0].ID != "tmp" || cfg.Rules[1].ID != "console-expire" || cfg.Rules[1].Expiration.Days != 5 {
		t.Fatalf("after keeping tmp: %+v", cfg.Rules)
	}
	if v.ExpireDays != 5 || v.AbortDays != 0 || len(v.Rules) != 1 {
		t.Fatalf("view after keeping tmp: %+v", v)
	}

	// Refusals: negative days; lifecycle.Parse's own (V1 prefixes overlap).
	c.do("PUT", "/api/containers/logs/lifecycle", map[string]any{"expireDays": -1}).wantError(http.StatusBadRequest, "positive number")
	v1 := `<LifecycleConfiguration><Rule><ID>old</ID><Prefix>a/</Prefix><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule></LifecycleConfiguration>`
	if err := e.store.SetBucketConfig(ctx, "acme", "logs", storage.ConfigLifecycle, []byte(v1)); err != nil {
		t.Fatal(err)
	}
	r := c.do("PUT", "/api/containers/logs/lifecycle", map[string]any{"expireDays": 9})
	r.wantError(http.StatusBadRequest, "Found overlapping prefixes '' and 'a/' for same action type 'Expiration'")
	var code struct{ Code string }
	r.decode(&code)
	if code.Code != "InvalidRequest" {
		t.Fatalf("code %q", code.Code)
	}
	// A V1 configuration gets its abort rule in V1 form (no overlap for aborts).
	c.do("PUT", "/api/containers/logs/lifecycle", map[string]any{"abortDays": 2}).want(http.StatusOK)
	cfg = e.storedLifecycle("acme", "logs")
	if len(cfg.Rules) != 2 || cfg.Rules[1].Prefix == nil || *cfg.Rules[1].Prefix != "" {
		t.Fatalf("V1 form: %+v", cfg.Rules)
	}

	// Removing every rule removes the document.
	if err := e.store.SetBucketConfig(ctx, "acme", "logs", storage.ConfigLifecycle, nil); err != nil {
		t.Fatal(err)
	}
	c.do("PUT", "/api/containers/logs/lifecycle", map[string]any{"abortDays": 4}).want(http.StatusOK)
	c.do("PUT", "/api/containers/logs/lifecycle", map[string]any{"abortDays": 0}).want(http.StatusOK).decode(&v)
	if e.storedLifecycle("acme", "logs") != nil || v.XML != "" {
		t.Fatalf("document left after removing the last rule: %+v", v)
	}

	// Versioned: noncurrent versions in the same rule.
	c.do("PUT", "/api/containers/logs/versioning", map[string]string{"state": "Enabled"}).want(http.StatusOK)
	c.do("PUT", "/api/containers/logs/lifecycle", map[string]any{"expireDays": 10, "noncurrentDays": 3}).want(http.StatusOK).decode(&v)
	cfg = e.storedLifecycle("acme", "logs")
	if v.Versioning != "Enabled" || v.NoncurrentDays != 3 || len(cfg.Rules) != 1 || cfg.Rules[0].NoncurrentVersionExpiration.NoncurrentDays != 3 {
		t.Fatalf("noncurrent: %+v %+v", v, cfg.Rules)
	}

	c.do("GET", "/api/containers/nope/lifecycle", nil).wantError(http.StatusNotFound, "no container named nope")
	c.do("PUT", "/api/containers/nope/lifecycle", map[string]any{"abortDays": 1}).wantError(http.StatusNotFound, "no container named nope")
	e.tenant("other", storage.Quota{}).do("PUT", "/api/containers/logs/lifecycle", map[string]any{"abortDays": 1}).want(http.StatusNotFound)
	if got := e.storedLifecycle("acme", "logs"); len(got.Rules) != 1 || got.Rules[0].ID != "console-expire" {
		t.Fatalf("another tenant changed it: %+v", got.Rules)
	}

	seen := auditSet(e, "acme")
	for _, w := range []string{"container.lifecycle logs expireDays=30 noncurrentDays=0 abortDays=7",
		"container.lifecycle logs expireDays=10 noncurrentDays=3 abortDays=0"} {
		if !seen[w] {
			t.Errorf("audit lacks %q: %v", w, seen)
		}
	}
	if seen["container.lifecycle logs expireDays=9 noncurrentDays=0 abortDays=0"] {
		t.Error("a refused save was audited")
	}

	if err := e.store.SetSuspended(ctx, "acme", true); err != nil {
		t.Fatal(err)
	}
	c.do("PUT", "/api/containers/logs/lifecycle", map[string]any{"abortDays": 1}).wantError(http.StatusForbidden, "suspended")
}

// TestContainerLifecycleChangedRule: a console-expire rule changed through
// S3 into a shape the form cannot show is listed read-only and not
// overwritten by the form.
func TestContainerLifecycleChangedRule(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	c.do("POST", "/api/containers", map[string]string{"name": "logs"}).want(http.StatusCreated)
	doc := `<LifecycleConfiguration><Rule><ID>console-expire</ID><Filter><Prefix>x/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule></LifecycleConfiguration>`
	if err := e.store.SetBucketConfig(context.Background(), "acme", "logs", storage.ConfigLifecycle, []byte(doc)); err != nil {
		t.Fatal(err)
	}
	var v lifecycleView
	c.do("GET", "/api/containers/logs/lifecycle", nil).want(http.StatusOK).decode(&v)
	if v.ExpireDays != 0 || len(v.Rules) != 1 || v.Rules[0].ID != "console-expire" {
		t.Fatalf("changed rule: %+v", v)
	}
	c.do("PUT", "/api/containers/logs/lifecycle", map[string]any{"expireDays": 1}).wantError(http.StatusConflict, "changed outside the console")
	c.do("PUT", "/api/containers/logs/lifecycle", map[string]any{"abortDays": 1}).want(http.StatusOK)
	if cfg := e.storedLifecycle("acme", "logs"); len(cfg.Rules) != 2 || *cfg.Rules[0].Filter.Prefix != "x/" {
		t.Fatalf("changed rule not kept: %+v", cfg.Rules)
	}
}

type policyView struct {
	Policy                                   string
	PublicRead, Public                       bool
	PublicURL                                string
	BlockPublicPolicy, RestrictPublicBuckets bool
}

// storedPolicy returns the container's stored policy document, checking it
// is in pkg/policy's canonical form (what S3's GetBucketPolicy returns).
func (e *testEnv) storedPolicy(tenant, bucket string) *policy.Policy {
	e.t.Helper()
	doc, err := e.store.GetBucketConfig(context.Background(), tenant, bucket, storage.ConfigPolicy)
	if errors.Is(err, storage.ErrNoSuchBucketConfig) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	p, err := policy.Parse(doc, bucket, tenant)
	if err != nil {
		e.t.Fatalf("stored policy does not parse: %v\n%s", err, doc)
	}
	again, _ := json.Marshal(p)
	if string(again) != string(doc) {
		e.t.Fatalf("stored policy is not canonical:\n%s\n%s", doc, again)
	}
	return p
}

// TestContainerPublicAccess: the Public read setting adds one statement
// (everyone, s3:GetObject, bucket/*) and Private removes only it; the
// editor validates with policy.Parse and answers MalformedPolicy's reason;
// Block Public Access refuses a public policy; Delete removes the policy;
// every change is audited.
func TestContainerPublicAccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	ctx := context.Background()
	c.do("POST", "/api/containers", map[string]string{"name": "site"}).want(http.StatusCreated)

	var v policyView
	c.do("GET", "/api/containers/site/policy", nil).want(http.StatusOK).decode(&v)
	if v.Policy != "" || v.PublicRead || v.Public || v.PublicURL != "http://127.0.0.1:9000/acme:site/" {
		t.Fatalf("no policy: %+v", v)
	}

	c.do("PUT", "/api/containers/site/policy", map[string]any{"publicRead": true}).want(http.StatusOK).decode(&v)
	p := e.storedPolicy("acme", "site")
	if !v.PublicRead || !v.Public || p == nil || !p.IsPublic() || len(p.Statements) != 1 {
		t.Fatalf("public read: %+v %+v", v, p)
	}
	st := p.Statements[0]
	if st.Sid != "console-public-read" || st.Effect != policy.EffectAllow || !st.Principal.Any ||
		strings.Join(st.Actions, ",") != "s3:GetObject" || strings.Join(st.Resources, ",") != "arn:aws:s3:::site/*" {
		t.Fatalf("statement: %+v", st)
	}
	anon := policy.Request{Action: "s3:GetObject", Bucket: "site", Key: "a.txt"}
	if p.Evaluate(anon) != policy.Allow {
		t.Fatal("public read does not allow an anonymous GetObject")
	}
	anon.Action = "s3:ListBucket"
	anon.Key = ""
	if p.Evaluate(anon) == policy.Allow {
		t.Fatal("public read allows listing")
	}

	// The editor: a malformed policy is refused with AWS's reason, the
	// stored one unchanged.
	r := c.do("PUT", "/api/containers/site/policy", map[string]any{"policy": `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::elsewhere/*"}]}`})
	r.wantError(http.StatusBadRequest, "Policy has invalid resource")
	var code struct{ Code string }
	r.decode(&code)
	if code.Code != "MalformedPolicy" {
		t.Fatalf("code %q", code.Code)
	}
	c.do("PUT", "/api/containers/site/policy", map[string]any{"policy": "not json"}).wantError(http.StatusBadRequest, "")
	c.do("PUT", "/api/containers/site/policy", map[string]any{"policy": `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}]}`}).
		wantError(http.StatusBadRequest, "Missing required field Principal")
	if got := e.storedPolicy("acme", "site"); len(got.Statements) != 1 || got.Statements[0].Sid != "console-public-read" {
		t.Fatalf("refused edit changed the policy: %+v", got)
	}
	c.do("PUT", "/api/containers/site/policy", map[string]any{"policy": "{}", "publicRead": true}).wantError(http.StatusBadRequest, "either policy")
	c.do("PUT", "/api/containers/site/policy", map[string]any{}).wantError(http.StatusBadRequest, "either policy")

	// A valid edit replaces the policy; the setting then keeps its other statements.
	deny := `{"Version":"2012-10-17","Statement":[{"Sid":"NoDeletes","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::site/*"}]}`
	c.do("PUT", "/api/containers/site/policy", map[string]any{"policy": deny}).want(http.StatusOK).decode(&v)
	if v.PublicRead || v.Public || !strings.Contains(v.Policy, "NoDeletes") {
		t.Fatalf("after edit: %+v", v)
	}
	c.do("PUT", "/api/containers/site/policy", map[string]any{"publicRead": true}).want(http.StatusOK).decode(&v)
	if p := e.storedPolicy("acme", "site"); len(p.Statements) != 2 || p.Statements[0].Sid != "NoDeletes" || !v.PublicRead {
		t.Fatalf("setting over an edited policy: %+v", p)
	}
	c.do("PUT", "/api/containers/site/policy", map[string]any{"publicRead": false}).want(http.StatusOK).decode(&v)
	if p := e.storedPolicy("acme", "site"); len(p.Statements) != 1 || p.Statements[0].Sid != "NoDeletes" || v.PublicRead {
		t.Fatalf("private kept the rest: %+v", p)
	}
	c.do("DELETE", "/api/containers/site/policy", nil).want(http.StatusOK).decode(&v)
	if e.storedPolicy("acme", "site") != nil || v.Policy != "" {
		t.Fatalf("after delete: %+v", v)
	}
	// Private with nothing else left removes the document.
	c.do("PUT", "/api/containers/site/policy", map[string]any{"publicRead": true}).want(http.StatusOK)
	c.do("PUT", "/api/containers/site/policy", map[string]any{"publicRead": false}).want(http.StatusOK)
	if e.storedPolicy("acme", "site") != nil {
		t.Fatal("private left an empty policy")
	}

	// Block Public Access (the tenant default as s3api stores it) refuses a public policy.
	if err := e.store.SetTenantConfig(ctx, "acme", storage.ConfigPublicAccessBlock, []byte(`{"BlockPublicPolicy":true}`)); err != nil {
		t.Fatal(err)
	}
	c.do("PUT", "/api/containers/site/policy", map[string]any{"publicRead": true}).wantError(http.StatusForbidden, "BlockPublicPolicy")
	c.do("GET", "/api/containers/site/policy", nil).want(http.StatusOK).decode(&v)
	if !v.BlockPublicPolicy || e.storedPolicy("acme", "site") != nil {
		t.Fatalf("block public policy: %+v", v)
	}

	c.do("GET", "/api/containers/nope/policy", nil).wantError(http.StatusNotFound, "no container named nope")
	c.do("PUT", "/api/containers/nope/policy", map[string]any{"publicRead": false}).wantError(http.StatusNotFound, "no container named nope")
	c.do("DELETE", "/api/containers/nope/policy", nil).wantError(http.StatusNotFound, "no container named nope")

	seen := auditSet(e, "acme")
	for _, w := range []string{"container.public_read site", "container.private site", "container.policy site", "container.policy_delete site"} {
		if !seen[w] {
			t.Errorf("audit lacks %q: %v", w, seen)
		}
	}

	if err := e.store.SetSuspended(ctx, "acme", true); err != nil {
		t.Fatal(err)
	}
	c.do("DELETE", "/api/containers/site/policy", nil).wantError(http.StatusForbidden, "suspended")
}

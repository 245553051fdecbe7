package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cofferstore/coffer/storage"
)

// TestVolumeNamesChecked (issue 12 finding 12): a volume name must be
// 1-63 of [A-Za-z0-9._-] and the attached server a host name or address; a
// name with "/" or a terminal escape is refused at the door.
func TestVolumeNamesChecked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.tenant("acme", storage.Quota{})
	op := e.operatorBasic()
	for _, name := range []string{"", "a/b", "../x", ".hidden", "-x", "has space", "esc\x1b[31m", "nul\x00", "uni\u202eode", strings.Repeat("v", 64)} {
		op.do("POST", "/api/admin/tenants/acme/volumes", map[string]any{"name": name, "sizeBytes": 1, "server": "web-1"}).
			wantError(http.StatusBadRequest, "invalid volume name")
	}
	for _, server := range []string{"web 1", "evil\x1b]0;pwned\x07", "a/b", strings.Repeat("s", 254)} {
		op.do("POST", "/api/admin/tenants/acme/volumes", map[string]any{"name": "ok", "sizeBytes": 1, "server": server}).
			wantError(http.StatusBadRequest, "invalid server name")
	}
	for _, ok := range []struct{ name, server string }{
		{"db_data-1.vol", "web-01.example.com"}, {strings.Repeat("v", 63), "2001:db8::1"}, {"Z", ""},
	} {
		op.do("POST", "/api/admin/tenants/acme/volumes", map[string]any{"name": ok.name, "sizeBytes": 1, "server": ok.server}).want(http.StatusCreated)
	}
}

// TestOddVolumeNameRemovable: a record stored before names were checked,
// with "/" in its name, cannot be addressed in the path but is removed by
// ?name=.
func TestOddVolumeNameRemovable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.tenant("acme", storage.Quota{})
	odd := "data/vol\x1b[2J"
	if err := e.store.AddVolume(context.Background(), "acme", storage.Volume{Name: odd, SizeBytes: 1, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	op := e.operatorBasic()
	op.do("DELETE", "/api/admin/tenants/acme/volumes/"+url.PathEscape(odd), nil).want(http.StatusNotFound)
	op.do("DELETE", "/api/admin/tenants/acme/volumes?name="+url.QueryEscape(odd), nil).want(http.StatusNoContent)
	vols, err := e.store.ListVolumes(context.Background(), "acme")
	if err != nil || len(vols) != 0 {
		t.Fatalf("volumes after removal: %+v %v", vols, err)
	}
	op.do("DELETE", "/api/admin/tenants/acme/volumes?name="+url.QueryEscape(odd), nil).want(http.StatusNotFound)
	op.do("DELETE", "/api/admin/tenants/acme/volumes", nil).wantError(http.StatusBadRequest, "name the volume")
}

// TestSuspendedTenantCannotDeleteContainers (issue 12 finding 12): a
// suspended tenant's console users may look but not delete, forced or not,
// as S3 refuses the tenant; after resume they may.
func TestSuspendedTenantCannotDeleteContainers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	c.do("POST", "/api/containers", map[string]string{"name": "empty-box"}).want(http.StatusCreated)
	c.do("POST", "/api/containers", map[string]string{"name": "full-box"}).want(http.StatusCreated)
	e.putObject("acme", "full-box", "k", "data")
	if err := e.store.SetSuspended(context.Background(), "acme", true); err != nil {
		t.Fatal(err)
	}
	c.do("DELETE", "/api/containers/empty-box", nil).wantError(http.StatusForbidden, "suspended")
	c.do("DELETE", "/api/containers/full-box?force=true&confirm=full-box", nil).wantError(http.StatusForbidden, "suspended")
	c.do("POST", "/api/containers", map[string]string{"name": "new-box"}).wantError(http.StatusForbidden, "suspended")
	c.do("GET", "/api/containers", nil).want(http.StatusOK)
	for _, b := range []string{"empty-box", "full-box"} {
		if _, err := e.store.GetBucket(context.Background(), "acme", b); err != nil {
			t.Fatalf("%s after refused deletes: %v", b, err)
		}
	}
	if err := e.store.SetSuspended(context.Background(), "acme", false); err != nil {
		t.Fatal(err)
	}
	c.do("DELETE", "/api/containers/empty-box", nil).want(http.StatusNoContent)
	c.do("DELETE", "/api/containers/full-box?force=true&confirm=full-box", nil).want(http.StatusNoContent)
}

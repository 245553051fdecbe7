package console

import (
	"fmt"
	"net/http"
	"time"

	"github.com/cofferstore/coffer/storage"
)

// ContainerSizeJSON is one of a tenant's containers as the operator sees it.
// Objects and Bytes count every stored version (a delete marker is an
// object of 0 bytes); Noncurrent* are the part held by noncurrent versions
// and delete markers.
type ContainerSizeJSON struct {
	Name              string    `json:"name"`
	Created           time.Time `json:"created"`
	Objects           int64     `json:"objects"`
	Bytes             int64     `json:"bytes"`
	NoncurrentObjects int64     `json:"noncurrentObjects"`
	NoncurrentBytes   int64     `json:"noncurrentBytes"`
	Versioning        string    `json:"versioning"` // "", "Enabled" or "Suspended"
	ObjectLock        bool      `json:"objectLock"`
}

// tenantContainers answers GET /api/admin/tenants/{t}/containers.
func (s *server) tenantContainers(w http.ResponseWriter, r *http.Request) error {
	name, err := s.existingTenant(r)
	if err != nil {
		return err
	}
	bs, err := s.store.ListBuckets(r.Context(), name)
	if err != nil {
		return err
	}
	out := make([]ContainerSizeJSON, 0, len(bs))
	for _, b := range bs {
		out = append(out, ContainerSizeJSON{Name: b.Name, Created: b.Created, Objects: b.Objects, Bytes: b.Bytes,
			NoncurrentObjects: b.NoncurrentObjects, NoncurrentBytes: b.NoncurrentBytes,
			Versioning: b.Versioning, ObjectLock: b.Lock.Enabled})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"containers": out})
}

// destroyedText says what deleting bucket b destroys, for the audit log:
// its current objects, every stored version (delete markers included) and
// their bytes.
func destroyedText(b storage.BucketInfo) string {
	return fmt.Sprintf("destroyed %d objects, %d versions, %d bytes",
		b.Objects-b.NoncurrentObjects, b.Objects, b.Bytes)
}

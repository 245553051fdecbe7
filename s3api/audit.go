package s3api

import (
	"net/http"

	"github.com/cofferstore/coffer/auth"
)

// Auditor records bucket creations and deletions made through S3 in the
// operator's audit log, beside the console's own entries (*auth.Store).
type Auditor interface {
	Audit(ev auth.AuditEvent) error
}

// auditBucket records action on rq's bucket. The actor is "s3:" and the
// signer's tenant (never its key), "s3:anonymous" for an unsigned request.
// A failed write is logged, never answered: the bucket change already
// happened.
func (s *server) auditBucket(r *http.Request, rq *request, action string) {
	if s.audit == nil {
		return
	}
	actor := "s3:anonymous"
	if rq.principal != "" {
		actor = "s3:" + rq.principal
	}
	ev := auth.AuditEvent{Actor: actor, Tenant: rq.tenant, Action: action, Target: rq.bucket}
	if ip := remoteIP(r); ip.IsValid() {
		ev.RemoteIP = ip.String()
	}
	if err := s.audit.Audit(ev); err != nil {
		s.log.Error("audit write failed", "request_id", rq.id, "action", action, "tenant", rq.tenant, "err", err.Error())
	}
}

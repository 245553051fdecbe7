package console

import (
	"fmt"
	"net/http"
)

// healthz is liveness: the process serves HTTP.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write([]byte("ok\n"))
	return err
}

// readyz is readiness: 200 only while enough drives are online for write
// quorum and no index transaction has been open past its bound (a wedged
// index answers nothing, so the load balancer should stop sending). In
// cluster mode etcd must answer too: without it no write can commit.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.cfg.Cluster != nil && !s.cfg.Cluster.Healthy(r.Context()) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, err := w.Write([]byte("not ready: the cluster's etcd is unreachable (no quorum)\n"))
		return err
	}
	if s.store == nil || !s.store.Ready() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, err := w.Write([]byte("not ready: drive write quorum unavailable\n"))
		return err
	}
	if err := s.store.Stalled(); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, err := fmt.Fprintf(w, "not ready: %v\n", err)
		return err
	}
	_, err := w.Write([]byte("ok\n"))
	return err
}

// metrics serves the Prometheus handler from Config.Metrics, or 404 without one.
func (s *server) metrics(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Metrics == nil {
		return errorf(http.StatusNotFound, "metrics are not enabled")
	}
	s.cfg.Metrics.ServeHTTP(w, r)
	return nil
}

package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	ilc "github.com/cofferstore/coffer/internal/lifecycle"
	"github.com/cofferstore/coffer/pkg/lifecycle"
	"github.com/cofferstore/coffer/storage"
)

// The rule IDs the console's lifecycle form owns. Every other rule of a
// container's configuration is kept as it is and shown read-only.
const (
	ruleExpire = "console-expire"
	ruleAbort  = "console-abort"
)

// lifecycleForm is the form's view of a container's lifecycle
// configuration: days of its two rules (0 = off).
type lifecycleForm struct {
	ExpireDays     int `json:"expireDays"`
	NoncurrentDays int `json:"noncurrentDays"`
	AbortDays      int `json:"abortDays"`
}

// lifecycleJSON is GET/PUT .../lifecycle's answer. Rules lists the rules
// the form cannot express (read-only); XML is the stored document ("" when
// none); Revision identifies it, so a PUT made from a stale view is refused.
type lifecycleJSON struct {
	lifecycleForm
	Versioning       string        `json:"versioning"`
	Rules            []ruleSummary `json:"rules"`
	XML              string        `json:"xml"`
	Revision         string        `json:"revision"`
	DefaultAbortDays int           `json:"defaultAbortDays"` // the operator's default for the tenant (0 = never)
}

// ruleSummary is a rule in words, for the read-only list.
type ruleSummary struct {
	ID      string   `json:"id"`
	Status  string   `json:"status"`
	Filter  string   `json:"filter"`
	Actions []string `json:"actions"`
}

// maxFormDays bounds the form's days as S3 bounds a rule's (an int32).
const maxFormDays = 1<<31 - 1

func revisionOf(doc []byte) string {
	if doc == nil {
		return ""
	}
	sum := sha256.Sum256(doc)
	return hex.EncodeToString(sum[:8])
}

// loadLifecycle reads a container's stored configuration (nil when none).
func (s *server) loadLifecycle(ctx context.Context, tenant, name string) ([]byte, *lifecycle.Configuration, error) {
	doc, err := s.store.GetBucketConfig(ctx, tenant, name, storage.ConfigLifecycle)
	if errors.Is(err, storage.ErrNoSuchBucketConfig) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, containerErr(err, name)
	}
	cfg, err := lifecycle.ParseBytes(doc)
	if err != nil {
		// Stored by an older build: shown raw, and the form starts over.
		return doc, nil, nil
	}
	return doc, cfg, nil
}

// wholeContainer reports whether a rule applies to every object.
func wholeContainer(r *lifecycle.Rule) bool {
	if r.Prefix != nil {
		return *r.Prefix == ""
	}
	f := r.Filter
	return f == nil || (f.Prefix == nil || *f.Prefix == "") && f.Tag == nil && f.And == nil &&
		f.ObjectSizeGreaterThan == nil && f.ObjectSizeLessThan == nil
}

// formRule reports whether r is one of the form's rules in a shape the
// form shows, and fills form from it.
func formRule(r *lifecycle.Rule, form *lifecycleForm) bool {
	if r.Status != lifecycle.Enabled || !wholeContainer(r) {
		return false
	}
	switch r.ID {
	case ruleExpire:
		e, n := r.Expiration, r.NoncurrentVersionExpiration
		if r.AbortIncompleteMultipartUpload != nil || e == nil && n == nil ||
			e != nil && e.Days <= 0 || n != nil && n.NewerNoncurrentVersions != 0 {
			return false
		}
		if e != nil {
			form.ExpireDays = e.Days
		}
		if n != nil {
			form.NoncurrentDays = n.NoncurrentDays
		}
		return true
	case ruleAbort:
		if r.Expiration != nil || r.NoncurrentVersionExpiration != nil || r.AbortIncompleteMultipartUpload == nil {
			return false
		}
		form.AbortDays = r.AbortIncompleteMultipartUpload.DaysAfterInitiation
		return true
	}
	return false
}

func summarise(r *lifecycle.Rule) ruleSummary {
	s := ruleSummary{ID: r.ID, Status: string(r.Status), Filter: "every object"}
	if r.Prefix != nil && *r.Prefix != "" {
		s.Filter = fmt.Sprintf("keys starting with %q", *r.Prefix)
	}
	if f := r.Filter; f != nil {
		var parts []string
		if f.Prefix != nil && *f.Prefix != "" {
			parts = append(parts, fmt.Sprintf("keys starting with %q", *f.Prefix))
		}
		if f.Tag != nil {
			parts = append(parts, fmt.Sprintf("tag %s=%s", f.Tag.Key, f.Tag.Value))
		}
		if a := f.And; a != nil {
			if a.Prefix != nil && *a.Prefix != "" {
				parts = append(parts, fmt.Sprintf("keys starting with %q", *a.Prefix))
			}
			for _, t := range a.Tags {
				parts = append(parts, fmt.Sprintf("tag %s=%s", t.Key, t.Value))
			}
			if a.ObjectSizeGreaterThan != nil {
				parts = append(parts, fmt.Sprintf("larger than %d bytes", *a.ObjectSizeGreaterThan))
			}
			if a.ObjectSizeLessThan != nil {
				parts = append(parts, fmt.Sprintf("smaller than %d bytes", *a.ObjectSizeLessThan))
			}
		}
		if f.ObjectSizeGreaterThan != nil {
			parts = append(parts, fmt.Sprintf("larger than %d bytes", *f.ObjectSizeGreaterThan))
		}
		if f.ObjectSizeLessThan != nil {
			parts = append(parts, fmt.Sprintf("smaller than %d bytes", *f.ObjectSizeLessThan))
		}
		for i, p := range parts {
			if i == 0 {
				s.Filter = p
			} else {
				s.Filter += ", " + p
			}
		}
	}
	if e := r.Expiration; e != nil {
		switch {
		case e.Days > 0:
			s.Actions = append(s.Actions, fmt.Sprintf("delete objects %d days after creation", e.Days))
		case !e.Date.IsZero():
			s.Actions = append(s.Actions, "delete objects on "+e.Date.UTC().Format("2006-01-02"))
		case e.ExpiredObjectDeleteMarker != nil && *e.ExpiredObjectDeleteMarker:
			s.Actions = append(s.Actions, "remove expired delete markers")
		}
	}
	if n := r.NoncurrentVersionExpiration; n != nil {
		a := fmt.Sprintf("delete noncurrent versions %d days after they become noncurrent", n.NoncurrentDays)
		if n.NewerNoncurrentVersions > 0 {
			a += fmt.Sprintf(", keeping the %d newest", n.NewerNoncurrentVersions)
		}
		s.Actions = append(s.Actions, a)
	}
	if a := r.AbortIncompleteMultipartUpload; a != nil {
		s.Actions = append(s.Actions, fmt.Sprintf("abort unfinished uploads %d days after they started", a.DaysAfterInitiation))
	}
	return s
}

// lifecycleView builds the answer for a stored document.
func (s *server) lifecycleView(ctx context.Context, tenant, name string, doc []byte, cfg *lifecycle.Configuration) (lifecycleJSON, error) {
	b, err := s.store.GetBucket(ctx, tenant, name)
	if err != nil {
		return lifecycleJSON{}, containerErr(err, name)
	}
	v := lifecycleJSON{Versioning: b.Versioning, Rules: []ruleSummary{}, XML: string(doc), Revision: revisionOf(doc)}
	if cfg != nil {
		for i := range cfg.Rules {
			if !formRule(&cfg.Rules[i], &v.lifecycleForm) {
				v.Rules = append(v.Rules, summarise(&cfg.Rules[i]))
			}
		}
	}
	v.DefaultAbortDays, err = ilc.TenantDefaultDays(ctx, s.store, tenant)
	return v, err
}

// getLifecycle handles GET /api/containers/{name}/lifecycle.
func (s *server) getLifecycle(w http.ResponseWriter, r *http.Request) error {
	tenant := principalFrom(r).User.Tenant
	name := mux.Vars(r)["name"]
	doc, cfg, err := s.loadLifecycle(r.Context(), tenant, name)
	if err != nil {
		return err
	}
	v, err := s.lifecycleView(r.Context(), tenant, name, doc, cfg)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

// putLifecycle handles PUT /api/containers/{name}/lifecycle: the form's
// two rules are replaced (or removed, at 0 days) and every other rule is
// kept; the result is validated by lifecycle.Parse and stored as
// lifecycle.Marshal's canonical form, as S3's PutBucketLifecycleConfiguration
// stores it, so GetBucketLifecycleConfiguration returns it.
func (s *server) putLifecycle(w http.ResponseWriter, r *http.Request) error {
	tenant := principalFrom(r).User.Tenant
	name := mux.Vars(r)["name"]
	var req struct {
		lifecycleForm
		Revision *string `json:"revision"`
	}
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	for _, d := range []int{req.ExpireDays, req.NoncurrentDays, req.AbortDays} {
		if d < 0 || d > maxFormDays {
			return errorf(http.StatusBadRequest, "days must be 0 (off) or a positive number")
		}
	}
	if err := s.requireActiveTenant(r, tenant); err != nil {
		return err
	}
	ctx := r.Context()
	doc, cfg, err := s.loadLifecycle(ctx, tenant, name)
	if err != nil {
		return err
	}
	if req.Revision != nil && *req.Revision != revisionOf(doc) {
		return errorf(http.StatusConflict, "the lifecycle configuration changed since you loaded it; reload and try again")
	}
	next, err := mergeForm(cfg, req.lifecycleForm)
	if err != nil {
		return err
	}
	var out []byte
	if len(next.Rules) > 0 {
		if out, err = lifecycle.Marshal(next); err != nil {
			return err
		}
		parsed, err := lifecycle.ParseBytes(out)
		var le *lifecycle.Error
		if errors.As(err, &le) {
			return &apiError{Status: http.StatusBadRequest, Message: le.Message, cause: err, Fields: map[string]any{"code": le.Code}}
		}
		if err != nil {
			return err
		}
		if out, err = lifecycle.Marshal(parsed); err != nil {
			return err
		}
	}
	err = s.store.SetBucketConfig(ctx, tenant, name, storage.ConfigLifecycle, out)
	if errors.Is(err, storage.ErrConfigTooLarge) {
		return errorf(http.StatusBadRequest, "the lifecycle configuration would be too large")
	}
	if err != nil {
		return containerErr(err, name)
	}
	s.audit(r, tenant, "container.lifecycle", fmt.Sprintf("%s expireDays=%d noncurrentDays=%d abortDays=%d",
		name, req.ExpireDays, req.NoncurrentDays, req.AbortDays))
	doc, cfg, err = s.loadLifecycle(ctx, tenant, name)
	if err != nil {
		return err
	}
	v, err := s.lifecycleView(ctx, tenant, name, doc, cfg)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

// mergeForm returns cfg with the form's rules replaced by form's. A rule
// with one of the form's IDs that the form cannot show (changed through
// S3) is kept, and saving a form rule over it is refused.
func mergeForm(cfg *lifecycle.Configuration, form lifecycleForm) (*lifecycle.Configuration, error) {
	next := &lifecycle.Configuration{}
	v1 := false
	if cfg != nil {
		for i := range cfg.Rules {
			rule := cfg.Rules[i]
			var scratch lifecycleForm
			if formRule(&rule, &scratch) {
				continue
			}
			clash := rule.ID == ruleExpire && (form.ExpireDays > 0 || form.NoncurrentDays > 0) ||
				rule.ID == ruleAbort && form.AbortDays > 0
			if clash {
				return nil, errorf(http.StatusConflict, "rule %s was changed outside the console into a form it cannot show; change or delete it through S3", rule.ID)
			}
			next.Rules = append(next.Rules, rule)
			v1 = v1 || rule.Prefix != nil
		}
	}
	// The form's rules take the configuration's form: S3 refuses mixing the
	// legacy top-level Prefix with Filter.
	scope := func(r *lifecycle.Rule) {
		empty := ""
		if v1 {
			r.Prefix = &empty
		} else {
			r.Filter = &lifecycle.Filter{}
		}
	}
	if form.ExpireDays > 0 || form.NoncurrentDays > 0 {
		r := lifecycle.Rule{ID: ruleExpire, Status: lifecycle.Enabled}
		scope(&r)
		if form.ExpireDays > 0 {
			r.Expiration = &lifecycle.Expiration{Days: form.ExpireDays}
		}
		if form.NoncurrentDays > 0 {
			r.NoncurrentVersionExpiration = &lifecycle.NoncurrentVersionExpiration{NoncurrentDays: form.NoncurrentDays}
		}
		next.Rules = append(next.Rules, r)
	}
	if form.AbortDays > 0 {
		r := lifecycle.Rule{ID: ruleAbort, Status: lifecycle.Enabled,
			AbortIncompleteMultipartUpload: &lifecycle.AbortIncompleteMultipartUpload{DaysAfterInitiation: form.AbortDays}}
		scope(&r)
		next.Rules = append(next.Rules, r)
	}
	return next, nil
}

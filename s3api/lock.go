package s3api

// Object Lock: a bucket's lock configuration, the retention and legal hold
// of one version, and the x-amz-object-lock-* headers of writes. Storage
// enforces every lock (it alone sees the index inside the commit); this file
// parses what clients send, checks what can be checked without the index,
// and renders what storage holds.

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/cofferstore/coffer/storage"
)

// AWS caps a default retention at 100 years, in either unit.
const (
	maxRetentionDays  = 36500
	maxRetentionYears = 100
)

// maxLockDate caps the length of a retain-until date before it is parsed.
const maxLockDate = 64

// Object Lock headers of writes and of GET/HEAD responses.
const (
	hdrLockMode      = "X-Amz-Object-Lock-Mode"
	hdrLockUntil     = "X-Amz-Object-Lock-Retain-Until-Date"
	hdrLockLegalHold = "X-Amz-Object-Lock-Legal-Hold"
	hdrBypass        = "X-Amz-Bypass-Governance-Retention"
)

// S3 errors of Object Lock that the HTTP layer raises itself (the storage
// sentinels are in errorTable).
var (
	errLockConfigNotFound  = errorf("ObjectLockConfigurationNotFoundError", http.StatusNotFound, "Object Lock configuration does not exist for this bucket")
	errNoObjectLockConfig  = errorf("NoSuchObjectLockConfiguration", http.StatusNotFound, "The specified object does not have a ObjectLock configuration")
	errLockNeedsVersioning = errorf("InvalidBucketState", http.StatusConflict, "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")
	errLockHeaderPair      = errorf("InvalidArgument", http.StatusBadRequest, "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied")
	errLockPutNeedsDigest  = errorf("InvalidRequest", http.StatusBadRequest, "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters")
	errLockPartNeedsDigest = errorf("InvalidRequest", http.StatusBadRequest, "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Part requests with Object Lock parameters")
	errInvalidLockHeader   = errorf("InvalidArgument", http.StatusBadRequest, "The x-amz-bucket-object-lock-enabled header must be true or false.")
)

// argumentError is an InvalidArgument naming the argument and its value, as
// AWS reports bad Object Lock arguments.
func argumentError(msg, name, value string) *apiError {
	e := errorf("InvalidArgument", http.StatusBadRequest, msg)
	e.Fields = []errorField{{XMLName: xml.Name{Local: "ArgumentName"}, Value: name}}
	if value != "" {
		e.Fields = append(e.Fields, errorField{XMLName: xml.Name{Local: "ArgumentValue"}, Value: value})
	}
	return e
}

// routeAdder is the shape of the route helper in routes.
type routeAdder func(method string, l level, op string, h handlerFunc, extra ...mux.MatcherFunc)

// lockRoutes adds the Object Lock operations; routes calls it among the
// query-matched routes.
func (s *server) lockRoutes(add routeAdder) {
	q := hasQuery
	add("PUT", levelObject, "PutObjectRetention", s.putObjectRetention, q("retention"))
	add("GET", levelObject, "GetObjectRetention", s.getObjectRetention, q("retention"))
	add("PUT", levelObject, "PutObjectLegalHold", s.putObjectLegalHold, q("legal-hold"))
	add("GET", levelObject, "GetObjectLegalHold", s.getObjectLegalHold, q("legal-hold"))
	add("PUT", levelBucket, "PutObjectLockConfiguration", s.putObjectLockConfiguration, q("object-lock"))
	add("GET", levelBucket, "GetObjectLockConfiguration", s.getObjectLockConfiguration, q("object-lock"))
}

// validLockMode reports whether m names a retention mode (AWS spells them
// in upper case only).
func validLockMode(m string) bool {
	return m == string(storage.LockGovernance) || m == string(storage.LockCompliance)
}

// parseLockDate reads an ISO 8601 retain-until date. A date without a zone
// is UTC, as AWS takes it. It is cut to milliseconds, the precision it is
// rendered with, so that a client sending back the date it read does not
// shorten the retention by a fraction of a millisecond.
func parseLockDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxLockDate {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Truncate(time.Millisecond), true
		}
	}
	return time.Time{}, false
}

// lockTime renders a retain-until date as S3 does in XML and headers.
func lockTime(t time.Time) string { return xmlTime(t) }

// bypassGovernance reports x-amz-bypass-governance-retention: true.
func bypassGovernance(r *http.Request) bool {
	return strings.EqualFold(strings.TrimSpace(r.Header.Get(hdrBypass)), "true")
}

// bucketLockOption reads x-amz-bucket-object-lock-enabled of CreateBucket.
func bucketLockOption(h http.Header) (storage.BucketOptions, error) {
	switch v := strings.ToLower(strings.TrimSpace(h.Get("X-Amz-Bucket-Object-Lock-Enabled"))); v {
	case "", "false":
		return storage.BucketOptions{}, nil
	case "true":
		return storage.BucketOptions{ObjectLock: true}, nil
	}
	return storage.BucketOptions{}, errInvalidLockHeader
}

// lockHeaders is what the x-amz-object-lock-* headers of a write ask for.
type lockHeaders struct {
	retention *storage.Retention // nil: the bucket's default applies
	legalHold bool
	present   bool // any of the headers was sent
}

// parseLockHeaders validates the Object Lock headers of PutObject,
// CopyObject and CreateMultipartUpload in the order AWS checks them: mode
// and date together, then the mode, then the date, then the legal hold.
func parseLockHeaders(h http.Header, now time.Time) (lockHeaders, error) {
	var lh lockHeaders
	mode, date, hold := h.Get(hdrLockMode), h.Get(hdrLockUntil), h.Get(hdrLockLegalHold)
	lh.present = mode != "" || date != "" || hold != ""
	if (mode == "") != (date == "") {
		return lh, errLockHeaderPair
	}
	if mode != "" {
		if !validLockMode(mode) {
			return lh, argumentError("Unknown wormMode directive.", "x-amz-object-lock-mode", mode)
		}
		until, ok := parseLockDate(date)
		if !ok {
			return lh, argumentError("The retain until date must be provided in ISO 8601 format", "x-amz-object-lock-retain-until-date", date)
		}
		if !until.After(now) {
			return lh, argumentError("The retain until date must be in the future!", "x-amz-object-lock-retain-until-date", date)
		}
		lh.retention = &storage.Retention{Mode: storage.LockMode(mode), Until: until}
	}
	switch {
	case hold == "":
	case strings.EqualFold(hold, "ON"):
		lh.legalHold = true
	case strings.EqualFold(hold, "OFF"):
	default:
		return lh, argumentError("Legal Hold must be either of 'ON' or 'OFF'", "x-amz-object-lock-legal-hold", hold)
	}
	return lh, nil
}

// applyLockHeaders puts the Object Lock headers of a write into opts. A
// bucket without Object Lock refuses them in storage (ErrNoLockConfig).
func applyLockHeaders(r *http.Request, opts *storage.PutOptions) (lockHeaders, error) {
	lh, err := parseLockHeaders(r.Header, time.Now())
	if err != nil {
		return lh, err
	}
	opts.Retention, opts.LegalHold = lh.retention, lh.legalHold
	return lh, nil
}

// putLockOptions is applyLockHeaders for PutObject, which AWS accepts only
// with Content-MD5 or a checksum (header or trailer, read into opts by
// bodyOptions) when it carries lock parameters or lands in a bucket with a
// default retention: a corrupt body that is locked could not be replaced.
// The bucket is looked up only for a PUT without any digest.
func (s *server) putLockOptions(r *http.Request, rq *request, opts *storage.PutOptions) error {
	lh, err := applyLockHeaders(r, opts)
	if err != nil || opts.ContentMD5 != nil || opts.ExpectedChecksum != nil {
		return err
	}
	if lh.present {
		return errLockPutNeedsDigest
	}
	b, err := s.store.BucketSettings(rq.ctx, rq.tenant, rq.bucket)
	if err != nil {
		return err
	}
	if b.Lock.Enabled && b.Lock.Mode != "" {
		return errLockPutNeedsDigest
	}
	return nil
}

// partLockDigest refuses, as AWS does, a part without Content-MD5 or a
// checksum for an upload whose object will be locked (its own lock
// settings, or the bucket's default retention). Only a part without any
// digest costs the lookups.
func (s *server) partLockDigest(rq *request, uploadID string, opts storage.PutOptions) error {
	if opts.ContentMD5 != nil || opts.ExpectedChecksum != nil {
		return nil
	}
	lp, err := s.store.ListParts(rq.ctx, rq.tenant, rq.bucket, rq.key, uploadID, storage.ListPartsOptions{MaxParts: 1})
	if err != nil {
		return err
	}
	if lp.Upload.Retention != nil || lp.Upload.LegalHold {
		return errLockPartNeedsDigest
	}
	b, err := s.store.BucketSettings(rq.ctx, rq.tenant, rq.bucket)
	if err != nil {
		return err
	}
	if b.Lock.Enabled && b.Lock.Mode != "" {
		return errLockPartNeedsDigest
	}
	return nil
}

// setLockHeaders adds a version's retention and legal hold to a GET/HEAD
// response.
func setLockHeaders(h http.Header, info storage.ObjectInfo) {
	if info.Retention.Mode != "" {
		h.Set(hdrLockMode, string(info.Retention.Mode))
		h.Set(hdrLockUntil, lockTime(info.Retention.Until))
	}
	if info.LegalHold {
		h.Set(hdrLockLegalHold, "ON")
	}
}

// objectLockConfiguration is the body of Put/GetObjectLockConfiguration.
type objectLockConfiguration struct {
	XMLName           xml.Name  `xml:"ObjectLockConfiguration"`
	NS                string    `xml:"xmlns,attr,omitempty"`
	ObjectLockEnabled string    `xml:"ObjectLockEnabled,omitempty"`
	Rule              *lockRule `xml:"Rule,omitempty"`
}

type lockRule struct {
	DefaultRetention *defaultRetention `xml:"DefaultRetention"`
}

// defaultRetention holds pointers so that an absent period differs from 0.
type defaultRetention struct {
	Mode  string `xml:"Mode,omitempty"`
	Days  *int   `xml:"Days,omitempty"`
	Years *int   `xml:"Years,omitempty"`
}

// parseLockConfig decodes and validates a PutObjectLockConfiguration body.
func parseLockConfig(data []byte) (storage.LockConfig, error) {
	var doc objectLockConfiguration
	if err := decodeXML(data, &doc); err != nil {
		return storage.LockConfig{}, err
	}
	if doc.ObjectLockEnabled != "Enabled" {
		return storage.LockConfig{}, errMalformedXML
	}
	cfg := storage.LockConfig{Enabled: true}
	if doc.Rule == nil {
		return cfg, nil
	}
	dr := doc.Rule.DefaultRetention
	if dr == nil || !validLockMode(dr.Mode) || (dr.Days == nil) == (dr.Years == nil) {
		return storage.LockConfig{}, errMalformedXML
	}
	cfg.Mode = storage.LockMode(dr.Mode)
	name, n, limit := "Days", dr.Days, maxRetentionDays
	if dr.Years != nil {
		name, n, limit = "Years", dr.Years, maxRetentionYears
	}
	if *n <= 0 {
		return storage.LockConfig{}, argumentError("Default retention period must be a positive integer value.", name, "")
	}
	if *n > limit {
		return storage.LockConfig{}, argumentError("Default retention period must not exceed 100 years ("+strconv.Itoa(maxRetentionDays)+" days).", name, "")
	}
	if dr.Years != nil {
		cfg.Years = *n
	} else {
		cfg.Days = *n
	}
	return cfg, nil
}

// lockConfigXML renders a bucket's Object Lock configuration.
func lockConfigXML(cfg storage.LockConfig) objectLockConfiguration {
	doc := objectLockConfiguration{NS: s3NS, ObjectLockEnabled: "Enabled"}
	if cfg.Mode != "" {
		dr := &defaultRetention{Mode: string(cfg.Mode)}
		if cfg.Years > 0 {
			dr.Years = &cfg.Years
		} else {
			dr.Days = &cfg.Days
		}
		doc.Rule = &lockRule{DefaultRetention: dr}
	}
	return doc
}

// objectRetention is the body of Put/GetObjectRetention.
type objectRetention struct {
	XMLName         xml.Name `xml:"Retention"`
	NS              string   `xml:"xmlns,attr,omitempty"`
	Mode            string   `xml:"Mode,omitempty"`
	RetainUntilDate string   `xml:"RetainUntilDate,omitempty"`
}

// parseRetention decodes and validates a PutObjectRetention body. An empty
// Retention removes a retention (storage allows that only for GOVERNANCE
// with the bypass header).
func parseRetention(data []byte, now time.Time) (storage.Retention, error) {
	var doc objectRetention
	if err := decodeXML(data, &doc); err != nil {
		return storage.Retention{}, err
	}
	if doc.Mode == "" && doc.RetainUntilDate == "" {
		return storage.Retention{}, nil
	}
	if !validLockMode(doc.Mode) {
		return storage.Retention{}, errMalformedXML
	}
	until, ok := parseLockDate(doc.RetainUntilDate)
	if !ok {
		return storage.Retention{}, errMalformedXML
	}
	if !until.After(now) {
		return storage.Retention{}, argumentError("The retain until date must be in the future!", "RetainUntilDate", "")
	}
	return storage.Retention{Mode: storage.LockMode(doc.Mode), Until: until}, nil
}

// objectLegalHold is the body of Put/GetObjectLegalHold.
type objectLegalHold struct {
	XMLName xml.Name `xml:"LegalHold"`
	NS      string   `xml:"xmlns,attr,omitempty"`
	Status  string   `xml:"Status"`
}

// parseLegalHold decodes a PutObjectLegalHold body: ON or OFF.
func parseLegalHold(data []byte) (bool, error) {
	var doc objectLegalHold
	if err := decodeXML(data, &doc); err != nil {
		return false, err
	}
	switch doc.Status {
	case "ON":
		return true, nil
	case "OFF":
		return false, nil
	}
	return false, errMalformedXML
}

// lockedBucket returns the bucket of a per-version lock call; a bucket
// without Object Lock is refused before the version is looked up.
func (s *server) lockedBucket(rq *request) (storage.BucketInfo, error) {
	b, err := s.store.GetBucket(rq.ctx, rq.tenant, rq.bucket)
	if err != nil {
		return b, err
	}
	if !b.Lock.Enabled {
		return b, storage.ErrNoLockConfig
	}
	return b, nil
}

// lockedVersion returns the version a GetObjectRetention or
// GetObjectLegalHold addresses (?versionId=, or the current one).
func (s *server) lockedVersion(r *http.Request, rq *request) (storage.ObjectInfo, error) {
	vid, err := versionIDParam(r.URL.Query())
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	if _, err := s.lockedBucket(rq); err != nil {
		return storage.ObjectInfo{}, err
	}
	return s.store.GetObjectVersion(rq.ctx, rq.tenant, rq.bucket, rq.key, vid)
}

// putObjectLockConfiguration handles PUT /bucket?object-lock. On a bucket
// created without Object Lock it enables it, which needs versioning Enabled
// (AWS allows this since 2023).
func (s *server) putObjectLockConfiguration(w http.ResponseWriter, r *http.Request, rq *request) error {
	data, err := readDigestedBody(r, rq, maxSmallXML)
	if err != nil {
		return err
	}
	cfg, err := parseLockConfig(data)
	if err != nil {
		return err
	}
	b, err := s.store.GetBucket(rq.ctx, rq.tenant, rq.bucket)
	if err != nil {
		return err
	}
	if !b.Lock.Enabled && b.Versioning != storage.VersioningEnabled {
		return errLockNeedsVersioning
	}
	if err := s.store.PutObjectLockConfig(rq.ctx, rq.tenant, rq.bucket, cfg); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// getObjectLockConfiguration handles GET /bucket?object-lock.
func (s *server) getObjectLockConfiguration(w http.ResponseWriter, r *http.Request, rq *request) error {
	b, err := s.store.GetBucket(rq.ctx, rq.tenant, rq.bucket)
	if err != nil {
		return err
	}
	if !b.Lock.Enabled {
		return errLockConfigNotFound
	}
	return writeXML(w, http.StatusOK, lockConfigXML(b.Lock))
}

// putObjectRetention handles PUT /bucket/key?retention[&versionId=].
func (s *server) putObjectRetention(w http.ResponseWriter, r *http.Request, rq *request) error {
	data, err := readDigestedBody(r, rq, maxSmallXML)
	if err != nil {
		return err
	}
	ret, err := parseRetention(data, time.Now())
	if err != nil {
		return err
	}
	vid, err := versionIDParam(r.URL.Query())
	if err != nil {
		return err
	}
	if _, err := s.lockedBucket(rq); err != nil {
		return err
	}
	if _, err := s.store.PutObjectRetention(rq.ctx, rq.tenant, rq.bucket, rq.key, vid, ret, bypassGovernance(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// getObjectRetention handles GET /bucket/key?retention[&versionId=].
func (s *server) getObjectRetention(w http.ResponseWriter, r *http.Request, rq *request) error {
	info, err := s.lockedVersion(r, rq)
	if err != nil {
		return err
	}
	if info.Retention.Mode == "" {
		return errNoObjectLockConfig
	}
	return writeXML(w, http.StatusOK, objectRetention{NS: s3NS, Mode: string(info.Retention.Mode),
		RetainUntilDate: lockTime(info.Retention.Until)})
}

// putObjectLegalHold handles PUT /bucket/key?legal-hold[&versionId=].
func (s *server) putObjectLegalHold(w http.ResponseWriter, r *http.Request, rq *request) error {
	data, err := readDigestedBody(r, rq, maxSmallXML)
	if err != nil {
		return err
	}
	on, err := parseLegalHold(data)
	if err != nil {
		return err
	}
	vid, err := versionIDParam(r.URL.Query())
	if err != nil {
		return err
	}
	if _, err := s.lockedBucket(rq); err != nil {
		return err
	}
	if _, err := s.store.PutObjectLegalHold(rq.ctx, rq.tenant, rq.bucket, rq.key, vid, on); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// getObjectLegalHold handles GET /bucket/key?legal-hold[&versionId=]. A
// version that was never held answers OFF: storage keeps one bit, so "never
// set" and "set to OFF" look the same (AWS answers 404 for the first).
func (s *server) getObjectLegalHold(w http.ResponseWriter, r *http.Request, rq *request) error {
	info, err := s.lockedVersion(r, rq)
	if err != nil {
		return err
	}
	status := "OFF"
	if info.LegalHold {
		status = "ON"
	}
	return writeXML(w, http.StatusOK, objectLegalHold{NS: s3NS, Status: status})
}

package console

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"github.com/cofferstore/coffer/pkg/sigv4"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/cofferstore/coffer/auth"
)

// Share links are presigned S3 GET URLs (SigV4 query signing) on the public
// S3 endpoint, signed with the tenant's own S3 key pair: the server reads
// the secret from the auth store and never returns it. A link therefore
// works exactly as long as that key does: rotating or deleting the key
// revokes every link signed with it. auth exports no signer (it verifies
// only), so the signing steps below duplicate auth's canonical request for
// the one shape a presigned GET needs; TestShareLinkFetch checks the
// result against the real S3 handler.

// maxShareExpiry is S3's limit on a presigned URL's lifetime.
const maxShareExpiry = 7 * 24 * time.Hour

// shareLink answers {"key", "versionId", "expiresSeconds"} with a
// presigned GET URL of the object.
func (s *server) shareLink(w http.ResponseWriter, r *http.Request) error {
	tenant := principalFrom(r).User.Tenant
	name := mux.Vars(r)["name"]
	var req struct {
		Key            string `json:"key"`
		VersionID      string `json:"versionId"`
		ExpiresSeconds int64  `json:"expiresSeconds"`
	}
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	if err := checkKey(req.Key); err != nil {
		return err
	}
	if len(req.VersionID) > maxKeyParam {
		return errorf(http.StatusBadRequest, "versionId is too long")
	}
	expiry := time.Duration(req.ExpiresSeconds) * time.Second
	if req.ExpiresSeconds < 1 || expiry > maxShareExpiry {
		return errorf(http.StatusBadRequest, "expiry must be 1 second to 7 days")
	}
	if err := s.requireActiveTenant(r, tenant); err != nil {
		return err
	}
	ctx := r.Context()
	// The object must exist now; the link itself is checked when used.
	if _, err := s.store.GetObjectVersion(ctx, tenant, name, req.Key, req.VersionID); err != nil {
		return objectErr(err, name, req.Key)
	}
	k, err := s.auth.GetKey(tenant)
	if err != nil {
		if errors.Is(err, auth.ErrNoCredential) {
			return errorf(http.StatusConflict, "share links are signed with your S3 key pair: generate one on the Settings tab first")
		}
		return err
	}
	_, secret, err := s.auth.LookupSecret(k.AccessKey)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	link, err := presignGet(s.cfg.PublicEndpoint, s.region, k.AccessKey, secret, name, req.Key, req.VersionID, now, expiry)
	if err != nil {
		return err
	}
	target := name + "/" + req.Key
	if req.VersionID != "" {
		target += " (version " + req.VersionID + ")"
	}
	s.audit(r, tenant, "object.share", target+" for "+expiry.String()+" with "+k.AccessKey)
	return writeJSON(w, http.StatusOK, map[string]any{"url": link, "expires": now.Add(expiry), "accessKey": k.AccessKey})
}

// presignGet returns a path-style SigV4 presigned GET URL of bucket/key on
// endpoint, valid for expiry from now.
func presignGet(endpoint, region, accessKey, secret, bucket, key, versionID string, now time.Time, expiry time.Duration) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", errorf(http.StatusInternalServerError, "the server's public S3 endpoint is not a URL")
	}
	date := now.Format("20060102T150405Z")
	scope := date[:8] + "/" + region + "/s3/aws4_request"
	// The canonical URI is the path encoded once, as S3 expects.
	path := strings.TrimSuffix(u.Path, "/") + "/" + bucket + "/" + key
	canonURI := sigv4Escape(path, true)
	params := map[string]string{
		"X-Amz-Algorithm":     "AWS4-HMAC-SHA256",
		"X-Amz-Credential":    accessKey + "/" + scope,
		"X-Amz-Date":          date,
		"X-Amz-Expires":       strconv.FormatInt(int64(expiry/time.Second), 10),
		"X-Amz-SignedHeaders": "host",
	}
	if versionID != "" {
		params["versionId"] = versionID
	}
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	var q strings.Builder
	for i, k := range names {
		if i > 0 {
			q.WriteByte('&')
		}
		q.WriteString(sigv4Escape(k, false) + "=" + sigv4Escape(params[k], false))
	}
	query := q.String()
	canonical := "GET\n" + canonURI + "\n" + query + "\nhost:" + u.Host + "\n\nhost\nUNSIGNED-PAYLOAD"
	sum := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	k := sigv4.SigningKey(secret, date[:8], region, "s3")
	sig := hex.EncodeToString(hmacSHA256(k, toSign))
	return u.Scheme + "://" + u.Host + canonURI + "?" + query + "&X-Amz-Signature=" + sig, nil
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// sigv4Escape percent-encodes every byte but A-Z a-z 0-9 - _ . ~ (and '/'
// with keepSlash), upper-case hex, as SigV4 requires.
func sigv4Escape(s string, keepSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || (keepSlash && c == '/') {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

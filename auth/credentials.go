package auth

import (
	"cmp"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cofferstore/coffer/internal/kv"
)

// Credential is a tenant's S3 key pair. The secret is only ever returned by
// GenerateKey and RotateKey.
type Credential struct {
	AccessKey string
	SecretKey string
	Created   time.Time
}

// KeyInfo describes a tenant's key pair without its secret.
type KeyInfo struct {
	AccessKey string
	Created   time.Time
	LastUsed  time.Time // zero when never used
}

// credentialRecord is the stored form: the secret sealed with AES-GCM, the
// tenant and access key bound in as additional data.
type credentialRecord struct {
	AccessKey string `json:"accessKey"`
	Sealed    []byte `json:"sealed"` // nonce || ciphertext
	// KeyID is the id of the master key Sealed is sealed under (KeyRing);
	// "" for records sealed before key ids, under the original key.
	KeyID    string    `json:"kid,omitempty"`
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"lastUsed,omitzero"`
}

const (
	accessKeyLen    = 20
	secretKeyLen    = 40
	accessKeyChars  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	secretKeyChars  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	maxTenantLength = 63
)

// randomString draws n characters uniformly from alphabet using crypto/rand
// (rejection sampling, no modulo bias).
func randomString(n int, alphabet string) (string, error) {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n*2)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out), nil
}

// seal seals a tenant's secret under the ring's current key and returns
// the sealed bytes and that key's id.
func (s *Store) seal(tenant, accessKey, secret string) (sealed []byte, keyID string, err error) {
	k := s.ring.current()
	nonce := make([]byte, k.seal.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, "", err
	}
	return k.seal.Seal(nonce, nonce, []byte(secret), secretAAD(tenant, accessKey)), k.ID(), nil
}

func secretAAD(tenant, accessKey string) []byte { return []byte(tenant + "\x00" + accessKey) }

// open unseals a stored secret: under the key its record names, or, for a
// record from before key ids, under the original key (the secret itself
// as the AES key), which is whichever key of the ring opens it.
func (s *Store) open(tenant string, rec credentialRecord) (string, error) {
	var aeads []cipher.AEAD
	if rec.KeyID != "" {
		k := s.ring.byID(rec.KeyID)
		if k == nil {
			return "", fmt.Errorf("auth: the secret of tenant %q is sealed under master key %s, which is not in the key ring", tenant, rec.KeyID)
		}
		aeads = []cipher.AEAD{k.seal}
	} else {
		for _, k := range s.ring.snapshot() {
			aeads = append(aeads, k.legacy)
		}
	}
	for _, aead := range aeads {
		ns := aead.NonceSize()
		if len(rec.Sealed) < ns {
			return "", errors.New("auth: sealed secret too short")
		}
		plain, err := aead.Open(nil, rec.Sealed[:ns], rec.Sealed[ns:], secretAAD(tenant, rec.AccessKey))
		if err == nil {
			return string(plain), nil
		}
	}
	return "", fmt.Errorf("auth: cannot decrypt secret of tenant %q (wrong master key?)", tenant)
}

func validTenant(tenant string) error {
	if tenant == "" || len(tenant) > maxTenantLength {
		return fmt.Errorf("auth: invalid tenant name %q", truncate(tenant))
	}
	return nil
}

// newCredential creates a key pair for tenant inside tx (the caller has
// removed any old one). The pair is drawn afresh on every run of the
// transaction, so the one returned is the one the committing run stored.
func (s *Store) newCredential(tx kv.Tx, tenant string) (Credential, error) {
	keys, err := bucket(tx, bucketAccessKeys)
	if err != nil {
		return Credential{}, err
	}
	creds, err := bucket(tx, bucketCredentials)
	if err != nil {
		return Credential{}, err
	}
	var c Credential
	for {
		ak, err := randomString(accessKeyLen, accessKeyChars)
		if err != nil {
			return Credential{}, err
		}
		taken, err := keys.Get([]byte(ak))
		if err != nil {
			return Credential{}, err
		}
		if taken == nil {
			c.AccessKey = ak
			break
		}
	}
	secret, err := randomString(secretKeyLen, secretKeyChars)
	if err != nil {
		return Credential{}, err
	}
	c.SecretKey = secret
	c.Created = s.now().UTC()
	sealed, kid, err := s.seal(tenant, c.AccessKey, secret)
	if err != nil {
		return Credential{}, err
	}
	rec := credentialRecord{AccessKey: c.AccessKey, Sealed: sealed, KeyID: kid, Created: c.Created}
	if err := putJSON(creds, []byte(tenant), rec); err != nil {
		return Credential{}, err
	}
	if err := keys.Put([]byte(c.AccessKey), []byte(tenant)); err != nil {
		return Credential{}, err
	}
	return c, nil
}

// GenerateKey creates the tenant's key pair. It returns ErrCredentialExists
// when the tenant already has one.
func (s *Store) GenerateKey(tenant string) (Credential, error) {
	if err := validTenant(tenant); err != nil {
		return Credential{}, err
	}
	s.credMu.Lock()
	defer s.credMu.Unlock()
	var c Credential
	err := s.update(func(tx kv.Tx) error {
		c = Credential{}
		creds, err := bucket(tx, bucketCredentials)
		if err != nil {
			return err
		}
		if v, err := creds.Get([]byte(tenant)); err != nil || v != nil {
			return cmp.Or(err, ErrCredentialExists)
		}
		c, err = s.newCredential(tx, tenant)
		return err
	})
	if err != nil {
		return Credential{}, err
	}
	return c, nil
}

// RotateKey replaces the tenant's key pair at once: the old access key fails
// from the next request on (on the other nodes of a cluster within their
// secret cache TTL). It returns ErrNoCredential when there is none.
func (s *Store) RotateKey(tenant string) (Credential, error) {
	s.credMu.Lock()
	defer s.credMu.Unlock()
	var c Credential
	var old string
	err := s.update(func(tx kv.Tx) error {
		c, old = Credential{}, ""
		var err error
		if old, err = deleteCredential(tx, tenant); err != nil {
			return err
		}
		c, err = s.newCredential(tx, tenant)
		return err
	})
	if err != nil {
		return Credential{}, err
	}
	s.forget(tenant, old)
	return c, nil
}

// DeleteKey removes the tenant's key pair; all S3 access stops at once (on
// the other nodes of a cluster within their secret cache TTL). It returns
// ErrNoCredential when there is none.
func (s *Store) DeleteKey(tenant string) error {
	s.credMu.Lock()
	defer s.credMu.Unlock()
	var old string
	err := s.update(func(tx kv.Tx) error {
		var err error
		old, err = deleteCredential(tx, tenant)
		return err
	})
	if err == nil {
		s.forget(tenant, old)
	}
	return err
}

// deleteCredential removes the tenant's key pair inside tx and returns its
// access key ("" on error).
func deleteCredential(tx kv.Tx, tenant string) (accessKey string, err error) {
	creds, err := bucket(tx, bucketCredentials)
	if err != nil {
		return "", err
	}
	keys, err := bucket(tx, bucketAccessKeys)
	if err != nil {
		return "", err
	}
	var rec credentialRecord
	ok, err := getJSON(creds, []byte(tenant), &rec)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", ErrNoCredential
	}
	if err := keys.Delete([]byte(rec.AccessKey)); err != nil {
		return "", err
	}
	if err := creds.Delete([]byte(tenant)); err != nil {
		return "", err
	}
	return rec.AccessKey, nil
}

// forget drops a key from the secret cache and its pending last-used time.
func (s *Store) forget(tenant, accessKey string) {
	s.cache.Delete(accessKey)
	s.usedMu.Lock()
	delete(s.lastUsed, tenant)
	s.usedMu.Unlock()
}

// GetKey describes the tenant's key pair without the secret. It returns
// ErrNoCredential when there is none.
func (s *Store) GetKey(tenant string) (KeyInfo, error) {
	var rec credentialRecord
	err := s.view(func(tx kv.Tx) error {
		rec = credentialRecord{}
		creds, err := bucket(tx, bucketCredentials)
		if err != nil {
			return err
		}
		ok, err := getJSON(creds, []byte(tenant), &rec)
		if err == nil && !ok {
			err = ErrNoCredential
		}
		return err
	})
	if err != nil {
		return KeyInfo{}, err
	}
	info := KeyInfo{AccessKey: rec.AccessKey, Created: rec.Created, LastUsed: rec.LastUsed}
	s.usedMu.Lock()
	if m, ok := s.lastUsed[tenant]; ok && m.accessKey == info.AccessKey && m.at.After(info.LastUsed) {
		info.LastUsed = m.at
	}
	s.usedMu.Unlock()
	return info, nil
}

// LookupSecret returns the tenant and plaintext secret of an access key,
// from an in-memory cache that this store's rotation and deletion
// invalidate at once (another process's, on a shared store, within the
// cache TTL). It returns ErrInvalidAccessKeyID for unknown keys.
func (s *Store) LookupSecret(accessKey string) (tenant, secret string, err error) {
	if c, ok := s.cached(accessKey); ok {
		return c.tenant, c.secret, nil
	}
	if len(accessKey) != accessKeyLen {
		return "", "", ErrInvalidAccessKeyID
	}
	s.credMu.Lock()
	defer s.credMu.Unlock()
	if c, ok := s.cached(accessKey); ok {
		return c.tenant, c.secret, nil
	}
	err = s.view(func(tx kv.Tx) error {
		tenant, secret = "", ""
		keys, err := bucket(tx, bucketAccessKeys)
		if err != nil {
			return err
		}
		creds, err := bucket(tx, bucketCredentials)
		if err != nil {
			return err
		}
		t, err := keys.Get([]byte(accessKey))
		if err != nil {
			return err
		}
		if t == nil {
			return ErrInvalidAccessKeyID
		}
		tenant = string(t)
		var rec credentialRecord
		ok, err := getJSON(creds, []byte(tenant), &rec)
		if err != nil {
			return err
		}
		if !ok || rec.AccessKey != accessKey {
			return ErrInvalidAccessKeyID
		}
		secret, err = s.open(tenant, rec)
		return err
	})
	if errors.Is(err, ErrInvalidAccessKeyID) {
		s.cache.Delete(accessKey) // an expired entry of a key gone meanwhile
	}
	if err != nil {
		return "", "", err
	}
	s.cache.Store(accessKey, cachedSecret{tenant, secret, s.now()})
	return tenant, secret, nil
}

// cached returns accessKey's cached secret unless it is older than the
// cache TTL.
func (s *Store) cached(accessKey string) (cachedSecret, bool) {
	v, ok := s.cache.Load(accessKey)
	if !ok {
		return cachedSecret{}, false
	}
	c := v.(cachedSecret)
	if s.cacheTTL > 0 && s.now().Sub(c.at) >= s.cacheTTL {
		return cachedSecret{}, false
	}
	return c, true
}

// MarkUsed records that accessKey just signed a valid request. It only
// touches memory; the time reaches disk every 30 s and on Close.
func (s *Store) MarkUsed(accessKey string) {
	v, ok := s.cache.Load(accessKey)
	if !ok {
		return
	}
	tenant := v.(cachedSecret).tenant
	now := s.now().UTC()
	s.usedMu.Lock()
	s.lastUsed[tenant] = usedMark{accessKey, now}
	s.usedMu.Unlock()
}

// flushBatch is how many tenants' last-used times one transaction writes
// (a transaction's size is bounded on etcd).
const flushBatch = 64

// flushLastUsed writes pending last-used times to the store, flushBatch
// tenants per transaction. Times a failed transaction did not write go
// back to the pending set for the next flush.
func (s *Store) flushLastUsed() {
	s.usedMu.Lock()
	pending := s.lastUsed
	s.lastUsed = map[string]usedMark{}
	s.usedMu.Unlock()
	if len(pending) == 0 {
		return
	}
	tenants := make([]string, 0, len(pending))
	for t := range pending {
		tenants = append(tenants, t)
	}
	s.credMu.Lock()
	defer s.credMu.Unlock()
	for len(tenants) > 0 {
		batch := tenants[:min(flushBatch, len(tenants))]
		tenants = tenants[len(batch):]
		err := s.update(func(tx kv.Tx) error {
			b, err := bucket(tx, bucketCredentials)
			if err != nil {
				return err
			}
			for _, tenant := range batch {
				m := pending[tenant]
				data, err := b.Get([]byte(tenant))
				if err != nil {
					return err
				}
				var rec credentialRecord // a deleted or unreadable record is skipped
				if data == nil || json.Unmarshal(data, &rec) != nil || rec.AccessKey != m.accessKey || !m.at.After(rec.LastUsed) {
					continue
				}
				rec.LastUsed = m.at
				if err := putJSON(b, []byte(tenant), rec); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			s.requeueUsed(pending, batch)
		}
	}
}

// requeueUsed puts back the last-used times of tenants a flush could not
// write, unless a newer use replaced them meanwhile.
func (s *Store) requeueUsed(pending map[string]usedMark, tenants []string) {
	s.usedMu.Lock()
	defer s.usedMu.Unlock()
	for _, t := range tenants {
		if _, newer := s.lastUsed[t]; !newer {
			s.lastUsed[t] = pending[t]
		}
	}
}

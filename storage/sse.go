package storage

import (
	"errors"
	"fmt"
	"io"

	"github.com/cofferstore/coffer/pkg/sse"
)

// SSEMode is how an object version is encrypted at rest.
type SSEMode string

// Encryption modes.
const (
	SSENone SSEMode = ""
	SSES3   SSEMode = "SSE-S3" // data key sealed under the server's master key (Config.Keys)
	SSEC    SSEMode = "SSE-C"  // data key sealed under the customer's key
)

// Encryption is what a write asks for (PutOptions.Encryption) or what a
// read of an SSE-C object must supply (ObjectReader.UseCustomerKey).
type Encryption struct {
	Mode SSEMode
	// CustomerKey is the SSE-C key (Mode SSEC); it lives only for the call.
	CustomerKey *sse.CustomerKey
}

// Sentinels of server-side encryption.
var (
	// ErrSSEKeyRequired is returned when an SSE-C object (or upload) is read or written without its customer key.
	ErrSSEKeyRequired = errors.New("storage: the object is encrypted with a customer key that was not supplied")
	// ErrSSEKeyMismatch is returned when the supplied customer key is not the object's (or upload's).
	ErrSSEKeyMismatch = errors.New("storage: the customer key does not match the object's")
	// ErrSSENotCustomer is returned when a customer key is supplied for an object that is not SSE-C.
	ErrSSENotCustomer = errors.New("storage: the object is not encrypted with a customer key")
	// ErrSSENoMasterKey is returned when SSE-S3 is asked for, or an SSE-S3 object read, while the store has no (matching) master key.
	ErrSSENoMasterKey = errors.New("storage: no master key for server-side encryption")
	// ErrSSECorrupt is returned when an encrypted object's record or ciphertext fails authentication.
	ErrSSECorrupt = errors.New("storage: encrypted data failed authentication")
)

// sseContext binds an SSE record and its ciphertext to one write: the
// tenant's bucket, the key and an id drawn for that write (a single-part
// version's SSEID, an upload's id), so neither can be moved to another
// object or replayed as another write of the same key. Master-key
// rotation re-seals records with the same context.
func sseContext(tenant, bucket, key, id string) sse.Context {
	return sse.Context{Bucket: tenant + "/" + bucket, Key: key, Version: id}
}

// sseContext is the context of an encrypted version's record.
func (r *objRecord) sseContext() sse.Context {
	return sseContext(r.Tenant, r.Bucket, r.Key, r.SSEID)
}

// sseContext is the context of an encrypted upload's record, which its
// completed object keeps (objRecord.SSEID is the upload id).
func (u *uploadRecord) sseContext() sse.Context {
	return sseContext(u.Tenant, u.Bucket, u.Key, u.UploadID)
}

// sseMode reports the mode of a marshalled record (SSENone for nil).
func sseMode(data []byte) SSEMode {
	if data == nil {
		return SSENone
	}
	rec, err := sse.Unmarshal(data)
	if err == nil && rec.Algorithm == sse.AlgorithmCustomer {
		return SSEC
	}
	return SSES3
}

// defaultEncryption is the encryption of a write to bucket b that asked
// for none: SSE-S3 when the operator encrypts everything (SSEDefault) or
// the bucket has a default encryption document (ConfigEncryption: its
// presence is the switch; the S3 layer stores only AES256 documents).
func (s *Store) defaultEncryption(tx indexTx, b *bucketRecord, e Encryption) (Encryption, error) {
	if e.Mode != SSENone || e.CustomerKey != nil {
		return e, nil
	}
	if s.cfg.SSEDefault {
		return Encryption{Mode: SSES3}, nil
	}
	doc, err := tx.bucketConfig(b.ID, ConfigEncryption)
	if err != nil || len(doc) == 0 {
		return e, err
	}
	return Encryption{Mode: SSES3}, nil
}

// newSSE makes the record and the writing cipher of a new encrypted
// stream, or nil for Mode SSENone.
func (s *Store) newSSE(e Encryption, ctx sse.Context) ([]byte, *sse.Cipher, error) {
	var (
		rec *sse.Record
		c   *sse.Cipher
		err error
	)
	switch e.Mode {
	case SSENone:
		if e.CustomerKey != nil {
			return nil, nil, ErrSSENotCustomer
		}
		return nil, nil, nil
	case SSES3:
		if s.cfg.Keys == nil || s.cfg.Keys.Current() == nil {
			return nil, nil, ErrSSENoMasterKey
		}
		rec, c, err = sse.NewS3(s.cfg.Keys.Current(), ctx)
	case SSEC:
		if e.CustomerKey == nil {
			return nil, nil, ErrSSEKeyRequired
		}
		rec, c, err = sse.NewCustomer(e.CustomerKey, ctx)
	default:
		return nil, nil, fmt.Errorf("storage: unknown encryption mode %q", e.Mode)
	}
	if err != nil {
		return nil, nil, err
	}
	data, err := rec.Marshal()
	if err != nil {
		return nil, nil, err
	}
	return data, c, nil
}

// openSSE opens the cipher of a stored record with the master keys (SSE-S3)
// or ck (SSE-C), turning pkg/sse's errors into storage sentinels.
func (s *Store) openSSE(data []byte, ctx sse.Context, ck *sse.CustomerKey) (*sse.Cipher, error) {
	rec, err := sse.Unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSSECorrupt, err)
	}
	var c *sse.Cipher
	if rec.Algorithm == sse.AlgorithmCustomer {
		c, err = rec.OpenCustomer(ctx, ck)
	} else if ck != nil {
		return nil, ErrSSENotCustomer
	} else {
		var keys []*sse.MasterKey
		if s.cfg.Keys != nil {
			keys = s.cfg.Keys.All()
		}
		c, err = rec.Open(ctx, keys...)
	}
	return c, sseError(err)
}

// checkCustomerKey checks ck against an SSE-C record without unsealing:
// nil when it matches, or when the record is not SSE-C and ck is nil.
func checkCustomerKey(data []byte, ck *sse.CustomerKey) error {
	if data == nil {
		if ck != nil {
			return ErrSSENotCustomer
		}
		return nil
	}
	rec, err := sse.Unmarshal(data)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSSECorrupt, err)
	}
	if rec.Algorithm != sse.AlgorithmCustomer && ck == nil {
		return nil
	}
	return sseError(rec.CheckCustomerKey(ck))
}

// sseError maps pkg/sse's errors to storage sentinels.
func sseError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sse.ErrCustomerKeyRequired):
		return ErrSSEKeyRequired
	case errors.Is(err, sse.ErrWrongCustomerKey):
		return ErrSSEKeyMismatch
	case errors.Is(err, sse.ErrNotCustomerEncrypted):
		return ErrSSENotCustomer
	case errors.Is(err, sse.ErrUnknownMasterKey):
		return fmt.Errorf("%w: %v", ErrSSENoMasterKey, err)
	case errors.Is(err, sse.ErrAuthentication), errors.Is(err, sse.ErrInvalidRecord):
		return fmt.Errorf("%w: %v", ErrSSECorrupt, err)
	case errors.Is(err, sse.ErrInvalidRange):
		return fmt.Errorf("%w: %v", ErrInvalidRange, err)
	}
	return err
}

// plainSource reads a plaintext body through its bodyReader (which
// enforces the declared size and computes the plaintext's MD5 and
// checksum: the ETag and checksums are the plaintext's) for the cipher's
// encrypting reader, whose ciphertext writeData stores.
type plainSource struct {
	b    *bodyReader
	done bool
}

func (s *plainSource) Read(p []byte) (int, error) {
	if s.done {
		return 0, io.EOF
	}
	n, done, err := s.b.readBlock(p)
	if err != nil {
		return n, err
	}
	if done {
		s.done = true
		if n == 0 {
			return 0, io.EOF
		}
	}
	return n, nil
}

// plainSize is the plaintext size of a stored stream.
func (r dataRef) plainSize() int64 {
	if r.PlainSize > 0 || r.SSESalt != nil {
		return r.PlainSize
	}
	return r.Size
}

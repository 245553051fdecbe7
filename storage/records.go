package storage

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/cofferstore/coffer/pkg/checksum"
	"github.com/zeebo/xxh3"
)

// dataRef locates one erasure-coded stream: a single-part object's body or
// one multipart part. Its shards live on the drives under ID.
type dataRef struct {
	ID        string `json:"id"`
	Size      int64  `json:"size"`
	Data      int    `json:"data"`
	Parity    int    `json:"parity"`
	BlockSize int    `json:"blockSize"`
	// Inline streams keep their shard bytes inside the per-drive .meta file
	// instead of a separate .shard file.
	Inline bool `json:"inline,omitempty"`
	// Align is the frame padding of .shard streams (frameAlign since
	// direct I/O; 0: frames unpadded, as written before).
	Align int `json:"align,omitempty"`
	// Packed, for inline streams of single-part objects, locates each
	// drive's record in its pack log (index i = drive i) instead of .meta
	// files. Copies written to the drives carry no Packed.
	Packed []PackLoc `json:"packed,omitempty"`
	// SSESalt is, for a part of an encrypted multipart upload, the salt
	// its part key was derived with (sse.Cipher.NewPart); nil otherwise.
	SSESalt []byte `json:"sseSalt,omitempty"`
	// SSEPart is that part's number (its key and nonces depend on it).
	SSEPart int `json:"ssePart,omitempty"`
	// PlainSize is, for an encrypted stream, its plaintext size (Size is
	// the ciphertext's, what the shards hold).
	PlainSize int64 `json:"plainSize,omitempty"`
}

// objRecord is an object's index entry; the same record is written into the
// .meta file of its ID on every drive.
type objRecord struct {
	ID           string                        `json:"id"`
	Tenant       string                        `json:"tenant"`
	Bucket       string                        `json:"bucket"`
	BucketID     string                        `json:"bucketID"`
	Key          string                        `json:"key"`
	Size         int64                         `json:"size"`
	ETag         string                        `json:"etag"`
	ModTime      time.Time                     `json:"modTime"`
	Meta         ObjectMeta                    `json:"meta"`
	Checksums    map[checksum.Algorithm]string `json:"checksums,omitempty"`
	ChecksumType string                        `json:"checksumType,omitempty"`
	PartsCount   int                           `json:"partsCount,omitempty"`
	// Parts are the data streams in order; one for a plain PUT.
	Parts []dataRef `json:"parts"`
	// PartSizes and PartETags are kept for multipart objects (PartsCount > 0).
	PartETags []string `json:"partETags,omitempty"`
	// PartChecksums are the parts' checksums of the upload's algorithm,
	// kept for GetObjectAttributes (absent on records written before).
	PartChecksums []string `json:"partChecksums,omitempty"`
	// VersionID is the version's id; "" is the null version (never
	// versioned or suspended buckets). Stamp orders a key's versions (a
	// larger stamp is newer; 0 on records written before versioning); a
	// non-null VersionID encodes it (see newVersionID).
	VersionID string `json:"versionID,omitempty"`
	Stamp     uint64 `json:"stamp,omitempty"`
	// DeleteMarker marks a delete marker: a 0-byte packed record that is
	// never read, kept so that the key reads as deleted.
	DeleteMarker bool       `json:"deleteMarker,omitempty"`
	Retention    *Retention `json:"retention,omitempty"`
	LegalHold    bool       `json:"legalHold,omitempty"`
	// ACL is the version's canned ACL name ("": none set), opaque here.
	ACL string `json:"acl,omitempty"`
	// SSE is the version's marshalled sse.Record (nil: stored unencrypted).
	// The parts' salts of an encrypted multipart object are in
	// Parts[i].SSESalt.
	SSE []byte `json:"sse,omitempty"`
	// SSEID is the id the record's sse.Context names (see sseContext): drawn
	// per write for a single-part version, the upload id for a multipart one.
	SSEID string `json:"sseID,omitempty"`
	// Seq is, for a small PUT acknowledged before its index commit
	// (fastput.go), its sequence in the fast log; 0 otherwise.
	Seq uint64 `json:"seq,omitempty"`
}

// versionID is the version's public id ("null" for the null version).
func (r *objRecord) versionID() string {
	if r.VersionID == "" {
		return NullVersion
	}
	return r.VersionID
}

func (r *objRecord) info() ObjectInfo {
	return ObjectInfo{
		Bucket:       r.Bucket,
		Key:          r.Key,
		Size:         r.Size,
		ETag:         r.ETag,
		ModTime:      r.ModTime,
		Meta:         r.Meta,
		Checksums:    r.Checksums,
		ChecksumType: r.ChecksumType,
		PartsCount:   r.PartsCount,
		VersionID:    r.versionID(),
		DeleteMarker: r.DeleteMarker,
		Retention:    r.retention(),
		LegalHold:    r.LegalHold,
		ACL:          r.ACL,
		Encryption:   sseMode(r.SSE),
	}
}

// fullInfo is info plus what only a single-version read returns: the
// parts of a multipart object.
func (r *objRecord) fullInfo() ObjectInfo {
	info := r.info()
	if r.PartsCount > 0 && len(r.Parts) == r.PartsCount {
		info.Parts = make([]ObjectPart, len(r.Parts))
		for i, p := range r.Parts {
			info.Parts[i].Size = p.plainSize()
			if len(r.PartChecksums) == len(r.Parts) {
				info.Parts[i].Checksum = r.PartChecksums[i]
			}
		}
	}
	return info
}

func (r *objRecord) retention() Retention {
	if r.Retention == nil {
		return Retention{}
	}
	return *r.Retention
}

// packed reports whether the object's only stream lives in pack logs.
func (r *objRecord) packed() bool { return len(r.Parts) == 1 && r.Parts[0].Packed != nil }

// fileIDs returns the ids that have files on the drives (not packed).
func (r *objRecord) fileIDs() []string {
	if r.packed() {
		return nil
	}
	return r.dataIDs()
}

// dataIDs returns every id whose data belongs to the object.
func (r *objRecord) dataIDs() []string {
	ids := []string{r.ID}
	for _, p := range r.Parts {
		if p.ID != r.ID {
			ids = append(ids, p.ID)
		}
	}
	return ids
}

// partRecord is an uploaded part's index entry.
type partRecord struct {
	UploadID  string                        `json:"uploadID"`
	Number    int                           `json:"number"`
	ETag      string                        `json:"etag"`
	Size      int64                         `json:"size"`
	ModTime   time.Time                     `json:"modTime"`
	Checksums map[checksum.Algorithm]string `json:"checksums,omitempty"`
	Ref       dataRef                       `json:"ref"`
}

func (p *partRecord) info() PartInfo {
	return PartInfo{PartNumber: p.Number, ETag: p.ETag, Size: p.Size, ModTime: p.ModTime, Checksums: p.Checksums}
}

// uploadRecord is an unfinished multipart upload.
type uploadRecord struct {
	UploadID     string             `json:"uploadID"`
	Tenant       string             `json:"tenant"`
	Bucket       string             `json:"bucket"`
	Key          string             `json:"key"`
	Initiated    time.Time          `json:"initiated"`
	Checksum     checksum.Algorithm `json:"checksum,omitempty"`
	ChecksumType string             `json:"checksumType,omitempty"`
	Meta         ObjectMeta         `json:"meta"`
	// Retention and LegalHold are applied to the object at Complete.
	Retention *Retention `json:"retention,omitempty"`
	LegalHold bool       `json:"legalHold,omitempty"`
	// ACL is applied to the object at Complete.
	ACL string `json:"acl,omitempty"`
	// SSE is the upload's marshalled sse.Record, made at
	// CreateMultipartUpload (nil: unencrypted); every part is encrypted
	// under a part key of its data key and Complete copies it to the object.
	SSE []byte `json:"sse,omitempty"`
}

func (u *uploadRecord) info() UploadInfo {
	return UploadInfo{Bucket: u.Bucket, Key: u.Key, UploadID: u.UploadID, Initiated: u.Initiated,
		Checksum: u.Checksum, ChecksumType: u.ChecksumType, Meta: u.Meta, Retention: u.Retention, LegalHold: u.LegalHold,
		Encryption: sseMode(u.SSE)}
}

// metaHeader is the JSON head of a per-drive .meta file.
type metaHeader struct {
	Kind   string      `json:"kind"` // "object", "part", "delete" or "bucket"
	Shard  int         `json:"shard"`
	Object *objRecord  `json:"object,omitempty"`
	Part   *partRecord `json:"part,omitempty"`
	// For parts: where the upload lives.
	Tenant   string `json:"tenant,omitempty"`
	Bucket   string `json:"bucket,omitempty"`
	BucketID string `json:"bucketID,omitempty"`
	Key      string `json:"key,omitempty"`
	// UploadSSE is, for a part of an encrypted upload, the upload's
	// record (uploadRecord.SSE), so RebuildIndex restores the upload
	// encrypted.
	UploadSSE []byte `json:"uploadSSE,omitempty"`
	// Kills, in a pack log "delete" record, names packed records that are
	// dead (so RebuildIndex does not bring them back) and the segment on
	// this drive that holds each.
	Kills []packKill `json:"kills,omitempty"`
	// Bucket, in a "bucket" .meta file (named by the bucket id), is the
	// bucket's versioning state and Object Lock configuration.
	BucketCfg *bucketRecord `json:"bucketCfg,omitempty"`
	// Configs, in a "bucket" .meta file, are the bucket's configuration
	// documents by kind (configs.go).
	Configs map[ConfigKind][]byte `json:"configs,omitempty"`
}

// packKill names a dead packed record: its data id and its segment.
type packKill struct {
	ID  string `json:"id"`
	Seg uint32 `json:"seg"`
}

// id is the data id the record describes.
func (h *metaHeader) id() string {
	if h.Object != nil {
		if len(h.Object.Parts) == 1 {
			return h.Object.Parts[0].ID
		}
		return h.Object.ID
	}
	if h.Part != nil {
		return h.Part.Ref.ID
	}
	if h.BucketCfg != nil {
		return h.BucketCfg.ID
	}
	return ""
}

// A .meta file is:
//
//	"CFM1" | u32 header length | header JSON | u32 inline length | inline shard stream | u64 xxh3 of all before
var metaMagic = []byte("CFM1")

// errBadMeta is returned when a .meta file is truncated or corrupt.
var errBadMeta = errors.New("storage: corrupt metadata file")

const maxMetaHeader = 1 << 24

func encodeMeta(h *metaHeader, inline []byte) ([]byte, error) {
	hb, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	return frameMeta(hb, inline), nil
}

// frameMeta builds a .meta record from its JSON header and inline stream.
func frameMeta(hb, inline []byte) []byte {
	b := make([]byte, 0, len(metaMagic)+8+len(hb)+len(inline)+8)
	b = append(b, metaMagic...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(hb)))
	b = append(b, hb...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(inline)))
	b = append(b, inline...)
	b = binary.BigEndian.AppendUint64(b, xxh3.Hash(b))
	return b
}

// encodeObjectMetas encodes the "object" .meta records of rec for every
// shard (inline[i] on drive i), marshalling rec once: each header is
// exactly what json.Marshal makes of metaHeader{Kind: "object", Shard: i,
// Object: rec}.
func encodeObjectMetas(rec *objRecord, inline [][]byte) ([][]byte, error) {
	obj, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(inline))
	for i := range inline {
		hb := make([]byte, 0, 48+len(obj))
		hb = append(hb, `{"kind":"object","shard":`...)
		hb = strconv.AppendInt(hb, int64(i), 10)
		hb = append(hb, `,"object":`...)
		hb = append(hb, obj...)
		hb = append(hb, '}')
		out[i] = frameMeta(hb, inline[i])
	}
	return out, nil
}

// decodeMeta parses a .meta file; the inline slice aliases b.
func decodeMeta(b []byte) (*metaHeader, []byte, error) {
	hb, rest, err := splitMeta(b)
	if err != nil {
		return nil, nil, err
	}
	var h metaHeader
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", errBadMeta, err)
	}
	switch {
	case h.Kind == "object" && h.Object != nil && h.Part == nil:
	case h.Kind == "part" && h.Part != nil && h.Object == nil:
	case h.Kind == "delete" && len(h.Kills) > 0 && h.Part == nil && h.Object == nil:
	case h.Kind == "bucket" && h.BucketCfg != nil && h.Part == nil && h.Object == nil:
	default:
		return nil, nil, fmt.Errorf("%w: kind %q", errBadMeta, h.Kind)
	}
	return &h, rest, nil
}

// splitMeta checks a .meta record's frame and checksum and returns its
// JSON header and inline stream (both alias b).
func splitMeta(b []byte) (header, inline []byte, err error) {
	if len(b) < len(metaMagic)+16 || string(b[:4]) != string(metaMagic) {
		return nil, nil, errBadMeta
	}
	body, sum := b[:len(b)-8], binary.BigEndian.Uint64(b[len(b)-8:])
	if xxh3.Hash(body) != sum {
		return nil, nil, fmt.Errorf("%w: checksum mismatch", errBadMeta)
	}
	rest := body[4:]
	hl := binary.BigEndian.Uint32(rest)
	rest = rest[4:]
	if hl > maxMetaHeader || uint64(hl)+4 > uint64(len(rest)) {
		return nil, nil, fmt.Errorf("%w: header length", errBadMeta)
	}
	header, rest = rest[:hl], rest[hl:]
	il := binary.BigEndian.Uint32(rest)
	rest = rest[4:]
	if uint64(il) != uint64(len(rest)) {
		return nil, nil, fmt.Errorf("%w: inline length", errBadMeta)
	}
	return header, rest, nil
}

// objectMetaInline is the read path's decodeMeta for drive shard's copy of
// single-part object data id: when the record's header starts as
// encodeObjectMetas and encodeMeta write it for that shard and id, the
// inline stream is returned without parsing the header (ok). Parsing it was
// most of a 4 KiB GET's CPU: a GET reads every drive's copy, and the header
// holds the whole object record. The record's checksum is checked as by
// decodeMeta; ok is false, with no error, when the header is of another
// form (the caller then decodes it).
func objectMetaInline(b []byte, shard int, id string) (inline []byte, ok bool, err error) {
	hb, inline, err := splitMeta(b)
	if err != nil {
		return nil, false, err
	}
	var want [96]byte
	prefix := append(want[:0], `{"kind":"object","shard":`...)
	prefix = strconv.AppendInt(prefix, int64(shard), 10)
	prefix = append(prefix, `,"object":{"id":"`...)
	prefix = append(prefix, id...)
	prefix = append(prefix, '"')
	if !bytes.HasPrefix(hb, prefix) {
		return nil, false, nil
	}
	return inline, true, nil
}

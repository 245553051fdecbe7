package storage

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// DriveFormat is the identity written to root/format.json of every drive at
// first start. On restart it tells which position a drive holds in the set,
// so a missing, swapped or wiped drive is recognised.
type DriveFormat struct {
	Version   int       `json:"version"`
	SetID     string    `json:"setID"`
	DriveID   string    `json:"driveID"`
	Index     int       `json:"index"`
	Drives    int       `json:"drives"`
	Data      int       `json:"data"`
	Parity    int       `json:"parity"`
	BlockSize int       `json:"blockSize"`
	Created   time.Time `json:"created"`
}

const formatVersion = 1

func (f DriveFormat) encode() ([]byte, error) { return json.MarshalIndent(f, "", "  ") }

func decodeFormat(b []byte) (DriveFormat, error) {
	var f DriveFormat
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("storage: bad drive format file: %w", err)
	}
	if f.Version != formatVersion || f.SetID == "" || f.DriveID == "" || f.Index < 0 || f.Index >= f.Drives {
		return f, fmt.Errorf("storage: bad drive format file (version %d, index %d of %d)", f.Version, f.Index, f.Drives)
	}
	return f, nil
}

// newID returns a random 128-bit hex id, used for upload ids, bucket ids
// and drive ids.
func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

// newDataID returns a data id (what names an object's files and pack
// records): 32 hex digits like newID's, but after the first byte ordered
// by time, so that the ids the index records in one commit sit together in
// its ids keyspace. With random ids a commit of 16 small PUTs dirtied 16
// leaf pages there (each written and read back into memory by bbolt); in
// time order it dirties one or two. The first byte, which names the data
// directory of the id's files (dataPath), is the current second mod 256, so
// files still spread over all 256 directories, a second at a time. The
// last 9 bytes are random: ids stay unique and unguessable.
func newDataID() string {
	var b [16]byte
	if _, err := rand.Read(b[7:]); err != nil {
		panic(err)
	}
	t := time.Now()
	b[0] = byte(t.Unix())
	ms := uint64(t.UnixMilli())
	for i := 6; i >= 1; i-- { // 48 bits of milliseconds, big-endian
		b[i] = byte(ms)
		ms >>= 8
	}
	return hex.EncodeToString(b[:])
}

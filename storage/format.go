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

// newID returns a random 128-bit hex id, used for data ids, upload ids,
// bucket ids and drive ids.
func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

package storage

import "fmt"

// S3's multipart limits, stated once. s3api checks them on the wire before
// it reads a body (to answer with S3's own error early); storage checks them
// again because it is the last line before the drives.
const (
	// MaxPartNumber is the highest part number; part numbers are 1..MaxPartNumber.
	MaxPartNumber = 10000
	// MaxPartSize is the largest part, and the largest single PutObject.
	MaxPartSize = 5 << 30
	// MinPartSize is the smallest part other than the last one.
	MinPartSize = 5 << 20
)

// ValidPartNumber reports whether n is a part number S3 accepts (1..10000).
func ValidPartNumber(n int) bool { return n >= 1 && n <= MaxPartNumber }

// Limits of an erasure set.
const (
	MinDrives = 2
	MaxDrives = 16
)

// CheckLayout returns nil when drives drives with parity parity shards make
// an erasure set Open accepts: 2 to 16 drives and 1 to drives/2 parity
// (0 means the default, drives/2). The write quorum is the data shard count
// (plus one at data == parity), so more parity than data would let two write
// quorums miss each other; no parity would make every drive fault a loss.
// The server's configuration check calls this too, so the rule lives here.
func CheckLayout(drives, parity int) error {
	if drives < MinDrives || drives > MaxDrives {
		return fmt.Errorf("storage: need %d to %d drives, got %d", MinDrives, MaxDrives, drives)
	}
	if parity != 0 && (parity < 1 || parity > drives/2) {
		return fmt.Errorf("storage: parity %d out of range 1..%d for %d drives", parity, drives/2, drives)
	}
	return nil
}

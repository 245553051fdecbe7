package storage

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestConcurrentFormat: a drive formatted by several callers at once (in
// a cluster, its own node's store and the leader's heal over the drive
// protocol) ends with one whole format record and no caller fails.
func TestConcurrentFormat(t *testing.T) {
	for round := range 20 {
		d := newLocalDrive(t.TempDir())
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() {
				errs[i] = d.Format(DriveFormat{Version: formatVersion, SetID: "set", DriveID: fmt.Sprintf("d%d", i),
					Index: 1, Drives: 4, Data: 2, Parity: 2, BlockSize: DefaultBlockSize, Created: time.Now()})
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: Format %d: %v", round, i, err)
			}
		}
		f, err := d.ReadFormat()
		if err != nil || f.SetID != "set" || f.Index != 1 {
			t.Fatalf("round %d: ReadFormat = %+v, %v", round, f, err)
		}
	}
}

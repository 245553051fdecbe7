package storage

import (
	"strings"
	"testing"
)

func TestCheckLayout(t *testing.T) {
	for _, tc := range []struct {
		drives, parity int
		wantErr        string
	}{
		{2, 0, ""}, {2, 1, ""}, {4, 2, ""}, {5, 2, ""}, {16, 8, ""}, {16, 0, ""},
		{1, 0, "need 2 to 16 drives"}, {17, 1, "need 2 to 16 drives"},
		{4, 3, "parity 3 out of range 1..2"}, {5, 3, "parity 3 out of range 1..2"},
		{4, -1, "parity -1"}, {2, 2, "parity 2 out of range 1..1"},
	} {
		err := CheckLayout(tc.drives, tc.parity)
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("CheckLayout(%d, %d) = %v, want %q", tc.drives, tc.parity, err, tc.wantErr)
		}
	}
}

func TestValidPartNumber(t *testing.T) {
	for n, want := range map[int]bool{-1: false, 0: false, 1: true, 5000: true, 10000: true, 10001: false} {
		if got := ValidPartNumber(n); got != want {
			t.Errorf("ValidPartNumber(%d) = %v, want %v", n, got, want)
		}
	}
}

package postpolicy

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestLimitLength(t *testing.T) {
	cases := []struct {
		name     string
		size     int
		rng      Range
		code     string
		passed   int64
		extraKey string
		extraVal string
	}{
		{"inside", 50, Range{10, 100}, "", 50, "", ""},
		{"at max", 100, Range{10, 100}, "", 100, "", ""},
		{"at min", 10, Range{10, 100}, "", 10, "", ""},
		{"any size", 1 << 20, AnySize, "", 1 << 20, "", ""},
		{"empty allowed", 0, Range{0, 0}, "", 0, "", ""},
		{"one past max", 101, Range{10, 100}, "EntityTooLarge", 100, "MaxSizeAllowed", "100"},
		{"far past max", 1 << 20, Range{10, 100}, "EntityTooLarge", 100, "MaxSizeAllowed", "100"},
		{"zero max", 1, Range{0, 0}, "EntityTooLarge", 0, "MaxSizeAllowed", "0"},
		{"under min", 9, Range{10, 100}, "EntityTooSmall", 9, "ProposedSize", "9"},
		{"empty under min", 0, Range{1, 100}, "EntityTooSmall", 0, "MinSizeAllowed", "1"},
	}
	for _, tc := range cases {
		for _, slow := range []bool{false, true} {
			t.Run(tc.name, func(t *testing.T) {
				var src io.Reader = bytes.NewReader(bytes.Repeat([]byte("z"), tc.size))
				if slow {
					src = iotest.OneByteReader(src)
				}
				l := LimitLength(src, tc.rng)
				got, err := io.ReadAll(l)
				if int64(len(got)) != tc.passed || l.N() != tc.passed {
					t.Fatalf("passed %d (N %d), want %d", len(got), l.N(), tc.passed)
				}
				if tc.code == "" {
					if err != nil {
						t.Fatal(err)
					}
					return
				}
				var pe *Error
				if !errors.As(err, &pe) || pe.Code != tc.code || pe.Status != 400 || fieldValue0(pe, tc.extraKey) != tc.extraVal {
					t.Fatalf("err = %+v, want %s with %s=%s", err, tc.code, tc.extraKey, tc.extraVal)
				}
				// The error is sticky: a retry never reaches io.EOF.
				if _, err2 := l.Read(make([]byte, 8)); !errors.Is(err2, pe) {
					t.Fatalf("second read: %v", err2)
				}
			})
		}
	}
}

func TestLimitLengthStopsReading(t *testing.T) {
	src := strings.NewReader(strings.Repeat("a", 1<<20))
	io.Copy(io.Discard, LimitLength(src, Range{0, 1000}))
	if read := int64(1<<20) - int64(src.Len()); read > 1001 {
		t.Fatalf("read %d bytes of the source for a 1000-byte limit", read)
	}
}

func TestLimitLengthPassesErrors(t *testing.T) {
	boom := errors.New("client went away")
	_, err := io.ReadAll(LimitLength(&errAfter{data: []byte("abc"), err: boom}, Range{0, 10}))
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
}

package checksum

import "testing"

// Known answers for "hello world", computed independently (AWS docs, crc catalogues).
func TestKnownAnswers(t *testing.T) {
	tests := []struct {
		algo Algorithm
		want string
	}{
		{CRC32, "DUoRhQ=="},
		{CRC32C, "yZRlqg=="},
		{CRC64NVME, "jSnVw/bqjr4="},
		{SHA1, "Kq5sNclPz7QV2+lfQIuc6R7oRu0="},
		{SHA256, "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="},
	}
	for _, tt := range tests {
		t.Run(string(tt.algo), func(t *testing.T) {
			if got := tt.algo.Sum([]byte("hello world")); got != tt.want {
				t.Fatalf("%s(hello world) = %s, want %s", tt.algo, got, tt.want)
			}
			if !tt.algo.Valid(tt.want) {
				t.Fatalf("Valid(%q) = false", tt.want)
			}
		})
	}
}

func TestParseAndHeader(t *testing.T) {
	for _, a := range All {
		got, err := FromHeader(a.Header())
		if err != nil || got != a {
			t.Fatalf("FromHeader(%q) = %q, %v", a.Header(), got, err)
		}
	}
	if _, err := Parse("md5"); err != ErrUnknownAlgorithm {
		t.Fatalf("Parse(md5) err = %v, want ErrUnknownAlgorithm", err)
	}
	if CRC32.Valid("not base64!") || CRC32.Valid("yZRlqgA=") {
		t.Fatal("Valid accepted a malformed or wrong-size value")
	}
}

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

// TestMultipartTypeRules pins the one statement of S3's multipart checksum
// type rules that s3api and storage both use.
func TestMultipartTypeRules(t *testing.T) {
	defaults := map[Algorithm]string{None: "", CRC32: Composite, CRC32C: Composite, CRC64NVME: FullObject, SHA1: Composite, SHA256: Composite}
	for a, want := range defaults {
		if got := DefaultMultipartType(a); got != want {
			t.Errorf("DefaultMultipartType(%q) = %q, want %q", a, got, want)
		}
		if want != "" && !ValidMultipartType(a, want) {
			t.Errorf("the default type %q of %q is not valid for it", want, a)
		}
	}
	valid := map[[2]string]bool{
		{"CRC32", FullObject}: true, {"CRC32C", FullObject}: true, {"CRC64NVME", FullObject}: true,
		{"SHA1", FullObject}: false, {"SHA256", FullObject}: false, {"", FullObject}: false,
		{"CRC32", Composite}: true, {"SHA256", Composite}: true, {"CRC64NVME", Composite}: false, {"", Composite}: false,
		{"CRC32", "full_object"}: false, {"CRC32", ""}: false, {"CRC32", "BOTH"}: false,
	}
	for k, want := range valid {
		if got := ValidMultipartType(Algorithm(k[0]), k[1]); got != want {
			t.Errorf("ValidMultipartType(%q, %q) = %v, want %v", k[0], k[1], got, want)
		}
	}
}

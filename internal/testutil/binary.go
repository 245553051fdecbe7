package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// CofferBinary is the coffer binary whole-binary suites (test/reliability,
// test/cluster) run from TestMain: $COFFER_BIN when set, else one built
// from this module into a temporary directory, which done removes.
func CofferBinary() (bin string, done func(), err error) {
	if bin := os.Getenv("COFFER_BIN"); bin != "" {
		return bin, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "coffer-test-bin")
	if err != nil {
		return "", nil, err
	}
	done = func() { _ = os.RemoveAll(dir) }
	bin = filepath.Join(dir, "coffer")
	_, file, _, _ := runtime.Caller(0)
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/coffer")
	cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		done()
		return "", nil, fmt.Errorf("go build ./cmd/coffer: %w", err)
	}
	return bin, done, nil
}

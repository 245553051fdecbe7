//go:build !linux

package server

// physicalMemory is unknown off Linux: the automatic memory limit is off there.
func physicalMemory() int64 { return 0 }

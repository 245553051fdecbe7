//go:build race

package storage

// raceEnabled: the race detector slows the embedded etcd server as well as
// the store, so TestEtcdIndex keeps to its concurrent tests under -race.
const raceEnabled = true

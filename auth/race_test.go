//go:build race

package auth

// raceEnabled lets single-goroutine load tests skip themselves under -race,
// where they gain nothing and run thirty times slower (make race).
const raceEnabled = true

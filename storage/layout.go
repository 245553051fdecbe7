package storage

// Layout returns the erasure layout in force: data and parity shards per
// block (the one recorded on the drives wins over the configured one).
// Usable capacity is raw capacity times data/(data+parity).
func (s *Store) Layout() (data, parity int) { return s.data, s.parity }

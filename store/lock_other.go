//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package store

import "os"

// tryLock has no advisory lock to take on this system: the lock file and
// its PID are written, but a second daemon is not refused.
func tryLock(*os.File) (bool, error) { return true, nil }

func unlock(*os.File) error { return nil }

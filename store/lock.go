package store

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ErrLocked is what a LockedError is: another process holds the store's
// lock.
var ErrLocked = errors.New("store: locked by another process")

// LockedError says which store is held, through which lock file, and by
// which process when the holder wrote its PID.
type LockedError struct {
	Path     string // the store
	LockPath string
	PID      int // 0 when unknown
}

func (e *LockedError) Error() string {
	holder := "another silencewatch process"
	if e.PID > 0 {
		holder += " (pid " + strconv.Itoa(e.PID) + ")"
	}
	return fmt.Sprintf("store: %s is in use by %s, which holds %s; stop it, or give this one another store", e.Path, holder, e.LockPath)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// LockPath is the lock file of the store at path: next to it, ".lock"
// appended.
func LockPath(path string) string { return path + ".lock" }

// Lock is an exclusive advisory lock on a SQLite store, held by one daemon
// so a second one on the same file does not fetch and alert everything
// twice. A PostgreSQL store takes none: several processes may share it.
// Readers (export, check) do not take it. The kernel drops it when the
// process dies, so a crash leaves no stale lock; the file itself stays.
type Lock struct {
	f *os.File
}

// AcquireLock takes the exclusive lock of the store at path without
// waiting, and writes this process's PID into the lock file. When another
// process holds it, the error is a *LockedError naming that process's PID
// if it wrote one.
func AcquireLock(path string) (*Lock, error) {
	lp := LockPath(path)
	f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("store: lock %s: %w", lp, err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("store: lock %s: %w", lp, err)
	}
	if !held {
		pid := readPID(f)
		f.Close()
		return nil, &LockedError{Path: path, LockPath: lp, PID: pid}
	}
	if err = f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	if err != nil {
		unlock(f)
		f.Close()
		return nil, fmt.Errorf("store: lock %s: write pid: %w", lp, err)
	}
	return &Lock{f: f}, nil
}

// Release gives the lock up. The lock file stays: removing it would let a
// process that opened it just before hold a lock on a deleted file.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.f.Truncate(0) // no stale PID for the next reader
	err := unlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	if err != nil {
		return fmt.Errorf("store: release lock: %w", err)
	}
	return nil
}

func readPID(f *os.File) int {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

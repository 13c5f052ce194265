package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLockExclusive takes a store's lock twice (two open files, as two
// processes would): the second is refused with the holder's PID, and
// succeeds once the first is released.
func TestLockExclusive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sw.db")
	first, err := AcquireLock(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = AcquireLock(path)
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v, want a LockedError", err)
	}
	if le.PID != os.Getpid() || le.Path != path || le.LockPath != path+".lock" {
		t.Errorf("LockedError %+v, want pid %d and the paths", le, os.Getpid())
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "store: ") || !strings.Contains(msg, path) || !strings.Contains(msg, "pid ") {
		t.Errorf("message %q should start with the package and name the store and the pid", msg)
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := AcquireLock(path)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again.Release()
}

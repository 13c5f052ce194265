//go:build unix

package textmatch

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time of the process so far. With GOMAXPROCS=1 (-cpu
// 1) it is the time one core spent, whatever else the machine runs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

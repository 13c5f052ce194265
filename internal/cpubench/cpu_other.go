//go:build !unix

package cpubench

import "time"

// processCPU is unknown here: no cpu-MB/s is reported.
func processCPU() time.Duration { return 0 }

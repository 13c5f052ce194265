package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent kills the child if the test process dies first (a test
// timeout), so no daemon outlives the test.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

package app

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"testing"
)

// mainEnv, set in a child's environment, makes the test binary run
// silencewatch itself with its arguments: process-level tests start real
// `silencewatch` processes without building the binary.
const mainEnv = "SILENCEWATCH_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Main(ctx, os.Args[1:], StdEnv())
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

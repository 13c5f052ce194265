// Command silencewatch watches news media during an election's silence
// period and reports publications that break it. See the README.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/silencewatch/silencewatch/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Main(ctx, os.Args[1:], app.StdEnv())
	stop()
	os.Exit(code)
}

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
	env := app.StdEnv()
	env.Reload = hangups(ctx)
	code := app.Main(ctx, os.Args[1:], env)
	stop()
	os.Exit(code)
}

// hangups turns SIGHUP into reload requests: `kill -HUP` makes a running
// `silencewatch run` re-read its config. Requests arriving during a
// reload collapse into one more.
func hangups(ctx context.Context) <-chan struct{} {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP)
	out := make(chan struct{}, 1)
	go func() {
		defer signal.Stop(sig)
		for {
			select {
			case <-ctx.Done():
				return
			case <-sig:
				select {
				case out <- struct{}{}:
				default:
				}
			}
		}
	}()
	return out
}

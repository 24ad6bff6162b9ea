// Command patchline is the git-native patch pipeline.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/patchline/patchline/internal/cli"
)

// version is set at release time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, cli.NewFactory(version), os.Args[1:])
	stop()
	os.Exit(code)
}

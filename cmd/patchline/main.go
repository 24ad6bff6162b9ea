// Command patchline is the git-native patch pipeline.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	// Sites name their time zone in site.toml; freeze windows are read in
	// it even on hosts without a zoneinfo database (minimal containers).
	_ "time/tzdata"

	"github.com/patchline/patchline/internal/cli"
)

// version is set at release time with -ldflags "-X main.version=…";
// without it, cli.BuildVersion reads what go install recorded.
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, cli.NewFactory(cli.BuildVersion(version)), os.Args[1:])
	stop()
	os.Exit(code)
}

// Command profile runs one patchline command in-process under the CPU
// profiler, to see where `patchline validate` spends its time:
//
//	go run ./bench/validate/profile -cpu /tmp/cpu.pprof -- validate --all --repo R --format json >/dev/null
//	go tool pprof -top /tmp/cpu.pprof
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/patchline/patchline/internal/cli"
)

func main() {
	cpu := flag.String("cpu", "cpu.pprof", "where to write the CPU profile")
	flag.Parse()
	f, err := os.Create(*cpu)
	if err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		os.Exit(2)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		os.Exit(2)
	}
	start := time.Now()
	code := cli.Main(context.Background(), cli.NewFactory("bench"), flag.Args())
	pprof.StopCPUProfile()
	f.Close()
	fmt.Fprintf(os.Stderr, "profile: exit %d in %v; profile in %s\n", code, time.Since(start).Round(time.Millisecond), *cpu)
	os.Exit(code)
}

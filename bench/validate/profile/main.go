// Command profile runs one patchline command in-process under the CPU
// profiler, to see where `patchline validate` spends its time:
//
//	go run ./bench/validate/profile -cpu /tmp/cpu.pprof -- validate --all --repo R --format json >/dev/null
//	go tool pprof -top /tmp/cpu.pprof
//
// With -n N it runs the command N times in the same process and prints the
// median and fastest run: the command's own work, without the process
// start a shell timing pays (the first run also opens files cold).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/patchline/patchline/internal/cli"
)

func main() {
	cpu := flag.String("cpu", "cpu.pprof", "where to write the CPU profile")
	n := flag.Int("n", 1, "how many times to run the command")
	mem := flag.String("mem", "", "also write an allocation profile here (every 4 KiB allocated is sampled)")
	flag.Parse()
	if *mem != "" {
		runtime.MemProfileRate = 4096
	}
	f, err := os.Create(*cpu)
	if err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		os.Exit(2)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		os.Exit(2)
	}
	var code int
	var took []time.Duration
	for range max(*n, 1) {
		start := time.Now()
		code = cli.Main(context.Background(), cli.NewFactory("bench"), flag.Args())
		took = append(took, time.Since(start))
	}
	pprof.StopCPUProfile()
	f.Close()
	if *mem != "" {
		mf, err := os.Create(*mem)
		if err == nil {
			err = pprof.Lookup("allocs").WriteTo(mf, 0)
			mf.Close()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "profile:", err)
			os.Exit(2)
		}
	}
	slices.Sort(took)
	fmt.Fprintf(os.Stderr, "profile: exit %d; %d runs, median %v, fastest %v; profile in %s\n",
		code, len(took), took[len(took)/2].Round(10*time.Microsecond), took[0].Round(10*time.Microsecond), *cpu)
	os.Exit(code)
}

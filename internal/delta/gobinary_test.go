package delta

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/arch/arm64/arm64asm"
	"golang.org/x/arch/x86/x86asm"
)

// program is a small Go program; greeting is the line that changes between
// the two builds.
func program(greeting string) string {
	var b strings.Builder
	b.WriteString("package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\t\"sort\"\n\t\"strings\"\n)\n\n")
	// Enough functions that the change moves code and data around.
	for i := range 40 {
		fmt.Fprintf(&b, "func step%d(s []string) []string {\n\tsort.Strings(s)\n\treturn append(s, strings.Repeat(%q, %d))\n}\n\n", i, fmt.Sprint("x", i), i%7+1)
	}
	b.WriteString("func main() {\n\tvar s []string\n")
	for i := range 40 {
		fmt.Fprintf(&b, "\ts = step%d(s)\n", i)
	}
	fmt.Fprintf(&b, "\tfmt.Fprintln(os.Stdout, %s, len(s))\n}\n", greeting)
	return b.String()
}

// buildProgram builds source the way releases are built: reproducibly,
// stripped, with no build ID, for linux on goarch.
func buildProgram(t *testing.T, goCmd, dir, goarch, name, source string) []byte {
	t.Helper()
	src := filepath.Join(dir, name+".go")
	if err := os.WriteFile(src, []byte(source), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, name)
	cmd := exec.Command(goCmd, "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", bin, src)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=", "GO111MODULE=on", "GOOS=linux", "GOARCH="+goarch)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", name, err, out)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGoBinaries builds a program twice with a one-line change, for
// linux/amd64 and linux/arm64, and checks the delta between the two
// executables, the case patchline ships: it round-trips, the headers give
// the predictor every rule it has for the architecture, and prediction
// makes the delta smaller than the same delta without it.
func TestGoBinaries(t *testing.T) {
	t.Parallel()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	for _, goarch := range []string{"amd64", "arm64"} {
		t.Run(goarch, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			old := buildProgram(t, goCmd, dir, goarch, "v1", program(`"hello"`))
			new := buildProgram(t, goCmd, dir, goarch, "v2", program(`"hello, world", len(s) > 3`))
			d := roundTrip(t, old, new)
			t.Logf("%d -> %d byte executable: delta of %d bytes, %.3f%% of new", len(old), len(new), len(d), 100*float64(len(d))/float64(len(new)))

			ps := predictors(old, new)
			if len(ps) != 2 {
				t.Fatalf("predictors for a linux/%s Go executable: %d, want none and one with rules", goarch, len(ps))
			}
			p := ps[1]
			code := p.x86
			if goarch == "arm64" {
				code = p.arm
			}
			if !p.abs64 || len(code) == 0 || len(p.nobits) == 0 || p.pcln == nil || p.pcln.nfunc < 100 {
				t.Errorf("rules for a linux/%s Go executable = %+v, want abs64, code ranges, zero-filled ranges and the function table", goarch, p)
			}
			for i, b := range p.pcln.bases {
				if b[0] == 0 || b[1] == 0 {
					t.Errorf("pclntab base %d not found: %v", i, b)
				}
			}
			checkChunkedScan(t, old, new, p)
			if goarch == "arm64" {
				checkArm64Decoder(t, old, p.arm)
			} else {
				checkX86Decoder(t, old, p.x86)
			}

			var without bytes.Buffer
			if err := createWith(old, new, &without, -1, ps[:1]); err != nil {
				t.Fatal(err)
			}
			if len(d) >= without.Len() {
				t.Errorf("delta with prediction is %d bytes, without %d: want smaller", len(d), without.Len())
			}
		})
	}
}

// checkChunkedScan checks that the scanner finds the same fields when it
// is stopped and resumed at arbitrary limits, as Apply does it a chunk at
// a time, as in one pass, as Create does it.
func checkChunkedScan(t *testing.T, old, new []byte, p predictor) {
	t.Helper()
	oi, ook := readExec(old)
	ni, nok := readExec(new)
	var fixed []fixedPart
	if f, ok := pclnFixed(old, new, oi, ni); ok && ook && nok {
		fixed = append(fixed, f)
	}
	entries := compact(newIndex(old).plan(new, fixed...))
	m := newShiftMap(entries)
	type field struct {
		pos   int64
		v     uint64
		width int
	}
	rng := rand.New(rand.NewPCG(7, 7))
	var oldPos, newPos int64
	fields := 0
	for _, e := range entries {
		oldPos += e.seek
		var want, got []field
		p.patches(old, oldPos, oldPos+e.diff, newPos-oldPos, m, func(pos int64, v uint64, width int) {
			want = append(want, field{pos, v, width})
		})
		s := p.scanner(old, m)
		s.start(oldPos, oldPos+e.diff, newPos-oldPos)
		for lim := oldPos; lim < oldPos+e.diff; {
			lim += 1 + rng.Int64N(64)
			for {
				pos, v, width, ok := s.next(lim)
				if !ok {
					break
				}
				got = append(got, field{pos, v, width})
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("region at old %d: resumed scan found %d fields, one pass %d", oldPos, len(got), len(want))
		}
		fields += len(want)
		oldPos += e.diff
		newPos += e.diff + e.extra
	}
	t.Logf("%d fields predicted in %d entries", fields, len(entries))
}

// checkArm64Decoder decodes every instruction of an arm64 Go executable's
// code with golang.org/x/arch's arm64asm and checks that the predictor's
// own decoder, kept to a few masks so that Apply stays fast, finds the
// same PC-relative operands: every branch, literal load and ADRP the
// disassembler sees, with the same offset, and nothing else.
func checkArm64Decoder(t *testing.T, b []byte, code []span) {
	t.Helper()
	var seen, adr int
	for _, c := range code {
		for p := c.start; p+4 <= c.end; p += 4 {
			w := binary.LittleEndian.Uint32(b[p:])
			bits, lo, adrp := armClass(w)
			inst, err := arm64asm.Decode(b[p : p+4])
			var rel arm64asm.PCRel
			hasRel := false
			if err == nil {
				for _, a := range inst.Args {
					if r, ok := a.(arm64asm.PCRel); ok {
						rel, hasRel = r, true
					}
				}
			}
			switch {
			case hasRel && inst.Op == arm64asm.ADR:
				adr++ // not predicted: Go's linker uses ADRP
			case hasRel && inst.Op == arm64asm.ADRP:
				if !adrp || adrpPage(w) != int64(rel) {
					t.Fatalf("%#x: arm64asm decodes %v (page %#x), the predictor %v", p, inst, int64(rel), adrp)
				}
				seen++
			case hasRel:
				if bits == 0 || armOffset(w, bits, lo)*4 != int64(rel) {
					t.Fatalf("%#x: arm64asm decodes %v (offset %#x), the predictor %d bits at %d", p, inst, int64(rel), bits, lo)
				}
				seen++
			case bits > 0 || adrp:
				if err == nil {
					t.Fatalf("%#x: the predictor takes %08x (%v) for a PC-relative instruction", p, w, inst)
				}
			}
		}
	}
	if seen < 1000 {
		t.Fatalf("only %d PC-relative instructions in the code", seen)
	}
	t.Logf("arm64asm and the predictor agree on %d PC-relative instructions (%d ADR left alone)", seen, adr)
}

// checkX86Decoder disassembles an x86-64 Go executable's code with
// golang.org/x/arch's x86asm and counts how many of its 4-byte PC-relative
// operands the predictor's byte patterns find: all of them, or the
// predictor is missing a kind of instruction.
func checkX86Decoder(t *testing.T, b []byte, code []span) {
	t.Helper()
	var found, missed, triggers int
	for _, c := range code {
		for p := c.start; p < c.end; {
			inst, err := x86asm.Decode(b[p:c.end], 64)
			if err != nil || inst.Len == 0 {
				p++
				continue
			}
			if inst.PCRel == 4 {
				at := p + int64(inst.PCRelOff)
				if rel32Operand(b[at-2], b[at-1]) {
					found++
				} else {
					missed++
					if missed <= 5 {
						t.Logf("%#x: %v: its operand at +%d follows % x", p, inst, inst.PCRelOff, b[at-2:at])
					}
				}
			}
			p += int64(inst.Len)
		}
		for p := max(c.start, 2); p < c.end; p++ {
			if rel32Operand(b[p-2], b[p-1]) {
				triggers++
			}
		}
	}
	if found < 1000 || missed > found/100 {
		t.Fatalf("the predictor's patterns find %d of the %d PC-relative operands x86asm decodes", found, found+missed)
	}
	t.Logf("the predictor's patterns find %d of %d PC-relative operands, and fire at %d offsets in all", found, found+missed, triggers)
}

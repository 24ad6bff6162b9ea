package lazyre

import (
	"errors"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestLazy(t *testing.T) {
	t.Parallel()
	var g registry
	r := g.add(`^([a-z]+)-(\d+)$`)
	if r.re != nil {
		t.Fatal("compiled by add, want compiled on first use")
	}
	if got := r.String(); got != `^([a-z]+)-(\d+)$` {
		t.Errorf("String() = %q", got)
	}
	if r.re != nil {
		t.Fatal("compiled by String, want compiled on first use")
	}
	if !r.MatchString("pl-7") {
		t.Error(`MatchString("pl-7") = false`)
	}
	if r.re == nil {
		t.Fatal("not compiled after MatchString")
	}
	if r.Get() != r.re {
		t.Error("Get compiled a second time")
	}
}

func TestMethods(t *testing.T) {
	t.Parallel()
	const expr = `([a-z]+)-(\d+)`
	var g registry
	r, want := g.add(expr), regexp.MustCompile(expr)
	for _, s := range []string{"", "pl-7", "x pl-7 and ab-12, c-", "PL-7"} {
		if got, w := r.MatchString(s), want.MatchString(s); got != w {
			t.Errorf("MatchString(%q) = %v, want %v", s, got, w)
		}
		if got, w := r.FindString(s), want.FindString(s); got != w {
			t.Errorf("FindString(%q) = %q, want %q", s, got, w)
		}
		if got, w := r.FindStringSubmatch(s), want.FindStringSubmatch(s); !slices.Equal(got, w) {
			t.Errorf("FindStringSubmatch(%q) = %q, want %q", s, got, w)
		}
		if got, w := r.FindAllStringSubmatch(s, -1), want.FindAllStringSubmatch(s, -1); !slices.EqualFunc(got, w, slices.Equal) {
			t.Errorf("FindAllStringSubmatch(%q, -1) = %q, want %q", s, got, w)
		}
	}
}

// TestConcurrent uses one Regexp from many goroutines at once, as handlers
// do; under -race it shows the first compile is not a data race, and every
// goroutine must see the same compiled expression.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	var g registry
	r := g.add(`^[0-9a-f]{64}$`)
	const n = 32
	got := make([]*regexp.Regexp, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			if !r.MatchString(strings.Repeat("a", 64)) {
				t.Error("MatchString = false")
			}
			got[i] = r.Get()
		})
	}
	close(start)
	wg.Wait()
	for i, re := range got {
		if re == nil || re != got[0] {
			t.Fatalf("goroutine %d got %p, goroutine 0 got %p", i, re, got[0])
		}
	}
}

func TestCheckReportsBadExpressions(t *testing.T) {
	t.Parallel()
	var g registry
	g.add(`^ok$`)
	bad := g.add(`^([a-z]+$`) // a typo New does not catch: it compiles nothing
	g.add(`x{2,1}`)
	err := g.check()
	if err == nil {
		t.Fatal("check() = nil, want the two bad expressions")
	}
	msg := err.Error()
	for _, want := range []string{"`^([a-z]+$`", "missing closing )", "`x{2,1}`", "invalid repeat count"} {
		if !strings.Contains(msg, want) {
			t.Errorf("check() = %q, want it to mention %s", msg, want)
		}
	}
	if strings.Contains(msg, "`^ok$`") {
		t.Errorf("check() = %q, reports a good expression", msg)
	}
	if n := strings.Count(msg, "\n") + 1; n != 2 {
		t.Errorf("check() reports %d expressions, want 2:\n%s", n, msg)
	}
	var se *syntax.Error
	if !errors.As(err, &se) {
		t.Errorf("check() = %T, want it to wrap a *syntax.Error", err)
	}

	// A bad expression panics on use, as regexp.MustCompile would have
	// at init, and keeps panicking rather than returning nil.
	for range 2 {
		func() {
			defer func() {
				if p, _ := recover().(string); !strings.HasPrefix(p, "regexp: Compile(`^([a-z]+$`): ") {
					t.Errorf("MatchString of a bad expression panicked with %q", p)
				}
			}()
			bad.MatchString("x")
		}()
	}
}

func TestCheckGood(t *testing.T) {
	t.Parallel()
	var g registry
	if err := g.check(); err != nil {
		t.Errorf("check() of an empty registry = %v", err)
	}
	g.add(`^[a-z]{1,32}/[a-z0-9]{1,32}$`)
	if err := g.check(); err != nil {
		t.Errorf("check() = %v", err)
	}
}

func TestNewRegisters(t *testing.T) {
	t.Parallel()
	r := New(`^lazyre-test$`)
	std.mu.Lock()
	registered := slices.Contains(std.list, r)
	std.mu.Unlock()
	if !registered {
		t.Error("New did not register its expression for CheckAll")
	}
	if err := CheckAll(); err != nil {
		t.Errorf("CheckAll() = %v", err)
	}
}

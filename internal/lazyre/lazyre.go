// Package lazyre holds package-level regular expressions that compile on
// first use instead of at program start. regexp.MustCompile in a package
// var runs in every patchline process, whatever the command, and bounded
// repeats such as {0,127} make it costly: together they were about half of
// the time patchline spent in package init.
//
// Deferring the compile would also defer a typo in an expression from
// start-up to the first input that reaches it, so every New registers its
// expression and CheckAll compiles them all; a test of the command calls it,
// which catches the typo before release.
package lazyre

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"sync"
)

// Regexp is a regular expression compiled the first time it is used. It is
// safe for concurrent use, as *regexp.Regexp is.
type Regexp struct {
	expr string
	once sync.Once
	re   *regexp.Regexp
	err  error
}

// New returns expr as a Regexp, not yet compiled, and registers it for
// CheckAll. Call it for package-level vars only: a Regexp is never
// unregistered, so one made per call would grow the list for good.
func New(expr string) *Regexp { return std.add(expr) }

// CheckAll compiles every expression New has registered so far and reports
// those that do not compile, one per line of the error, so a test can catch
// what would otherwise panic on first use.
func CheckAll() error { return std.check() }

// Get returns the compiled expression, compiling it on the first call. It
// panics if the expression does not compile, as regexp.MustCompile would
// have at init, and on every later call too.
func (r *Regexp) Get() *regexp.Regexp {
	r.once.Do(r.compile)
	if r.err != nil {
		panic(`regexp: Compile(` + quote(r.expr) + `): ` + r.err.Error())
	}
	return r.re
}

func (r *Regexp) compile() { r.re, r.err = regexp.Compile(r.expr) }

// String returns the source text of the expression. It does not compile
// it, so printing a Regexp, or naming it in an error, costs nothing.
func (r *Regexp) String() string { return r.expr }

// MatchString is regexp.Regexp.MatchString.
func (r *Regexp) MatchString(s string) bool { return r.Get().MatchString(s) }

// FindString is regexp.Regexp.FindString.
func (r *Regexp) FindString(s string) string { return r.Get().FindString(s) }

// FindStringSubmatch is regexp.Regexp.FindStringSubmatch.
func (r *Regexp) FindStringSubmatch(s string) []string {
	return r.Get().FindStringSubmatch(s)
}

// FindAllStringSubmatch is regexp.Regexp.FindAllStringSubmatch.
func (r *Regexp) FindAllStringSubmatch(s string, n int) [][]string {
	return r.Get().FindAllStringSubmatch(s, n)
}

// registry is the list CheckAll checks. It is a type, not just a package
// var, so that a test can check a deliberately bad expression in a registry
// of its own without failing CheckAll for everyone else.
type registry struct {
	mu   sync.Mutex
	list []*Regexp
}

var std registry

func (g *registry) add(expr string) *Regexp {
	r := &Regexp{expr: expr}
	g.mu.Lock()
	g.list = append(g.list, r)
	g.mu.Unlock()
	return r
}

// check compiles each expression afresh rather than through Get, so it
// neither panics nor pays for keeping what it compiled.
func (g *registry) check() error {
	g.mu.Lock()
	list := g.list[:len(g.list):len(g.list)]
	g.mu.Unlock()
	var errs []error
	for _, r := range list {
		if _, err := regexp.Compile(r.expr); err != nil {
			errs = append(errs, fmt.Errorf("lazyre: %s does not compile: %w", quote(r.expr), err))
		}
	}
	return errors.Join(errs...)
}

// quote is how regexp.MustCompile quotes an expression in its panic.
func quote(s string) string {
	if strconv.CanBackquote(s) {
		return "`" + s + "`"
	}
	return strconv.Quote(s)
}

//go:build unix

package install

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log two goroutines can share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestSecondApplyWaitsForTheLock: an apply that finds another holding the
// lock says so, waits, and then sees what the first one did.
func TestSecondApplyWaitsForTheLock(t *testing.T) {
	t.Parallel()
	b, _ := build(t, releaseV0, releaseV1, defaultSpec())
	root := installed(t, releaseV0)

	holding, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		opts := options(t, root)
		opts.AfterStep = func(step string) {
			if step == "staged" {
				close(holding)
				<-release
			}
		}
		_, err := Apply(b, opts)
		first <- err
	}()
	<-holding

	var log syncBuffer
	second := make(chan error, 1)
	go func() {
		opts := options(t, root)
		opts.Log = &log
		_, err := Apply(b, opts)
		second <- err
	}()
	want := "waiting for the lock held by pid " + strconv.Itoa(os.Getpid())
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(log.String(), want); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the second apply did not say %q; its log:\n%s", want, log.String())
		}
	}
	select {
	case err := <-second:
		t.Fatalf("the second apply returned while the first held the lock: %v", err)
	case <-time.After(100 * time.Millisecond):
	}

	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first apply: %v", err)
	}
	if err := <-second; !errors.Is(err, ErrPrecondition) || !strings.Contains(err.Error(), "already applied") {
		t.Fatalf("second apply: got %v, want a replay refusal after waiting", err)
	}
}

package report

import (
	"os"
	"testing"
	"time"

	"github.com/patchline/patchline/internal/config"
	"github.com/patchline/patchline/internal/gitrepo"
	"github.com/patchline/patchline/internal/history"
	"github.com/patchline/patchline/internal/registry"
)

func TestZZProf(t *testing.T) {
	dir := os.Getenv("PL_BENCH_REPO")
	if dir == "" {
		t.Skip()
	}
	repo, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	h, err := history.New(&registry.Registry{Repo: repo, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := Build(h, Window{Until: time.Now()}); err != nil {
		t.Fatal(err)
	}
	t.Log(time.Since(start))
}

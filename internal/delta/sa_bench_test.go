package delta

import (
	"index/suffixarray"
	"os"
	"testing"
)

func BenchmarkSAIS(b *testing.B) {
	data, err := os.ReadFile("/tmp/plA")
	if err != nil {
		b.Skip(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		suffixArray(data)
	}
}

func BenchmarkIndexSA(b *testing.B) {
	data, err := os.ReadFile("/tmp/plA")
	if err != nil {
		b.Skip(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		suffixarray.New(data)
	}
}

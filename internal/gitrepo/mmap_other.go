//go:build !unix

package gitrepo

import "errors"

// Without memory-mapped files the packs are read through go-git alone.
const canMap = false

func mapFile(string) ([]byte, error) {
	return nil, errors.New("memory-mapped files are not supported here")
}

func unmapFile([]byte) {}

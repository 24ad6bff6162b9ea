//go:build !unix

package delta

import "os"

func mapFile(*os.File, int64) (*mapping, error) { return nil, errNoMap }

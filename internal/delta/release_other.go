//go:build unix && !linux

package delta

// releasePages does nothing where madvise's semantics for shared file
// mappings differ: the kernel reclaims the pages under pressure.
func releasePages([]byte) {}

package delta

import "syscall"

// releasePages drops a shared, read-only file mapping's pages from the
// resident set; touching them again reads them from the page cache.
func releasePages(b []byte) { _ = syscall.Madvise(b, syscall.MADV_DONTNEED) }

#ifndef WELD_CMEMORYHINTS_H
#define WELD_CMEMORYHINTS_H

// Memory hints Swift has no spelling for. The cache hint is static inline: the Swift compiler
// imports and inlines it like its own code.

/// Asks the CPU to start loading the cache line at `p` for reading. Used where a loop's next
/// steps read scattered memory it can name ahead of time (the global symbol a relocation a few
/// entries later refers to): the load then overlaps the work in between instead of stalling.
static inline void weld_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

#include <sys/uio.h>

/// Drops the pages of `count` page-aligned ranges of private file mappings from the process
/// (MADV_DONTNEED) in one system call where the kernel allows it (process_madvise on the
/// process itself, Linux 6.15 and later), so the TLB is flushed once for all of them instead
/// of once per range: each flush interrupts every other core running the process. Falls back
/// to one madvise per range.
int weld_drop_pages(const struct iovec *ranges, int count);

#endif

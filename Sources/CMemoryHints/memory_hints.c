// The prefetch hint is in include/CMemoryHints.h (static inline). This file holds the page
// dropping call, which needs raw system calls Swift cannot make (`syscall` is variadic).
#define _GNU_SOURCE
#include "CMemoryHints.h"
#include <errno.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_process_madvise
#define SYS_process_madvise 440
#endif

// -1: not tried yet; -2: process_madvise cannot drop pages here (older kernel); else a pidfd.
static atomic_int self_pidfd = -1;

int weld_drop_pages(const struct iovec *ranges, int count) {
    int pidfd = atomic_load_explicit(&self_pidfd, memory_order_relaxed);
    if (pidfd == -1) {
        int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
        int expected = -1;
        if (!atomic_compare_exchange_strong(&self_pidfd, &expected, fd >= 0 ? fd : -2) && fd >= 0) close(fd);
        pidfd = atomic_load_explicit(&self_pidfd, memory_order_relaxed);
    }
    if (pidfd >= 0) {
        long done = syscall(SYS_process_madvise, pidfd, ranges, (size_t)count, MADV_DONTNEED, 0u);
        if (done >= 0) return 0;
        // Kernels before 6.15 allow process_madvise only a few advices (not MADV_DONTNEED).
        if (errno == EINVAL || errno == ENOSYS || errno == EPERM) atomic_store_explicit(&self_pidfd, -2, memory_order_relaxed);
    }
    for (int i = 0; i < count; i++) madvise(ranges[i].iov_base, ranges[i].iov_len, MADV_DONTNEED);
    return 0;
}

#ifndef WELD_CFILESYSTEM_H
#define WELD_CFILESYSTEM_H

// File-system calls Swift's Glibc module does not expose (they need _GNU_SOURCE).

/// Atomically exchanges the files `a` and `b` name (renameat2 RENAME_EXCHANGE, Linux 3.15+;
/// ext4, xfs, btrfs, tmpfs). Returns 0, or -1 with errno set (EINVAL where unsupported).
int weld_rename_exchange(const char *a, const char *b);

#endif

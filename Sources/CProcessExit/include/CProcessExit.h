#ifndef WELD_CPROCESSEXIT_H
#define WELD_CPROCESSEXIT_H

/// Ends the process with `status` at once, leaving the teardown of its address space (unmapping
/// the inputs, freeing the heap) to a helper process that shares that address space and exits
/// only after this one is gone. Falls back to a plain `_exit` where the helper cannot be made.
/// Call it only when everything the caller will look at is done: the output renamed and
/// unmapped, stdout and stderr written.
_Noreturn void weld_exit_deferring_teardown(int status);

/// Keeps `fd` open until after the process has exited, and closes it in the helper of
/// `weld_exit_deferring_teardown` (or at exit without one). For the old output: while a
/// descriptor holds its inode, replacing it by rename costs nothing, and the eviction of its
/// pages and blocks (tens of ms for a big file on ext4) happens after weld is gone.
/// Returns 0 when `fd` is held, -1 when the list is full (the caller closes it itself).
int weld_close_after_exit(int fd);

#endif

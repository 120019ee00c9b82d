#ifndef WELD_CMEMORYHINTS_H
#define WELD_CMEMORYHINTS_H

// Cache hints Swift has no spelling for. Static inline: the Swift compiler imports and inlines
// them like its own code.

/// Asks the CPU to start loading the cache line at `p` for reading. Used where a loop's next
/// steps read scattered memory it can name ahead of time (the global symbol a relocation a few
/// entries later refers to): the load then overlaps the work in between instead of stalling.
static inline void weld_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

#endif

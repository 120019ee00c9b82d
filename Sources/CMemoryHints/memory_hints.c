// Everything is in include/CMemoryHints.h (static inline); SwiftPM wants one source file.
#include "CMemoryHints.h"

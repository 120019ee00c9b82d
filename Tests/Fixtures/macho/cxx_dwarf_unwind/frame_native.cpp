// The native stand-in for frame.s (arm64 assembly): the same computation in C++.
extern "C" long may_throw(long v);
extern "C" long odd_frame(long x) { return may_throw(x) + x + 7777; }

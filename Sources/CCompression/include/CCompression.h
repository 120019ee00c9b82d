// zlib and zstd for compressed debug sections (Debian: zlib1g-dev, libzstd-dev). The static
// weld executable links libz.a and libzstd.a; neither library runs anything at start-up or
// needs global initialisation, so a link without compressed sections never touches them.
#ifndef WELD_CCOMPRESSION_H
#define WELD_CCOMPRESSION_H

#include <stddef.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

/// Inflates the zlib stream `src[0..<srcSize]` into exactly `dstSize` bytes at `dst`.
/// Returns 0 on success, -1 if the stream is corrupt or truncated, -2 if it holds more or
/// fewer bytes than `dstSize`, -3 if zlib could not allocate its state.
int weld_zlib_inflate(const void *src, size_t srcSize, void *dst, size_t dstSize);

/// A decoder reused across sections: its zlib stream and zstd context are created on first
/// use (a link with only zlib sections never creates a zstd context) and reset between
/// sections, instead of allocated per section. One per thread at a time.
typedef struct weld_decoder weld_decoder;
weld_decoder *weld_decoder_create(void);
void weld_decoder_destroy(weld_decoder *d);
/// As weld_zlib_inflate.
int weld_decoder_zlib(weld_decoder *d, const void *src, size_t srcSize, void *dst, size_t dstSize);
/// As ZSTD_decompress: the size written, or a zstd error code (ZSTD_isError).
size_t weld_decoder_zstd(weld_decoder *d, const void *src, size_t srcSize, void *dst, size_t dstSize);

/// Compresses one shard of a larger zlib stream as raw deflate at `level`. A shard that is
/// not last ends with a sync flush (an empty stored block, so the next shard starts on a byte
/// boundary); the last ends with a final block. Returns the bytes written, or 0 if `dstCap`
/// was too small or zlib failed. `dstCap` >= weld_zlib_shard_bound(srcSize) always suffices.
size_t weld_deflate_shard(const void *src, size_t srcSize, void *dst, size_t dstCap, int level, int isLast);

/// An upper bound on weld_deflate_shard's output for `srcSize` input bytes.
size_t weld_deflate_shard_bound(size_t srcSize);

/// adler32 of `src[0..<size]` (zlib's, with size_t lengths), and two checksums combined as if
/// their data were one: the zlib stream's trailer is built from per-shard checksums.
unsigned long weld_adler32(const void *src, size_t size);
unsigned long weld_adler32_combine(unsigned long first, unsigned long second, size_t secondSize);

#endif

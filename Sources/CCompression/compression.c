// Thin wrappers that keep zlib's stream structures on the C side: Swift calls one function per
// section or shard and never sees a z_stream.
#include "CCompression.h"

#include <string.h>

int weld_zlib_inflate(const void *src, size_t srcSize, void *dst, size_t dstSize) {
    z_stream s;
    memset(&s, 0, sizeof s);
    if (inflateInit(&s) != Z_OK) return -3;
    // zlib counts in uInt: feed sections larger than 4 GiB in pieces.
    const unsigned char *in = src;
    unsigned char *out = dst;
    size_t inLeft = srcSize, outLeft = dstSize;
    int rc = Z_OK;
    while (rc == Z_OK) {
        if (s.avail_in == 0 && inLeft > 0) {
            s.next_in = (unsigned char *)in;
            s.avail_in = inLeft > 0x40000000u ? 0x40000000u : (uInt)inLeft;
            in += s.avail_in;
            inLeft -= s.avail_in;
        }
        if (s.avail_out == 0 && outLeft > 0) {
            s.next_out = out;
            s.avail_out = outLeft > 0x40000000u ? 0x40000000u : (uInt)outLeft;
            out += s.avail_out;
            outLeft -= s.avail_out;
        }
        uInt inBefore = s.avail_in, outBefore = s.avail_out;
        rc = inflate(&s, Z_NO_FLUSH);
        // No progress with input and output both exhausted: the stream wants more than we have.
        if (rc == Z_BUF_ERROR || (rc == Z_OK && s.avail_in == inBefore && s.avail_out == outBefore)) {
            rc = (s.avail_out == 0 && outLeft == 0) ? -2 : -1;
            break;
        }
    }
    const size_t produced = dstSize - outLeft - s.avail_out;
    inflateEnd(&s);
    if (rc == Z_STREAM_END) return produced == dstSize ? 0 : -2;
    if (rc == -2) return -2;
    return -1;
}

size_t weld_deflate_shard_bound(size_t srcSize) {
    // deflateBound for raw deflate plus the sync or final marker (a few bytes), generously.
    return srcSize + srcSize / 1000 + (srcSize >> 12) * 5 + 64;
}

size_t weld_deflate_shard(const void *src, size_t srcSize, void *dst, size_t dstCap, int level, int isLast) {
    z_stream s;
    memset(&s, 0, sizeof s);
    // windowBits -15: raw deflate, no zlib header or adler32 (the caller writes those once).
    if (deflateInit2(&s, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 0;
    const unsigned char *in = src;
    size_t inLeft = srcSize;
    s.next_out = dst;
    s.avail_out = dstCap > 0x40000000u ? 0x40000000u : (uInt)dstCap;
    int rc = Z_OK;
    for (;;) {
        if (s.avail_in == 0 && inLeft > 0) {
            s.next_in = (unsigned char *)in;
            s.avail_in = inLeft > 0x40000000u ? 0x40000000u : (uInt)inLeft;
            in += s.avail_in;
            inLeft -= s.avail_in;
        }
        const int flush = inLeft > 0 ? Z_NO_FLUSH : (isLast ? Z_FINISH : Z_SYNC_FLUSH);
        rc = deflate(&s, flush);
        if (rc == Z_STREAM_ERROR) break;
        if (flush == Z_FINISH && rc == Z_STREAM_END) break;
        if (flush == Z_SYNC_FLUSH && s.avail_in == 0 && s.avail_out != 0) break;
        if (s.avail_out == 0) { rc = Z_BUF_ERROR; break; }
    }
    const size_t written = (size_t)((unsigned char *)s.next_out - (unsigned char *)dst);
    deflateEnd(&s);
    if (rc == Z_STREAM_ERROR || rc == Z_BUF_ERROR) return 0;
    return written;
}

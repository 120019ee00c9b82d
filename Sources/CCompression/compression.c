// Thin wrappers that keep zlib's stream structures on the C side: Swift calls one function per
// section or shard and never sees a z_stream.
#include "CCompression.h"

#include <stdlib.h>
#include <string.h>

/// Inflates into exactly dstSize bytes with an initialised (or reset) stream.
static int inflate_exactly(z_stream *sp, const void *src, size_t srcSize, void *dst, size_t dstSize) {
    // zlib keeps a pointer back to the stream: work on it in place, never on a copy.
    z_stream *s = sp;
    s->next_in = NULL; s->avail_in = 0;       // nothing left over from a previous section
    s->next_out = NULL; s->avail_out = 0;
    // zlib counts in uInt: sections larger than 1 GiB are fed in pieces. Once the destination
    // is full, one spare byte catches a stream that holds more than promised.
    const unsigned char *in = src;
    unsigned char *out = dst;
    size_t inLeft = srcSize, outLeft = dstSize;
    unsigned char spare;
    int usingSpare = 0;
    int rc;
    for (;;) {
        if (s->avail_in == 0 && inLeft > 0) {
            s->next_in = (unsigned char *)in;
            s->avail_in = inLeft > 0x40000000u ? 0x40000000u : (uInt)inLeft;
            in += s->avail_in;
            inLeft -= s->avail_in;
        }
        if (s->avail_out == 0) {
            if (usingSpare) { rc = -2; break; }          // a byte beyond dstSize was produced
            if (outLeft > 0) {
                s->next_out = out;
                s->avail_out = outLeft > 0x40000000u ? 0x40000000u : (uInt)outLeft;
                out += s->avail_out;
                outLeft -= s->avail_out;
            } else {
                s->next_out = &spare;
                s->avail_out = 1;
                usingSpare = 1;
            }
        }
        rc = inflate(s, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            if (usingSpare && s->avail_out == 0) rc = -2;
            break;
        }
        if (rc == Z_OK) continue;
        rc = (rc == Z_MEM_ERROR) ? -3 : -1;   // Z_BUF_ERROR: truncated; Z_DATA_ERROR: corrupt
        break;
    }
    if (rc == Z_STREAM_END) {
        // Fewer bytes than promised?
        return (outLeft == 0 && (usingSpare || s->avail_out == 0)) ? 0 : -2;
    }
    return rc;
}

int weld_zlib_inflate(const void *src, size_t srcSize, void *dst, size_t dstSize) {
    z_stream s;
    memset(&s, 0, sizeof s);
    if (inflateInit(&s) != Z_OK) return -3;
    const int rc = inflate_exactly(&s, src, srcSize, dst, dstSize);
    inflateEnd(&s);
    return rc;
}

struct weld_decoder {
    z_stream zlib;
    int zlibReady;
    ZSTD_DCtx *zstd;
};

weld_decoder *weld_decoder_create(void) {
    weld_decoder *d = calloc(1, sizeof *d);
    return d;
}

void weld_decoder_destroy(weld_decoder *d) {
    if (!d) return;
    if (d->zlibReady) inflateEnd(&d->zlib);
    ZSTD_freeDCtx(d->zstd);
    free(d);
}

int weld_decoder_zlib(weld_decoder *d, const void *src, size_t srcSize, void *dst, size_t dstSize) {
    if (!d->zlibReady) {
        memset(&d->zlib, 0, sizeof d->zlib);
        if (inflateInit(&d->zlib) != Z_OK) return -3;
        d->zlibReady = 1;
    } else if (inflateReset(&d->zlib) != Z_OK) {
        return -3;
    }
    return inflate_exactly(&d->zlib, src, srcSize, dst, dstSize);
}

size_t weld_decoder_zstd(weld_decoder *d, const void *src, size_t srcSize, void *dst, size_t dstSize) {
    if (!d->zstd) {
        d->zstd = ZSTD_createDCtx();
        if (!d->zstd) return (size_t)-ZSTD_error_memory_allocation;
    }
    return ZSTD_decompressDCtx(d->zstd, dst, dstSize, src, srcSize);
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

unsigned long weld_adler32(const void *src, size_t size) {
    return adler32_z(adler32_z(0, NULL, 0), src, size);
}

unsigned long weld_adler32_combine(unsigned long first, unsigned long second, size_t secondSize) {
    return adler32_combine(first, second, (z_off_t)secondSize);
}

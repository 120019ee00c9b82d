// Real software: Debian's libz.a. Compresses ~4 MB of generated data at several levels,
// uncompresses it, checks the round trip and prints sizes and CRC-32/Adler-32 checksums;
// also a streaming deflate/inflate with small buffers.
// LIBS: -l:libz.a
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int main(void) {
    const size_t n = 4u << 20;
    unsigned char *src = malloc(n);
    unsigned int x = 2463534242u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        /* mostly text-like, compressible data with some noise */
        src[i] = (i % 64 < 48) ? (unsigned char)("the quick brown fox jumps over the lazy dog "[(i / 3) % 44]) : (unsigned char)(x & 0x3f);
    }
    printf("zlib %s\n", zlibVersion());
    printf("input crc32 %08lx adler32 %08lx\n", crc32(0L, src, (uInt)n), adler32(1L, src, (uInt)n));
    for (int level = 1; level <= 9; level += 4) {
        uLongf clen = compressBound(n);
        unsigned char *comp = malloc(clen);
        if (compress2(comp, &clen, src, n, level) != Z_OK) { printf("compress failed\n"); return 1; }
        uLongf dlen = n;
        unsigned char *back = malloc(n);
        if (uncompress(back, &dlen, comp, clen) != Z_OK) { printf("uncompress failed\n"); return 1; }
        printf("level %d: compressed %lu bytes, crc32 %08lx, round trip %s\n", level, (unsigned long)clen,
               crc32(0L, comp, (uInt)clen), dlen == n && memcmp(back, src, n) == 0 ? "ok" : "MISMATCH");
        free(comp);
        free(back);
    }
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY); /* gzip wrapper */
    unsigned char out[4096];
    unsigned char *gz = malloc(n);
    size_t gzlen = 0;
    zs.next_in = src;
    zs.avail_in = (uInt)n;
    int ret;
    do {
        zs.next_out = out;
        zs.avail_out = sizeof out;
        ret = deflate(&zs, Z_FINISH);
        memcpy(gz + gzlen, out, sizeof out - zs.avail_out);
        gzlen += sizeof out - zs.avail_out;
    } while (ret != Z_STREAM_END);
    deflateEnd(&zs);
    z_stream is;
    memset(&is, 0, sizeof is);
    inflateInit2(&is, 15 + 16);
    is.next_in = gz;
    is.avail_in = (uInt)gzlen;
    unsigned long crc = crc32(0L, Z_NULL, 0);
    size_t total = 0;
    do {
        is.next_out = out;
        is.avail_out = sizeof out;
        ret = inflate(&is, Z_NO_FLUSH);
        crc = crc32(crc, out, (uInt)(sizeof out - is.avail_out));
        total += sizeof out - is.avail_out;
    } while (ret == Z_OK);
    inflateEnd(&is);
    printf("gzip stream %zu bytes, inflated %zu bytes, crc32 %08lx, status %s\n", gzlen, total, crc,
           ret == Z_STREAM_END ? "end" : "error");
    free(gz);
    free(src);
    return 0;
}

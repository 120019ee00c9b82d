// Keeps libcrypto from running code at start-up.
//
// libcrypto's x86-64 assembly picks its code path (SHA-NI, AVX2, SSSE3, plain) from a
// feature vector, `OPENSSL_ia32cap_P`. That vector lives in the archive member
// x86_64cpuid.o together with `OPENSSL_cleanse`, and that member has a `.init` entry calling
// `OPENSSL_cpuid_setup`, which executes `cpuid` five or six times at every process start.
// In a virtual machine each `cpuid` traps to the hypervisor: measured 12.6 µs each here,
// 60–75 µs for the whole setup, against ≈ 0.8 ms of CPU for `weld --version`.
//
// So this file defines the two symbols the digest objects need from x86_64cpuid.o; the
// static link then never pulls that member in, and nothing of libcrypto runs at start-up.
// The feature vector is computed on first use instead (`weld_libcrypto_prepare`, before any
// hashing), with the same rules as OpenSSL 3.0's OPENSSL_ia32_cpuid/OPENSSL_cpuid_setup
// (minus the OPENSSL_ia32cap environment override). A test compares the result with
// `openssl info -cpusettings`.
//
// The definitions are weak: should a future libcrypto need x86_64cpuid.o anyway, its
// definitions win, the link still succeeds and only the start-up cost comes back (check with
// `nm weld | grep OPENSSL_cpuid_setup`, which must print nothing). In a dynamic link the
// shared libcrypto keeps its own (unexported) vector and these definitions are unused.
// On other architectures this file only provides the two functions of CLibCrypto.h.
#include "CLibCrypto.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>

// Sixteen words although OpenSSL 3.0 uses four: newer versions read more, and zero means
// "feature absent".
__attribute__((weak)) unsigned int OPENSSL_ia32cap_P[16];

__attribute__((weak)) void OPENSSL_cleanse(void *ptr, size_t len) {
    memset(ptr, 0, len);
    __asm__ __volatile__("" : : "r"(ptr) : "memory");
}

static unsigned int xcr0_low(void) {
    unsigned int eax, edx;
    __asm__ __volatile__(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0)); // xgetbv
    (void)edx;
    return eax;
}

#define VENDOR(b, d, c, s0, s1, s2) ((b) == (s0) && (d) == (s1) && (c) == (s2))

/// OpenSSL 3.0's feature vector: cap[0] = CPUID.1:EDX (bit 30 = Intel, bit 28 = shared-cache
/// hyper-threading, bit 10 = initialised), cap[1] = CPUID.1:ECX (bit 11 = AMD XOP), cap[2..3]
/// = CPUID.(7,0):EBX/ECX, with AVX/AVX2/AVX-512 cleared unless the OS saves their state.
static void compute_features(unsigned int cap[4]) {
    unsigned int a, b, c, d;
    __cpuid(0, a, b, c, d);
    const unsigned int max_leaf = a;
    const int intel = VENDOR(b, d, c, 0x756e6547u, 0x49656e69u, 0x6c65746eu);  // GenuineIntel
    const int amd = VENDOR(b, d, c, 0x68747541u, 0x69746e65u, 0x444d4163u);    // AuthenticAMD
    unsigned int hi = intel ? 0 : 1;   // becomes cap[1]; bit 0 = "not Intel" until merged
    unsigned int eax1, ebx1, ecx1, edx1;
    int probed = 0;

    if (amd) {
        __cpuid(0x80000000u, a, b, c, d);
        const unsigned int max_ext = a;
        if (max_ext >= 0x80000001u) {
            __cpuid(0x80000001u, a, b, c, d);
            hi = (hi | c) & 0x801u;
            if (max_ext >= 0x80000008u) {
                __cpuid(0x80000008u, a, b, c, d);
                const unsigned char cores = (unsigned char)((c & 0xffu) + 1u);
                __cpuid(1, eax1, ebx1, ecx1, edx1);
                if ((edx1 & (1u << 28)) && (unsigned char)(ebx1 >> 16) <= cores) edx1 &= ~(1u << 28);
                probed = 1;
            }
        }
    }
    if (!probed) {
        unsigned int cache_cores = 0xffffffffu;
        if (max_leaf >= 4) {
            __cpuid_count(4, 0, a, b, c, d);
            cache_cores = (a >> 14) & 0xfffu;
        }
        __cpuid(1, eax1, ebx1, ecx1, edx1);
        edx1 &= 0xbfefffffu;
        if (hi == 0) {   // Intel
            edx1 |= 1u << 30;
            const unsigned int family = (eax1 >> 8) & 0xfu;
            if (family == 0xf) edx1 |= 1u << 20;
            if (family == 6) {
                const unsigned int model = eax1 & 0x0fff0ff0u;
                if (model == 0x00050670u || model == 0x00080650u) ecx1 &= ~(1u << 26);   // Knights: no XSAVE
            }
        }
        if (edx1 & (1u << 28)) {
            edx1 &= ~(1u << 28);
            if (cache_cores != 0 && (unsigned char)(ebx1 >> 16) > 1) edx1 |= 1u << 28;
        }
    }
    hi = (hi & 0x800u) | (ecx1 & 0xfffff7ffu);
    unsigned int ext_b = 0, ext_c = 0;
    if (max_leaf >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        if (!(hi & (1u << 26))) b &= 0xfff7ffffu;                       // no XSAVE: no ADX
        if ((eax1 & 0x0fff0ff0u) == 0x00050650u) b &= 0xfffeffffu;      // Skylake-X: no AVX-512F
        ext_b = b;
        ext_c = c;
    }
    int ymm = 0;
    if (hi & (1u << 27)) {   // OSXSAVE
        const unsigned int state = xcr0_low() & 0xe6u;
        if (state == 0xe6u) {
            ymm = 1;
        } else {
            ext_b &= 0x3fdeffffu;                // no ZMM state: no AVX-512
            ymm = (state & 6u) == 6u;
        }
    }
    if (!ymm) {
        hi &= 0xefffe7ffu;                       // no AVX, FMA, XOP
        ext_b &= 0x3fdeffdfu;                    // no AVX2, AVX-512
    }
    cap[0] = edx1 | (1u << 10);
    cap[1] = hi;
    cap[2] = ext_b;
    cap[3] = ext_c;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void initialise(void) {
    unsigned int cap[4];
    compute_features(cap);
    // Word by word into the shared vector: if OpenSSL's own setup also ran (see above), it
    // wrote the same values.
    for (int i = 0; i < 4; i++) OPENSSL_ia32cap_P[i] = cap[i];
}

void weld_libcrypto_prepare(void) { pthread_once(&once, initialise); }

void weld_libcrypto_cpu_features(unsigned int out[4]) {
    weld_libcrypto_prepare();
    compute_features(out);
}

#else

void weld_libcrypto_prepare(void) {}

void weld_libcrypto_cpu_features(unsigned int out[4]) { out[0] = out[1] = out[2] = out[3] = 0; }

#endif

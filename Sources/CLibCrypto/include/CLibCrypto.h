// OpenSSL's libcrypto, only what weld's build id uses: the low-level SHA-1 and SHA-256
// functions (Debian: libssl-dev). The static weld executable links libcrypto.a, from which
// only the digest objects and their assembly are pulled in. MD5 stays pure Swift (libcrypto's
// is no faster, see Sources/WeldCore/Hashing/LibCrypto.swift).
//
// SHA1_Init/_Update/_Final are deprecated in OpenSSL 3 in favour of EVP, but EVP (and the
// one-shot SHA1()/SHA256(), which call EVP_Q_digest in 3.x) drags in the provider machinery,
// configuration loading and library initialisation. The low-level functions go straight to
// the block functions (SHA-NI / AVX2 / SSSE3 code paths), allocate nothing and need no
// library initialisation.
#ifndef WELD_CLIBCRYPTO_H
#define WELD_CLIBCRYPTO_H

#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED 1
#endif
#include <openssl/sha.h>

/// Makes sure the CPU-feature words libcrypto's assembly dispatches on are filled in (see
/// cpu_features.c). Cheap after the first call and thread-safe; call before hashing.
void weld_libcrypto_prepare(void);

/// The first four CPU-feature words as weld computed them (for tests: they must equal what
/// `openssl info -cpusettings` prints). Zero on other architectures.
void weld_libcrypto_cpu_features(unsigned int out[4]);

#endif

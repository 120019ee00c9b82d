internal import CLibCrypto

// OpenSSL's libcrypto digests behind `HashFunction`, used for the build id. On x86-64 with
// SHA-NI its SHA-1 runs at ≈ 1.8–1.9 GB/s and SHA-256 at ≈ 1.8 GB/s per core (1 MiB chunks),
// against ≈ 0.7 and ≈ 0.4 GB/s for the pure-Swift `SHA1`/`SHA256`, which stay as the reference
// the tests compare against. MD5 stays pure Swift: libcrypto's MD5 (plain x86-64 assembly; MD5
// has no SIMD or SHA-NI path) measured 0.72–0.75 GB/s against 0.70–0.73 GB/s for `MD5`.
//
// Only the low-level *_Init/_Update/_Final functions are called: they hash on a stack context,
// allocate nothing and need no library initialisation (EVP and the 3.x one-shot `SHA1()` would
// pull in providers and configuration loading). The CPU-feature vector their assembly
// dispatches on is filled in on first use (`weld_libcrypto_prepare`), not at process start;
// see Sources/CLibCrypto/cpu_features.c.
//
// The OpenSSL functions return 1 on success and can only fail on a null context, so their
// results are not checked.

/// SHA-1 by libcrypto (`SHA1_Init`/`SHA1_Update`/`SHA1_Final`); same digests as `SHA1`.
struct LibCryptoSHA1: HashFunction {
    static let digestSize = 20
    private var ctx = SHA_CTX()

    init() {
        weld_libcrypto_prepare()
        SHA1_Init(&ctx)
    }

    mutating func update(_ data: UnsafeRawBufferPointer) {
        guard let p = data.baseAddress, data.count > 0 else { return }
        SHA1_Update(&ctx, p, data.count)
    }

    func finalize(into out: UnsafeMutableRawPointer) {
        var c = ctx
        SHA1_Final(out.assumingMemoryBound(to: UInt8.self), &c)
    }
}

/// SHA-256 by libcrypto; same digests as `SHA256`. Public for the Mach-O code signature.
public struct LibCryptoSHA256: HashFunction {
    public static let digestSize = 32
    private var ctx = SHA256_CTX()

    public init() {
        weld_libcrypto_prepare()
        SHA256_Init(&ctx)
    }

    public mutating func update(_ data: UnsafeRawBufferPointer) {
        guard let p = data.baseAddress, data.count > 0 else { return }
        SHA256_Update(&ctx, p, data.count)
    }

    public func finalize(into out: UnsafeMutableRawPointer) {
        var c = ctx
        SHA256_Final(out.assumingMemoryBound(to: UInt8.self), &c)
    }
}

/// The CPU-feature words libcrypto's assembly dispatches on, as weld computes them (x86-64;
/// zeros elsewhere). Tests compare them with `openssl info -cpusettings`.
func libcryptoCPUFeatures() -> [UInt32] {
    var words: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
    withUnsafeMutableBytes(of: &words) { weld_libcrypto_cpu_features($0.baseAddress!.assumingMemoryBound(to: UInt32.self)) }
    return [words.0, words.1, words.2, words.3]
}

import COpenSSL

/// SHA-256 for modules that must not touch OpenSSL themselves (WardPolicy hashes its compiled tables), and
/// certificate fingerprints for the TLS module.
package enum Digest {
    /// SHA-256 fetched once: passing `EVP_sha256()` makes OpenSSL 3 look the algorithm up (under a lock) on every
    /// call, which the TLS handshake (peer leaf hash) would pay per connection.
    nonisolated(unsafe) private static let sha256: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)

    /// The SHA-256 of `bytes` as 64 lower-case hex digits.
    package static func sha256Hex(_ bytes: [UInt8]) -> String {
        let hex = withDigestBuffer { digest, length in
            bytes.withUnsafeBufferPointer { input in
                EVP_Digest(input.baseAddress, input.count, digest, length, sha256 ?? EVP_sha256(), nil)
            }
        }
        guard let hex else { preconditionFailure("EVP_Digest(SHA-256) failed") }
        return hex
    }

    /// The SHA-256 of a parsed certificate's DER encoding as 64 lower-case hex digits (a certificate
    /// fingerprint, Envoy's XFCC `Hash=`), or nil if it cannot be encoded. `X509_digest` encodes into a scratch
    /// buffer and hashes it: no DER copy is kept. (OpenSSL caches only the SHA-1 fingerprint in the `X509`.)
    package static func sha256Hex(ofCertificate x509: OpaquePointer) -> String? {
        withDigestBuffer { digest, length in X509_digest(x509, sha256 ?? EVP_sha256(), digest, length) }
    }

    /// Runs `body` with a stack buffer for a digest and formats the 32-byte result as hex; nil if `body` fails.
    private static func withDigestBuffer(
        _ body: (UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt32>) -> Int32
    ) -> String? {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Int(EVP_MAX_MD_SIZE)) { digest -> String? in
            var length: UInt32 = 0
            guard let base = digest.baseAddress, body(base, &length) == 1, length == 32 else { return nil }
            return OpenSSL.hex(UnsafeBufferPointer(start: base, count: Int(length)))
        }
    }
}

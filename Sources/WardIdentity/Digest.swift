import COpenSSL

/// SHA-256 for modules that must not touch OpenSSL themselves (WardPolicy hashes its compiled tables).
package enum Digest {
    /// SHA-256 fetched once: passing `EVP_sha256()` makes OpenSSL 3 look the algorithm up (under a lock) on every
    /// call, which the TLS handshake (peer leaf hash) would pay per connection.
    nonisolated(unsafe) private static let sha256: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)

    /// The SHA-256 of `bytes` as 64 lower-case hex digits.
    package static func sha256Hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBufferPointer { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, sha256 ?? EVP_sha256(), nil)
        }
        precondition(ok == 1 && length == 32, "EVP_Digest(SHA-256) failed")
        return OpenSSL.hex(digest.prefix(Int(length)))
    }
}

import COpenSSL
import WardIdentity

/// The peer's certificates as libssl parsed them during the handshake (leaf first, then the rest of what the peer
/// sent), held by reference so that the DER encodings and the leaf's SHA-256 are produced only when someone asks.
///
/// The verified SPIFFE ID is all most consumers need; re-encoding every certificate and hashing the leaf on every
/// handshake (two `i2d_X509`, a SHA-256, three arrays and a string: ~45 k instructions) was paid whether or not
/// anything read them. Holding the `X509`s costs no memory while the connection is open: its SSL session keeps
/// the same objects. Read-only after `init`; `i2d_X509` and `X509_digest` only read a parsed certificate, so
/// concurrent reads are safe.
final class PeerCertificates: @unchecked Sendable {
    /// Leaf first; one reference each, released in `deinit`.
    private let certificates: [OpaquePointer]

    /// Takes a reference to `leaf` and to each other certificate of `untrusted` (libssl's stack of what the peer
    /// sent, which may repeat the leaf); nil if a reference cannot be taken.
    init?(leaf: OpaquePointer, untrusted: OpaquePointer?) {
        let count = untrusted.map { Int(ward_sk_X509_num($0)) } ?? 0
        var certificates: [OpaquePointer] = []
        certificates.reserveCapacity(count + 1)
        guard X509_up_ref(leaf) == 1 else { return nil }
        certificates.append(leaf)
        if let untrusted {
            for index in 0..<Int32(count) {
                guard let x509 = ward_sk_X509_value(untrusted, index), x509 != leaf else { continue }
                guard X509_up_ref(x509) == 1 else {
                    certificates.forEach { X509_free($0) }
                    return nil
                }
                certificates.append(x509)
            }
        }
        self.certificates = certificates
    }

    deinit { certificates.forEach { X509_free($0) } }

    /// Each certificate's DER encoding, leaf first (an entry is empty if OpenSSL cannot encode it).
    var chainDER: [[UInt8]] {
        certificates.map { OpenSSL.der(of: $0, i2d_X509) ?? [] }
    }

    /// SHA-256 of the leaf's DER, lowercase hex.
    var leafSHA256: String { Digest.sha256Hex(ofCertificate: certificates[0]) ?? "" }
}

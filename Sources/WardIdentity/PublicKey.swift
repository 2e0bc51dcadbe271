import COpenSSL

/// A public key (an OpenSSL `EVP_PKEY` holding no private part, or a view of one that does).
///
/// Certificates, CSRs and private keys all hand out their public key as this type, so "does this key match that
/// certificate" is one comparison. Immutable and safe to share across threads.
public final class PublicKey: @unchecked Sendable, Equatable, CustomStringConvertible {
    /// The owned `EVP_PKEY*` (one reference, freed in `deinit`). For the TLS module only.
    package let pointer: OpaquePointer
    /// The algorithm and size, checked when the key was wrapped.
    public let algorithm: KeyAlgorithm

    /// Takes ownership of one reference to `pkey`; throws (and frees it) when the algorithm is unsupported.
    package init(taking pkey: OpaquePointer) throws(IdentityError) {
        guard let algorithm = PublicKey.algorithm(of: pkey) else {
            let name = EVP_PKEY_get0_type_name(pkey).map { String(cString: $0) } ?? "unknown"
            EVP_PKEY_free(pkey)
            throw IdentityError(
                .unsupportedKey, "unsupported key algorithm \(name); expected EC P-256/P-384/P-521, RSA >= 2048 or Ed25519")
        }
        self.pointer = pkey
        self.algorithm = algorithm
    }

    deinit { EVP_PKEY_free(pointer) }

    /// Whether both keys are the same public key.
    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool {
        EVP_PKEY_eq(lhs.pointer, rhs.pointer) == 1
    }

    public var description: String { algorithm.description }

    /// The DER SubjectPublicKeyInfo.
    public var derSubjectPublicKeyInfo: [UInt8] {
        OpenSSL.der(of: pointer, i2d_PUBKEY) ?? []
    }

    /// The key as a PEM `PUBLIC KEY` block.
    public var pem: String {
        let bytes = OpenSSL.collect { PEM_write_bio_PUBKEY($0, pointer) == 1 } ?? []
        return String(decoding: bytes, as: UTF8.self)
    }

    static func algorithm(of pkey: OpaquePointer) -> KeyAlgorithm? {
        switch EVP_PKEY_get_base_id(pkey) {
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            guard EVP_PKEY_get_group_name(pkey, &name, name.count, &length) == 1 else { return nil }
            let group = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            switch group {
            case "prime256v1", "P-256": return .ec(curve: "P-256")
            case "secp384r1", "P-384": return .ec(curve: "P-384")
            case "secp521r1", "P-521": return .ec(curve: "P-521")
            default: return nil
            }
        case EVP_PKEY_RSA:
            let bits = Int(EVP_PKEY_get_bits(pkey))
            return bits >= 2048 ? .rsa(bits: bits) : nil
        case EVP_PKEY_ED25519:
            return .ed25519
        default:
            return nil
        }
    }

    /// The digest to sign with this key's private half: SHA-256/384/512 by curve, SHA-256 for RSA, none for
    /// Ed25519 (pure EdDSA).
    var signingDigest: OpaquePointer? {
        switch algorithm {
        case .ec(curve: "P-384"): EVP_sha384()
        case .ec(curve: "P-521"): EVP_sha512()
        case .ed25519: nil
        default: EVP_sha256()
        }
    }
}

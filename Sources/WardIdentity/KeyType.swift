/// The key algorithms Ward generates. Keys loaded from files may be other sizes (e.g. RSA 4096, P-521);
/// see `PublicKey.algorithm`.
public enum KeyType: String, Sendable, CaseIterable, CustomStringConvertible {
    case ecP256 = "ec-p256"
    case ecP384 = "ec-p384"
    case rsa2048 = "rsa-2048"
    case rsa3072 = "rsa-3072"
    case ed25519 = "ed25519"

    /// SPIRE's default and the fastest to generate and use.
    public static let `default`: KeyType = .ecP256

    /// Parses a `--key-type` value; the error lists the accepted names.
    public init(parsing text: String) throws(IdentityError) {
        guard let type = KeyType(rawValue: text) else {
            let names = KeyType.allCases.map(\.rawValue).joined(separator: ", ")
            throw IdentityError(.unknownKeyType, "unknown key type \"\(text)\"; expected one of \(names)")
        }
        self = type
    }

    public var description: String { rawValue }
}

/// What a key is, including sizes Ward does not generate but accepts from files.
public enum KeyAlgorithm: Sendable, Hashable, CustomStringConvertible {
    /// An elliptic-curve key on a named curve (`P-256`, `P-384`, `P-521`).
    case ec(curve: String)
    /// An RSA key of `bits` modulus bits.
    case rsa(bits: Int)
    case ed25519

    /// The generatable `KeyType` this is, if any.
    public var keyType: KeyType? {
        switch self {
        case .ec(curve: "P-256"): .ecP256
        case .ec(curve: "P-384"): .ecP384
        case .rsa(bits: 2048): .rsa2048
        case .rsa(bits: 3072): .rsa3072
        case .ed25519: .ed25519
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .ec(let curve): "EC \(curve)"
        case .rsa(let bits): "RSA \(bits)"
        case .ed25519: "Ed25519"
        }
    }
}

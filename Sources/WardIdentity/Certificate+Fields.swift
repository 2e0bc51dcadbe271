import COpenSSL
import Foundation

/// The keyUsage bits Ward reads and writes.
public struct KeyUsage: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let digitalSignature = KeyUsage(rawValue: UInt32(KU_DIGITAL_SIGNATURE))
    public static let keyEncipherment = KeyUsage(rawValue: UInt32(KU_KEY_ENCIPHERMENT))
    public static let keyAgreement = KeyUsage(rawValue: UInt32(KU_KEY_AGREEMENT))
    public static let keyCertSign = KeyUsage(rawValue: UInt32(KU_KEY_CERT_SIGN))
    public static let cRLSign = KeyUsage(rawValue: UInt32(KU_CRL_SIGN))

    static let names: [(KeyUsage, String)] = [
        (.digitalSignature, "digitalSignature"), (.keyEncipherment, "keyEncipherment"),
        (.keyAgreement, "keyAgreement"), (.keyCertSign, "keyCertSign"), (.cRLSign, "cRLSign"),
    ]

    /// Names of the set bits, e.g. `["digitalSignature", "keyCertSign"]`.
    public var names: [String] { KeyUsage.names.filter { contains($0.0) }.map(\.1) }
    public var description: String { names.joined(separator: ", ") }
}

/// The extendedKeyUsage purposes Ward cares about.
public struct ExtendedKeyUsage: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let serverAuth = ExtendedKeyUsage(rawValue: UInt32(XKU_SSL_SERVER))
    public static let clientAuth = ExtendedKeyUsage(rawValue: UInt32(XKU_SSL_CLIENT))

    /// Names of the set purposes, e.g. `["serverAuth", "clientAuth"]`.
    public var names: [String] {
        (contains(.serverAuth) ? ["serverAuth"] : []) + (contains(.clientAuth) ? ["clientAuth"] : [])
    }
}

extension Certificate {
    /// The serial number as big-endian bytes (no sign byte).
    public var serialNumber: [UInt8] {
        guard let bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(pointer), nil) else { return [] }
        defer { BN_free(bn) }
        var bytes = [UInt8](repeating: 0, count: Int((BN_num_bits(bn) + 7) / 8))
        BN_bn2bin(bn, &bytes)
        return bytes
    }

    /// The serial number in lowercase hex, e.g. `5a3f…`.
    public var serialHex: String { OpenSSL.hex(serialNumber) }

    /// The subject as an RFC 2253 string (`CN=…,O=…`), empty for an empty subject.
    public var subject: String { Certificate.nameString(X509_get_subject_name(pointer)) }
    /// The issuer as an RFC 2253 string.
    public var issuer: String { Certificate.nameString(X509_get_issuer_name(pointer)) }

    /// Start of validity (second precision, as encoded).
    public var notBefore: Date { Certificate.date(X509_get0_notBefore(pointer)) }
    /// End of validity, inclusive (RFC 5280).
    public var notAfter: Date { Certificate.date(X509_get0_notAfter(pointer)) }

    /// Whether `date` falls inside the validity period.
    public func isValid(at date: Date) -> Bool { date >= notBefore && date <= notAfter }

    /// The subject's public key. Throws when the algorithm is one Ward does not support (see `keyAlgorithmName`).
    public var publicKey: PublicKey {
        get throws(IdentityError) {
            guard let pkey = X509_get_pubkey(pointer) else {
                throw IdentityError(.malformedCertificate, "certificate public key is unreadable: \(OpenSSL.errorText())")
            }
            return try PublicKey(taking: pkey)
        }
    }

    /// The key algorithm, or nil when OpenSSL cannot read it or Ward does not support it.
    public var keyAlgorithm: KeyAlgorithm? {
        guard let pkey = X509_get0_pubkey(pointer) else { return nil }
        return PublicKey.algorithm(of: pkey)
    }

    /// The key algorithm by name, including ones Ward does not support (`"DSA"`).
    public var keyAlgorithmName: String {
        if let algorithm = keyAlgorithm { return algorithm.description }
        guard let pkey = X509_get0_pubkey(pointer), let name = EVP_PKEY_get0_type_name(pkey) else { return "unknown" }
        return String(cString: name)
    }

    /// Every URI subjectAltName, in order (an X.509-SVID has exactly one).
    public var uriSANs: [String] { subjectAltNames(of: GEN_URI) }
    /// Every DNS subjectAltName, in order.
    public var dnsSANs: [String] { subjectAltNames(of: GEN_DNS) }

    /// The SPIFFE ID when the certificate carries exactly one URI SAN and it is a valid SPIFFE ID.
    public var spiffeID: SpiffeID? {
        let uris = uriSANs
        guard uris.count == 1 else { return nil }
        return try? SpiffeID(uris[0])
    }

    /// Whether basicConstraints says cA=true.
    public var isCA: Bool { X509_get_extension_flags(pointer) & UInt32(EXFLAG_CA) != 0 }

    /// The basicConstraints path length limit, if any.
    public var pathLength: Int? {
        let length = X509_get_pathlen(pointer)
        return length >= 0 ? Int(length) : nil
    }

    /// Whether the certificate is self-issued and its signature verifies with its own key.
    public var isSelfSigned: Bool { X509_self_signed(pointer, 1) == 1 }

    /// The keyUsage bits, or nil when the extension is absent.
    public var keyUsage: KeyUsage? {
        guard X509_get_extension_flags(pointer) & UInt32(EXFLAG_KUSAGE) != 0 else { return nil }
        return KeyUsage(rawValue: X509_get_key_usage(pointer))
    }

    /// The extendedKeyUsage purposes, or nil when the extension is absent.
    public var extendedKeyUsage: ExtendedKeyUsage? {
        guard X509_get_extension_flags(pointer) & UInt32(EXFLAG_XKUSAGE) != 0 else { return nil }
        return ExtendedKeyUsage(rawValue: X509_get_extended_key_usage(pointer))
    }

    /// Whether the extension `nid` is present and marked critical.
    func isCritical(_ nid: Int32) -> Bool {
        let index = X509_get_ext_by_NID(pointer, nid, -1)
        guard index >= 0, let ext = X509_get_ext(pointer, index) else { return false }
        return X509_EXTENSION_get_critical(ext) == 1
    }

    /// Whether keyUsage is present and critical.
    public var keyUsageIsCritical: Bool { isCritical(NID_key_usage) }
    /// Whether subjectAltName is present and critical.
    public var subjectAltNameIsCritical: Bool { isCritical(NID_subject_alt_name) }

    /// The subjectKeyIdentifier in hex, if present.
    public var subjectKeyIdentifier: String? {
        guard let id = X509_get0_subject_key_id(pointer) else { return nil }
        return OpenSSL.hex(Certificate.bytes(of: id))
    }

    /// The authorityKeyIdentifier's keyIdentifier in hex, if present.
    public var authorityKeyIdentifier: String? {
        guard let id = X509_get0_authority_key_id(pointer) else { return nil }
        return OpenSSL.hex(Certificate.bytes(of: id))
    }

    /// SHA-256 over the DER, lowercase hex.
    public var sha256Fingerprint: String { Digest.sha256Hex(der) }

    /// Trust domains permitted by a URI nameConstraints extension (`permitted;URI:td`), in order.
    public var permittedURIDomains: [String] {
        var critical: Int32 = 0
        guard let raw = X509_get_ext_d2i(pointer, NID_name_constraints, &critical, nil) else { return [] }
        let constraints = raw.assumingMemoryBound(to: NAME_CONSTRAINTS.self)
        defer { NAME_CONSTRAINTS_free(constraints) }
        guard let permitted = constraints.pointee.permittedSubtrees else { return [] }
        var domains: [String] = []
        for index in 0..<OPENSSL_sk_num(permitted) {
            guard let subtree = OPENSSL_sk_value(permitted, index)?.assumingMemoryBound(to: GENERAL_SUBTREE.self),
                let base = subtree.pointee.base
            else { continue }
            var type: Int32 = 0
            guard let value = GENERAL_NAME_get0_value(base, &type), type == GEN_URI else { continue }
            domains.append(Certificate.string(of: value.assumingMemoryBound(to: ASN1_STRING.self)))
        }
        return domains
    }

    // MARK: - Helpers

    private func subjectAltNames(of wanted: Int32) -> [String] {
        var critical: Int32 = 0
        guard let raw = X509_get_ext_d2i(pointer, NID_subject_alt_name, &critical, nil) else { return [] }
        let names = OpaquePointer(raw)
        defer { ward_GENERAL_NAMES_free(names) }
        var result: [String] = []
        for index in 0..<ward_sk_GENERAL_NAME_num(names) {
            guard let name = ward_sk_GENERAL_NAME_value(names, index) else { continue }
            var type: Int32 = 0
            guard let value = GENERAL_NAME_get0_value(name, &type), type == wanted else { continue }
            result.append(Certificate.string(of: value.assumingMemoryBound(to: ASN1_STRING.self)))
        }
        return result
    }

    static func string(of asn1: UnsafePointer<ASN1_STRING>) -> String {
        String(decoding: bytes(of: asn1), as: UTF8.self)
    }

    static func bytes(of asn1: UnsafePointer<ASN1_STRING>) -> [UInt8] {
        let length = Int(ASN1_STRING_length(asn1))
        guard length > 0, let data = ASN1_STRING_get0_data(asn1) else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: length))
    }

    static func nameString(_ name: OpaquePointer?) -> String {
        guard let name else { return "" }
        let flags = ward_XN_FLAG_RFC2253()
        let bytes = OpenSSL.collect { X509_NAME_print_ex($0, name, 0, flags) >= 0 } ?? []
        return String(decoding: bytes, as: UTF8.self)
    }

    static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date {
        var parts = tm()
        guard let time, ASN1_TIME_to_tm(time, &parts) == 1 else { return Date(timeIntervalSince1970: 0) }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}

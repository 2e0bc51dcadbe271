import COpenSSL
import Foundation

/// An X.509 certificate under construction (internal). OpenSSL encodes every field and extension: names via
/// `X509_NAME_add_entry_by_txt`, extensions via `X509V3_EXT_nconf_nid` or typed `GENERAL_NAMES`.
final class CertificateBuilder {
    private let x509: OpaquePointer
    private var signed = false

    init() throws(IdentityError) {
        guard let x509 = X509_new() else { throw OpenSSL.failure("X509_new") }
        self.x509 = x509
        guard X509_set_version(x509, Int(X509_VERSION_3)) == 1 else { throw OpenSSL.failure("X509_set_version") }
    }

    deinit { if !signed { X509_free(x509) } }

    /// A random positive 127-bit serial (RFC 5280 allows up to 20 octets; CA/B asks for >= 64 random bits).
    func setRandomSerial() throws(IdentityError) {
        var bytes = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&bytes, Int32(bytes.count)) == 1 else { throw OpenSSL.failure("RAND_bytes") }
        bytes[0] = (bytes[0] & 0x7F) | 0x40  // positive, and always 16 octets long
        guard let bn = BN_bin2bn(bytes, Int32(bytes.count), nil) else { throw OpenSSL.failure("BN_bin2bn") }
        defer { BN_free(bn) }
        guard let serial = BN_to_ASN1_INTEGER(bn, nil) else { throw OpenSSL.failure("BN_to_ASN1_INTEGER") }
        defer { ASN1_INTEGER_free(serial) }
        guard X509_set_serialNumber(x509, serial) == 1 else { throw OpenSSL.failure("X509_set_serialNumber") }
    }

    /// Sets the subject from `(attribute, value)` pairs such as `("O", "Ward")`; an empty list leaves it empty.
    func setSubject(_ attributes: [(String, String)]) throws(IdentityError) {
        guard let name = X509_get_subject_name(x509) else { throw OpenSSL.failure("X509_get_subject_name") }
        for (field, value) in attributes {
            guard X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, value, -1, -1, 0) == 1 else {
                throw OpenSSL.failure("subject \(field)")
            }
        }
    }

    func setIssuer(_ issuer: Certificate?) throws(IdentityError) {
        let name = issuer.map { X509_get_subject_name($0.pointer) } ?? X509_get_subject_name(x509)
        guard X509_set_issuer_name(x509, name) == 1 else { throw OpenSSL.failure("X509_set_issuer_name") }
    }

    func setValidity(notBefore: Date, notAfter: Date) throws(IdentityError) {
        guard ASN1_TIME_set(X509_getm_notBefore(x509), time_t(notBefore.timeIntervalSince1970.rounded(.down))) != nil,
            ASN1_TIME_set(X509_getm_notAfter(x509), time_t(notAfter.timeIntervalSince1970.rounded(.down))) != nil
        else { throw OpenSSL.failure("setting validity") }
    }

    /// Sets the subject public key. EC keys go through a legacy public-only copy, which OpenSSL 3.0 encodes
    /// directly instead of round-tripping through its encoder and decoder (3x faster issuance; see shim.h).
    func setPublicKey(_ key: PublicKey) throws(IdentityError) {
        if case .ec = key.algorithm, let legacy = ward_legacy_ec_public_key(key.pointer) {
            defer { EVP_PKEY_free(legacy) }
            guard X509_set_pubkey(x509, legacy) == 1 else { throw OpenSSL.failure("X509_set_pubkey") }
            return
        }
        ERR_clear_error()
        guard X509_set_pubkey(x509, key.pointer) == 1 else { throw OpenSSL.failure("X509_set_pubkey") }
    }

    /// Adds an extension from OpenSSL's config syntax (`"critical,CA:TRUE"`). `issuer` nil means self-issued
    /// (the authorityKeyIdentifier then refers to this certificate's own subjectKeyIdentifier).
    func addExtension(_ nid: Int32, _ value: String, issuer: Certificate?) throws(IdentityError) {
        var ctx = X509V3_CTX()
        X509V3_set_ctx(&ctx, issuer?.pointer ?? x509, x509, nil, nil, 0)
        guard let ext = X509V3_EXT_nconf_nid(nil, &ctx, nid, value) else {
            throw OpenSSL.failure("extension \(String(cString: OBJ_nid2sn(nid)))")
        }
        defer { X509_EXTENSION_free(ext) }
        guard X509_add_ext(x509, ext, -1) == 1 else { throw OpenSSL.failure("X509_add_ext") }
    }

    /// Adds subjectAltName with the given URIs and DNS names, built as typed GENERAL_NAMEs (so no text in a
    /// name is ever parsed as extension syntax).
    func addSubjectAltNames(uris: [String], dnsNames: [String], critical: Bool) throws(IdentityError) {
        guard let names = ward_sk_GENERAL_NAME_new_null() else { throw OpenSSL.failure("GENERAL_NAMES") }
        defer { ward_GENERAL_NAMES_free(names) }
        for (type, value) in uris.map({ (GEN_URI, $0) }) + dnsNames.map({ (GEN_DNS, $0) }) {
            guard let name = a2i_GENERAL_NAME(nil, nil, nil, type, value, 0) else {
                throw OpenSSL.failure("subjectAltName \(value)")
            }
            guard ward_sk_GENERAL_NAME_push(names, name) > 0 else {
                GENERAL_NAME_free(name)
                throw OpenSSL.failure("subjectAltName")
            }
        }
        guard X509_add1_ext_i2d(x509, NID_subject_alt_name, UnsafeMutableRawPointer(names), critical ? 1 : 0, 0) == 1
        else { throw OpenSSL.failure("subjectAltName") }
    }

    /// Signs with `key` (digest chosen by key type) and returns the finished certificate.
    func sign(with key: PrivateKey) throws(IdentityError) -> Certificate {
        guard X509_sign(x509, key.pointer, key.publicKey.signingDigest) > 0 else { throw OpenSSL.failure("X509_sign") }
        signed = true
        return try Certificate(taking: x509)
    }
}

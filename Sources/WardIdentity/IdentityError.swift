/// Why an identity operation failed: a stable machine-readable `code` and a one-line `message` for people that
/// names the file, flag or field involved and what was expected.
///
/// One error type for the whole module keeps `throws(IdentityError)` signatures simple and lets callers (the
/// CLI, the TLS layer) switch on `code` instead of parsing text.
public struct IdentityError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The stable code. Raw values are what `--json` output and logs carry.
    public enum Code: String, Sendable, CaseIterable {
        // Inputs
        case unreadableFile = "file.unreadable"
        case writeFailed = "file.write_failed"
        case malformedKey = "key.malformed"
        case encryptedKey = "key.encrypted"
        case unsupportedKey = "key.unsupported"
        case unknownKeyType = "key.unknown_type"
        case keyMismatch = "key.mismatch"
        case malformedCertificate = "certificate.malformed"
        case malformedRequest = "csr.malformed"
        case badRequestSignature = "csr.bad_signature"
        case invalidTTL = "ttl.invalid"
        case ttlExceedsCA = "ttl.exceeds_ca"
        case invalidSpiffeID = "spiffe_id.invalid"
        case invalidDNSName = "dns_name.invalid"
        case invalidTrustDomain = "trust_domain.invalid"
        case missingCA = "ca.missing"
        case caExists = "ca.exists"
        case invalidCA = "ca.invalid"
        case malformedBundle = "bundle.malformed"
        case malformedLog = "issuance_log.malformed"
        case openssl = "openssl.failure"
        // SVID verification
        case expired = "svid.expired"
        case notYetValid = "svid.not_yet_valid"
        case unknownIssuer = "svid.unknown_issuer"
        case badSignature = "svid.bad_signature"
        case wrongTrustDomain = "svid.wrong_trust_domain"
        case unexpectedID = "svid.unexpected_id"
        case noURISAN = "svid.no_uri_san"
        case multipleURISANs = "svid.multiple_uri_sans"
        case badLeafSpiffeID = "svid.bad_spiffe_id"
        case caAsLeaf = "svid.ca_as_leaf"
        case badKeyUsage = "svid.bad_key_usage"
        case pathValidation = "svid.path_validation"
        case emptyChain = "svid.empty_chain"
    }

    public let code: Code
    /// One line for people, naming the file, flag or field.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

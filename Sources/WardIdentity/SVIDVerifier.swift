import COpenSSL
import Foundation

/// Verifies X.509-SVIDs as a peer would: RFC 5280 path validation (OpenSSL's `X509_verify_cert`, strict mode)
/// against the bundle of the leaf's own trust domain at a given time, then the SPIFFE leaf rules.
///
/// Holds one `TrustBundle` (and so one prebuilt `X509_STORE`) per trust domain; bundles are never merged. Cheap
/// to share: verification allocates only a per-call `X509_STORE_CTX` (and none inside a TLS handshake, which
/// verifies in libssl's: `SVIDVerifier+Handshake.swift`).
public struct SVIDVerifier: Sendable {
    public let bundles: [TrustDomain: TrustBundle]
    /// Each bundle's authorities as an OpenSSL stack, for verification inside a handshake.
    let anchorStacks: [TrustDomain: AnchorStack]

    public init(bundles: [TrustBundle]) {
        var byDomain: [TrustDomain: TrustBundle] = [:]
        for bundle in bundles { byDomain[bundle.trustDomain] = bundle }
        self.bundles = byDomain
        self.anchorStacks = SVIDVerifier.makeAnchorStacks(byDomain)
    }

    /// The result of a successful verification.
    public struct Verified: Sendable {
        public let id: SpiffeID
        /// The validated path: leaf first, ending at the trust anchor.
        public let path: [Certificate]
    }

    /// Verifies `chain` (leaf first, then intermediates) at `time`. With `expectedID`, the leaf must carry
    /// exactly that ID. Errors carry a specific code (`.expired`, `.unknownIssuer`, `.caAsLeaf`, …).
    public func verify(_ chain: [Certificate], at time: Date = Date(), expectedID: SpiffeID? = nil)
        throws(IdentityError) -> Verified
    {
        try verify(chain, at: time, expectedID: expectedID, collectPath: true)
    }

    /// The same verification, returning only the SPIFFE ID: for the TLS handshake, which needs no validated
    /// path and should not pay for wrapping it.
    public func verifiedID(of chain: [Certificate], at time: Date = Date()) throws(IdentityError) -> SpiffeID {
        try verify(chain, at: time, expectedID: nil, collectPath: false).id
    }

    private func verify(_ chain: [Certificate], at time: Date, expectedID: SpiffeID?, collectPath: Bool)
        throws(IdentityError) -> Verified
    {
        guard let leaf = chain.first else { throw IdentityError(.emptyChain, "no certificate to verify") }
        let id = try SVIDVerifier.checkLeaf(leaf)
        guard let bundle = bundles[id.trustDomain] else { throw unknownTrustDomain(id) }
        let path = try SVIDVerifier.validatePath(chain, store: bundle.store, at: time, collectPath: collectPath)
        if let expectedID, expectedID != id {
            let code: IdentityError.Code = expectedID.trustDomain == id.trustDomain ? .unexpectedID : .wrongTrustDomain
            throw IdentityError(code, "the SVID is for \(id), expected \(expectedID)")
        }
        return Verified(id: id, path: path)
    }

    /// The error for a leaf whose trust domain has no bundle here.
    func unknownTrustDomain(_ id: SpiffeID) -> IdentityError {
        let known = bundles.keys.map(\.name).sorted().joined(separator: ", ")
        return IdentityError(
            .wrongTrustDomain,
            "\(id) is in trust domain \(id.trustDomain), but the bundle is for \(known.isEmpty ? "no trust domain" : known)")
    }

    /// The SPIFFE leaf rules alone (no path validation): not a CA, no keyCertSign/cRLSign, exactly one URI SAN,
    /// a valid SPIFFE ID with a workload path. Returns the ID. Usable from a TLS verify callback.
    public static func checkLeaf(_ leaf: Certificate) throws(IdentityError) -> SpiffeID {
        try checkLeaf(x509: leaf.pointer)
    }

    /// The leaf rules on a parsed `X509*`, read from the fields OpenSSL decoded (extension flags, key usage, the
    /// subjectAltName's URI entries): no wrapper, no DER copy, one `String` for the single URI.
    static func checkLeaf(x509 leaf: OpaquePointer) throws(IdentityError) -> SpiffeID {
        let flags = X509_get_extension_flags(leaf)
        let keyUsage: UInt32? = flags & UInt32(EXFLAG_KUSAGE) != 0 ? X509_get_key_usage(leaf) : nil
        if flags & UInt32(EXFLAG_CA) != 0 || (keyUsage ?? 0) & UInt32(KU_KEY_CERT_SIGN) != 0 {
            throw IdentityError(.caAsLeaf, "a CA certificate (cA=true or keyCertSign) is used as the leaf SVID")
        }
        if (keyUsage ?? 0) & UInt32(KU_CRL_SIGN) != 0 {
            throw IdentityError(.badKeyUsage, "the leaf SVID has keyUsage cRLSign, which SVIDs must not have")
        }
        let uri = try singleURISAN(of: leaf)
        let id: SpiffeID
        do {
            id = try SpiffeID(uri)
        } catch {
            throw IdentityError(.badLeafSpiffeID, "the leaf's URI SAN is not a valid SPIFFE ID: \(error.reason) (\"\(uri)\")")
        }
        guard id.isWorkload else {
            throw IdentityError(.badLeafSpiffeID, "the leaf's SPIFFE ID \(id) has no path; a workload ID needs one")
        }
        return id
    }

    /// The one URI subjectAltName of `leaf`; errors when there is none or more than one (listing them).
    private static func singleURISAN(of leaf: OpaquePointer) throws(IdentityError) -> String {
        var critical: Int32 = 0
        guard let decoded = X509_get_ext_d2i(leaf, NID_subject_alt_name, &critical, nil) else {
            throw IdentityError(.noURISAN, "the leaf has no URI SAN (no SPIFFE ID)")
        }
        let names = OpaquePointer(decoded)
        defer { ward_GENERAL_NAMES_free(names) }
        func uri(at index: Int32) -> UnsafePointer<ASN1_STRING>? {
            var type: Int32 = 0
            guard let name = ward_sk_GENERAL_NAME_value(names, index),
                let value = GENERAL_NAME_get0_value(name, &type), type == GEN_URI
            else { return nil }
            return UnsafePointer(value.assumingMemoryBound(to: ASN1_STRING.self))
        }
        let count = ward_sk_GENERAL_NAME_num(names)
        var first: UnsafePointer<ASN1_STRING>?
        var found = 0
        for index in 0..<count {
            guard let value = uri(at: index) else { continue }
            if first == nil { first = value }
            found += 1
        }
        guard let first else { throw IdentityError(.noURISAN, "the leaf has no URI SAN (no SPIFFE ID)") }
        guard found == 1 else {
            let all = (0..<count).compactMap(uri(at:)).map(text(of:))
            throw IdentityError(
                .multipleURISANs, "the leaf has \(all.count) URI SANs (\(all.joined(separator: ", "))); an SVID has exactly one")
        }
        return text(of: first)
    }

    /// An ASN.1 string's bytes as UTF-8 text, decoded straight from OpenSSL's buffer.
    private static func text(of string: UnsafePointer<ASN1_STRING>) -> String {
        let length = Int(ASN1_STRING_length(string))
        guard length > 0, let data = ASN1_STRING_get0_data(string) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: data, count: length), as: UTF8.self)
    }

    /// RFC 5280 path validation of `chain` to the authorities in `store` at `time`; returns the validated path
    /// (empty unless `collectPath`).
    static func validatePath(_ chain: [Certificate], store: TrustStore, at time: Date, collectPath: Bool = true)
        throws(IdentityError) -> [Certificate]
    {
        guard let untrusted = ward_sk_X509_new_null() else { throw OpenSSL.failure("sk_X509_new_null") }
        defer { ward_sk_X509_free(untrusted) }  // the stack only borrows the certificates
        for certificate in chain.dropFirst() { _ = ward_sk_X509_push(untrusted, certificate.pointer) }
        guard let ctx = X509_STORE_CTX_new() else { throw OpenSSL.failure("X509_STORE_CTX_new") }
        defer { X509_STORE_CTX_free(ctx) }
        ERR_clear_error()
        guard X509_STORE_CTX_init(ctx, store.pointer, chain[0].pointer, untrusted) == 1 else {
            throw OpenSSL.failure("X509_STORE_CTX_init")
        }
        X509_STORE_CTX_set_flags(ctx, UInt(X509_V_FLAG_X509_STRICT))
        X509_STORE_CTX_set_time(ctx, 0, time_t(time.timeIntervalSince1970.rounded(.down)))
        let result = X509_verify_cert(ctx)
        ERR_clear_error()
        guard result == 1 else {
            let error = X509_STORE_CTX_get_error(ctx)
            let depth = X509_STORE_CTX_get_error_depth(ctx)
            throw describe(error: error, depth: depth, chain: chain, time: time)
        }
        var path: [Certificate] = []
        if collectPath, let verified = X509_STORE_CTX_get0_chain(ctx) {
            for index in 0..<ward_sk_X509_num(verified) {
                guard let x509 = ward_sk_X509_value(verified, index), X509_up_ref(x509) == 1,
                    let certificate = try? Certificate(taking: x509)
                else { continue }
                path.append(certificate)
            }
        }
        return path
    }

    static func describe(error: Int32, depth: Int32, chain: [Certificate], time: Date) -> IdentityError {
        let which = depth == 0 ? "the SVID" : "the CA certificate at depth \(depth)"
        let certificate = depth >= 0 && Int(depth) < chain.count ? chain[Int(depth)] : nil
        let reason = String(cString: X509_verify_cert_error_string(Int(error)))
        switch error {
        case X509_V_ERR_CERT_HAS_EXPIRED:
            let when = certificate.map { " on \(Timestamp.format($0.notAfter))" } ?? ""
            return IdentityError(.expired, "\(which) expired\(when) (checked at \(Timestamp.format(time)))")
        case X509_V_ERR_CERT_NOT_YET_VALID:
            let when = certificate.map { " until \(Timestamp.format($0.notBefore))" } ?? ""
            return IdentityError(.notYetValid, "\(which) is not yet valid\(when) (checked at \(Timestamp.format(time)))")
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
            X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
            X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
            return IdentityError(.unknownIssuer, "unknown issuer: \(which) is not signed by an authority in the bundle (\(reason))")
        case X509_V_ERR_CERT_SIGNATURE_FAILURE:
            return IdentityError(.badSignature, "\(which) has a signature that does not verify")
        case X509_V_ERR_PERMITTED_VIOLATION, X509_V_ERR_EXCLUDED_VIOLATION:
            return IdentityError(
                .wrongTrustDomain, "the SVID's SPIFFE ID is outside the trust domain its CA is constrained to (\(reason))")
        default:
            return IdentityError(.pathValidation, "\(which) failed path validation: \(reason)")
        }
    }
}

import COpenSSL
import Foundation

extension CertificateAuthority {
    /// Issues an X.509-SVID for `id` with a freshly generated key. See `issue(id:publicKey:…)` for the rules.
    public func issueSVID(
        id: SpiffeID, keyType: KeyType = .default, ttl: TTL, dnsNames: [String] = [], now: Date = Date()
    ) throws(IdentityError) -> X509SVID {
        try checkRequest(id: id, ttl: ttl, dnsNames: dnsNames, now: now)  // before spending time on a key
        let key = try PrivateKey(generating: keyType)
        let chain = try issue(id: id, publicKey: key.publicKey, ttl: ttl, dnsNames: dnsNames, now: now)
        return X509SVID(issued: id, chain: chain, privateKey: key)
    }

    /// Issues an X.509-SVID for the public key in `request`, after checking the request's signature (proof the
    /// requester holds the private key). Names the request asks for are ignored: the identity is `id`.
    public func sign(
        _ request: CertificateRequest, id: SpiffeID, ttl: TTL, dnsNames: [String] = [], now: Date = Date()
    ) throws(IdentityError) -> X509SVID {
        guard request.signatureIsValid else {
            throw IdentityError(.badRequestSignature, "the CSR's signature does not verify with its public key")
        }
        let chain = try issue(id: id, publicKey: try request.publicKey, ttl: ttl, dnsNames: dnsNames, now: now)
        return X509SVID(issued: id, chain: chain, privateKey: nil)
    }

    /// Issues a leaf certificate for `publicKey` and returns the chain to present (leaf first).
    ///
    /// The leaf meets every X.509-SVID rule: exactly one URI SAN (`id`, which must be a workload ID in this
    /// CA's trust domain), cA=false, critical keyUsage digitalSignature, EKU serverAuth+clientAuth, SKI and
    /// AKI, empty subject with a critical SAN, random 127-bit serial, notBefore backdated 10 s (never before
    /// the CA's), and notAfter within the CA's validity (a longer TTL is an error, not silently clipped).
    public func issue(
        id: SpiffeID, publicKey: PublicKey, ttl: TTL, dnsNames: [String] = [], now: Date = Date()
    ) throws(IdentityError) -> [Certificate] {
        try checkRequest(id: id, ttl: ttl, dnsNames: dnsNames, now: now)
        let builder = try CertificateBuilder()
        try builder.setRandomSerial()
        try builder.setSubject([])
        try builder.setIssuer(certificate)
        let notBefore = max(now.addingTimeInterval(-CertificateAuthority.backdate), certificate.notBefore)
        try builder.setValidity(notBefore: notBefore, notAfter: now.addingTimeInterval(ttl.timeInterval))
        try builder.setPublicKey(publicKey)
        try builder.addExtension(NID_basic_constraints, "critical,CA:FALSE", issuer: certificate)
        try builder.addExtension(NID_key_usage, "critical,digitalSignature", issuer: certificate)
        try builder.addExtension(NID_ext_key_usage, "serverAuth,clientAuth", issuer: certificate)
        try builder.addExtension(NID_subject_key_identifier, "hash", issuer: certificate)
        try builder.addExtension(NID_authority_key_identifier, "keyid:always", issuer: certificate)
        try builder.addSubjectAltNames(uris: [id.description], dnsNames: dnsNames, critical: true)
        let leaf = try builder.sign(with: privateKey)
        return [leaf] + chain
    }

    /// Checks an issuance request before any work is done.
    func checkRequest(id: SpiffeID, ttl: TTL, dnsNames: [String], now: Date) throws(IdentityError) {
        guard id.isWorkload else {
            throw IdentityError(.invalidSpiffeID, "\(id) has no path; an SVID needs a workload ID like \(id)/ns/app")
        }
        guard id.trustDomain == trustDomain else {
            throw IdentityError(
                .invalidSpiffeID, "\(id) is not in this CA's trust domain \(trustDomain)")
        }
        for name in dnsNames { try DNSName.validate(name) }
        guard certificate.isValid(at: now) else {
            throw IdentityError(
                .ttlExceedsCA, "the CA certificate is not valid now (valid \(Timestamp.format(certificate.notBefore)) to \(Timestamp.format(certificate.notAfter)))")
        }
        let notAfter = now.addingTimeInterval(ttl.timeInterval)
        guard notAfter <= certificate.notAfter else {
            let left = TTL.format(seconds: Int(certificate.notAfter.timeIntervalSince(now)))
            throw IdentityError(
                .ttlExceedsCA, "TTL \(ttl) exceeds the CA's remaining life (CA expires \(Timestamp.format(certificate.notAfter)), \(left) left)")
        }
    }
}

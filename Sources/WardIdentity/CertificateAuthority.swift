import COpenSSL
import Foundation

/// A SPIFFE signing authority for one trust domain: its certificate and key, the chain it hands out with every
/// SVID, and the trust anchors relying parties need (the bundle).
///
/// A root CA is its own trust anchor; an intermediate CA is signed by an upstream (often offline) root, and
/// then the bundle holds that root while SVID chains carry the intermediate. Issuing is in
/// `CertificateAuthority+Issuing.swift`, the on-disk layout in `CertificateAuthority+Storage.swift`.
public final class CertificateAuthority: Sendable {
    public let trustDomain: TrustDomain
    /// The signing certificate.
    public let certificate: Certificate
    /// The signing key. Never printed, logged or exposed publicly.
    package let privateKey: PrivateKey
    /// Certificates sent after an SVID's leaf: this CA's certificate and any upstream intermediates for an
    /// intermediate CA; empty for a root (peers hold it already).
    public let chain: [Certificate]
    /// The trust anchors for this trust domain: this certificate for a root, the upstream root otherwise.
    public let authorities: [Certificate]

    /// How far SVID notBefore is backdated to tolerate clock skew (SPIRE uses 10 s).
    public static let backdate: TimeInterval = 10

    /// Assembles a CA from parts, checking they fit: the key matches the certificate, the certificate may sign
    /// certificates, and its trust domain (from its SPIFFE ID or URI name constraint) matches `trustDomain`.
    public init(
        trustDomain: TrustDomain, certificate: Certificate, privateKey: PrivateKey, chain: [Certificate],
        authorities: [Certificate]
    ) throws(IdentityError) {
        guard privateKey.matches(try certificate.publicKey) else {
            throw IdentityError(.keyMismatch, "the CA key does not match the CA certificate")
        }
        guard certificate.isCA, certificate.keyUsage?.contains(.keyCertSign) ?? true else {
            throw IdentityError(.invalidCA, "the CA certificate is not a CA (needs cA=true and keyCertSign)")
        }
        if let declared = TrustBundle.declaredTrustDomains(of: certificate).first, declared != trustDomain {
            throw IdentityError(
                .invalidCA, "the CA certificate is for trust domain \(declared), not \(trustDomain)")
        }
        guard !authorities.isEmpty else { throw IdentityError(.invalidCA, "the CA has no trust anchor") }
        self.trustDomain = trustDomain
        self.certificate = certificate
        self.privateKey = privateKey
        self.chain = chain
        self.authorities = authorities
    }

    /// Whether this CA is its own trust anchor.
    public var isRoot: Bool { chain.isEmpty }

    /// The bundle relying parties need to verify this CA's SVIDs.
    public func bundle(sequence: Int64 = 1, refreshHint: Int64 = TrustBundle.defaultRefreshHint) throws(IdentityError)
        -> TrustBundle
    {
        try TrustBundle(trustDomain: trustDomain, authorities: authorities, sequence: sequence, refreshHint: refreshHint)
    }

    // MARK: - Creating

    /// Creates a self-signed root for `trustDomain`: cA=true, keyCertSign+cRLSign, a URI name constraint
    /// permitting only the trust domain, SPIFFE ID `spiffe://td`, and a subject unique to this CA generation
    /// (trust domain plus creation stamp) so chain builders never confuse generations.
    public static func createRoot(
        trustDomain: TrustDomain, keyType: KeyType = .default, ttl: TTL, now: Date = Date()
    ) throws(IdentityError) -> CertificateAuthority {
        let key = try PrivateKey(generating: keyType)
        let certificate = try makeCACertificate(
            trustDomain: trustDomain, publicKey: key.publicKey, notBefore: now.addingTimeInterval(-backdate),
            notAfter: now.addingTimeInterval(ttl.timeInterval), issuer: nil, signer: key, pathLength: nil, now: now)
        return try CertificateAuthority(
            trustDomain: trustDomain, certificate: certificate, privateKey: key, chain: [], authorities: [certificate])
    }

    /// Creates an intermediate CA for `trustDomain` signed by an upstream CA. `upstreamChain` is the upstream
    /// certificate first, optionally followed by its own chain, ending at (or being) a self-signed root; that
    /// root becomes the bundle. The upstream may be made by Ward or by any other tool (e.g. `openssl`).
    public static func createIntermediate(
        trustDomain: TrustDomain, keyType: KeyType = .default, ttl: TTL, upstreamChain: [Certificate],
        upstreamKey: PrivateKey, now: Date = Date()
    ) throws(IdentityError) -> CertificateAuthority {
        guard let upstream = upstreamChain.first else { throw IdentityError(.invalidCA, "the upstream chain is empty") }
        guard upstreamKey.matches(try upstream.publicKey) else {
            throw IdentityError(.keyMismatch, "the upstream key does not match the upstream certificate")
        }
        guard upstream.isCA, upstream.keyUsage?.contains(.keyCertSign) ?? true else {
            throw IdentityError(.invalidCA, "the upstream certificate is not a CA (needs cA=true and keyCertSign)")
        }
        guard let root = upstreamChain.last, root.isSelfSigned else {
            throw IdentityError(
                .invalidCA, "the upstream certificate must be a self-signed root, or be followed by its chain to one")
        }
        guard upstream.isValid(at: now) else {
            throw IdentityError(.invalidCA, "the upstream certificate is not valid now (valid \(Timestamp.format(upstream.notBefore)) to \(Timestamp.format(upstream.notAfter)))")
        }
        let permitted = upstream.permittedURIDomains
        if !permitted.isEmpty && !permitted.contains(trustDomain.name) {
            throw IdentityError(
                .invalidCA, "the upstream CA's name constraints do not permit trust domain \(trustDomain)")
        }
        let notAfter = now.addingTimeInterval(ttl.timeInterval)
        guard notAfter <= upstream.notAfter else {
            throw IdentityError(
                .ttlExceedsCA,
                "TTL \(ttl) ends after the upstream CA expires (\(Timestamp.format(upstream.notAfter))); at most \(TTL.format(seconds: Int(upstream.notAfter.timeIntervalSince(now)))) left")
        }
        let key = try PrivateKey(generating: keyType)
        let notBefore = max(now.addingTimeInterval(-backdate), upstream.notBefore)
        let certificate = try makeCACertificate(
            trustDomain: trustDomain, publicKey: key.publicKey, notBefore: notBefore, notAfter: notAfter,
            issuer: upstream, signer: upstreamKey, pathLength: 0, now: now)
        let intermediates = upstreamChain.dropLast().filter { !$0.isSelfSigned }
        return try CertificateAuthority(
            trustDomain: trustDomain, certificate: certificate, privateKey: key,
            chain: [certificate] + intermediates, authorities: [root])
    }

    static func makeCACertificate(
        trustDomain: TrustDomain, publicKey: PublicKey, notBefore: Date, notAfter: Date, issuer: Certificate?,
        signer: PrivateKey, pathLength: Int?, now: Date
    ) throws(IdentityError) -> Certificate {
        let builder = try CertificateBuilder()
        try builder.setRandomSerial()
        try builder.setSubject(subject(for: trustDomain, now: now, intermediate: issuer != nil))
        try builder.setIssuer(issuer)
        try builder.setValidity(notBefore: notBefore, notAfter: notAfter)
        try builder.setPublicKey(publicKey)
        let constraints = "critical,CA:TRUE" + (pathLength.map { ",pathlen:\($0)" } ?? "")
        try builder.addExtension(NID_basic_constraints, constraints, issuer: issuer)
        try builder.addExtension(NID_key_usage, "critical,keyCertSign,cRLSign", issuer: issuer)
        try builder.addExtension(NID_subject_key_identifier, "hash", issuer: issuer)
        try builder.addExtension(NID_authority_key_identifier, "keyid:always", issuer: issuer)
        try builder.addExtension(NID_name_constraints, "critical,permitted;URI:\(trustDomain.name)", issuer: issuer)
        try builder.addSubjectAltNames(uris: [trustDomain.id.description], dnsNames: [], critical: false)
        return try builder.sign(with: signer)
    }

    /// `O=Ward, CN=<trust domain>, serialNumber=<UTC stamp>-<random>`: unique per CA generation.
    static func subject(for trustDomain: TrustDomain, now: Date, intermediate: Bool) -> [(String, String)] {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let stamp = formatter.string(from: now) + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let name = String(decoding: trustDomain.name.utf8.prefix(64 - (intermediate ? 13 : 0)), as: UTF8.self)
        return [("O", "Ward"), ("CN", intermediate ? name + " intermediate" : name), ("serialNumber", stamp)]
    }
}

import Foundation

/// Where a CA lives on disk, under one directory (default `certs`):
///
///     DIR/ca/ca.pem              CA certificate (then upstream intermediates, for an intermediate CA)
///     DIR/ca/ca.key              CA private key, PKCS#8, mode 0600
///     DIR/ca/issuance.log        JSON Lines, one record per issued SVID
///     DIR/bundle.pem             trust anchors (PEM)
///     DIR/bundle.spiffe.json     trust anchors (SPIFFE bundle JSON)
public struct CALayout: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public var caDirectory: String { directory + "/ca" }
    public var certificateFile: String { caDirectory + "/ca.pem" }
    public var keyFile: String { caDirectory + "/ca.key" }
    public var issuanceLogFile: String { caDirectory + "/issuance.log" }
    public var bundlePEMFile: String { directory + "/bundle.pem" }
    public var bundleJSONFile: String { directory + "/bundle.spiffe.json" }

    public var issuanceLog: IssuanceLog { IssuanceLog(path: issuanceLogFile) }

    /// Whether a CA (certificate or key) is already there.
    public var exists: Bool { FileIO.exists(certificateFile) || FileIO.exists(keyFile) }
}

extension CertificateAuthority {
    /// Loads the CA stored in `directory`. The trust anchors come from `bundle.pem`; the trust domain from the
    /// CA certificate's SPIFFE ID (or URI name constraint).
    public static func load(directory: String) throws(IdentityError) -> CertificateAuthority {
        let layout = CALayout(directory: directory)
        guard FileIO.exists(directory) else {
            throw IdentityError(.missingCA, "\(directory): no such CA directory (expected \(layout.certificateFile))")
        }
        guard FileIO.exists(layout.certificateFile) else {
            throw IdentityError(.missingCA, "\(directory): no CA here (\(layout.certificateFile) is missing)")
        }
        let certificates = try Certificate.chain(contentsOfFile: layout.certificateFile)
        let key = try PrivateKey(contentsOfFile: layout.keyFile)
        let certificate = certificates[0]
        guard let trustDomain = TrustBundle.declaredTrustDomains(of: certificate).first else {
            throw IdentityError(
                .invalidCA, "\(layout.certificateFile): the CA certificate names no trust domain (no spiffe:// URI SAN)")
        }
        let authorities = try Certificate.chain(contentsOfFile: layout.bundlePEMFile)
        do {
            return try CertificateAuthority(
                trustDomain: trustDomain, certificate: certificate, privateKey: key,
                chain: certificate.isSelfSigned ? [] : certificates, authorities: authorities)
        } catch {
            let file = error.code == .keyMismatch ? layout.keyFile : layout.certificateFile
            throw IdentityError(error.code, "\(file): \(error.message)")
        }
    }

    /// Writes this CA into `directory` (see `CALayout`). Refuses to replace an existing CA unless `force`. The
    /// bundle's `spiffe_sequence` continues from the previous bundle there, so it increases on every change.
    /// Returns the bundle written.
    @discardableResult
    public func save(directory: String, force: Bool = false) throws(IdentityError) -> TrustBundle {
        let layout = CALayout(directory: directory)
        if layout.exists && !force {
            throw IdentityError(.caExists, "\(directory): a CA already exists (\(layout.certificateFile)); use --force to replace it")
        }
        try FileIO.makeDirectory(directory)
        try FileIO.makeDirectory(layout.caDirectory, mode: 0o700)
        var sequence: Int64 = 1
        if let previous = try? TrustBundle.load(
            contentsOfFile: layout.bundleJSONFile, fallbackTrustDomain: trustDomain)
        {
            sequence = previous.sequence + 1
        }
        let bundle = try self.bundle(sequence: sequence)
        try privateKey.write(toFile: layout.keyFile)
        try FileIO.writeAtomically(Certificate.pem(isRoot ? [certificate] : chain), to: layout.certificateFile)
        try FileIO.writeAtomically(bundle.pem, to: layout.bundlePEMFile)
        try FileIO.writeAtomically(bundle.spiffeJSONText, to: layout.bundleJSONFile)
        return bundle
    }
}

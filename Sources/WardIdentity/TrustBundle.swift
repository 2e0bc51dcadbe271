import COpenSSL
import Foundation
import WardJSON

/// The trust anchors (X.509 authorities) of one trust domain, with the SPIFFE bundle's sequence number and
/// refresh hint. Read and written as PEM or as SPIFFE bundle JSON (`TrustBundle+SPIFFE.swift`).
///
/// SVIDs of a trust domain are verified only against that trust domain's bundle (bundles are never merged), so
/// every bundle knows its trust domain. Neither file form records it; it comes from the caller or is inferred
/// from the authorities' own SPIFFE IDs or URI name constraints (Ward's CAs carry both).
public struct TrustBundle: Sendable {
    public let trustDomain: TrustDomain
    /// Trust anchor certificates (roots), in file order.
    public let authorities: [Certificate]
    /// `spiffe_sequence`: increases on every change of the bundle.
    public var sequence: Int64
    /// `spiffe_refresh_hint` in seconds: how often consumers should re-fetch.
    public var refreshHint: Int64
    /// The authorities as an `X509_STORE`, built once. For the TLS module.
    package let store: TrustStore

    /// Five minutes, SPIRE's default refresh hint.
    public static let defaultRefreshHint: Int64 = 300

    public init(
        trustDomain: TrustDomain, authorities: [Certificate], sequence: Int64 = 1,
        refreshHint: Int64 = TrustBundle.defaultRefreshHint
    ) throws(IdentityError) {
        self.trustDomain = trustDomain
        self.authorities = authorities
        self.sequence = sequence
        self.refreshHint = refreshHint
        self.store = try TrustStore(authorities: authorities)
    }

    /// Parses a bundle file in either form (JSON when it starts with `{`, else PEM). The trust domain is
    /// `trustDomain` if given (and must agree with what the authorities declare), else the one the authorities
    /// declare, else `fallbackTrustDomain`; otherwise it is an error.
    public init(
        bytes: [UInt8], source: String, trustDomain: TrustDomain? = nil, fallbackTrustDomain: TrustDomain? = nil
    ) throws(IdentityError) {
        let firstNonSpace = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        let parsed: (authorities: [Certificate], sequence: Int64, refreshHint: Int64)
        if firstNonSpace == UInt8(ascii: "{") {
            parsed = try TrustBundle.parseSPIFFE(bytes, source: source)
        } else {
            let certificates = try Certificate.chain(pem: bytes, source: source)
            parsed = (certificates, 0, TrustBundle.defaultRefreshHint)
        }
        let declared = Set(parsed.authorities.flatMap { TrustBundle.declaredTrustDomains(of: $0) })
        guard declared.count <= 1 else {
            let names = declared.map(\.name).sorted().joined(separator: ", ")
            throw IdentityError(.malformedBundle, "\(source): the authorities belong to several trust domains (\(names))")
        }
        if let trustDomain, let other = declared.first, other != trustDomain {
            throw IdentityError(.wrongTrustDomain, "\(source): the bundle is for trust domain \(other), not \(trustDomain)")
        }
        guard let domain = trustDomain ?? declared.first ?? fallbackTrustDomain else {
            throw IdentityError(
                .malformedBundle, "\(source): cannot tell the bundle's trust domain (its authorities name none)")
        }
        try self.init(
            trustDomain: domain, authorities: parsed.authorities, sequence: parsed.sequence,
            refreshHint: parsed.refreshHint)
    }

    /// Loads a bundle file (PEM or SPIFFE JSON); see `init(bytes:source:trustDomain:fallbackTrustDomain:)`.
    public static func load(
        contentsOfFile path: String, trustDomain: TrustDomain? = nil, fallbackTrustDomain: TrustDomain? = nil
    ) throws(IdentityError) -> TrustBundle {
        try TrustBundle(
            bytes: try FileIO.read(path, what: "trust bundle"), source: path, trustDomain: trustDomain,
            fallbackTrustDomain: fallbackTrustDomain)
    }

    /// The authorities as concatenated PEM blocks.
    public var pem: String { Certificate.pem(authorities) }

    /// Trust domains a CA certificate declares: its SPIFFE ID (`spiffe://td`, no path) if it has one, else the
    /// domains its URI name constraints permit.
    public static func declaredTrustDomains(of certificate: Certificate) -> [TrustDomain] {
        if let id = certificate.uriSANs.compactMap({ try? SpiffeID($0) }).first(where: { !$0.isWorkload }) {
            return [id.trustDomain]
        }
        return certificate.permittedURIDomains.compactMap { try? TrustDomain($0) }
    }
}

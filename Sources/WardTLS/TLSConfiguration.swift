import NIOCore
import WardIdentity

/// Everything a TLS context is built from: this side's X.509-SVID and key, the trust bundle, and the rules for
/// the peer. Build a `TLSContext` from it once and share that across connections.
public struct TLSConfiguration: Sendable {
    public enum Role: Sendable { case server, client }

    public var role: Role
    /// This side's X.509-SVID (leaf, intermediates) with its private key.
    public var svid: X509SVID
    /// The bundles peers are verified against, one per trust domain (each peer against its own domain's).
    public var trustBundles: [TrustBundle]
    /// Which verified SPIFFE IDs this side accepts as peers.
    public var peerRequirement: PeerRequirement
    /// TLS 1.3 only unless set; TLS 1.2 is then offered with ECDHE and AEAD suites only.
    public var allowTLS12: Bool
    /// ALPN protocols in preference order (`h2`, `http/1.1`); empty disables ALPN.
    public var alpn: [String]
    /// A handshake that takes longer than this is closed.
    public var handshakeTimeout: TimeAmount

    public init(
        role: Role,
        svid: X509SVID,
        trustBundles: [TrustBundle],
        peerRequirement: PeerRequirement = .any,
        allowTLS12: Bool = false,
        alpn: [String] = ["http/1.1"],
        handshakeTimeout: TimeAmount = .seconds(10)
    ) {
        self.role = role
        self.svid = svid
        self.trustBundles = trustBundles
        self.peerRequirement = peerRequirement
        self.allowTLS12 = allowTLS12
        self.alpn = alpn
        self.handshakeTimeout = handshakeTimeout
    }
}

/// Which peers a TLS side accepts after their SVID verified against the bundle.
public enum PeerRequirement: Sendable, Equatable {
    /// Any valid SVID from a trusted trust domain (authorization happens later, e.g. by policy).
    case any
    /// Exactly one of these IDs (a client calling a known server).
    case oneOf(Set<SpiffeID>)
    /// Any workload of this trust domain.
    case trustDomain(TrustDomain)
    /// A pattern: an exact ID, or a prefix ending in `*` (`spiffe://td/ns/prod/*`).
    case pattern(String)

    /// Whether `id` satisfies the requirement.
    public func accepts(_ id: SpiffeID) -> Bool {
        switch self {
        case .any: return true
        case .oneOf(let ids): return ids.contains(id)
        case .trustDomain(let domain): return id.trustDomain == domain
        case .pattern(let pattern):
            if pattern.hasSuffix("*") { return id.description.hasPrefix(pattern.dropLast()) }
            return id.description == pattern
        }
    }
}

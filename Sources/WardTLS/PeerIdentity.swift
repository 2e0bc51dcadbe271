import NIOCore
import WardIdentity

/// Who the peer is, as verified during the handshake.
///
/// The SPIFFE ID is decided during the handshake; the chain's DER and the leaf's hash are derived from the peer's
/// certificates when read (each read encodes or hashes again: read them once), so a consumer that needs only the
/// ID pays for nothing else. Read-only: it states what the handshake verified.
public struct VerifiedPeer: Sendable, Equatable {
    /// The peer's SPIFFE ID (from its leaf's single URI SAN).
    public let spiffeID: SpiffeID
    /// The peer's chain as DER, leaf first, as it sent it.
    public var chainDER: [[UInt8]] { certificates.chainDER }
    /// SHA-256 of the leaf's DER, lowercase hex (Envoy's XFCC `Hash=`).
    public var leafSHA256: String { certificates.leafSHA256 }

    private let certificates: PeerCertificates

    init(spiffeID: SpiffeID, certificates: PeerCertificates) {
        self.spiffeID = spiffeID
        self.certificates = certificates
    }

    public static func == (lhs: VerifiedPeer, rhs: VerifiedPeer) -> Bool {
        lhs.spiffeID == rhs.spiffeID && lhs.chainDER == rhs.chainDER
    }
}

/// What the pipeline learns once the handshake completes, sent as a user inbound event.
public struct TLSHandshakeCompleted: Sendable, Equatable {
    /// The verified peer; nil only for a client that did not require a peer certificate (never in Ward).
    public var peer: VerifiedPeer?
    /// The ALPN protocol both sides agreed on, if any.
    public var alpn: String?
    /// The SNI name: the one the client sent (server side) or the one it asked for (client side).
    public var serverName: String?
    /// "TLSv1.3" or "TLSv1.2".
    public var protocolVersion: String
    public var cipher: String
}

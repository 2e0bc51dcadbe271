import NIOCore
import WardIdentity

/// Who the peer is, as verified during the handshake.
public struct VerifiedPeer: Sendable, Equatable {
    /// The peer's SPIFFE ID (from its leaf's single URI SAN).
    public var spiffeID: SpiffeID
    /// The peer's chain as DER, leaf first, as it sent it.
    public var chainDER: [[UInt8]]
    /// SHA-256 of the leaf's DER, lowercase hex (Envoy's XFCC `Hash=`).
    public var leafSHA256: String
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

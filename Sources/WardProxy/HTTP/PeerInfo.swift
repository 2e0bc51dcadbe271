import WardIdentity

/// Who is on the other end of a client connection, as the TLS handshake established it.
///
/// Sent down the pipeline as a user inbound event by `PeerIdentityHandler`, so the HTTP handlers never depend
/// on the TLS layer's types and can be tested with an `EmbeddedChannel`.
public struct PeerInfo: Sendable, Equatable {
    /// The peer's verified SPIFFE ID.
    public var spiffeID: SpiffeID
    /// SHA-256 of the peer's leaf certificate, lowercase hex (XFCC `Hash=`).
    public var leafSHA256: String
    /// The SNI the client sent, if any.
    public var serverName: String?

    public init(spiffeID: SpiffeID, leafSHA256: String, serverName: String?) {
        self.spiffeID = spiffeID
        self.leafSHA256 = leafSHA256
        self.serverName = serverName
    }
}

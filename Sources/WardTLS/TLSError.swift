/// A TLS failure: what failed, in a stable `code` and a message for people.
///
/// Handshake failures carry the most specific reason known: Ward's own SPIFFE verification result when the peer
/// was rejected by it, otherwise OpenSSL's reason string (e.g. "wrong version number").
public struct TLSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable machine-readable code, e.g. `tls.peer_rejected`.
    public var code: Code
    /// What happened, for people and logs.
    public var message: String

    public enum Code: String, Sendable {
        /// The configuration could not be turned into a context (bad key, empty bundle, mismatched key…).
        case contextInvalid = "tls.context_invalid"
        /// The handshake failed for a protocol reason (bad version, garbage, alert from the peer…).
        case handshakeFailed = "tls.handshake_failed"
        /// The peer sent no certificate although one is required.
        case noPeerCertificate = "tls.no_peer_certificate"
        /// The peer's certificate failed chain or SPIFFE verification.
        case peerRejected = "tls.peer_rejected"
        /// The peer's SPIFFE ID is valid but not one this side accepts.
        case unexpectedPeer = "tls.unexpected_peer"
        /// The handshake did not complete in time.
        case handshakeTimeout = "tls.handshake_timeout"
        /// The connection ended without close_notify.
        case uncleanShutdown = "tls.unclean_shutdown"
        /// An error on an established connection.
        case io = "tls.io"
    }

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// A short label for metrics ("handshake_timeout", "peer_rejected"…).
    public var reasonLabel: String { String(code.rawValue.dropFirst(4)) }
}

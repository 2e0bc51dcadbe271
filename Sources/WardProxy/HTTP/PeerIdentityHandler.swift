import NIOCore
import WardTLS

/// Turns the TLS layer's handshake event into a `PeerInfo` event for the handlers above, and closes connections
/// that completed a handshake without a verified peer (never expected: Ward's server always requires one).
///
/// It also counts failed handshakes by reason (`ward_tls_handshake_failures_total`) for both listener protocols.
/// Once the handshake is done it has nothing left to do and removes itself, so the bytes of every request do not
/// pass through one more handler.
final class PeerIdentityHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let metrics: ProxyMetrics?
    private var established = false

    init(metrics: ProxyMetrics?) { self.metrics = metrics }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if !established, let tlsError = error as? TLSError {
            metrics?.countHandshakeFailure(reason: tlsError.reasonLabel)
            established = true  // count a connection once
        }
        context.fireErrorCaught(error)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let completed = event as? TLSHandshakeCompleted else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        established = true
        guard let peer = completed.peer else {
            context.close(promise: nil)  // fail closed: no verified identity, no requests
            return
        }
        context.fireUserInboundEventTriggered(
            PeerInfo(spiffeID: peer.spiffeID, leafSHA256: peer.leafSHA256, serverName: completed.serverName))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}

@available(*, unavailable)
extension PeerIdentityHandler: Sendable {}

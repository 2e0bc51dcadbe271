import NIOCore

/// Sent up the pipeline when a client started a request but did not finish its headers in time (→ `408`).
struct RequestHeadTimeout: Sendable {}

/// Watches the bytes before the HTTP decoder to time request heads and idle keep-alive connections.
///
/// Sits between TLS and the decoder because only there is it visible that a client has *started* a request:
/// the first byte after an exchange arms the header timer, the decoded head (reported by the HTTP handler)
/// disarms it. A connection with no bytes at all is closed silently after the idle timeout instead.
final class RequestHeadTimer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum Phase {
        case waitingForBytes
        case readingHead
        case inExchange
    }

    private let headerTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private var phase = Phase.waitingForBytes
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(headerTimeout: TimeAmount, idleTimeout: TimeAmount) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        armIdle()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if phase == .waitingForBytes {
            phase = .readingHead
            arm(headerTimeout) { context in
                // Written as raw bytes from here: no request head exists for the HTTP layers to answer.
                context.fireUserInboundEventTriggered(RequestHeadTimeout())
                let body = "request timeout\n"
                let response = "HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-type: text/plain\r\n"
                    + "content-length: \(body.utf8.count)\r\n\r\n" + body
                let buffer = context.channel.allocator.buffer(string: response)
                context.writeAndFlush(NIOAny(buffer)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            }
        }
        context.fireChannelRead(data)
    }

    /// The decoder produced a request head: the client is no longer slow.
    func headReceived() {
        phase = .inExchange
        timer?.cancel()
        timer = nil
    }

    /// The exchange finished; the connection is idle until the next byte.
    func exchangeFinished() {
        phase = .waitingForBytes
        armIdle()
    }

    private func armIdle() {
        arm(idleTimeout) { context in context.close(promise: nil) }
    }

    private func arm(_ delay: TimeAmount, _ action: @escaping (ChannelHandlerContext) -> Void) {
        timer?.cancel()
        guard let context, delay > .zero else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] in
            guard let self, let context = self.context else { return }
            self.timer = nil
            action(context)
        }
    }
}

import NIOCore
import NIOHTTP1

/// What an upstream connection reports to the client-side handler currently using it (same event loop).
protocol UpstreamDelegate: AnyObject {
    func upstream(_ connection: UpstreamConnection, received part: HTTPClientResponsePart)
    func upstreamReadComplete(_ connection: UpstreamConnection)
    func upstreamWritabilityChanged(_ connection: UpstreamConnection, writable: Bool)
    func upstreamClosed(_ connection: UpstreamConnection)
}

/// One keep-alive HTTP/1.1 connection to the upstream, as the last handler of its pipeline.
///
/// It belongs to at most one exchange at a time (`delegate`), and otherwise sits in its event loop's pool.
/// Reading is gated by `pauseReads()`/`resumeReads()` so a slow caller slows the upstream down instead of
/// making the proxy buffer the response body.
final class UpstreamConnection: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    weak var delegate: UpstreamDelegate?
    /// The response decoder of this connection's pipeline, told the method of each request sent.
    private let responseDecoder: UpstreamResponseDecoder
    /// The pool holding this connection while it is idle, told when the channel closes so it can forget it.
    weak var idleIn: UpstreamPool.LoopPool?
    private(set) var context: ChannelHandlerContext?
    private var readsPaused = false
    private var readPending = false
    /// Writes not yet flushed: the client side asks for a flush at the end of each request and again at the end
    /// of its read burst, and only the first of those has anything to send.
    private var flushPending = false
    private(set) var isClosed = false
    private var lossReported = false
    /// Exchanges this connection carried (more than one means it came from the pool).
    var uses = 0

    var channel: Channel? { context?.channel }
    var isWritable: Bool { context?.channel.isWritable ?? false }
    var isUsable: Bool { !isClosed && (context?.channel.isActive ?? false) }

    init(responseDecoder: UpstreamResponseDecoder) {
        self.responseDecoder = responseDecoder
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        delegate?.upstream(self, received: unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        delegate?.upstreamReadComplete(self)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        delegate?.upstreamWritabilityChanged(self, writable: context.channel.isWritable)
    }

    func channelInactive(context: ChannelHandlerContext) {
        connectionLost()
    }

    /// Closes and reports the loss at once instead of waiting for `channelInactive`: when a handler below refused
    /// a request head on a connection that had not carried an exchange yet (NIO's request validator did, for a
    /// raw `{` in the query, before NormalizedPath refused such targets), the close succeeded and the handlers
    /// were removed, but `channelInactive` never reached this handler (NIO 2.101), and the client hung until the
    /// upstream timeout.
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
        connectionLost()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        connectionLost()  // the pipeline is torn down: whatever happened, this connection is gone
    }

    /// Tells the exchange using this connection (or the pool holding it) that it is gone; once only.
    private func connectionLost() {
        guard !lossReported else { return }
        lossReported = true
        isClosed = true
        if let delegate {
            self.delegate = nil
            delegate.upstreamClosed(self)
        } else if let pool = idleIn {
            idleIn = nil
            pool.remove(self)
        }
    }

    func read(context: ChannelHandlerContext) {
        if readsPaused {
            readPending = true
        } else {
            context.read()
        }
    }

    // MARK: Used by the client-side handler

    func write(_ part: HTTPClientRequestPart) {
        guard let context else { return }
        if case .head(let head) = part { responseDecoder.requestSent(head) }
        flushPending = true
        context.write(wrapOutboundOut(part), promise: nil)
    }

    func flush() {
        guard flushPending, let context else { return }
        flushPending = false
        context.flush()
    }

    func pauseReads() { readsPaused = true }

    func resumeReads() {
        guard readsPaused else { return }
        readsPaused = false
        if readPending, let context {
            readPending = false
            context.read()
        }
    }

    func close() {
        isClosed = true
        delegate = nil
        context?.close(promise: nil)
    }
}

@available(*, unavailable)
extension UpstreamConnection: Sendable {}

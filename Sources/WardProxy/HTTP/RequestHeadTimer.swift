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
    private var headerDeadline: NIODeadline?
    private var idleDeadline: NIODeadline?
    /// One scheduled task per connection at most; it is moved earlier when needed and otherwise re-armed when it
    /// fires, so a busy keep-alive connection schedules nothing per request.
    private var timer: Scheduled<Void>?
    private var timerAt: NIODeadline?
    private var context: ChannelHandlerContext?

    init(headerTimeout: TimeAmount, idleTimeout: TimeAmount) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        exchangeFinished()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if phase == .waitingForBytes {
            phase = .readingHead
            idleDeadline = nil
            let deadline = NIODeadline.now() + headerTimeout
            headerDeadline = deadline
            ensureTimer(by: deadline)
        }
        context.fireChannelRead(data)
    }

    /// The decoder produced a request head: the client is no longer slow.
    func headReceived() {
        phase = .inExchange
        headerDeadline = nil
    }

    /// The exchange finished; the connection is idle until the next byte.
    func exchangeFinished() {
        phase = .waitingForBytes
        let deadline = NIODeadline.now() + idleTimeout
        idleDeadline = deadline
        ensureTimer(by: deadline)
    }

    private func ensureTimer(by deadline: NIODeadline) {
        if let timerAt, timerAt <= deadline { return }
        timer?.cancel()
        guard let context else { return }
        timerAt = deadline
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            self?.fired()
        }
    }

    private func fired() {
        timer = nil
        timerAt = nil
        guard let context else { return }
        let now = NIODeadline.now()
        switch phase {
        case .readingHead:
            guard let deadline = headerDeadline else { return }
            if deadline > now { return ensureTimer(by: deadline) }
            timedOut(context: context)
        case .waitingForBytes:
            guard let deadline = idleDeadline else { return }
            if deadline > now { return ensureTimer(by: deadline) }
            context.close(promise: nil)
        case .inExchange:
            break  // `exchangeFinished` arms it again
        }
    }

    /// Answers `408` as raw bytes from here: no request head exists for the HTTP layers to answer.
    private func timedOut(context: ChannelHandlerContext) {
        context.fireUserInboundEventTriggered(RequestHeadTimeout())
        let body = "request timeout\n"
        let response = "HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-type: text/plain\r\n"
            + "content-length: \(body.utf8.count)\r\n\r\n" + body
        let buffer = context.channel.allocator.buffer(string: response)
        context.writeAndFlush(NIOAny(buffer)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}

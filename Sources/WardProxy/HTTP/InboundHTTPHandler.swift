import NIOCore
import NIOHTTP1
import Prometheus
import WardPolicy

/// The per-connection heart of the HTTP proxy: validates, authorizes and forwards each request.
///
/// Order per request, with nothing reaching the upstream before the last step: framing checks (`400`, close) →
/// `Host` check → path normalization (`400`) → decision (`403`) → forward the *normalized* path with the peer's
/// identity in `x-forwarded-client-cert`. Bodies stream both ways with backpressure: the client is read only while
/// the upstream accepts writes, and the upstream only while the client does. Bookkeeping lives in `ExchangeState`;
/// this class performs the I/O it asks for.
final class InboundHTTPHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    let shared: ProxyShared
    let headTimer: RequestHeadTimer
    var context: ChannelHandlerContext?

    // The connection.
    var peer: PeerInfo?
    /// `peer != nil`, kept apart because testing the optional copies the whole `PeerInfo` on every request.
    var hasPeer = false
    var connectionFacts: ConnectionFacts?
    var decider: (generation: Int, decider: any PeerDecider)?
    /// The headers Ward adds to every forwarded request: `x-forwarded-client-cert`, fixed for the connection, so
    /// built once here rather than as a new array per request.
    var addedHeaders: [(String, String)] = []
    var destinationPort = 0

    // The exchange in progress.
    var exchange = ExchangeState()
    var record: ExchangeRecord?
    var forwardHead: HTTPRequestHead?
    var pendingParts: [HTTPClientRequestPart] = []
    var upstream: UpstreamConnection?
    /// The upstream pool of this connection's event loop (looked up once).
    var loopPool: UpstreamPool.LoopPool?
    /// When the upstream must have started its response (nil when nothing is waiting); see `armResponseTimer`.
    var responseDeadline: NIODeadline?
    var responseTimer: Scheduled<Void>?
    var bodyBytesSent = 0
    /// Responses use the request's HTTP version (an HTTP/1.0 client must not get chunked framing).
    var responseVersion = HTTPVersion.http1_1
    var retried = false
    /// The `ward_requests_total` series this connection counted last (see `finishRecord`).
    var requestCounter: (decision: String, status: Int, counter: Counter)?

    // Pipelining (see InboundHTTPHandler+Pipelining.swift).
    var queue: [Queued] = []
    var quiescing = false

    // Client-side flow control.
    /// Inside a burst of reads: upstream writes are flushed once at its end (one syscall per burst).
    var inReadBurst = false
    /// Response parts were written to the client without a flush yet (see `upstreamReadComplete`).
    var clientFlushPending = false
    var readsPaused = false
    var readPending = false

    /// Local answers larger than this request body are followed by a close instead of reading the body to its end.
    static let maxDiscardedBody = 1 << 20

    init(shared: ProxyShared, headTimer: RequestHeadTimer) {
        self.shared = shared
        self.headTimer = headTimer
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        loopPool = shared.pool.pool(for: context.eventLoop)
    }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    // MARK: Inbound

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let peer as PeerInfo:
            connectionEstablished(peer, context: context)
        case is ChannelShouldQuiesceEvent:
            quiesce(context: context)
        case is RequestHeadTimeout:
            var timedOut = ExchangeRecord(
                method: "-", path: "-")
            timedOut.status = 408
            timedOut.reason = "header_timeout"
            finishRecord(timedOut)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inReadBurst = true
        let part = unwrapInboundIn(data)
        if mustQueue(part) {
            enqueue(.part(part))
            return
        }
        switch part {
        case .head(let head): requestHead(head, context: context)
        case .body(let buffer): requestBody(buffer)
        case .end: requestEnd()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        inReadBurst = false
        if exchange.phase == .forwarding { upstream?.flush() }
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let upstream {
            upstream.resumeReads()
            if exchange.responseStarted, !exchange.responseEnded { armResponseTimer(context: context) }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        responseTimer?.cancel()
        responseTimer = nil
        responseDeadline = nil
        if let upstream {
            self.upstream = nil
            upstream.close()
        }
        if !exchange.isIdle, var record = record.take() {
            record.reason = record.reason ?? "client_closed"
            if record.status == 0 { record.status = 499 }
            finishRecord(record)
        }
        if hasPeer { shared.metrics.openConnections.decrement() }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let parserError = error as? HTTPParserError {
            if errorBelongsToQueuedRequest {
                enqueue(.error(parserError))
            } else {
                malformed(parserError, context: context)
            }
            return
        }
        context.close(promise: nil)
    }

    // MARK: Outbound

    func read(context: ChannelHandlerContext) {
        if readsPaused || !queue.isEmpty {
            readPending = true
        } else {
            context.read()
        }
    }

    func pauseClientReads() { readsPaused = true }

    func resumeClientReads() {
        guard readsPaused else { return }
        readsPaused = false
        if readPending, queue.isEmpty, let context {
            readPending = false
            context.read()
        }
    }

    // MARK: Connection

    private func connectionEstablished(_ peer: PeerInfo, context: ChannelHandlerContext) {
        self.peer = peer
        hasPeer = true
        destinationPort = shared.config.destinationPort
        connectionFacts = ConnectionFacts(
            principal: peer.spiffeID.description,
            sourceIP: context.channel.remoteAddress?.ipAddress.flatMap { IPAddress($0) }, sni: peer.serverName)
        addedHeaders = [(ForwardedClientCert.name, ForwardedClientCert.value(localID: shared.localID(), peer: peer))]
        shared.metrics.connectionsTotal.increment()
        shared.metrics.openConnections.increment()
    }

    /// The decider for this connection's peer under the policies in force now (re-resolved after a reload).
    func currentDecider() -> (any PeerDecider)? {
        if let decider, decider.generation == shared.engines.generation { return decider.decider }
        let snapshot = shared.engines.current
        guard let connectionFacts else { return nil }
        let resolved = snapshot.engine.resolve(connection: connectionFacts)
        decider = (snapshot.generation, resolved)
        return resolved
    }
}

@available(*, unavailable)
extension InboundHTTPHandler: Sendable {}

import Foundation
import NIOCore
import NIOPosix
import WardPolicy

/// `--protocol tcp`: authorizes the whole connection by peer identity, then forwards bytes both ways.
///
/// Nothing reaches the upstream before the decision: no upstream connection is even opened until the peer is
/// allowed. Then the two channels are glued with backpressure in both directions (each side reads only while
/// the other is writable), as in NIO's connect-proxy example.
final class TCPProxyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase {
        case waitingForPeer
        case connecting
        case forwarding(TCPUpstreamGlue)
        case closed
    }

    private let shared: ProxyShared
    private var phase = Phase.waitingForPeer
    private var pending: [ByteBuffer] = []
    private var readPending = false
    private var context: ChannelHandlerContext?
    private var peer: PeerInfo?
    private var started = NIODeadline.now()
    private var wallClock = Date().timeIntervalSince1970
    private var decision = AuthorizationResult.defaultDeny
    var bytesIn = 0
    var bytesOut = 0

    init(shared: ProxyShared) { self.shared = shared }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let peer = event as? PeerInfo else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        self.peer = peer
        started = .now()
        wallClock = Date().timeIntervalSince1970
        shared.metrics.connectionsTotal.increment()
        shared.metrics.openConnections.increment()
        let facts = ConnectionFacts(
            principal: peer.spiffeID.description,
            sourceIP: context.channel.remoteAddress?.ipAddress.flatMap { IPAddress($0) }, sni: peer.serverName)
        decision = shared.engines.current.engine.decideConnection(facts)
        guard decision.allowed else {
            shared.metrics.connectionsDenied.increment()
            log(status: 403, reason: nil)
            phase = .closed
            context.close(promise: nil)
            return
        }
        phase = .connecting
        let loop = context.eventLoop
        ClientBootstrap(group: loop)
            .connectTimeout(shared.config.upstreamConnectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: shared.pool.address.host, port: shared.pool.address.port)
            .assumeIsolated()
            .whenComplete { [self] result in
                switch result {
                case .success(let channel): upstreamConnected(channel)
                case .failure:
                    shared.metrics.countUpstreamError(kind: "unavailable")
                    log(status: 503, reason: "upstream_unavailable")
                    phase = .closed
                    self.context?.close(promise: nil)
                }
            }
    }

    private func upstreamConnected(_ channel: Channel) {
        guard case .connecting = phase, let context else {
            channel.close(promise: nil)
            return
        }
        let glue = TCPUpstreamGlue(client: self)
        do {
            try channel.pipeline.syncOperations.addHandler(glue)
        } catch {
            channel.close(promise: nil)
            context.close(promise: nil)
            return
        }
        phase = .forwarding(glue)
        for buffer in pending { glue.write(buffer) }
        pending.removeAll()
        glue.flush()
        if readPending {
            readPending = false
            context.read()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        bytesIn += buffer.readableBytes
        switch phase {
        case .waitingForPeer, .connecting: pending.append(buffer)
        case .forwarding(let glue): glue.write(buffer)
        case .closed: break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .forwarding(let glue) = phase { glue.flush() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .forwarding(let glue) = phase, context.channel.isWritable { glue.resumeReading() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .forwarding(let glue) = phase {
            log(status: 200, reason: nil)
            glue.close()
        }
        if peer != nil { shared.metrics.openConnections.decrement() }
        phase = .closed
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        switch phase {
        case .forwarding(let glue) where glue.isWritable: context.read()
        case .waitingForPeer: context.read()  // the TLS handshake needs reads
        default: readPending = true
        }
    }

    // MARK: From the upstream side

    func upstreamData(_ buffer: ByteBuffer) {
        bytesOut += buffer.readableBytes
        context?.write(wrapOutboundOut(buffer), promise: nil)
    }

    func upstreamFlush() { context?.flush() }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    func upstreamWritable() {
        guard readPending, let context else { return }
        readPending = false
        context.read()
    }

    func upstreamClosed() {
        guard case .forwarding = phase else { return }
        context?.close(promise: nil)
    }

    private func log(status: Int, reason: String?) {
        shared.metrics.countRequest(decision: decision.allowed ? "allow" : "deny", status: status)
        shared.accessLog?.write(
            AccessLogEntry(
                startedAt: wallClock, peer: peer?.spiffeID.description, method: "TCP", path: "-", status: status,
                decision: decision.allowed ? "allow" : "deny", policy: decision.policy, rule: decision.rule,
                dryRun: decision.dryRun, reason: reason,
                durationSeconds: Double((NIODeadline.now() - started).nanoseconds) / 1e9, upstreamSeconds: nil,
                bytesIn: bytesIn, bytesOut: bytesOut))
    }
}

/// The upstream half of a TCP-mode connection.
final class TCPUpstreamGlue: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private weak var client: TCPProxyHandler?
    private var context: ChannelHandlerContext?
    private var readPending = false

    init(client: TCPProxyHandler) { self.client = client }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    func write(_ buffer: ByteBuffer) { context?.write(wrapOutboundOut(buffer), promise: nil) }

    func flush() { context?.flush() }

    func close() { context?.close(promise: nil) }

    func resumeReading() {
        guard readPending, let context else { return }
        readPending = false
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { client?.upstreamData(unwrapInboundIn(data)) }

    func channelReadComplete(context: ChannelHandlerContext) { client?.upstreamFlush() }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { client?.upstreamWritable() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        client?.upstreamClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }

    func read(context: ChannelHandlerContext) {
        if client?.isWritable ?? false {
            context.read()
        } else {
            readPending = true
        }
    }
}

@available(*, unavailable)
extension TCPProxyHandler: Sendable {}

@available(*, unavailable)
extension TCPUpstreamGlue: Sendable {}
